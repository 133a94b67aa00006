#![cfg(not(target_arch = "wasm32"))]
// Test helpers outside #[test] functions are test code too (see .clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The native driver of the sans-I/O core (`AppPasswords::drive`, src/io.rs): what each
//! [`Call`] becomes on a Rust [`Store`] and which [`Reply`] comes back, a bulk read chunked by
//! `MAX_GET_MANY` with the chunks in flight together, a failed call handed to the machine,
//! and a store whose `get_many` answers the wrong number of values (`store_corrupt`, for a
//! test machine and for every operation that reads in bulk). The machine side (`Writes`, the
//! checked `Reply` accessors) is tested in src/io.rs.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use app_passwords::io::{Call, Machine, Reply, Step};
use app_passwords::store::MAX_GET_MANY;
use app_passwords::{AppPasswords, Error, ListPage, MemoryStore, NewAppPassword, Result, Store};
use common::{CountingStore, SplitMix64, T0, TestClock, block_on, clock, light_config};

// ---------------------------------------------------------------------------- a test machine

/// Asks for `calls` one after the other and answers every reply it was given (the first
/// step's `None` included), failed ones too: a machine that only records what the driver did.
struct Script {
    calls: Vec<Call>,
    replies: Vec<Option<Result<Reply>>>,
}

impl Script {
    fn new(calls: Vec<Call>) -> Self {
        let mut calls = calls;
        calls.reverse();
        Self { calls, replies: Vec::new() }
    }
}

impl<S, C, R> Machine<S, C, R> for Script {
    type Output = Vec<Option<Result<Reply>>>;

    fn step(&mut self, _: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<Self::Output>> {
        self.replies.push(reply);
        Ok(match self.calls.pop() {
            Some(call) => Step::Call(call),
            None => Step::Done(core::mem::take(&mut self.replies)),
        })
    }
}

/// Fails with `error` when it gets a failed reply; counts its steps.
struct FailOnError {
    calls: Vec<Call>,
    steps: Arc<AtomicUsize>,
}

impl<S, C, R> Machine<S, C, R> for FailOnError {
    type Output = ();

    fn step(&mut self, _: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<()>> {
        self.steps.fetch_add(1, Ordering::SeqCst);
        if let Some(Err(err)) = reply {
            return Err(err);
        }
        Ok(self.calls.pop().map_or(Step::Done(()), Step::Call))
    }
}

fn service<S: Store>(store: S) -> AppPasswords<S, TestClock, SplitMix64> {
    let now = Arc::new(AtomicU64::new(T0));
    AppPasswords::with_parts(store, light_config(), clock(&now), SplitMix64::new(7)).unwrap()
}

fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("k/{i:04}")).collect()
}

// ------------------------------------------------------------------------------- the calls

#[test]
fn every_call_gets_its_own_kind_of_reply_from_the_store() {
    let store = CountingStore::atomic();
    let svc = service(store.clone());
    block_on(store.inner.put("a", "1")).unwrap();
    let calls = vec![
        Call::Get("a".into()),
        Call::Get("missing".into()),
        Call::Put("b".into(), "2".into()),
        Call::Read(vec!["a".into(), "missing".into(), "b".into()]),
        Call::List { prefix: String::new(), cursor: None },
        Call::Increment("n".into(), 1),
        Call::Increment("n".into(), 1),
        Call::Delete("a".into()),
        Call::Get("a".into()),
    ];
    let replies = block_on(svc.drive(Script::new(calls))).unwrap();
    let replies: Vec<_> = replies.into_iter().map(|r| r.map(Result::unwrap)).collect();
    assert_eq!(
        replies,
        vec![
            None,
            Some(Reply::Value(Some("1".into()))),
            Some(Reply::Value(None)),
            Some(Reply::Done),
            Some(Reply::Values(vec![Some("1".into()), None, Some("2".into())])),
            Some(Reply::Page(ListPage { keys: vec!["a".into(), "b".into()], cursor: None })),
            Some(Reply::Count(1)),
            Some(Reply::Count(2)),
            Some(Reply::Done),
            Some(Reply::Value(None)),
        ]
    );
    assert_eq!(store.calls(), 9);
    assert_eq!(store.writes(), ["put b", "delete a"]);
}

#[test]
fn a_failed_call_is_handed_to_the_machine_which_may_carry_on() {
    // CountingStore's default has no atomic add: the store answers StoreLacksAtomic.
    let svc = service(CountingStore::default());
    let calls = vec![Call::Increment("n".into(), 1), Call::Put("b".into(), "2".into())];
    let replies = block_on(svc.drive(Script::new(calls))).unwrap();
    assert_eq!(replies.len(), 3);
    assert!(matches!(replies[1], Some(Err(Error::StoreLacksAtomic))));
    assert!(matches!(replies[2], Some(Ok(Reply::Done))));
}

#[test]
fn a_machine_that_fails_ends_the_drive_with_no_call_after_it() {
    let store = CountingStore::default();
    let svc = service(store.clone());
    let steps = Arc::new(AtomicUsize::new(0));
    // Popped from the end: the increment (which fails) comes first, the put never.
    let calls = vec![Call::Put("b".into(), "2".into()), Call::Increment("n".into(), 1)];
    let machine = FailOnError { calls, steps: Arc::clone(&steps) };
    assert_eq!(block_on(svc.drive(machine)), Err(Error::StoreLacksAtomic));
    assert_eq!(steps.load(Ordering::SeqCst), 2);
    assert!(store.writes().is_empty());
    assert_eq!(block_on(store.inner.get("b")).unwrap(), None);
}

