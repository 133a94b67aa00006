#![cfg(not(target_arch = "wasm32"))]
// Test helpers outside #[test] functions are test code too (see .clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Stores that fail or lie (docs/design.md#errors: "a verify fails closed"). Every case ends
//! in an `Err` with the right code, or a refusal, and never in a grant.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use app_passwords::record::{index_key, record_key, tombstone_key};
use app_passwords::{
    AppPasswords, Created, Error, ListPage, MemoryStore, NewAppPassword, Record, Result, Store, VerifyResult,
};
use common::{
    FaultyStore, LIGHT, SplitMix64, T0, TestClock, api, block_on, clock, light_config, refused, with_other_secret,
};

type FaultySvc = AppPasswords<FaultyStore, TestClock, SplitMix64>;

struct Rig {
    svc: FaultySvc,
    store: FaultyStore,
    mem: Arc<MemoryStore>,
    now: Arc<AtomicU64>,
}

fn rig() -> Rig {
    let mem = Arc::new(MemoryStore::new());
    let store = FaultyStore::over(Arc::clone(&mem));
    let now = Arc::new(AtomicU64::new(T0));
    let svc = AppPasswords::with_parts(store.clone(), light_config(), clock(&now), SplitMix64::new(21)).unwrap();
    Rig { svc, store, mem, now }
}

impl Rig {
    fn create(&self, user: &str) -> Created {
        block_on(self.svc.create(NewAppPassword { user, label: "l", scopes: &["repository"], expires_at: None }))
            .unwrap()
    }
    fn verify(&self, user: &str, pw: &str) -> Result<VerifyResult> {
        block_on(self.svc.verify(api(user, pw, &["repository"])))
    }
    fn put(&self, key: &str, value: &str) {
        block_on(self.mem.put(key, value)).unwrap();
    }
    fn get(&self, key: &str) -> Option<String> {
        block_on(self.mem.get(key)).unwrap()
    }
    fn heal(&self) {
        for flag in [&self.store.fail_get, &self.store.fail_put, &self.store.fail_delete, &self.store.fail_list] {
            flag.store(false, Ordering::SeqCst);
        }
        self.store.fail_put_number.store(0, Ordering::SeqCst);
    }
}

#[track_caller]
fn assert_err(result: Result<VerifyResult>, code: &str) {
    match result {
        Err(e) => assert_eq!(e.code(), code, "{e:?}"),
        Ok(VerifyResult::Granted(g)) => panic!("granted {} on a broken store", g.id),
        Ok(VerifyResult::Refused(r)) => panic!("expected Err({code}), got {r:?}"),
    }
}

#[test]
fn a_failing_get_fails_verify_list_revoke_and_create() {
    let r = rig();
    let c = r.create("alice");
    r.store.fail_get.store(true, Ordering::SeqCst);
    assert_err(r.verify("alice", c.password.expose()), "store_unavailable");
    assert_err(r.verify("alice", &with_other_secret(c.password.expose())), "store_unavailable");
    assert_eq!(block_on(r.svc.list("alice")).unwrap_err().code(), "store_unavailable");
    assert_eq!(block_on(r.svc.revoke("alice", &c.id)).unwrap_err().code(), "store_unavailable");
    let err = block_on(r.svc.create(NewAppPassword { user: "bob", label: "l", scopes: &["email"], expires_at: None }))
        .unwrap_err();
    assert_eq!(err.code(), "store_unavailable");
    // Malformed input is refused before any store access, so it still gets a plain refusal.
    let garbage = refused(r.verify("alice", "apw_not-a-password").unwrap());
    assert_eq!(garbage.reason.as_str(), "wrong_length");
    // Recovery: everything works again.
    r.heal();
    assert!(r.verify("alice", c.password.expose()).unwrap().is_ok());
}

#[test]
fn a_failing_list_fails_list_only() {
    let r = rig();
    let c = r.create("alice");
    r.store.fail_list.store(true, Ordering::SeqCst);
    assert_eq!(block_on(r.svc.list("alice")).unwrap_err(), Error::StoreUnavailable("list failed (test)".into()));
    assert!(r.verify("alice", c.password.expose()).unwrap().is_ok());
}

#[test]
fn a_failing_put_fails_create_and_stores_nothing() {
    let r = rig();
    r.store.fail_put.store(true, Ordering::SeqCst);
    let err =
        block_on(r.svc.create(NewAppPassword { user: "alice", label: "l", scopes: &["email"], expires_at: None }))
            .unwrap_err();
    assert_eq!(err.code(), "store_unavailable");
    assert!(r.mem.is_empty());
}

