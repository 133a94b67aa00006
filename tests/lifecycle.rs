#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The lifecycle (docs/design.md#lifecycle): rotation and its overlap, disable/enable, canaries,
//! leaked-password reports; their store-call costs and the races the design defines.

mod common;

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use app_passwords::marker::{DISABLED, ROTATED, SUPERSEDED, marker_key};
use app_passwords::record::{record_key, tombstone_key};
use app_passwords::rotate::DEFAULT_OVERLAP_MS;
use app_passwords::{
    AppPasswords, Created, Error, ListPage, Listed, MemoryStore, Millis, NewAppPassword, Reason, RefusalCode, Result,
    Store,
};
use common::{
    CountingStore, Harness, SplitMix64, T0, TestClock, api, block_on, cached_config, clock, light_config, refused,
    with_other_secret,
};

const HOUR: Millis = 3_600_000;

fn create(h: &Harness, user: &str, label: &str, scopes: &[&str], expires_at: Option<Millis>) -> Created {
    block_on(h.svc.create(NewAppPassword { user, label, scopes, expires_at })).unwrap()
}

fn ok(h: &Harness, user: &str, c: &Created) -> bool {
    block_on(h.svc.verify(api(user, c.password.expose(), &[]))).unwrap().is_ok()
}

#[track_caller]
fn reason(h: &Harness, user: &str, c: &Created) -> Reason {
    let r = refused(block_on(h.svc.verify(api(user, c.password.expose(), &[]))).unwrap());
    assert_eq!((r.code, r.status()), (RefusalCode::InvalidCredentials, 401));
    r.reason
}

fn rotate(h: &Harness, user: &str, id: &str, overlap: Option<Millis>) -> Result<Option<Created>> {
    block_on(h.svc.rotate(user, id, overlap))
}

#[track_caller]
fn by_id<'a>(listed: &'a [Listed], id: &str) -> &'a Listed {
    listed.iter().find(|l| l.id == id).unwrap_or_else(|| panic!("{id} not listed"))
}

// ------------------------------------------------------------------------ rotation

#[test]
fn the_old_password_works_until_the_new_one_is_first_verified() {
    let h = Harness::new();
    let expires = T0 + 90 * 24 * HOUR;
    let old = create(&h, "alice", "CI deploy", &["pullrequest:write"], Some(expires));
    let new = rotate(&h, "alice", &old.id, None).unwrap().unwrap();
    assert_ne!(new.id, old.id);
    assert_ne!(new.password.expose(), old.password.expose());
    assert_eq!((new.label.as_str(), &new.scopes, new.expires_at), ("CI deploy", &old.scopes, Some(expires)));
    assert_eq!(new.created_at, T0);

    h.set_now(T0 + 1000);
    assert!(ok(&h, "alice", &old), "old still works during the overlap");
    assert!(ok(&h, "alice", &old), "and again");
    h.set_now(T0 + 2000);
    assert!(ok(&h, "alice", &new), "the new one works");
    assert_eq!(reason(&h, "alice", &old), Reason::Superseded, "the old one refuses once the new one was verified");
    assert!(ok(&h, "alice", &new), "the new one keeps working");
    // Another instance (no memory of this one) agrees: the marker is in the store.
    let other = h.sibling(light_config(), 7);
    let r = refused(block_on(other.verify(api("alice", old.password.expose(), &[]))).unwrap());
    assert_eq!(r.reason.as_str(), "superseded");

    let listed = block_on(h.svc.list("alice")).unwrap();
    let (o, n) = (by_id(&listed, &old.id), by_id(&listed, &new.id));
    assert_eq!(
        (o.id.as_str(), o.replaced_by.as_deref(), o.replaces.as_deref()),
        (old.id.as_str(), Some(&*new.id), None)
    );
    assert_eq!(
        (n.id.as_str(), n.replaces.as_deref(), n.replaced_by.as_deref()),
        (new.id.as_str(), Some(&*old.id), None)
    );
    assert_eq!((n.label.as_str(), &n.scopes, n.expires_at), ("CI deploy", &old.scopes, Some(expires)));
}

