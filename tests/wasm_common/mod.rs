//! The test body shared by `tests/wasm_node.rs` (Node) and `tests/wasm_browser.rs` (headless
//! Chromium): the Rust core itself, compiled to wasm32 and driven through wasm-bindgen-test,
//! not the JavaScript package. It checks that what the core needs from the platform works
//! there (`crypto.getRandomValues` through getrandom, no `SystemTime`) and that the results
//! match the language-independent vectors in `tests/vectors/`.
//!
//! Cargo sees `tests/wasm_common/mod.rs` as a module, not as a test target of its own.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::cell::Cell;
use std::collections::HashSet;
use std::rc::Rc;

use app_passwords::{
    AppPasswords, Catalog, Config, Error, HashParams, Hasher, ListPage, MemoryStore, NewAppPassword, OsRandom, PhcHash,
    Prefix, RandomSource, Reason, Refusal, RefusalCode, Result, Store, VerifyRequest, VerifyResult, basic_header,
    generate, looks_like_app_password, parse, verify_password_hash,
};
use serde_json::Value;
use wasm_bindgen_test::wasm_bindgen_test;

const PASSWORDS_JSON: &str = include_str!("../vectors/passwords.json");
const SCOPES_JSON: &str = include_str!("../vectors/scopes.json");
const PHC_JSON: &str = include_str!("../vectors/phc.json");

/// An OWASP-profile Argon2id hash (m=19456 KiB, t=2, p=1) of `OWASP_PASSWORD`, written by
/// argon2-cffi 25.1.0 (libargon2, not the Rust crate):
/// `hash_secret(b"correct horse battery staple", b"wasm-bindgen-tst", time_cost=2,
/// memory_cost=19456, parallelism=1, hash_len=32, type=Type.ID)`.
const OWASP_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$d2FzbS1iaW5kZ2VuLXRzdA$AUtNBds7FOKk6jl+kC8WuTlpIXEzcQhwWVNxpQI5ljI";
const OWASP_PASSWORD: &str = "correct horse battery staple";

/// A fixed clock: `SystemTime` does not exist in wasm32-unknown-unknown.
const NOW: u64 = 1_700_000_000_000;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn refusal(result: &VerifyResult) -> &Refusal {
    match result {
        VerifyResult::Refused(r) => r,
        VerifyResult::Granted(g) => panic!("expected a refusal, got {g:?}"),
    }
}

fn light_config() -> Config {
    let mut config = Config::new().unwrap();
    config.hashing = HashParams::APP_PASSWORD;
    config
}

fn service() -> AppPasswords<MemoryStore, impl Fn() -> u64, OsRandom> {
    AppPasswords::with_parts(MemoryStore::new(), light_config(), || NOW, OsRandom).unwrap()
}

