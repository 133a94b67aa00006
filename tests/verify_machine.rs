//! The verify and its follow-up as machines (src/verify/async_path.rs, src/follow_up.rs),
//! stepped by hand: the exact store calls, in order, that the async wrappers and the JS driver
//! perform, and the answers at each end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use app_passwords::io::{Call, Machine, Reply, Step};
use app_passwords::marker::{SUPERSEDED, marker_key, marker_keys};
use app_passwords::record::{index_key, record_key, tombstone_key, uses_key};
use app_passwords::verify::{Complete, Verify};
use app_passwords::{CaveatSpec, HashParams, NewAppPassword, Store, VerifyRequest, VerifyResult};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use app_passwords::{AppPasswords, MemoryStore};
use common::{SplitMix64, T0, TestClock, api, block_on, clock, light_config};

type Service = AppPasswords<Arc<MemoryStore>, TestClock, SplitMix64>;

/// A service over `store` (with its atomic add, for `maxUses`) hashing with `memory_kib`.
fn service(store: &Arc<MemoryStore>, memory_kib: u32, seed: u64) -> Service {
    let mut config = light_config();
    config.hashing = HashParams { memory_kib, iterations: 1, parallelism: 1 };
    AppPasswords::with_parts(Arc::clone(store), config, clock(&Arc::new(AtomicU64::new(T0))), SplitMix64::new(seed))
        .unwrap()
}

fn raw(store: &MemoryStore, key: &str) -> Option<String> {
    block_on(store.get(key)).unwrap()
}

/// Steps `machine` to its end on `svc`, performing each call on its store; the calls made.
fn run<M: Machine<Arc<MemoryStore>, TestClock, SplitMix64>>(svc: &Service, mut machine: M) -> (M::Output, Vec<Call>) {
    let mut calls = Vec::new();
    let mut reply = None;
    loop {
        match machine.step(svc, reply.take()).unwrap() {
            Step::Done(output) => {
                // Over: stepping again is a driver bug, reported, never a second answer.
                assert!(machine.step(svc, None).is_err());
                return (output, calls);
            }
            Step::Call(call) => {
                let store = svc.store();
                reply = Some(Ok(match &call {
                    Call::Read(keys) => {
                        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                        Reply::Values(block_on(store.get_many(&keys)).unwrap())
                    }
                    Call::Get(key) => Reply::Value(block_on(store.get(key)).unwrap()),
                    Call::Put(key, value) => {
                        block_on(store.put(key, value)).unwrap();
                        Reply::Done
                    }
                    Call::Delete(key) => {
                        block_on(store.delete(key)).unwrap();
                        Reply::Done
                    }
                    Call::Increment(key, delta) => Reply::Count(block_on(store.increment(key, *delta)).unwrap()),
                    Call::List { .. } => panic!("a verify lists nothing"),
                }));
                calls.push(call);
            }
        }
    }
}

/// The call's kind and key (values hold times and hashes).
fn shape(call: &Call) -> (&'static str, String) {
    match call {
        Call::Read(keys) => ("read", keys.join(",")),
        Call::Get(key) => ("get", key.clone()),
        Call::Put(key, _) => ("put", key.clone()),
        Call::Delete(key) => ("delete", key.clone()),
        Call::Increment(key, delta) => ("increment", [key.as_str(), &delta.to_string()].concat()),
        Call::List { prefix, .. } => ("list", prefix.clone()),
    }
}