#[test]
fn the_old_password_refuses_one_millisecond_after_the_overlap_when_the_new_one_is_never_used() {
    let h = Harness::new();
    let old = create(&h, "alice", "tool", &["repository"], None);
    let overlap = 5 * 60_000;
    let _new = rotate(&h, "alice", &old.id, Some(overlap)).unwrap().unwrap();
    h.set_now(T0 + overlap - 1);
    assert!(ok(&h, "alice", &old), "1 ms before the overlap ends");
    h.set_now(T0 + overlap + 1);
    assert_eq!(reason(&h, "alice", &old), Reason::Superseded, "1 ms after");
}

#[test]
fn the_default_overlap_is_24_hours_and_0_ends_it_at_once() {
    let h = Harness::new();
    assert_eq!(DEFAULT_OVERLAP_MS, 24 * HOUR);
    let a = create(&h, "alice", "a", &["repository"], None);
    rotate(&h, "alice", &a.id, None).unwrap().unwrap();
    h.set_now(T0 + 24 * HOUR - 1);
    assert!(ok(&h, "alice", &a));
    h.set_now(T0 + 24 * HOUR + 1);
    assert_eq!(reason(&h, "alice", &a), Reason::Superseded);

    let b = create(&h, "alice", "b", &["repository"], None);
    rotate(&h, "alice", &b.id, Some(0)).unwrap().unwrap();
    assert_eq!(reason(&h, "alice", &b), Reason::Superseded);
    assert_eq!(rotate(&h, "alice", &b.id, Some(31 * 24 * HOUR)).unwrap_err().code(), "invalid_argument");
}

#[test]
fn rotating_twice_is_refused_and_rotating_the_replacement_makes_a_chain() {
    let h = Harness::new();
    let a = create(&h, "alice", "chain", &["repository"], None);
    let b = rotate(&h, "alice", &a.id, None).unwrap().unwrap();
    assert_eq!(rotate(&h, "alice", &a.id, None).unwrap_err(), Error::AlreadyRotated);
    assert!(ok(&h, "alice", &a), "a refused rotation changes nothing");
    let c = rotate(&h, "alice", &b.id, None).unwrap().unwrap();
    assert!(ok(&h, "alice", &c));
    assert_eq!(reason(&h, "alice", &b), Reason::Superseded, "c's first verify supersedes b");
    assert!(ok(&h, "alice", &a), "a waits for b's first use or its own overlap");
    h.set_now(T0 + 24 * HOUR + 1);
    assert_eq!(reason(&h, "alice", &a), Reason::Superseded);
    // After a superseded password, still refused: the marker stays.
    assert_eq!(rotate(&h, "alice", &b.id, None).unwrap_err().code(), "already_rotated");
    let listed = block_on(h.svc.list("alice")).unwrap();
    let links: Vec<(Option<&str>, Option<&str>)> = [&a, &b, &c]
        .iter()
        .map(|p| by_id(&listed, &p.id))
        .map(|l| (l.replaces.as_deref(), l.replaced_by.as_deref()))
        .collect();
    assert_eq!(links, [(None, Some(&*b.id)), (Some(&*a.id), Some(&*c.id)), (Some(&*b.id), None)]);
}

#[test]
fn rotate_answers_none_for_what_the_user_does_not_have_and_refuses_an_expired_password() {
    let h = Harness::new();
    let a = create(&h, "alice", "a", &["repository"], Some(T0 + HOUR));
    assert!(rotate(&h, "bob", &a.id, None).unwrap().is_none(), "another user's");
    assert!(rotate(&h, "alice", "000000000001", None).unwrap().is_none(), "unknown");
    assert!(rotate(&h, "alice", "not an id", None).unwrap().is_none());
    h.set_now(T0 + HOUR);
    assert_eq!(rotate(&h, "alice", &a.id, None).unwrap_err(), Error::InvalidExpiry);
    h.set_now(T0);
    let b = create(&h, "alice", "b", &["repository"], None);
    assert!(block_on(h.svc.revoke("alice", &b.id)).unwrap());
    assert!(rotate(&h, "alice", &b.id, None).unwrap().is_none(), "revoked");
    assert_eq!(block_on(h.svc.list("alice")).unwrap().len(), 1, "no replacement left behind");
}