#[test]
fn a_failing_second_put_of_create_leaves_no_record_behind() {
    let r = rig();
    let before = r.store.puts.load(Ordering::SeqCst);
    r.store.fail_put_number.store(before + 2, Ordering::SeqCst);
    let err =
        block_on(r.svc.create(NewAppPassword { user: "alice", label: "l", scopes: &["email"], expires_at: None }))
            .unwrap_err();
    assert_eq!(err.code(), "store_unavailable");
    assert_eq!(r.store.puts.load(Ordering::SeqCst), before + 2, "the record was written, then the index write failed");
    assert!(r.mem.is_empty(), "left behind: {:?}", r.mem.snapshot());
    r.heal();
    assert!(block_on(r.svc.list("alice")).unwrap().is_empty());
}

#[test]
fn failing_follow_up_writes_never_change_the_answer() {
    let r = rig();
    let c = r.create("alice");
    let old_hash = Record::from_json(&r.get(&record_key(&c.id)).unwrap(), &c.id).unwrap().hash;
    r.store.fail_put.store(true, Ordering::SeqCst);
    // lastUsedAt write fails: still granted.
    assert!(r.verify("alice", c.password.expose()).unwrap().is_ok());
    // A re-hash upgrade under a new profile fails to write: still granted, old hash intact.
    let mut config = light_config();
    config.hashing.memory_kib = 128;
    let newer = AppPasswords::with_parts(r.store.clone(), config, clock(&r.now), SplitMix64::new(22)).unwrap();
    assert!(block_on(newer.verify(api("alice", c.password.expose(), &[]))).unwrap().is_ok());
    assert_eq!(Record::from_json(&r.get(&record_key(&c.id)).unwrap(), &c.id).unwrap().hash, old_hash);
    // An instance schedules the upgrade of a password once: no second try from `newer`.
    let (_, follow_up) = block_on(newer.verify_deferred(api("alice", c.password.expose(), &[]))).unwrap();
    assert!(follow_up.is_none(), "{follow_up:?}");
    // But complete() itself reports the failure to a caller that asks.
    let mut config = light_config();
    config.hashing.memory_kib = 128;
    let newest = AppPasswords::with_parts(r.store.clone(), config, clock(&r.now), SplitMix64::new(23)).unwrap();
    let (_, follow_up) = block_on(newest.verify_deferred(api("alice", c.password.expose(), &[]))).unwrap();
    assert_eq!(block_on(newest.complete(follow_up.unwrap())).unwrap_err().code(), "store_unavailable");
    assert_eq!(block_on(r.svc.list("alice")).unwrap()[0].last_used_at, None);
}

#[test]
fn a_failing_delete_makes_revoke_an_error_that_can_be_retried() {
    let r = rig();
    let c = r.create("alice");
    r.store.fail_delete.store(true, Ordering::SeqCst);
    assert_eq!(block_on(r.svc.revoke("alice", &c.id)).unwrap_err().code(), "store_unavailable");
    assert!(r.get(&tombstone_key(&c.id)).is_some(), "the tombstone went first");
    r.heal();
    assert!(block_on(r.svc.revoke("alice", &c.id)).unwrap());
    assert_eq!(refused(r.verify("alice", c.password.expose()).unwrap()).reason.as_str(), "unknown_id");
    assert!(r.get(&record_key(&c.id)).is_none() && r.get(&index_key("alice", &c.id)).is_none());
}

#[test]
fn a_failing_tombstone_write_leaves_the_password_in_place() {
    let r = rig();
    let c = r.create("alice");
    r.store.fail_put.store(true, Ordering::SeqCst);
    assert_eq!(block_on(r.svc.revoke("alice", &c.id)).unwrap_err().code(), "store_unavailable");
    r.heal();
    // Not revoked: the caller was told it failed, and the password still lists and works.
    assert_eq!(block_on(r.svc.list("alice")).unwrap().len(), 1);
    assert!(r.verify("alice", c.password.expose()).unwrap().is_ok());
}

/// Rewrites the stored record of `c` through `edit` on its JSON value.
fn corrupt_record(r: &Rig, c: &Created, edit: impl FnOnce(&mut serde_json::Value)) {
    let key = record_key(&c.id);
    let mut value: serde_json::Value = serde_json::from_str(&r.get(&key).unwrap()).unwrap();
    edit(&mut value);
    r.put(&key, &value.to_string());
}

