#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Browser-side minting (issue 13): `mint` makes a password and its PHC string where the
//! password is shown; `create_from_hash` stores the id and the hash after checking the hash is
//! exactly what `create` would have written. Every refusal is `invalid_hash` (or the error
//! `create` gives for the same argument) and writes nothing.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use app_passwords::mint::ceiling;
use app_passwords::record::{record_key, tombstone_key};
use app_passwords::{
    AppPasswords, CaveatSpec, Config, Error, FromHash, HashParams, ListPage, MemoryStore, Minted, NewAppPassword,
    PhcHash, Prefix, Result, Store, VerifyResult, check_minted_hash, mint,
};
use common::{CountingStore, SplitMix64, T0, TestClock, api, block_on, clock, refused};

/// The service's profile in these tests: cheap, with t and p above 1 so that "below" exists
/// for each of m, t and p.
const PROFILE: HashParams = HashParams { memory_kib: 64, iterations: 2, parallelism: 2 };

type Svc = AppPasswords<CountingStore, TestClock, SplitMix64>;

struct Setup {
    svc: Svc,
    store: CountingStore,
    rng: SplitMix64,
}

fn setup_with(config: Config) -> Setup {
    let now = Arc::new(AtomicU64::new(T0));
    let store = CountingStore::default();
    let svc = AppPasswords::with_parts(store.clone(), config, clock(&now), SplitMix64::new(7)).unwrap();
    Setup { svc, store, rng: SplitMix64::new(99) }
}

fn config() -> Config {
    let mut config = Config::new().unwrap();
    config.hashing = PROFILE;
    config
}

fn setup() -> Setup {
    setup_with(config())
}

const SCOPES: &[&str] = &["repository:write"];

fn new(label: &str) -> NewAppPassword<'_> {
    NewAppPassword { user: "alice", label, scopes: SCOPES, expires_at: None }
}

impl Setup {
    fn mint(&mut self, params: &HashParams) -> Minted {
        mint(&Prefix::default(), params, &mut self.rng).unwrap()
    }

    fn store_minted(&self, minted: &Minted) -> Result<app_passwords::Listed> {
        block_on(self.svc.create_from_hash(new("minted"), FromHash { id: minted.password.id(), phc: &minted.phc }))
    }

    /// `phc` under a fresh id: refused with `invalid_hash`, with no store call at all.
    #[track_caller]
    fn refuses_hash(&mut self, phc: &str, why: &str) {
        let id = self.mint(&PROFILE).password.id().to_owned();
        self.store.reset();
        let err = block_on(self.svc.create_from_hash(new("x"), FromHash { id: &id, phc })).unwrap_err();
        assert!(matches!(err, Error::InvalidHash(_)), "{why}: {err:?}");
        assert_eq!(err.code(), "invalid_hash", "{why}");
        assert_eq!(self.store.calls(), 0, "{why}: refused before any store call");
    }
}

/// A PHC string of the profile's shape with other parts: `create`'s writer, so only the part
/// named differs from what `create` writes.
fn phc_with(params: HashParams, salt_len: usize, output_len: usize) -> String {
    PhcHash::argon2id(params, &vec![7u8; salt_len], &vec![9u8; output_len]).to_phc()
}

#[test]
fn a_minted_password_verifies_after_create_from_hash_within_the_create_budget() {
    let mut s = setup();
    let minted = s.mint(&PROFILE);
    assert!(minted.phc.starts_with("$argon2id$v=19$m=64,t=2,p=2$"), "{}", minted.phc);
    let password = minted.password.expose().to_owned();
    assert!(password.starts_with("apw_") && password.len() == 54);
    assert!(!minted.phc.contains(&password[16..48]), "the PHC string does not carry the secret");

    s.store.reset();
    let listed = s.store_minted(&minted).unwrap();
    let calls = s.store.calls();
    println!("budget: createFromHash: {calls} store calls (must be <= 6, as create)");
    assert!(calls <= 6);
    let id = minted.password.id();
    assert_eq!(listed.id, id);
    assert_eq!(listed.label, "minted");
    assert_eq!(listed.scopes, ["repository", "repository:write"]);
    assert_eq!((listed.created_at, listed.expires_at, listed.last_used_at), (T0, None, None));
    assert_eq!(s.store.writes().len(), 2, "the record and the index entry: {:?}", s.store.writes());
    assert_eq!(block_on(s.svc.list("alice")).unwrap(), vec![listed]);

    match block_on(s.svc.verify(api("alice", &password, &["repository"]))).unwrap() {
        VerifyResult::Granted(g) => {
            assert_eq!((g.user.as_str(), g.id.as_str()), ("alice", id));
            assert_eq!(g.scopes, ["repository", "repository:write"]);
        }
        VerifyResult::Refused(r) => panic!("refused: {r:?}"),
    }
    // Another secret for the same id, and another user, are refused as for any password.
    let other = common::with_other_secret(&password);
    assert_eq!(
        refused(block_on(s.svc.verify(api("alice", &other, &[]))).unwrap()).code.as_str(),
        "invalid_credentials"
    );
    assert_eq!(
        refused(block_on(s.svc.verify(api("bob", &password, &[]))).unwrap()).code.as_str(),
        "invalid_credentials"
    );
}