#[test]
fn rotate_counts_against_the_cap() {
    let mut config = light_config();
    config.max_per_user = 2;
    let h = Harness::with(Arc::new(MemoryStore::new()), config, 3);
    let a = create(&h, "alice", "a", &["repository"], None);
    let _b = create(&h, "alice", "b", &["repository"], None);
    assert_eq!(rotate(&h, "alice", &a.id, None).unwrap_err(), Error::TooManyPasswords);
}

/// A store that writes the old password's tombstone (a revoke's first write) the moment the
/// rotation writes its marker: the revoke lands in the middle of the rotation.
struct RevokeDuring {
    inner: Arc<MemoryStore>,
    old: Mutex<Option<String>>,
}

impl Store for RevokeDuring {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: &str) -> Result<()> {
        self.inner.put(key, value).await?;
        if key.ends_with(ROTATED) {
            let old = self.old.lock().unwrap().take();
            if let Some(old) = old {
                self.inner.put(&tombstone_key(&old), "{\"v\":1,\"revokedAt\":1}").await?;
                self.inner.delete(&record_key(&old)).await?;
            }
        }
        Ok(())
    }
    async fn delete(&self, key: &str) -> Result<()> {
        self.inner.delete(key).await
    }
    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage> {
        self.inner.list(prefix, cursor).await
    }
}

#[test]
fn a_revoke_racing_a_rotation_wins_and_takes_the_replacement_with_it() {
    let mem = Arc::new(MemoryStore::new());
    let now = Arc::new(AtomicU64::new(T0));
    let store = RevokeDuring { inner: Arc::clone(&mem), old: Mutex::new(None) };
    let svc = AppPasswords::with_parts(store, light_config(), clock(&now), SplitMix64::new(5)).unwrap();
    let old = block_on(svc.create(NewAppPassword { user: "alice", label: "l", scopes: &["email"], expires_at: None }))
        .unwrap();
    *svc.store().old.lock().unwrap() = Some(old.id.clone());
    assert!(block_on(svc.rotate("alice", &old.id, None)).unwrap().is_none(), "the revoke won");
    assert!(block_on(svc.list("alice")).unwrap().is_empty(), "the replacement was revoked too");
    let tombstones = mem.snapshot().iter().filter(|(k, _)| k.contains("/revoked/")).count();
    assert_eq!(tombstones, 2);
}

#[test]
fn a_replacement_whose_first_verify_is_refused_for_scope_does_not_end_the_overlap() {
    let h = Harness::new();
    let old = create(&h, "alice", "l", &["repository"], None);
    let new = rotate(&h, "alice", &old.id, None).unwrap().unwrap();
    let r = refused(block_on(h.svc.verify(api("alice", new.password.expose(), &["repository:write"]))).unwrap());
    assert_eq!(r.code, RefusalCode::InsufficientScope);
    assert!(ok(&h, "alice", &old), "only a grant supersedes");
    assert!(h.raw(&marker_key("alice", &old.id, SUPERSEDED)).is_none());
}

#[test]
fn a_cached_old_password_is_dropped_when_its_replacement_is_first_verified_here() {
    let config = cached_config();
    let h = Harness::with(Arc::new(MemoryStore::new()), config, 9);
    let old = create(&h, "alice", "l", &["repository"], None);
    assert!(ok(&h, "alice", &old));
    let new = rotate(&h, "alice", &old.id, None).unwrap().unwrap();
    assert!(ok(&h, "alice", &new));
    assert_eq!(reason(&h, "alice", &old), Reason::Superseded, "not answered from the cache");
}

#[test]
fn a_replacement_first_verified_for_login_is_not_cached_before_it_supersedes() {
    let config = cached_config();
    let h = Harness::with(Arc::new(MemoryStore::new()), config, 13);
    let old = create(&h, "alice", "l", &["repository"], None);
    let new = rotate(&h, "alice", &old.id, None).unwrap().unwrap();
    // Refused for its purpose: the credential is valid but nothing is granted.
    let login = refused(block_on(h.svc.verify(common::login("alice", new.password.expose()))).unwrap());
    assert_eq!(login.code, RefusalCode::LoginNotAllowed);
    assert!(ok(&h, "alice", &old), "no grant yet: the overlap goes on");
    // The next API call is not answered from the cache: it goes to the store and supersedes.
    assert!(h.svc.verify_now(&api("alice", new.password.expose(), &[])).unwrap().is_none());
    assert!(ok(&h, "alice", &new));
    assert_eq!(reason(&h, "alice", &old), Reason::Superseded);
    // From its next store read on, it is cached like any other.
    assert!(ok(&h, "alice", &new));
    assert!(h.svc.verify_now(&api("alice", new.password.expose(), &[])).unwrap().is_some_and(|r| r.is_ok()));
}

