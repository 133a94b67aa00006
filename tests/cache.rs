#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The opt-in verified-credential cache: hits skip the store and the hash, revoke through the
//! same instance evicts at once, entries expire after the TTL, the size is bounded, and
//! purpose and scope checks still run on cached credentials.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use app_passwords::{CacheConfig, MemoryStore, NewAppPassword, RefusalCode, VerifyResult};
use common::{FaultyStore, Harness, SplitMix64, T0, api, block_on, clock, light_config, login, refused};

fn cached_harness(ttl_ms: u64, max_entries: usize) -> Harness {
    let mut config = light_config();
    config.cache = Some(CacheConfig { ttl_ms, max_entries });
    Harness::with(Arc::new(MemoryStore::new()), config, 7)
}

fn create(h: &Harness, user: &str) -> app_passwords::Created {
    block_on(h.svc.create(NewAppPassword { user, label: "bot", scopes: &["repository:write"], expires_at: None }))
        .unwrap()
}

fn cached(result: &VerifyResult) -> Option<bool> {
    match result {
        VerifyResult::Granted(g) => Some(g.cached),
        VerifyResult::Refused(_) => None,
    }
}

#[test]
fn second_verify_is_a_cache_hit_that_needs_no_store() {
    let mut config = light_config();
    config.cache = Some(CacheConfig { ttl_ms: 60_000, max_entries: 10 });
    let inner = Arc::new(MemoryStore::new());
    let store = FaultyStore::over(Arc::clone(&inner));
    let now = Arc::new(std::sync::atomic::AtomicU64::new(T0));
    let svc = app_passwords::AppPasswords::with_parts(store.clone(), config, clock(&now), SplitMix64::new(3)).unwrap();
    let c =
        block_on(svc.create(NewAppPassword { user: "alice", label: "x", scopes: &["repository"], expires_at: None }))
            .unwrap();
    let first = block_on(svc.verify(api("alice", c.password.expose(), &["repository"]))).unwrap();
    assert_eq!(cached(&first), Some(false));
    // With every read failing, only the cache can answer.
    store.fail_get.store(true, Ordering::SeqCst);
    let second = block_on(svc.verify(api("alice", c.password.expose(), &["repository"]))).unwrap();
    assert_eq!(cached(&second), Some(true));
}

#[test]
fn revoke_through_the_same_instance_evicts_at_once() {
    let h = cached_harness(60_000, 10);
    let c = create(&h, "alice");
    assert_eq!(cached(&block_on(h.svc.verify(api("alice", c.password.expose(), &[]))).unwrap()), Some(false));
    assert_eq!(cached(&block_on(h.svc.verify(api("alice", c.password.expose(), &[]))).unwrap()), Some(true));
    assert!(block_on(h.svc.revoke("alice", &c.id)).unwrap());
    let after = refused(block_on(h.svc.verify(api("alice", c.password.expose(), &[]))).unwrap());
    assert_eq!(after.code, RefusalCode::InvalidCredentials);
}

#[test]
fn a_revoke_elsewhere_is_seen_after_the_ttl() {
    let h = cached_harness(1_000, 10);
    let c = create(&h, "alice");
    block_on(h.svc.verify(api("alice", c.password.expose(), &[]))).unwrap();
    // Another instance over the same store revokes; this one still trusts its cache...
    let other = h.sibling(light_config(), 9);
    assert!(block_on(other.revoke("alice", &c.id)).unwrap());
    h.set_now(T0 + 999);
    assert_eq!(cached(&block_on(h.svc.verify(api("alice", c.password.expose(), &[]))).unwrap()), Some(true));
    // ...until the TTL has passed.
    h.set_now(T0 + 1_000);
    assert!(!block_on(h.svc.verify(api("alice", c.password.expose(), &[]))).unwrap().is_ok());
}

#[test]
fn entries_expire_after_the_ttl_and_are_refreshed() {
    let h = cached_harness(500, 10);
    let c = create(&h, "alice");
    block_on(h.svc.verify(api("alice", c.password.expose(), &[]))).unwrap();
    h.set_now(T0 + 500);
    assert_eq!(cached(&block_on(h.svc.verify(api("alice", c.password.expose(), &[]))).unwrap()), Some(false));
    assert_eq!(cached(&block_on(h.svc.verify(api("alice", c.password.expose(), &[]))).unwrap()), Some(true));
}

#[test]
fn the_cache_holds_at_most_max_entries_and_drops_the_oldest() {
    let h = cached_harness(60_000, 2);
    let a = create(&h, "a");
    let b = create(&h, "b");
    let c = create(&h, "c");
    for (i, (user, p)) in [("a", &a), ("b", &b), ("c", &c)].into_iter().enumerate() {
        h.set_now(T0 + i as u64);
        block_on(h.svc.verify(api(user, p.password.expose(), &[]))).unwrap();
    }
    // "a" was the oldest: evicted; "b" and "c" still hit.
    assert_eq!(cached(&block_on(h.svc.verify(api("c", c.password.expose(), &[]))).unwrap()), Some(true));
    assert_eq!(cached(&block_on(h.svc.verify(api("b", b.password.expose(), &[]))).unwrap()), Some(true));
    assert_eq!(cached(&block_on(h.svc.verify(api("a", a.password.expose(), &[]))).unwrap()), Some(false));
}