#[test]
fn a_hash_above_the_profile_up_to_the_ceiling_is_accepted_and_verifies() {
    let mut s = setup();
    let top = ceiling(&PROFILE);
    assert_eq!(top, HashParams { memory_kib: 19456, iterations: 2, parallelism: 2 });
    let stronger = HashParams { memory_kib: 128, iterations: 2, parallelism: 2 };
    let minted = s.mint(&stronger);
    s.store_minted(&minted).unwrap();
    let granted = block_on(s.svc.verify(api("alice", minted.password.expose(), &[]))).unwrap();
    assert!(matches!(granted, VerifyResult::Granted(_)), "{granted:?}");
    // The ceiling itself passes the check (not hashed here: 19 MiB in a debug build).
    check_minted_hash(&phc_with(top, 16, 32), &PROFILE).unwrap();
    check_minted_hash(&phc_with(PROFILE, 64, 64), &PROFILE).unwrap();
}

#[test]
fn weak_profiles_are_refused_each_of_m_t_p_below() {
    let mut s = setup();
    let below = [
        ("m below", HashParams { memory_kib: 63, ..PROFILE }),
        ("t below", HashParams { iterations: 1, ..PROFILE }),
        ("p below", HashParams { parallelism: 1, memory_kib: 64, ..PROFILE }),
    ];
    for (why, params) in below {
        // Real hashes of real passwords: only the cost is wrong.
        let phc = s.mint(&params).phc;
        s.refuses_hash(&phc, why);
    }
}

#[test]
fn hashes_above_the_ceiling_are_refused() {
    let mut s = setup();
    let top = ceiling(&PROFILE);
    for (why, params) in [
        ("m above", HashParams { memory_kib: top.memory_kib + 1, ..top }),
        ("t above", HashParams { iterations: top.iterations + 1, ..top }),
        ("p above", HashParams { parallelism: top.parallelism + 1, ..top }),
        ("the largest the reader accepts", HashParams { memory_kib: 262_144, iterations: 64, parallelism: 16 }),
    ] {
        s.refuses_hash(&phc_with(params, 16, 32), why);
    }
}

#[test]
fn other_algorithms_versions_and_extras_are_refused() {
    let mut s = setup();
    let phc = s.mint(&PROFILE).phc;
    assert!(phc.starts_with("$argon2id$v=19$"));
    s.refuses_hash(&phc.replacen("$argon2id$", "$argon2i$", 1), "argon2i");
    s.refuses_hash(&phc.replacen("$argon2id$", "$argon2d$", 1), "argon2d");
    s.refuses_hash(&phc.replacen("$v=19$", "$v=16$", 1), "v=16");
    s.refuses_hash(&phc.replacen("$v=19$", "$", 1), "no version (meaning 16)");
    s.refuses_hash(&phc.replacen(",p=2$", ",p=2,keyid=AAAA$", 1), "a keyid");
    s.refuses_hash(&phc.replacen(",p=2$", ",p=2,data=AAAA$", 1), "associated data");
}

#[test]
fn short_salts_and_short_outputs_are_refused() {
    let mut s = setup();
    check_minted_hash(&phc_with(PROFILE, 16, 32), &PROFILE).unwrap();
    s.refuses_hash(&phc_with(PROFILE, 15, 32), "salt of 15 bytes");
    s.refuses_hash(&phc_with(PROFILE, 8, 32), "salt of 8 bytes (the reader's minimum)");
    s.refuses_hash(&phc_with(PROFILE, 16, 31), "output of 31 bytes");
    s.refuses_hash(&phc_with(PROFILE, 16, 4), "output of 4 bytes");
}

#[test]
fn malformed_phc_strings_are_refused() {
    let mut s = setup();
    let good = s.mint(&PROFILE).phc;
    let parts: Vec<&str> = good.split('$').collect();
    let too_long = format!("{good}{}", "A".repeat(600));
    for (why, phc) in [
        ("empty", String::new()),
        ("not PHC", "not a hash".to_owned()),
        ("bcrypt", "$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234".to_owned()),
        ("no hash field", parts[..5].join("$")),
        ("trailing field", format!("{good}$AAAA")),
        ("bad base64 salt", good.replacen(parts[4], "!!!!!!!!!!!!!!!!!!!!!!", 1)),
        ("absurd memory", good.replacen("m=64", "m=4294967295", 1)),
        ("repeated parameter", good.replacen("m=64,", "m=64,m=64,", 1)),
        ("missing t", good.replacen("t=2,", "", 1)),
        ("longer than 512", too_long),
    ] {
        s.refuses_hash(&phc, why);
    }
}

