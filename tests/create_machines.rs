#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The create family and rotate as sans-I/O machines, stepped by hand as the JavaScript
//! package's driver steps them: the exact sequence of store calls each asks for (the async
//! methods and the JS suites count calls; this pins their order), the undo after a failed
//! write, and a revoke that wins against a rotation.

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use app_passwords::caveat::CaveatSpec;
use app_passwords::io::{Call, Machine, Reply, Step};
use app_passwords::mint::{CreateFromHash, mint};
use app_passwords::record::{Tombstone, tombstone_key};
use app_passwords::rotate::Rotate;
use app_passwords::service::Create;
use app_passwords::{AppPasswords, Error, FromHash, MemoryStore, NewAppPassword, Result, Store};
use common::{LIGHT, SplitMix64, T0, TestClock, block_on, clock, light_config};

type Svc = AppPasswords<Arc<MemoryStore>, TestClock, SplitMix64>;

fn service(seed: u64) -> (Svc, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    let now = Arc::new(AtomicU64::new(T0));
    (AppPasswords::with_parts(Arc::clone(&store), light_config(), clock(&now), SplitMix64::new(seed)).unwrap(), store)
}

const NEW: NewAppPassword<'static> =
    NewAppPassword { user: "alice", label: "CI", scopes: &["repository"], expires_at: None };

/// A call as a short name: its kind and what its key is (`rotated` for the rotation marker).
fn name(call: &Call) -> String {
    let what = |key: &str| {
        ["/record/", "/revoked/", "/uses/", "/rotated", "/user/"]
            .iter()
            .find(|part| key.contains(*part))
            .map_or("?", |part| part.trim_matches('/'))
            .to_owned()
    };
    match call {
        Call::Read(keys) => format!("read {}", keys.len()),
        Call::Get(key) => format!("get {}", what(key)),
        Call::Put(key, _) => format!("put {}", what(key)),
        Call::Delete(key) => format!("delete {}", what(key)),
        Call::List { .. } => "list".to_owned(),
        Call::Increment(key, delta) => format!("increment {} {delta}", what(key)),
    }
}

/// Steps `machine` to its end, performing each call on `svc`'s store, except that the call
/// numbered `fail` (from 0) fails without reaching the store, and that `before(n)` runs before
/// call `n`. Returns the calls' names in order and the output.
fn step_by_hand<M: Machine<Arc<MemoryStore>, TestClock, SplitMix64>>(
    svc: &Svc,
    mut machine: M,
    fail: Option<usize>,
    before: impl Fn(usize),
) -> (Vec<String>, Result<M::Output>) {
    let mut calls = Vec::new();
    let mut reply = None;
    loop {
        let call = match machine.step(svc, reply.take()) {
            Ok(Step::Done(output)) => return (calls, Ok(output)),
            Ok(Step::Call(call)) => call,
            Err(err) => return (calls, Err(err)),
        };
        before(calls.len());
        calls.push(name(&call));
        if Some(calls.len() - 1) == fail {
            reply = Some(Err(Error::StoreUnavailable("down (test)".into())));
            continue;
        }
        let store = svc.store();
        reply = Some(block_on(async {
            Ok(match call {
                Call::Read(keys) => {
                    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                    Reply::Values(store.get_many(&keys).await?)
                }
                Call::Get(key) => Reply::Value(store.get(&key).await?),
                Call::Put(key, value) => store.put(&key, &value).await.map(|()| Reply::Done)?,
                Call::Delete(key) => store.delete(&key).await.map(|()| Reply::Done)?,
                Call::List { prefix, cursor } => Reply::Page(store.list(&prefix, cursor.as_deref()).await?),
                Call::Increment(key, delta) => Reply::Count(store.increment(&key, delta).await?),
            })
        }));
    }
}

fn no_hook(_: usize) {}

#[test]
fn create_asks_for_the_listing_the_id_read_the_use_counter_and_the_two_writes_in_that_order() {
    let (svc, store) = service(1);
    let (calls, created) = step_by_hand(&svc, Create::new(NEW, &CaveatSpec::default()), None, no_hook);
    assert_eq!(calls, ["list", "read 2", "put record", "put user"]);
    let created = created.unwrap();
    assert!(block_on(svc.verify(common::api("alice", created.password.expose(), &[]))).unwrap().is_ok());
    let caveats = CaveatSpec { max_uses: Some(3), ..CaveatSpec::default() };
    let (calls, created) = step_by_hand(&svc, Create::new(NEW, &caveats), None, no_hook);
    assert_eq!(calls, ["list", "read 2", "increment uses 0", "put record", "put user"]);
    assert_eq!(created.unwrap().caveats.max_uses(), Some(3));
    assert_eq!(block_on(svc.list("alice")).unwrap().len(), 2);
    assert_eq!(store.len(), 5, "two records, two index entries, one use counter");
}

#[test]
fn a_create_whose_index_write_fails_undoes_its_record_and_answers_the_writes_error() {
    let (svc, store) = service(2);
    let (calls, created) = step_by_hand(&svc, Create::new(NEW, &CaveatSpec::default()), Some(3), no_hook);
    assert_eq!(calls, ["list", "read 2", "put record", "put user", "delete user", "delete record"]);
    assert_eq!(created.unwrap_err(), Error::StoreUnavailable("down (test)".into()));
    assert_eq!(store.len(), 0, "nothing left behind");
    // The record's own write failing needs no undo.
    let (calls, created) = step_by_hand(&svc, Create::new(NEW, &CaveatSpec::default()), Some(2), no_hook);
    assert_eq!(calls, ["list", "read 2", "put record"]);
    assert!(created.is_err());
    // An argument error asks for nothing at all.
    let bad = NewAppPassword { scopes: &[], ..NEW };
    let (calls, created) = step_by_hand(&svc, Create::new(bad, &CaveatSpec::default()), None, no_hook);
    assert_eq!((calls.len(), created.unwrap_err()), (0, Error::NoScopes));
}