#[test]
fn garbage_in_the_record_slot_is_store_corrupt() {
    for garbage in ["", "garbage", "{}", "[]", "null", "{\"v\":1}", "\u{0}\u{1}"] {
        let r = rig();
        let c = r.create("alice");
        r.put(&record_key(&c.id), garbage);
        assert_err(r.verify("alice", c.password.expose()), "store_corrupt");
        assert_err(r.verify("alice", &with_other_secret(c.password.expose())), "store_corrupt");
        assert_eq!(block_on(r.svc.list("alice")).unwrap_err().code(), "store_corrupt", "{garbage:?}");
        assert_eq!(block_on(r.svc.revoke("alice", &c.id)).unwrap_err().code(), "store_corrupt");
    }
}

#[test]
fn a_record_under_the_wrong_id_is_store_corrupt() {
    let r = rig();
    let a = r.create("alice");
    let b = r.create("alice");
    // b's (valid, correctly hashed) record copied into a's slot.
    r.put(&record_key(&a.id), &r.get(&record_key(&b.id)).unwrap());
    assert_err(r.verify("alice", a.password.expose()), "store_corrupt");
    // b itself is untouched and still verifies.
    assert!(r.verify("alice", b.password.expose()).unwrap().is_ok());
    // Rewriting the id field to match the key does not help an attacker: the hash is b's.
    corrupt_record(&r, &a, |v| v["id"] = serde_json::Value::String(a.id.clone()));
    assert_eq!(refused(r.verify("alice", a.password.expose()).unwrap()).reason.as_str(), "wrong_secret");
}

#[test]
fn a_corrupt_hash_is_store_corrupt() {
    let bad_hashes = [
        "",
        "not a hash",
        "$argon2id$v=19$m=4294967295,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=42$m=64,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
    ];
    for bad in bad_hashes {
        let r = rig();
        let c = r.create("alice");
        corrupt_record(&r, &c, |v| v["hash"] = serde_json::Value::String(bad.into()));
        assert_err(r.verify("alice", c.password.expose()), "store_corrupt");
    }
}

#[test]
fn a_corrupt_scope_encoding_is_store_corrupt() {
    for bad in ["", "v1", "v2.gA", "v1.gAA", "v1.gA=", "v1.////", "v1.AAAABA", "repository", "v1.g"] {
        let r = rig();
        let c = r.create("alice");
        corrupt_record(&r, &c, |v| v["scopes"] = serde_json::Value::String(bad.into()));
        assert_err(r.verify("alice", c.password.expose()), "store_corrupt");
        assert_eq!(block_on(r.svc.list("alice")).unwrap_err().code(), "store_corrupt", "{bad:?}");
    }
}

#[test]
fn other_record_damage_is_store_corrupt() {
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        ("version 2", Box::new(|v| v["v"] = 2.into())),
        ("user with colon", Box::new(|v| v["user"] = "ali:ce".into())),
        ("empty user", Box::new(|v| v["user"] = "".into())),
        ("extra field", Box::new(|v| v["admin"] = true.into())),
        (
            "missing hash",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("hash");
            }),
        ),
        ("createdAt string", Box::new(|v| v["createdAt"] = "1".into())),
        ("expiresAt negative", Box::new(|v| v["expiresAt"] = (-5).into())),
    ];
    for (why, edit) in edits {
        let r = rig();
        let c = r.create("alice");
        corrupt_record(&r, &c, |v| edit(v));
        match r.verify("alice", c.password.expose()) {
            Err(e) => assert_eq!(e.code(), "store_corrupt", "{why}"),
            Ok(v) => panic!("{why}: {v:?}"),
        }
    }
}

#[test]
fn a_record_moved_to_another_user_is_refused_not_granted() {
    // Not corrupt (a valid record), but the owner changed: the password now belongs to
    // "mallory" as far as the store says, so alice is refused.
    let r = rig();
    let c = r.create("alice");
    corrupt_record(&r, &c, |v| v["user"] = "mallory".into());
    assert_eq!(refused(r.verify("alice", c.password.expose()).unwrap()).reason.as_str(), "wrong_user");
    // And an index entry for mallory pointing at alice's record does not list it.
    let r = rig();
    let c = r.create("alice");
    r.put(&index_key("mallory", &c.id), "{\"v\":1,\"lastUsedAt\":null}");
    assert_eq!(block_on(r.svc.list("mallory")).unwrap_err().code(), "store_corrupt");
    assert!(!block_on(r.svc.revoke("mallory", &c.id)).unwrap());
    assert!(r.verify("alice", c.password.expose()).unwrap().is_ok());
}

#[test]
fn a_corrupt_index_entry_is_store_corrupt_for_list() {
    for bad in [
        "",
        "x",
        "{\"v\":2,\"lastUsedAt\":null}",
        "{\"v\":1,\"lastUsedAt\":\"yesterday\"}",
        "{\"v\":1,\"lastUsedAt\":1,\"x\":0}",
    ] {
        let r = rig();
        let c = r.create("alice");
        r.put(&index_key("alice", &c.id), bad);
        assert_eq!(block_on(r.svc.list("alice")).unwrap_err().code(), "store_corrupt", "{bad:?}");
        // Verify does not read the index entry.
        assert!(r.verify("alice", c.password.expose()).unwrap().is_ok());
    }
}