#[test]
fn ids_of_the_wrong_format_are_refused_before_any_store_call() {
    let mut s = setup();
    let phc = s.mint(&PROFILE).phc;
    for id in ["", "short", "0123456789abc", "0123456789a-", "0123456789a\u{e9}", "000000000000", "apw_0123456789"] {
        s.store.reset();
        let err = block_on(s.svc.create_from_hash(new("x"), FromHash { id, phc: &phc })).unwrap_err();
        assert_eq!(err.code(), "invalid_hash", "id {id:?}: {err:?}");
        assert_eq!(s.store.calls(), 0, "id {id:?}");
    }
}

#[test]
fn an_id_in_use_or_revoked_is_refused_and_nothing_is_overwritten() {
    let mut s = setup();
    let first = s.mint(&PROFILE);
    s.store_minted(&first).unwrap();
    let record_before = block_on(s.store.inner.get(&record_key(first.password.id()))).unwrap();

    // The same id again, with the hash of another password: refused, the record untouched.
    let second = s.mint(&PROFILE);
    s.store.reset();
    let err = block_on(s.svc.create_from_hash(new("again"), FromHash { id: first.password.id(), phc: &second.phc }))
        .unwrap_err();
    assert_eq!(err.code(), "invalid_hash", "{err:?}");
    assert!(s.store.writes().is_empty(), "{:?}", s.store.writes());
    assert_eq!(block_on(s.store.inner.get(&record_key(first.password.id()))).unwrap(), record_before);
    assert!(matches!(
        block_on(s.svc.verify(api("alice", first.password.expose(), &[]))).unwrap(),
        VerifyResult::Granted(_)
    ));

    // The id of a password made by create.
    let created = block_on(s.svc.create(new("created"))).unwrap();
    s.store.reset();
    let err =
        block_on(s.svc.create_from_hash(new("again"), FromHash { id: &created.id, phc: &second.phc })).unwrap_err();
    assert_eq!(err.code(), "invalid_hash");
    assert!(s.store.writes().is_empty());

    // A revoked id stays dead: its tombstone refuses it.
    assert!(block_on(s.svc.revoke("alice", first.password.id())).unwrap());
    assert!(block_on(s.store.inner.get(&tombstone_key(first.password.id()))).unwrap().is_some());
    s.store.reset();
    let err = block_on(s.svc.create_from_hash(new("again"), FromHash { id: first.password.id(), phc: &second.phc }))
        .unwrap_err();
    assert_eq!(err.code(), "invalid_hash");
    assert!(s.store.writes().is_empty());
    assert!(matches!(
        block_on(s.svc.verify(api("alice", first.password.expose(), &[]))).unwrap(),
        VerifyResult::Refused(_)
    ));
}