#[test]
fn a_canary_is_made_with_creates_calls_and_never_grants() {
    let (svc, _) = service(3);
    let (calls, created) = step_by_hand(&svc, Create::canary(NEW), None, no_hook);
    assert_eq!(calls, ["list", "read 2", "put record", "put user"]);
    let created = created.unwrap();
    let result = block_on(svc.verify(common::api("alice", created.password.expose(), &[]))).unwrap();
    assert!(!result.is_ok());
}

#[test]
fn create_from_hash_checks_before_any_call_then_reads_its_id_once() {
    let (svc, store) = service(4);
    let minted = mint(&svc.config().prefix, &LIGHT, &mut SplitMix64::new(9)).unwrap();
    let id = minted.password.id().to_owned();
    let from = FromHash { id: &id, phc: &minted.phc };
    let (calls, listed) = step_by_hand(&svc, CreateFromHash::new(NEW, &CaveatSpec::default(), from), None, no_hook);
    assert_eq!(calls, ["list", "read 2", "put record", "put user"]);
    assert_eq!(listed.unwrap().id, id);
    assert!(block_on(svc.verify(common::api("alice", minted.password.expose(), &[]))).unwrap().is_ok());
    // Again: the id is in use; nothing written.
    let before = store.len();
    let (calls, listed) = step_by_hand(&svc, CreateFromHash::new(NEW, &CaveatSpec::default(), from), None, no_hook);
    assert_eq!(calls, ["list", "read 2"]);
    assert_eq!(listed.unwrap_err(), Error::InvalidHash("id already in use"));
    assert_eq!(store.len(), before);
    // A hash create would not have written: refused before any call.
    let weak = FromHash {
        id: &id,
        phc: "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
    };
    let (calls, listed) = step_by_hand(&svc, CreateFromHash::new(NEW, &CaveatSpec::default(), weak), None, no_hook);
    assert!(calls.is_empty());
    assert!(matches!(listed.unwrap_err(), Error::InvalidHash(_)));
}

#[test]
fn rotate_asks_for_its_seven_calls_in_order() {
    let (svc, _) = service(5);
    let old = block_on(svc.create(NEW)).unwrap();
    let (calls, new) = step_by_hand(&svc, Rotate::new("alice", &old.id, None), None, no_hook);
    assert_eq!(calls, ["read 5", "list", "read 2", "put record", "put user", "put rotated", "get revoked"]);
    let new = new.unwrap().unwrap();
    assert!(block_on(svc.verify(common::api("alice", new.password.expose(), &[]))).unwrap().is_ok());
}

#[test]
fn a_rotation_whose_marker_write_fails_undoes_the_replacement() {
    let (svc, store) = service(6);
    let old = block_on(svc.create(NEW)).unwrap();
    let before = store.snapshot();
    let (calls, new) = step_by_hand(&svc, Rotate::new("alice", &old.id, None), Some(5), no_hook);
    assert_eq!(
        calls,
        ["read 5", "list", "read 2", "put record", "put user", "put rotated", "delete user", "delete record"]
    );
    assert_eq!(new.unwrap_err(), Error::StoreUnavailable("down (test)".into()));
    assert_eq!(store.snapshot(), before, "no replacement left, the old one as it was");
    assert!(block_on(svc.verify(common::api("alice", old.password.expose(), &[]))).unwrap().is_ok());
}

#[test]
fn a_revoke_during_a_rotation_wins_through_the_revoke_machine() {
    let (svc, store) = service(7);
    let old = block_on(svc.create(NEW)).unwrap();
    // Another instance revokes the old password just before the tombstone's second read.
    let revoke_old = |n: usize| {
        if n == 6 {
            let tombstone = Tombstone { v: 1, revoked_at: T0 }.to_json();
            block_on(store.put(&tombstone_key(&old.id), &tombstone)).unwrap();
        }
    };
    let (calls, new) = step_by_hand(&svc, Rotate::new("alice", &old.id, None), None, revoke_old);
    let rotation = ["read 5", "list", "read 2", "put record", "put user", "put rotated", "get revoked"];
    assert_eq!(calls[..7], rotation);
    // Then the replacement's revoke: its bulk read, tombstone, record and index deletes.
    assert_eq!(calls[7..], ["read 6", "put revoked", "delete record", "delete user"]);
    assert!(new.unwrap().is_none());
    assert!(block_on(svc.list("alice")).unwrap().is_empty());
}

#[test]
fn a_machine_stepped_after_its_end_answers_an_error() {
    let (svc, _) = service(8);
    let mut create = Create::new(NEW, &CaveatSpec { max_uses: Some(0), ..CaveatSpec::default() });
    assert!(matches!(create.step(&svc, None), Err(Error::InvalidCaveat(_))));
    assert!(matches!(create.step(&svc, None), Err(Error::StoreCorrupt(_))));
    let mut rotate = Rotate::new("alice", "000000000001", Some(u64::MAX));
    assert!(matches!(rotate.step(&svc, None), Err(Error::InvalidArgument(_))));
    assert!(matches!(rotate.step(&svc, None), Err(Error::StoreCorrupt(_))));
}