fn verify_request<'a>(username: &'a str, password: &'a str, require: &'a [&'a str]) -> VerifyRequest<'a> {
    VerifyRequest::password(username, password, require)
}

// ------------------------------------------------------------------------- randomness

#[wasm_bindgen_test]
fn os_random_fills_from_the_platform_csprng() {
    let mut a = [0u8; 64];
    let mut b = [0u8; 64];
    OsRandom.fill(&mut a).unwrap();
    OsRandom.fill(&mut b).unwrap();
    assert_ne!(a, [0u8; 64]);
    assert_ne!(a, b);
    // A buffer past the 65536-byte limit of one crypto.getRandomValues call.
    let mut big = vec![0u8; 100_000];
    OsRandom.fill(&mut big).unwrap();
    assert!(big[70_000..].iter().any(|&x| x != 0), "getrandom chunks large requests");
}

#[wasm_bindgen_test]
fn generate_with_os_random_gives_distinct_well_formed_passwords() {
    let prefix = Prefix::default();
    let mut ids = HashSet::new();
    let mut seen = HashSet::new();
    for _ in 0..200 {
        let password = generate(&prefix, &mut OsRandom).unwrap();
        let text = password.expose();
        assert_eq!(text.len(), 54);
        assert!(text.starts_with("apw_"));
        assert!(text[4..].bytes().all(|b| b.is_ascii_alphanumeric()), "{text}");
        let parsed = parse(text, &prefix).unwrap();
        assert_eq!(parsed.id(), password.id());
        assert_eq!(parsed.text(), text);
        assert!(looks_like_app_password(text));
        assert!(ids.insert(password.id().to_owned()), "an id repeated");
        seen.extend(text[4..48].bytes());
    }
    // Every base62 digit shows up among 200 * 44 random characters (misses one with p < 1e-50).
    assert_eq!(seen.len(), 62);
    let custom = Prefix::new("ci7").unwrap();
    let p = generate(&custom, &mut OsRandom).unwrap();
    assert!(p.expose().starts_with("ci7_"));
    assert!(parse(p.expose(), &custom).is_ok());
    assert_eq!(parse(p.expose(), &prefix).unwrap_err().reason(), "wrong_prefix");
}

// ------------------------------------------------------------------------------ vectors

#[wasm_bindgen_test]
fn password_vectors_parse_as_specified() {
    let doc = json(PASSWORDS_JSON);
    let valid = doc["valid"].as_array().unwrap();
    assert!(!valid.is_empty());
    for v in valid {
        let prefix = Prefix::new(s(&v["prefix"])).unwrap();
        let parsed = parse(s(&v["password"]), &prefix).unwrap();
        assert_eq!(parsed.id(), s(&v["id"]));
        if s(&v["prefix"]) == "apw" {
            assert!(looks_like_app_password(s(&v["password"])));
        }
    }
    let malformed = doc["malformed"].as_array().unwrap();
    assert!(!malformed.is_empty());
    for v in malformed {
        let prefix = Prefix::new(s(&v["prefix"])).unwrap();
        let err = parse(s(&v["password"]), &prefix).unwrap_err();
        assert_eq!(err.reason(), s(&v["reason"]), "{}", v["why"]);
        assert_eq!(looks_like_app_password(s(&v["password"])), v["looks_like"].as_bool().unwrap(), "{}", v["why"]);
    }
}

#[wasm_bindgen_test]
fn catalog_encode_decode_match_the_vectors() {
    let doc = json(SCOPES_JSON);
    let catalog = Catalog::bitbucket().unwrap();
    assert_eq!(catalog.scopes().len() as u64, doc["catalog_size"].as_u64().unwrap());
    let sets = doc["sets"].as_array().unwrap();
    assert!(!sets.is_empty());
    for v in sets {
        let names: Vec<&str> = v["names"].as_array().unwrap().iter().map(s).collect();
        let chosen = catalog.parse_names(names.iter().copied()).unwrap();
        assert_eq!(catalog.encode(&chosen), s(&v["encoded_unclosed"]), "{names:?}");
        let closed = catalog.close(&chosen);
        assert_eq!(catalog.to_text(&closed), s(&v["closure"]), "{names:?}");
        assert_eq!(catalog.encode(&closed), s(&v["encoded"]), "{names:?}");
        let decoded = catalog.decode(s(&v["encoded"])).unwrap();
        assert_eq!(decoded, closed);
        assert!(catalog.satisfies(&chosen, &closed));
        assert!(catalog.missing(&chosen, &closed).is_empty());
    }
    for v in doc["invalid_encodings"].as_array().unwrap() {
        let err = catalog.decode(s(&v["encoded"])).unwrap_err();
        assert_eq!(err.code(), s(&v["error"]), "{}", v["why"]);
    }
}

// ------------------------------------------------------------------------------ hashing

#[wasm_bindgen_test]
fn hasher_light_profile_round_trips_with_and_without_pepper() {
    let hasher = Hasher::new(None).unwrap();
    let phc = hasher.hash(b"apw_example", &HashParams::APP_PASSWORD, &mut OsRandom).unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "{phc}");
    let parsed = PhcHash::parse(&phc).unwrap();
    assert!(parsed.is_current(&HashParams::APP_PASSWORD));
    assert!(hasher.verify(b"apw_example", &parsed));
    assert!(!hasher.verify(b"apw_examplf", &parsed));
    // A fresh salt each time.
    let again = hasher.hash(b"apw_example", &HashParams::APP_PASSWORD, &mut OsRandom).unwrap();
    assert_ne!(phc, again);

    let peppered = Hasher::new(Some(b"host secret")).unwrap();
    let phc = peppered.hash(b"apw_example", &HashParams::APP_PASSWORD, &mut OsRandom).unwrap();
    let parsed = PhcHash::parse(&phc).unwrap();
    assert!(peppered.verify(b"apw_example", &parsed));
    assert!(!hasher.verify(b"apw_example", &parsed), "no pepper, no match");
}

#[wasm_bindgen_test]
fn phc_vectors_from_other_implementations_verify() {
    let doc = json(PHC_JSON);
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() > 10);
    for v in vectors {
        let text = s(&v["phc"]);
        let phc = PhcHash::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let pepper = v.get("pepper_hex").map(|p| hex(s(p)));
        let password = match v.get("password_hex") {
            Some(h) => hex(s(h)),
            None => s(&v["password"]).as_bytes().to_vec(),
        };
        let expect = v["expect"].as_bool().unwrap();
        let hasher = Hasher::new(pepper.as_deref()).unwrap();
        assert_eq!(hasher.verify(&password, &phc), expect, "{}: {text}", v["source"]);
        if let (None, Some(pw)) = (&pepper, v.get("password")) {
            assert_eq!(verify_password_hash(s(pw), text).unwrap(), expect, "{}", v["source"]);
        }
    }
    let invalid = doc["invalid"].as_array().unwrap();
    assert!(!invalid.is_empty());
    for v in invalid {
        assert_eq!(verify_password_hash("password", s(&v["phc"])).unwrap_err().code(), "invalid_hash");
    }
}