#[test]
fn the_arguments_are_checked_as_create_checks_them_and_nothing_is_written() {
    let mut s = setup_with(Config { max_per_user: 1, ..config() });
    let minted = s.mint(&PROFILE);
    let from = FromHash { id: minted.password.id(), phc: &minted.phc };
    let cases: [(NewAppPassword<'_>, &str); 7] = [
        (NewAppPassword { user: "", ..new("x") }, "invalid_user"),
        (NewAppPassword { user: "a:b", ..new("x") }, "invalid_user"),
        (new(""), "invalid_label"),
        (NewAppPassword { scopes: &[], ..new("x") }, "no_scopes"),
        (NewAppPassword { scopes: &["nope"], ..new("x") }, "unknown_scope"),
        (NewAppPassword { scopes: &["account:login"], ..new("x") }, "scope_not_grantable"),
        (NewAppPassword { expires_at: Some(T0), ..new("x") }, "invalid_expiry"),
    ];
    for (args, code) in cases {
        let by_create = block_on(s.svc.create(args)).unwrap_err();
        s.store.reset();
        let by_hash = block_on(s.svc.create_from_hash(args, from)).unwrap_err();
        assert_eq!((by_hash.code(), by_create.code()), (code, code));
        assert!(s.store.writes().is_empty(), "{code}");
    }
    // The per-user cap (1 here) counts minted passwords as create counts its own.
    s.store_minted(&minted).unwrap();
    let other = s.mint(&PROFILE);
    s.store.reset();
    assert_eq!(s.store_minted(&other).unwrap_err(), Error::TooManyPasswords);
    assert!(s.store.writes().is_empty());
    assert_eq!(block_on(s.svc.create(new("x"))).unwrap_err(), Error::TooManyPasswords);
}

#[test]
fn a_future_expiry_is_stored_and_enforced() {
    let mut s = setup();
    let minted = s.mint(&PROFILE);
    let args = NewAppPassword { expires_at: Some(T0 + 1000), ..new("expiring") };
    let listed =
        block_on(s.svc.create_from_hash(args, FromHash { id: minted.password.id(), phc: &minted.phc })).unwrap();
    assert_eq!(listed.expires_at, Some(T0 + 1000));
    assert_eq!(block_on(s.svc.list("alice")).unwrap()[0].expires_at, Some(T0 + 1000));
}

#[test]
fn a_service_with_a_pepper_refuses_create_from_hash() {
    let mut s = setup_with(Config { pepper: Some(b"pepper".to_vec()), ..config() });
    let minted = s.mint(&PROFILE);
    s.store.reset();
    let err = s.store_minted(&minted).unwrap_err();
    assert_eq!(err.code(), "invalid_argument", "{err:?}");
    assert_eq!(s.store.calls(), 0);
}

#[test]
fn a_failing_index_write_leaves_nothing_behind() {
    // The same undo as create: record removed when the index write fails.
    #[derive(Clone, Default)]
    struct FailSecondPut(Arc<MemoryStore>, Arc<AtomicUsize>);
    impl Store for FailSecondPut {
        async fn get(&self, key: &str) -> Result<Option<String>> {
            self.0.get(key).await
        }
        async fn put(&self, key: &str, value: &str) -> Result<()> {
            if self.1.fetch_add(1, Ordering::SeqCst) == 1 {
                return Err(Error::StoreUnavailable("down (test)".into()));
            }
            self.0.put(key, value).await
        }
        async fn delete(&self, key: &str) -> Result<()> {
            self.0.delete(key).await
        }
        async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage> {
            self.0.list(prefix, cursor).await
        }
    }
    let now = Arc::new(AtomicU64::new(T0));
    let store = FailSecondPut::default();
    let svc = AppPasswords::with_parts(store.clone(), config(), clock(&now), SplitMix64::new(3)).unwrap();
    let minted = mint(&Prefix::default(), &PROFILE, &mut SplitMix64::new(4)).unwrap();
    let err =
        block_on(svc.create_from_hash(new("x"), FromHash { id: minted.password.id(), phc: &minted.phc })).unwrap_err();
    assert_eq!(err.code(), "store_unavailable");
    assert!(block_on(store.0.get(&record_key(minted.password.id()))).unwrap().is_none());
    assert!(block_on(svc.list("alice")).unwrap().is_empty());
}

#[test]
fn mint_uses_the_prefix_and_refuses_bad_profiles() {
    let mut rng = SplitMix64::new(5);
    let minted = mint(&Prefix::new("acme").unwrap(), &PROFILE, &mut rng).unwrap();
    assert!(minted.password.expose().starts_with("acme_"));
    assert!(app_passwords::looks_like_app_password(minted.password.expose()));
    assert!(app_passwords::verify_password_hash(minted.password.expose(), &minted.phc).unwrap());
    let debug = format!("{minted:?}");
    assert!(!debug.contains(minted.password.expose()), "Debug never shows the password");
    assert!(!debug.contains(&minted.phc), "nor the hash");
    let bad = HashParams { memory_kib: 4, iterations: 1, parallelism: 1 };
    assert_eq!(mint(&Prefix::default(), &bad, &mut rng).unwrap_err().code(), "invalid_hash_params");
}

#[test]
fn caveats_are_checked_and_stored_as_create_with_caveats_does() {
    let mut s = setup();
    let minted = s.mint(&PROFILE);
    let from = FromHash { id: minted.password.id(), phc: &minted.phc };
    // A bad caveat: invalid_caveat, nothing written.
    let bad = CaveatSpec { methods: Some(&[]), ..CaveatSpec::default() };
    s.store.reset();
    let err = block_on(s.svc.create_from_hash_with_caveats(new("x"), &bad, from)).unwrap_err();
    assert_eq!(err.code(), "invalid_caveat", "{err:?}");
    assert!(s.store.writes().is_empty());
    // maxUses on a store without an atomic increment: refused, never an unenforced limit.
    let counted = CaveatSpec { max_uses: Some(3), ..CaveatSpec::default() };
    let err = block_on(s.svc.create_from_hash_with_caveats(new("x"), &counted, from)).unwrap_err();
    assert_eq!(err, Error::StoreLacksAtomic);
    assert!(s.store.writes().is_empty());
    // A method caveat is stored with the record and listed.
    let read_only = CaveatSpec { methods: Some(&["get", "head"]), ..CaveatSpec::default() };
    let listed = block_on(s.svc.create_from_hash_with_caveats(new("read-only"), &read_only, from)).unwrap();
    assert_eq!(listed.caveats.methods(), ["GET", "HEAD"]);
    assert_eq!(block_on(s.svc.list("alice")).unwrap(), vec![listed]);
}