// ------------------------------------------------------------------------ disable / enable

#[test]
fn a_disabled_password_refuses_until_enabled_again_and_list_shows_it() {
    let h = Harness::new();
    let a = create(&h, "alice", "a", &["repository"], None);
    let b = create(&h, "alice", "b", &["repository"], None);
    assert!(block_on(h.svc.set_enabled("alice", &a.id, false)).unwrap());
    assert_eq!(reason(&h, "alice", &a), Reason::Disabled);
    assert_eq!(Reason::Disabled.as_str(), "disabled");
    assert!(ok(&h, "alice", &b), "only that one");
    let listed = block_on(h.svc.list("alice")).unwrap();
    assert_eq!((by_id(&listed, &a.id).enabled, by_id(&listed, &b.id).enabled), (false, true));
    assert!(h.raw(&marker_key("alice", &a.id, DISABLED)).is_some());
    assert!(block_on(h.svc.set_enabled("alice", &a.id, false)).unwrap(), "disabling twice is fine");
    assert!(block_on(h.svc.set_enabled("alice", &a.id, true)).unwrap());
    assert!(ok(&h, "alice", &a));
    assert!(h.raw(&marker_key("alice", &a.id, DISABLED)).is_none());
    assert!(block_on(h.svc.list("alice")).unwrap().iter().all(|l| l.enabled));
}

#[test]
fn set_enabled_answers_false_for_what_the_user_does_not_have() {
    let h = Harness::new();
    let a = create(&h, "alice", "a", &["repository"], None);
    assert!(!block_on(h.svc.set_enabled("bob", &a.id, false)).unwrap());
    assert!(ok(&h, "alice", &a), "bob cannot disable alice's");
    assert!(!block_on(h.svc.set_enabled("alice", "000000000001", false)).unwrap());
    assert!(!block_on(h.svc.set_enabled("alice", "x", true)).unwrap());
    assert!(block_on(h.svc.revoke("alice", &a.id)).unwrap());
    assert!(!block_on(h.svc.set_enabled("alice", &a.id, true)).unwrap());
    assert!(reason(&h, "alice", &a) == Reason::UnknownId, "enable never brings back a revoked password");
}

#[test]
fn disabling_drops_the_password_from_this_instances_cache() {
    let config = cached_config();
    let h = Harness::with(Arc::new(MemoryStore::new()), config, 11);
    let a = create(&h, "alice", "a", &["repository"], None);
    assert!(ok(&h, "alice", &a));
    assert!(ok(&h, "alice", &a), "now cached");
    assert!(block_on(h.svc.set_enabled("alice", &a.id, false)).unwrap());
    assert!(h.svc.verify_now(&api("alice", a.password.expose(), &[])).unwrap().is_none(), "no cached answer");
    assert_eq!(reason(&h, "alice", &a), Reason::Disabled);
}

#[test]
fn a_disabled_old_password_can_be_rotated_and_the_replacement_starts_enabled() {
    let h = Harness::new();
    let a = create(&h, "alice", "a", &["repository"], None);
    assert!(block_on(h.svc.set_enabled("alice", &a.id, false)).unwrap());
    let b = rotate(&h, "alice", &a.id, None).unwrap().unwrap();
    assert!(ok(&h, "alice", &b));
    assert_eq!(reason(&h, "alice", &a), Reason::Disabled);
}

// ------------------------------------------------------------------------ canaries

fn canary(h: &Harness, user: &str, label: &str) -> Created {
    block_on(h.svc.create_canary(NewAppPassword { user, label, scopes: &["repository"], expires_at: None })).unwrap()
}