/// A store that answers every `get` with the same text and lists junk forever.
struct Liar {
    value: Option<String>,
    lists: AtomicUsize,
}

impl Store for Liar {
    async fn get(&self, _key: &str) -> Result<Option<String>> {
        Ok(self.value.clone())
    }
    async fn put(&self, _key: &str, _value: &str) -> Result<()> {
        Ok(())
    }
    async fn delete(&self, _key: &str) -> Result<()> {
        Ok(())
    }
    async fn list(&self, prefix: &str, _cursor: Option<&str>) -> Result<ListPage> {
        self.lists.fetch_add(1, Ordering::SeqCst);
        // Junk keys, and always the same cursor.
        Ok(ListPage {
            keys: vec!["unrelated".into(), format!("{prefix}not-an-id"), format!("{prefix}../x")],
            cursor: Some(format!("{prefix}same")),
        })
    }
}

#[test]
fn a_lying_store_never_yields_a_grant() {
    let pw = app_passwords::generate(&app_passwords::Prefix::default(), &mut SplitMix64::new(5)).unwrap();
    for value in [Some("garbage"), Some("{\"v\":1}"), Some("")] {
        let now = Arc::new(AtomicU64::new(T0));
        let liar = Liar { value: value.map(str::to_owned), lists: AtomicUsize::new(0) };
        let svc = AppPasswords::with_parts(liar, light_config(), clock(&now), SplitMix64::new(1)).unwrap();
        assert_err(block_on(svc.verify(api("alice", pw.expose(), &[]))), "store_corrupt");
        // Create sees every id as taken.
        let err = block_on(svc.create(NewAppPassword { user: "a", label: "l", scopes: &["email"], expires_at: None }))
            .unwrap_err();
        assert_eq!(err.code(), "id_collision");
        // A list that repeats its cursor terminates, and junk keys are ignored.
        assert!(block_on(svc.list("alice")).unwrap().is_empty());
        // (create counts the user's entries: two pages; list: two pages.)
        assert!(svc.store().lists.load(Ordering::SeqCst) <= 4);
    }
}

#[test]
fn a_record_that_verifies_against_a_forged_hash_is_still_bound_to_its_owner() {
    // Someone with write access to the store plants a hash of a password they know: that is
    // outside the threat model (they own the store), but the owner check still applies.
    let r = rig();
    let c = r.create("alice");
    let forged =
        app_passwords::Hasher::default().hash(c.password.expose().as_bytes(), &LIGHT, &mut SplitMix64::new(9)).unwrap();
    corrupt_record(&r, &c, |v| v["hash"] = forged.clone().into());
    assert!(r.verify("alice", c.password.expose()).unwrap().is_ok());
    assert_eq!(refused(r.verify("bob", c.password.expose()).unwrap()).reason.as_str(), "wrong_user");
}

/// A store that times out.
struct Slow;

impl Store for Slow {
    async fn get(&self, _key: &str) -> Result<Option<String>> {
        Err(Error::StoreTimeout)
    }
    async fn put(&self, _key: &str, _value: &str) -> Result<()> {
        Err(Error::StoreTimeout)
    }
    async fn delete(&self, _key: &str) -> Result<()> {
        Err(Error::StoreTimeout)
    }
    async fn list(&self, _prefix: &str, _cursor: Option<&str>) -> Result<ListPage> {
        Err(Error::StoreTimeout)
    }
}

#[test]
fn a_timing_out_store_passes_its_error_through() {
    let now = Arc::new(AtomicU64::new(T0));
    let svc = AppPasswords::with_parts(Slow, light_config(), clock(&now), SplitMix64::new(1)).unwrap();
    let pw = app_passwords::generate(&app_passwords::Prefix::default(), &mut SplitMix64::new(5)).unwrap();
    assert_err(block_on(svc.verify(api("alice", pw.expose(), &[]))), "store_timeout");
    assert_eq!(block_on(svc.list("alice")).unwrap_err(), Error::StoreTimeout);
    assert_eq!(block_on(svc.revoke("alice", pw.id())).unwrap_err(), Error::StoreTimeout);
    let err = block_on(svc.create(NewAppPassword { user: "a", label: "l", scopes: &["email"], expires_at: None }))
        .unwrap_err();
    assert_eq!(err.code(), "store_timeout");
}