#[wasm_bindgen_test]
fn verify_password_hash_reads_an_owasp_hash_from_libargon2() {
    assert!(verify_password_hash(OWASP_PASSWORD, OWASP_HASH).unwrap());
    assert!(!verify_password_hash("correct horse battery stapler", OWASP_HASH).unwrap());
    assert_eq!(verify_password_hash(OWASP_PASSWORD, "$argon2id$garbage").unwrap_err().code(), "invalid_hash");
}

// ---------------------------------------------------------------------------- the service

#[wasm_bindgen_test]
async fn service_create_verify_refuse_revoke() {
    let ap = service();
    let created = ap
        .create(NewAppPassword { user: "alice", label: "ci", scopes: &["repository:write"], expires_at: None })
        .await
        .unwrap();
    let password = created.password.expose().to_owned();
    assert_eq!(created.created_at, NOW);
    assert_eq!(created.scopes, ["repository", "repository:write"]);
    assert!(looks_like_app_password(&password));

    // Granted.
    let ok = ap.verify(verify_request("alice", &password, &["repository"])).await.unwrap();
    match &ok {
        VerifyResult::Granted(g) => {
            assert_eq!((g.user.as_str(), g.id.as_str(), g.label.as_str()), ("alice", created.id.as_str(), "ci"));
        }
        VerifyResult::Refused(r) => panic!("refused: {r:?}"),
    }
    // lastUsedAt was written by verify's follow-up (the fixed clock).
    let listed = ap.list("alice").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_used_at, Some(NOW));

    // Through the Basic header too.
    let header = basic_header("alice", &password);
    assert!(ap.verify_header(Some(&header), &["repository:write"]).await.unwrap().is_ok());

    // Wrong user: 401 invalid_credentials.
    let r = ap.verify(verify_request("bob", &password, &[])).await.unwrap();
    assert_eq!(refusal(&r).code, RefusalCode::InvalidCredentials);
    assert_eq!(refusal(&r).reason, Reason::WrongUser);
    assert_eq!(refusal(&r).status(), 401);

    // Login refused (docs/design.md#order-of-checks): 403 login_not_allowed.
    let login = verify_request("alice", &password, &[]).for_login();
    let r = ap.verify(login).await.unwrap();
    assert_eq!(refusal(&r).code, RefusalCode::LoginNotAllowed);
    assert_eq!(refusal(&r).status(), 403);

    // Scopes: missing and non-grantable.
    let r = ap.verify(verify_request("alice", &password, &["issue"])).await.unwrap();
    assert_eq!(refusal(&r).code, RefusalCode::InsufficientScope);
    assert_eq!(refusal(&r).missing, ["issue"]);
    let r = ap.verify(verify_request("alice", &password, &["workspace:admin"])).await.unwrap();
    assert_eq!(refusal(&r).code, RefusalCode::NotAllowedForAppPasswords);

    // Revoke: other users cannot; the owner can once; then it never verifies.
    assert!(!ap.revoke("bob", &created.id).await.unwrap());
    assert!(ap.revoke("alice", &created.id).await.unwrap());
    assert!(!ap.revoke("alice", &created.id).await.unwrap());
    let r = ap.verify(verify_request("alice", &password, &[])).await.unwrap();
    assert_eq!(refusal(&r).code, RefusalCode::InvalidCredentials);
    assert_eq!(refusal(&r).reason, Reason::UnknownId);
    assert!(ap.list("alice").await.unwrap().is_empty());
}

#[wasm_bindgen_test]
async fn service_refuses_bad_headers_and_arguments() {
    let ap = service();
    for (header, reason) in [
        (None, "missing_credentials"),
        (Some("Bearer abc"), "not_basic_auth"),
        (Some("Basic !!!"), "bad_base64"),
        (Some("Basic YWxpY2U="), "missing_colon"),
    ] {
        let r = ap.verify_header(header, &[]).await.unwrap();
        assert_eq!(refusal(&r).reason.as_str(), reason);
        assert_eq!(refusal(&r).status(), 401);
    }
    let long = format!("Basic {}", "A".repeat(2000));
    let r = ap.verify_header(Some(&long), &[]).await.unwrap();
    assert_eq!(refusal(&r).reason.as_str(), "header_too_long");

    let bad = |scopes: &'static [&'static str], label: &'static str| NewAppPassword {
        user: "alice",
        label,
        scopes,
        expires_at: None,
    };
    assert_eq!(ap.create(bad(&["nope"], "x")).await.unwrap_err().code(), "unknown_scope");
    assert_eq!(ap.create(bad(&["workspace:admin"], "x")).await.unwrap_err().code(), "scope_not_grantable");
    assert_eq!(ap.create(bad(&[], "x")).await.unwrap_err().code(), "no_scopes");
    assert_eq!(ap.create(bad(&["email"], "")).await.unwrap_err().code(), "invalid_label");
    let past = NewAppPassword { expires_at: Some(NOW), ..bad(&["email"], "x") };
    assert_eq!(ap.create(past).await.unwrap_err().code(), "invalid_expiry");
}