#[test]
fn a_canary_answers_as_an_unknown_id_and_reports_each_use() {
    let h = Harness::new();
    let c = canary(&h, "alice", "honeytoken in wiki");
    let real = create(&h, "alice", "real", &["repository"], None);
    // An unknown id: a well-formed password of an id that was never created.
    let unknown = app_passwords::generate(&app_passwords::Prefix::default(), &mut SplitMix64::new(99)).unwrap();

    h.set_now(T0 + 5);
    let (canary_result, canary_follow) =
        block_on(h.svc.verify_deferred(api("alice", c.password.expose(), &[]))).unwrap();
    let (unknown_result, unknown_follow) =
        block_on(h.svc.verify_deferred(api("alice", unknown.expose(), &[]))).unwrap();
    assert_eq!(canary_result, unknown_result, "the same answer, reason included");
    assert_eq!(refused(canary_result).reason, Reason::UnknownId);
    assert!(unknown_follow.is_none());
    let canary_follow = canary_follow.expect("the use is reported");
    let used = canary_follow.canary_use().unwrap();
    assert_eq!(
        (used.id.as_str(), used.user.as_str(), used.label.as_str(), used.at),
        (&*c.id, "alice", "honeytoken in wiki", T0 + 5)
    );
    // Completing it writes nothing (a canary has no lastUsedAt), and it says so: the bindings
    // then make no follow-up promise, so a canary costs an unknown id's time.
    assert!(!canary_follow.has_writes());
    let before = h.store.snapshot();
    block_on(h.svc.complete(canary_follow)).unwrap();
    assert_eq!(h.store.snapshot(), before);

    // Each use is one report; any username (whoever holds it), the owner is reported.
    let (_, again) = block_on(h.svc.verify_deferred(api("mallory", c.password.expose(), &[]))).unwrap();
    assert_eq!(again.unwrap().canary_use().unwrap().user, "alice");
    // The id alone (a wrong secret) is no use of the canary.
    let wrong = with_other_secret(c.password.expose());
    let (wrong_result, wrong_follow) = block_on(h.svc.verify_deferred(api("alice", &wrong, &[]))).unwrap();
    assert_eq!(refused(wrong_result).reason, Reason::UnknownId);
    assert!(wrong_follow.is_none());
    // Lists like any other password.
    let listed = block_on(h.svc.list("alice")).unwrap();
    assert_eq!(listed.len(), 2);
    let listed_canary = by_id(&listed, &c.id);
    assert_eq!(
        (listed_canary.label.as_str(), listed_canary.enabled, listed_canary.last_used_at),
        ("honeytoken in wiki", true, None)
    );
    assert!(ok(&h, "alice", &real));
}

#[test]
fn a_canary_costs_the_same_store_calls_and_argon2_runs_against_its_own_hash() {
    let (h, calls) = counting();
    let c = block_on(h.svc.create_canary(NewAppPassword {
        user: "alice",
        label: "c",
        scopes: &["email"],
        expires_at: None,
    }))
    .unwrap();
    let unknown = app_passwords::generate(&app_passwords::Prefix::default(), &mut SplitMix64::new(98)).unwrap();
    calls.store(0, Ordering::SeqCst);
    block_on(h.svc.verify(api("alice", c.password.expose(), &[]))).unwrap();
    let canary_calls = calls.swap(0, Ordering::SeqCst);
    block_on(h.svc.verify(api("alice", unknown.expose(), &[]))).unwrap();
    assert_eq!((canary_calls, calls.load(Ordering::SeqCst)), (1, 1));
    // The stored hash is the canary's own: the record is like any other, plus the flag.
    let record = h.raw(&record_key(&c.id)).unwrap();
    assert!(record.ends_with(",\"canary\":true}"), "{record}");
    let stored: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert!(app_passwords::verify_password_hash(c.password.expose(), stored["hash"].as_str().unwrap()).unwrap());
}

#[test]
fn rotating_a_canary_makes_a_canary() {
    let h = Harness::new();
    let c = canary(&h, "alice", "c");
    let d = rotate(&h, "alice", &c.id, None).unwrap().unwrap();
    let (result, follow) = block_on(h.svc.verify_deferred(api("alice", d.password.expose(), &[]))).unwrap();
    assert!(!result.is_ok());
    assert_eq!(follow.unwrap().canary_use().unwrap().id, d.id);
}

/// The keys of the store that name `user` (index entries and markers live under `user/{user}/`).
fn keys_of(h: &Harness, user: &str) -> Vec<String> {
    let needle = ["/user/", user, "/"].concat();
    h.store.snapshot().into_iter().map(|(k, _)| k).filter(|k| k.contains(&needle)).collect()
}