#[test]
fn cached_credentials_still_get_purpose_scope_and_owner_checks() {
    let h = cached_harness(60_000, 10);
    let c = create(&h, "alice");
    block_on(h.svc.verify(api("alice", c.password.expose(), &[]))).unwrap();
    assert_eq!(
        refused(block_on(h.svc.verify(login("alice", c.password.expose()))).unwrap()).code,
        RefusalCode::LoginNotAllowed
    );
    let r = refused(block_on(h.svc.verify(api("alice", c.password.expose(), &["issue"]))).unwrap());
    assert_eq!((r.code, r.missing.as_slice()), (RefusalCode::InsufficientScope, &["issue".to_owned()][..]));
    assert_eq!(
        refused(block_on(h.svc.verify(api("alice", c.password.expose(), &["workspace:admin"]))).unwrap()).code,
        RefusalCode::NotAllowedForAppPasswords
    );
    // The key covers the username: another user with the same password is not a hit.
    assert_eq!(
        refused(block_on(h.svc.verify(api("bob", c.password.expose(), &[]))).unwrap()).code,
        RefusalCode::InvalidCredentials
    );
}

#[test]
fn refusals_are_never_cached() {
    let mut config = light_config();
    config.cache = Some(CacheConfig { ttl_ms: 60_000, max_entries: 10 });
    let store = FaultyStore::over(Arc::new(MemoryStore::new()));
    let now = Arc::new(std::sync::atomic::AtomicU64::new(T0));
    let svc = app_passwords::AppPasswords::with_parts(store.clone(), config, clock(&now), SplitMix64::new(5)).unwrap();
    let c =
        block_on(svc.create(NewAppPassword { user: "alice", label: "x", scopes: &["repository"], expires_at: None }))
            .unwrap();
    let wrong = common::with_other_secret(c.password.expose());
    assert!(!block_on(svc.verify(api("alice", &wrong, &[]))).unwrap().is_ok());
    assert!(!block_on(svc.verify(api("bob", c.password.expose(), &[]))).unwrap().is_ok());
    // Had either refusal been cached, these would answer without the (now failing) store.
    store.fail_get.store(true, Ordering::SeqCst);
    assert_eq!(block_on(svc.verify(api("alice", &wrong, &[]))).unwrap_err().code(), "store_unavailable");
    assert_eq!(block_on(svc.verify(api("bob", c.password.expose(), &[]))).unwrap_err().code(), "store_unavailable");
}

#[test]
fn the_cache_key_is_not_the_password() {
    let h = cached_harness(60_000, 10);
    let c = create(&h, "alice");
    block_on(h.svc.verify(api("alice", c.password.expose(), &[]))).unwrap();
    let debug = format!("{:?}", h.svc);
    assert!(!debug.contains(c.password.expose()));
}

#[test]
fn verify_now_answers_only_what_needs_no_store() {
    let h = cached_harness(3_600_000, 10); // outlives the 10-minute lastUsedAt interval
    let c = create(&h, "alice");
    let req = api("alice", c.password.expose(), &["repository"]);
    // Malformed: refused without the cache or the store.
    let mut typo = c.password.expose().to_owned();
    typo.pop();
    typo.push(if c.password.expose().ends_with('0') { '1' } else { '0' });
    let early = h.svc.verify_now(&api("alice", &typo, &[])).unwrap().unwrap();
    assert_eq!(refused(early).reason.as_str(), "bad_checksum");
    // Nothing cached yet: no answer.
    assert_eq!(h.svc.verify_now(&req).unwrap(), None);
    // The first verify caches the credential and writes lastUsedAt.
    assert_eq!(cached(&block_on(h.svc.verify(req)).unwrap()), Some(false));
    let hit = h.svc.verify_now(&req).unwrap().unwrap();
    assert_eq!(cached(&hit), Some(true));
    // Checks still apply to the cached credential.
    let login = h.svc.verify_now(&login("alice", c.password.expose())).unwrap().unwrap();
    assert_eq!(refused(login).code, RefusalCode::LoginNotAllowed);
    // Once lastUsedAt is due again, the synchronous path steps aside for the async one.
    h.set_now(T0 + 600_000);
    assert_eq!(h.svc.verify_now(&req).unwrap(), None);
    assert_eq!(cached(&block_on(h.svc.verify(req)).unwrap()), Some(true), "the async path still uses the cache");
    assert!(h.svc.verify_now(&req).unwrap().is_some(), "and lastUsedAt is not due again for ten minutes");
    // A host bug is an error here too.
    assert_eq!(h.svc.verify_now(&api("alice", c.password.expose(), &["nope"])).unwrap_err().code(), "unknown_scope");
}