#[test]
fn a_replacement_with_max_uses_and_a_stale_hash_reads_counts_supersedes_then_upgrades_and_touches() {
    let store = Arc::new(MemoryStore::new());
    let svc = service(&store, 64, 1);
    let new = NewAppPassword { user: "alice", label: "ci", scopes: &["email"], expires_at: None };
    let caveats = CaveatSpec { max_uses: Some(2), ..CaveatSpec::default() };
    let old = block_on(svc.create_with_caveats(new, &caveats)).unwrap();
    let replacement = block_on(svc.rotate("alice", &old.id, None)).unwrap().unwrap();
    // Another instance whose profile differs: the replacement's hash is stale there.
    let newer = service(&store, 128, 7);

    let machine = Verify::new(&newer, &api("alice", replacement.password.expose(), &[])).unwrap();
    let ((result, follow_up), calls) = run(&newer, machine);
    assert!(result.is_ok(), "{result:?}");
    let [disabled, rotated, superseded] = marker_keys("alice", &replacement.id);
    let read = [record_key(&replacement.id), tombstone_key(&replacement.id), disabled, rotated, superseded].join(",");
    let expected = vec![
        ("read", read),
        ("increment", [uses_key(&replacement.id).as_str(), "1"].concat()),
        ("put", marker_key("alice", &old.id, SUPERSEDED)),
    ];
    assert_eq!(calls.iter().map(shape).collect::<Vec<_>>(), expected);

    let follow_up = follow_up.expect("lastUsedAt is due and the hash is stale");
    assert!(follow_up.has_writes() && follow_up.canary_use().is_none());
    let before = raw(&store, &record_key(&replacement.id)).unwrap();
    let ((), calls) = run(&newer, Complete::new(follow_up));
    let expected = vec![
        ("put", record_key(&replacement.id)),
        ("get", tombstone_key(&replacement.id)),
        ("put", index_key("alice", &replacement.id)),
    ];
    assert_eq!(calls.iter().map(shape).collect::<Vec<_>>(), expected);
    let after = raw(&store, &record_key(&replacement.id)).unwrap();
    assert!(before.contains("m=64,") && after.contains("m=128,"), "re-hashed under the newer profile: {after}");

    // The second grant: no supersession again, no re-hash again, lastUsedAt not due.
    let machine = Verify::new(&newer, &api("alice", replacement.password.expose(), &[])).unwrap();
    let ((result, follow_up), calls) = run(&newer, machine);
    assert!(result.is_ok() && follow_up.is_none());
    assert_eq!(calls.iter().map(|c| shape(c).0).collect::<Vec<_>>(), ["read", "increment"]);
    // The third is past maxUses: refused after its increment, with nothing to write.
    let machine = Verify::new(&newer, &api("alice", replacement.password.expose(), &[])).unwrap();
    let ((result, follow_up), calls) = run(&newer, machine);
    assert_eq!(common::refused(result).reason.as_str(), "max_uses_reached");
    assert!(follow_up.is_none());
    assert_eq!(calls.len(), 2);
}

#[test]
fn a_revoke_racing_the_upgrade_makes_complete_delete_the_record_it_wrote() {
    let store = Arc::new(MemoryStore::new());
    let svc = service(&store, 64, 1);
    let c =
        block_on(svc.create(NewAppPassword { user: "bob", label: "l", scopes: &["email"], expires_at: None })).unwrap();
    let newer = service(&store, 128, 9);
    let machine = Verify::new(&newer, &api("bob", c.password.expose(), &[])).unwrap();
    let ((result, follow_up), _) = run(&newer, machine);
    assert!(result.is_ok());
    assert!(block_on(svc.revoke("bob", &c.id)).unwrap());
    let ((), calls) = run(&newer, Complete::new(follow_up.unwrap()));
    let kinds: Vec<_> = calls.iter().map(shape).collect();
    assert_eq!(
        kinds,
        vec![("put", record_key(&c.id)), ("get", tombstone_key(&c.id)), ("delete", record_key(&c.id))],
        "no lastUsedAt after a revoke"
    );
    assert!(raw(&store, &record_key(&c.id)).is_none());
}

#[test]
fn what_needs_no_store_is_answered_at_the_first_step_and_an_unknown_scope_is_an_error_up_front() {
    let store = Arc::new(MemoryStore::new());
    let svc = service(&store, 64, 1);
    let pw = block_on(svc.create(NewAppPassword { user: "carol", label: "l", scopes: &["email"], expires_at: None }))
        .unwrap()
        .password;
    assert_eq!(Verify::new(&svc, &api("carol", pw.expose(), &["nope"])).err().unwrap().code(), "unknown_scope");
    for (request, reason) in [
        (VerifyRequest::basic(None, &[]), "missing_credentials"),
        (VerifyRequest::basic(Some("Bearer x"), &[]), "not_basic_auth"),
        (api("carol", "not a password", &[]), "wrong_prefix"),
    ] {
        let ((result, follow_up), calls) = run(&svc, Verify::new(&svc, &request).unwrap());
        assert!(calls.is_empty() && follow_up.is_none());
        match result {
            VerifyResult::Refused(r) => assert_eq!(r.reason.as_str(), reason),
            VerifyResult::Granted(_) => panic!("granted"),
        }
    }
}