#[test]
fn revoke_deletes_the_markers_of_the_password() {
    let h = Harness::new();
    let old = create(&h, "alice", "old", &["repository"], None);
    let new = rotate(&h, "alice", &old.id, None).unwrap().unwrap();
    assert!(ok(&h, "alice", &new), "the first use of the replacement supersedes the old one");
    assert!(block_on(h.svc.set_enabled("alice", &old.id, false)).unwrap());
    for suffix in [DISABLED, ROTATED, SUPERSEDED] {
        assert!(h.raw(&marker_key("alice", &old.id, suffix)).is_some(), "{suffix} written");
    }
    assert!(block_on(h.svc.revoke("alice", &old.id)).unwrap());
    for suffix in [DISABLED, ROTATED, SUPERSEDED] {
        assert!(h.raw(&marker_key("alice", &old.id, suffix)).is_none(), "{suffix} deleted");
    }
    assert!(ok(&h, "alice", &new), "the replacement is untouched");
}

#[test]
fn revoke_all_leaves_no_key_that_names_the_user() {
    let h = Harness::new();
    let a = create(&h, "alice", "a", &["repository"], None);
    let b = create(&h, "alice", "b", &["repository"], None);
    let c = rotate(&h, "alice", &b.id, None).unwrap().unwrap();
    assert!(ok(&h, "alice", &c));
    assert!(block_on(h.svc.set_enabled("alice", &a.id, false)).unwrap());
    let bob = create(&h, "bob", "b", &["repository"], None);
    assert!(block_on(h.svc.set_enabled("bob", &bob.id, false)).unwrap());
    assert!(keys_of(&h, "alice").len() >= 6, "entries and markers: {:?}", keys_of(&h, "alice"));
    assert_eq!(block_on(h.svc.revoke_all("alice")).unwrap(), 3);
    assert_eq!(keys_of(&h, "alice"), Vec::<String>::new());
    assert_eq!(keys_of(&h, "bob").len(), 2, "bob's entry and marker stay");
    assert!(h.raw(&marker_key("bob", &bob.id, DISABLED)).is_some());
}

// ------------------------------------------------------------------------ leaks

/// A service over a counting store, and the count.
fn counting() -> (CountingHarnessOver, Arc<AtomicUsize>) {
    let inner = Arc::new(MemoryStore::new());
    let calls = Arc::new(AtomicUsize::new(0));
    let now = Arc::new(AtomicU64::new(T0));
    let store =
        CountingStore { inner: Arc::clone(&inner), calls: Arc::clone(&calls), writes: Arc::default(), atomic: false };
    let svc = AppPasswords::with_parts(store, light_config(), clock(&now), SplitMix64::new(21)).unwrap();
    (CountingHarnessOver { svc, store: inner, now }, calls)
}

struct CountingHarnessOver {
    svc: AppPasswords<CountingStore, TestClock, SplitMix64>,
    store: Arc<MemoryStore>,
    now: Arc<AtomicU64>,
}

impl CountingHarnessOver {
    fn raw(&self, key: &str) -> Option<String> {
        block_on(self.store.get(key)).unwrap()
    }
}

#[test]
fn report_leaked_checks_the_checksum_before_any_store_call() {
    let (h, calls) = counting();
    let c = block_on(h.svc.create(NewAppPassword { user: "alice", label: "l", scopes: &["email"], expires_at: None }))
        .unwrap();
    calls.store(0, Ordering::SeqCst);
    let mut bad = c.password.expose().to_owned();
    let last = bad.pop().unwrap();
    bad.push(if last == '0' { '1' } else { '0' });
    let report = block_on(h.svc.report_leaked(&bad)).unwrap();
    assert!(!report.found && !report.revoked && report.id.is_none());
    for garbage in ["", "apw_", "hello world", &"x".repeat(10_000)] {
        assert!(!block_on(h.svc.report_leaked(garbage)).unwrap().found);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0, "no store call at all");
}