#[test]
fn a_read_of_no_keys_makes_no_store_call() {
    let store = CountingStore::default();
    let svc = service(store.clone());
    let replies = block_on(svc.drive(Script::new(vec![Call::Read(Vec::new())]))).unwrap();
    assert!(matches!(&replies[1], Some(Ok(Reply::Values(values))) if values.is_empty()));
    assert_eq!(store.calls(), 0);
}

// ------------------------------------------------------------------ bulk reads, concurrent

/// Pending once (waking itself at once), then ready: a store call that is in flight across
/// a poll, as a network call is.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// A memory store whose `get_many` yields once mid-call and records its batch sizes and the
/// most calls in flight at once.
#[derive(Default)]
struct Overlapping {
    inner: MemoryStore,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    batches: Mutex<Vec<usize>>,
}

impl Store for Overlapping {
    forward_basics!(inner);
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>> {
        self.batches.lock().unwrap().push(keys.len());
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        YieldOnce(false).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.inner.get_many(keys).await
    }
}

#[test]
fn a_bulk_read_is_chunked_by_max_get_many_with_the_chunks_in_flight_together() {
    let store = Arc::new(Overlapping::default());
    let svc = service(Arc::clone(&store));
    let keys = keys(2 * MAX_GET_MANY + 50);
    // Every third key holds its own name, the rest are absent: the order is checkable.
    for key in keys.iter().step_by(3) {
        block_on(store.inner.put(key, key)).unwrap();
    }
    let replies = block_on(svc.drive(Script::new(vec![Call::Read(keys.clone())]))).unwrap();
    let Some(Ok(Reply::Values(values))) = &replies[1] else { panic!("{:?}", replies[1]) };
    let expected: Vec<Option<String>> = keys.iter().enumerate().map(|(i, k)| (i % 3 == 0).then(|| k.clone())).collect();
    assert_eq!(values, &expected);
    assert_eq!(*store.batches.lock().unwrap(), [MAX_GET_MANY, MAX_GET_MANY, 50]);
    assert_eq!(store.most_in_flight.load(Ordering::SeqCst), 3);
}

// ---------------------------------------------------- a get_many of the wrong number of values

/// A memory store whose `get_many` answers one value too few or (`extra`) one too many, for
/// batches of at most `up_to` keys, while `on`.
struct MiscountingStore {
    inner: Arc<MemoryStore>,
    extra: bool,
    up_to: usize,
    on: Arc<std::sync::atomic::AtomicBool>,
}

impl Store for MiscountingStore {
    forward_basics!(inner);
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>> {
        let mut values = self.inner.get_many(keys).await?;
        if self.on.load(Ordering::SeqCst) && keys.len() <= self.up_to {
            if self.extra {
                values.push(None);
            } else {
                values.pop();
            }
        }
        Ok(values)
    }
}

fn is_store_corrupt<T: core::fmt::Debug>(result: Result<T>) -> bool {
    matches!(result, Err(Error::StoreCorrupt(_)))
}

#[test]
fn a_get_many_answering_the_wrong_number_of_values_is_store_corrupt() {
    for extra in [false, true] {
        // Only the last, short chunk of a 250-key read miscounts: each chunk is checked.
        let store =
            MiscountingStore { inner: Arc::new(MemoryStore::new()), extra, up_to: 50, on: Arc::new(true.into()) };
        let svc = service(store);
        let replies = block_on(svc.drive(Script::new(vec![Call::Read(keys(250))]))).unwrap();
        assert!(matches!(&replies[1], Some(Err(Error::StoreCorrupt(_)))), "extra {extra}: {:?}", replies[1]);
    }
}

#[test]
fn every_operation_reading_in_bulk_reports_a_miscounting_get_many_as_store_corrupt() {
    for extra in [false, true] {
        let inner = Arc::new(MemoryStore::new());
        let on = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let svc =
            service(MiscountingStore { inner: Arc::clone(&inner), extra, up_to: usize::MAX, on: Arc::clone(&on) });
        let new = NewAppPassword { user: "alice", label: "tool", scopes: &["repository"], expires_at: None };
        let created = block_on(svc.create(new)).unwrap();
        let before = block_on(inner.list("", None)).unwrap();
        on.store(true, Ordering::SeqCst);

        assert!(is_store_corrupt(block_on(svc.list("alice"))), "list, extra {extra}");
        assert!(is_store_corrupt(block_on(svc.revoke("alice", &created.id))), "revoke, extra {extra}");
        assert!(is_store_corrupt(block_on(svc.revoke_all("alice"))), "revoke_all, extra {extra}");
        assert!(is_store_corrupt(block_on(svc.set_enabled("alice", &created.id, false))), "set_enabled");
        let leaked = block_on(svc.report_leaked(created.password.expose()));
        assert!(is_store_corrupt(leaked), "report_leaked, extra {extra}");
        // Nothing was written on such a read.
        assert_eq!(block_on(inner.list("", None)).unwrap(), before);

        // The same store, counting right again: everything works.
        on.store(false, Ordering::SeqCst);
        assert_eq!(block_on(svc.list("alice")).unwrap().len(), 1);
        let report = block_on(svc.report_leaked(created.password.expose())).unwrap();
        assert!(report.found && report.revoked);
        assert!(block_on(svc.list("alice")).unwrap().is_empty());
    }
}