#[wasm_bindgen_test]
async fn service_expiry_follows_an_injected_clock() {
    let now = Rc::new(Cell::new(NOW));
    let clock = {
        let now = Rc::clone(&now);
        move || now.get()
    };
    let ap = AppPasswords::with_parts(MemoryStore::new(), light_config(), clock, OsRandom).unwrap();
    let created = ap
        .create(NewAppPassword { user: "carol", label: "short", scopes: &["email"], expires_at: Some(NOW + 60_000) })
        .await
        .unwrap();
    let password = created.password.expose().to_owned();
    now.set(NOW + 59_999);
    assert!(ap.verify(verify_request("carol", &password, &["email"])).await.unwrap().is_ok());
    now.set(NOW + 60_000);
    let r = ap.verify(verify_request("carol", &password, &["email"])).await.unwrap();
    assert_eq!(refusal(&r).reason, Reason::Expired);
    assert_eq!(refusal(&r).code, RefusalCode::InvalidCredentials);
}

#[wasm_bindgen_test]
async fn service_lists_across_store_pages() {
    let ap = AppPasswords::with_parts(MemoryStore::with_page_size(3), light_config(), || NOW, OsRandom).unwrap();
    let mut ids = HashSet::new();
    for i in 0..10 {
        let label = format!("tool {i}");
        let c = ap
            .create(NewAppPassword { user: "erin", label: &label, scopes: &["wiki"], expires_at: None })
            .await
            .unwrap();
        ids.insert(c.id);
    }
    ap.create(NewAppPassword { user: "erin2", label: "other", scopes: &["wiki"], expires_at: None }).await.unwrap();
    let listed = ap.list("erin").await.unwrap();
    assert_eq!(listed.iter().map(|l| l.id.clone()).collect::<HashSet<_>>(), ids);
}

/// A store that lists the same first key forever with the same cursor (a buggy host store).
struct StuckStore(MemoryStore);

impl Store for StuckStore {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        self.0.get(key).await
    }
    async fn put(&self, key: &str, value: &str) -> Result<()> {
        self.0.put(key, value).await
    }
    async fn delete(&self, key: &str) -> Result<()> {
        self.0.delete(key).await
    }
    async fn list(&self, prefix: &str, _cursor: Option<&str>) -> Result<ListPage> {
        let mut page = self.0.list(prefix, None).await?;
        page.keys.truncate(1);
        Ok(ListPage { keys: page.keys, cursor: Some("same".into()) })
    }
}

#[wasm_bindgen_test]
async fn service_list_stops_on_a_repeated_cursor_without_duplicates() {
    let ap = AppPasswords::with_parts(StuckStore(MemoryStore::new()), light_config(), || NOW, OsRandom).unwrap();
    let c =
        ap.create(NewAppPassword { user: "alice", label: "a", scopes: &["email"], expires_at: None }).await.unwrap();
    let listed = ap.list("alice").await.unwrap();
    assert_eq!(listed.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(), [c.id.as_str()]);
}

/// A store whose every call fails, as a host store that threw would.
struct DownStore;

impl Store for DownStore {
    async fn get(&self, _key: &str) -> Result<Option<String>> {
        Err(Error::StoreUnavailable("down".into()))
    }
    async fn put(&self, _key: &str, _value: &str) -> Result<()> {
        Err(Error::StoreUnavailable("down".into()))
    }
    async fn delete(&self, _key: &str) -> Result<()> {
        Err(Error::StoreUnavailable("down".into()))
    }
    async fn list(&self, _prefix: &str, _cursor: Option<&str>) -> Result<ListPage> {
        Err(Error::StoreUnavailable("down".into()))
    }
}

#[wasm_bindgen_test]
async fn service_fails_closed_when_the_store_fails() {
    let ap = AppPasswords::with_parts(DownStore, light_config(), || NOW, OsRandom).unwrap();
    let password = generate(&Prefix::default(), &mut OsRandom).unwrap();
    let err = ap.verify(verify_request("alice", password.expose(), &[])).await.unwrap_err();
    assert_eq!(err.code(), "store_unavailable");
    let err = ap
        .create(NewAppPassword { user: "alice", label: "x", scopes: &["email"], expires_at: None })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "store_unavailable");
    assert_eq!(ap.list("alice").await.unwrap_err().code(), "store_unavailable");
}