#[test]
fn report_leaked_revokes_only_with_the_secret_and_a_replay_finds_it_again() {
    let (h, calls) = counting();
    let c = block_on(h.svc.create(NewAppPassword { user: "alice", label: "l", scopes: &["email"], expires_at: None }))
        .unwrap();
    // The id alone: a real id with another secret (well formed) never revokes.
    let wrong = with_other_secret(c.password.expose());
    let report = block_on(h.svc.report_leaked(&wrong)).unwrap();
    assert!(!report.found && !report.revoked);
    assert!(block_on(h.svc.verify(api("alice", c.password.expose(), &[]))).unwrap().is_ok());

    calls.store(0, Ordering::SeqCst);
    let report = block_on(h.svc.report_leaked(c.password.expose())).unwrap();
    assert_eq!(
        report,
        app_passwords::LeakReport { found: true, revoked: true, id: Some(c.id.clone()), user: Some("alice".into()) }
    );
    assert!(calls.load(Ordering::SeqCst) <= 6, "{} calls", calls.load(Ordering::SeqCst));
    assert!(!block_on(h.svc.verify(api("alice", c.password.expose(), &[]))).unwrap().is_ok());
    assert!(h.raw(&record_key(&c.id)).is_none());
    assert!(block_on(h.svc.list("alice")).unwrap().is_empty());

    let replay = block_on(h.svc.report_leaked(c.password.expose())).unwrap();
    assert_eq!(
        replay,
        app_passwords::LeakReport { found: true, revoked: false, id: Some(c.id.clone()), user: Some("alice".into()) }
    );
    assert!(!block_on(h.svc.report_leaked(&wrong)).unwrap().found, "the replay check needs the secret too");
    assert_eq!(h.now.load(Ordering::SeqCst), T0);
}

#[test]
fn a_password_revoked_by_its_owner_then_reported_is_not_found() {
    let h = Harness::new();
    let c = create(&h, "alice", "l", &["email"], None);
    assert!(block_on(h.svc.revoke("alice", &c.id)).unwrap());
    let report = block_on(h.svc.report_leaked(c.password.expose())).unwrap();
    assert!(!report.found && !report.revoked);
}

// ------------------------------------------------------------------------ budgets

#[test]
fn store_calls_of_the_lifecycle() {
    let (h, calls) = counting();
    let take = || calls.swap(0, Ordering::SeqCst);
    let old =
        block_on(h.svc.create(NewAppPassword { user: "alice", label: "l", scopes: &["email"], expires_at: None }))
            .unwrap();
    take();
    assert!(block_on(h.svc.verify(api("alice", old.password.expose(), &[]))).unwrap().is_ok());
    assert_eq!(take(), 2, "a plain verify: one bulk read and the lastUsedAt write");
    let new = block_on(h.svc.rotate("alice", &old.id, None)).unwrap().unwrap();
    assert!(take() <= 7);
    assert!(block_on(h.svc.verify(api("alice", old.password.expose(), &[]))).unwrap().is_ok());
    assert!(take() <= 2, "the old one during the overlap");
    assert!(block_on(h.svc.verify(api("alice", new.password.expose(), &[]))).unwrap().is_ok());
    assert_eq!(take(), 3, "the replacement's first grant in an instance: + the supersession marker");
    assert!(block_on(h.svc.verify(api("alice", new.password.expose(), &[]))).unwrap().is_ok());
    assert!(take() <= 2, "afterwards as any password");
    assert!(!block_on(h.svc.verify(api("alice", old.password.expose(), &[]))).unwrap().is_ok());
    assert_eq!(take(), 1, "a superseded password: one bulk read");
    assert!(block_on(h.svc.set_enabled("alice", &new.id, false)).unwrap());
    assert_eq!(take(), 2, "set_enabled: a bulk read and a write");
    assert!(!block_on(h.svc.verify(api("alice", new.password.expose(), &[]))).unwrap().is_ok());
    assert_eq!(take(), 1);
    assert_eq!(block_on(h.svc.list("alice")).unwrap().len(), 2);
    assert_eq!(take(), 2, "list: one listing (markers included) and one bulk read");
}

#[test]
fn a_corrupt_marker_fails_closed() {
    let h = Harness::new();
    let a = create(&h, "alice", "a", &["repository"], None);
    h.put_raw(&marker_key("alice", &a.id, SUPERSEDED), "{\"v\":1,\"at\":\"soon\"}");
    let err = block_on(h.svc.verify(api("alice", a.password.expose(), &[]))).unwrap_err();
    assert_eq!(err.code(), "store_corrupt");
}
