#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Every documented limit (SECURITY.md, "Limits"), at the limit and one past it.

mod common;

use app_passwords::basic_auth::MAX_HEADER_LEN;
use app_passwords::record::{MAX_LABEL_LEN, MAX_USER_LEN};
use app_passwords::scope::MAX_SCOPES;
use app_passwords::{
    Catalog, HashParams, Hasher, NewAppPassword, OsRandom, basic_header, hash::MAX_PASSWORD_LEN, parse_basic,
};
use common::{Harness, block_on};

fn create(h: &Harness, user: &str, label: &str) -> Result<app_passwords::Created, app_passwords::Error> {
    block_on(h.svc.create(NewAppPassword { user, label, scopes: &["email"], expires_at: None }))
}

#[test]
fn username_of_128_bytes_is_accepted_and_129_refused() {
    let h = Harness::new();
    let at = "é".repeat(MAX_USER_LEN / 2); // 2 bytes a character: the limit is in bytes
    assert_eq!(at.len(), 128);
    let c = create(&h, &at, "x").unwrap();
    assert_eq!(block_on(h.svc.list(&at)).unwrap().len(), 1);
    assert!(block_on(h.svc.verify(common::api(&at, c.password.expose(), &[]))).unwrap().is_ok());
    let past = format!("{at}a");
    assert_eq!(create(&h, &past, "x").unwrap_err().code(), "invalid_user");
}

#[test]
fn label_of_255_characters_is_accepted_and_256_refused() {
    let h = Harness::new();
    let at = "ü".repeat(MAX_LABEL_LEN); // the limit is in characters, not bytes
    assert_eq!(create(&h, "alice", &at).unwrap().label, at);
    assert_eq!(create(&h, "alice", &format!("{at}x")).unwrap_err().code(), "invalid_label");
}

#[test]
fn a_header_of_1024_bytes_is_read_and_1025_refused_unread() {
    // Base64 grows in steps of 4, so extra spaces after "Basic" (allowed) pad to exact sizes.
    let token = basic_header("u", &"p".repeat(700))["Basic ".len()..].to_owned();
    let sized = |total: usize| format!("Basic{}{token}", " ".repeat(total - "Basic".len() - token.len()));
    let at = sized(MAX_HEADER_LEN);
    assert_eq!(at.len(), MAX_HEADER_LEN);
    assert_eq!(parse_basic(Some(&at)).unwrap().password.len(), 700);
    let past = sized(MAX_HEADER_LEN + 1);
    assert_eq!(parse_basic(Some(&past)).unwrap_err().reason(), "header_too_long");
}

#[test]
fn scopes_named_in_one_call_are_bounded() {
    let catalog = Catalog::bitbucket().unwrap();
    let at: Vec<&str> = std::iter::repeat_n("email", 2 * MAX_SCOPES).collect();
    assert!(catalog.parse_names(at.iter().copied()).is_ok());
    let past: Vec<&str> = std::iter::repeat_n("email", 2 * MAX_SCOPES + 1).collect();
    assert_eq!(catalog.parse_names(past.iter().copied()).unwrap_err().code(), "too_many_scopes");
}

#[test]
fn a_catalogue_holds_at_most_256_scopes() {
    let scopes = |n: usize| (0..n).map(|i| format!(r#"{{"name": "s{i}"}}"#)).collect::<Vec<_>>().join(",");
    assert_eq!(Catalog::from_json(&format!(r#"{{"scopes": [{}]}}"#, scopes(256))).unwrap().scopes().len(), 256);
    assert_eq!(
        Catalog::from_json(&format!(r#"{{"scopes": [{}]}}"#, scopes(257))).unwrap_err().code(),
        "invalid_catalog"
    );
}

#[test]
fn hash_password_takes_up_to_4096_bytes_and_a_pepper_up_to_64() {
    let light = HashParams { memory_kib: 8, iterations: 1, parallelism: 1 };
    let hasher = Hasher::default();
    assert!(hasher.hash(&vec![b'p'; MAX_PASSWORD_LEN], &light, &mut OsRandom).is_ok());
    assert_eq!(
        hasher.hash(&vec![b'p'; MAX_PASSWORD_LEN + 1], &light, &mut OsRandom).unwrap_err().code(),
        "invalid_hash_params"
    );
    assert!(Hasher::new(Some(&[7u8; 64])).is_ok());
    assert_eq!(Hasher::new(Some(&[7u8; 65])).unwrap_err().code(), "invalid_hash_params");
}

#[test]
fn list_returns_every_password_and_create_stops_at_max_per_user() {
    use app_passwords::record::{IndexEntry, RECORD_VERSION, Record, index_key, record_key};
    use app_passwords::service::{DEFAULT_MAX_PER_USER, MAX_PER_USER_LIMIT};
    // Written straight into the store (1,500 creates would hash 1,500 times for nothing),
    // past every cap, as concurrent creates or a lowered cap could leave them.
    let mut config = common::light_config();
    config.max_per_user = MAX_PER_USER_LIMIT;
    let h = Harness::with(std::sync::Arc::new(app_passwords::MemoryStore::new()), config, 1);
    let template = create(&h, "alice", "seed").unwrap();
    let seed = block_on(app_passwords::Store::get(h.svc.store(), &record_key(&template.id))).unwrap().unwrap();
    let seed = Record::from_json(&seed, &template.id).unwrap();
    for i in 0..1499 {
        let id = format!("{i:012}");
        let record = Record { v: RECORD_VERSION, id: id.clone(), created_at: i as u64, ..seed.clone() };
        h.put_raw(&record_key(&id), &record.to_json().unwrap());
        h.put_raw(&index_key("alice", &id), &IndexEntry { v: RECORD_VERSION, last_used_at: None }.to_json());
    }
    // 1,500 passwords are stored; all 1,500 are listed, none silently dropped.
    assert_eq!(block_on(h.svc.list("alice")).unwrap().len(), 1500);
    // The cap refuses the next create, at the default and at the largest cap.
    assert_eq!(create(&h, "alice", "one more").unwrap_err().code(), "too_many_passwords");
    assert_eq!(DEFAULT_MAX_PER_USER, 100);
    let mut config = common::light_config();
    for bad in [0, MAX_PER_USER_LIMIT + 1] {
        config.max_per_user = bad;
        assert_eq!(
            app_passwords::AppPasswords::new(app_passwords::MemoryStore::new(), config.clone()).unwrap_err().code(),
            "invalid_argument"
        );
    }
}
