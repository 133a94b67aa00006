#![cfg(not(target_arch = "wasm32"))]
// Test helpers outside #[test] functions are test code too (see .clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! A table-driven matrix of store faults × service operations (the outcome table is in
//! tests/FAULTS.md, and `the_fault_matrix_matches_faults_md` keeps the two equal).
//!
//! Faults: the store throws; applies a write and then reports an error (a lost ack); never
//! answers (with a per-call timeout, as the JS package's `storeTimeoutMs` gives, or with a
//! whole-operation deadline of the host that drops the future); returns garbage; drops
//! writes; drops deletes; acknowledges writes at once and applies them later, in reverse
//! order. Operations: create, verify (valid, revoked, wrong secret), list, revoke.
//!
//! In every cell, whatever the outcome:
//! - a revoked or wrong password is never granted (during the fault, and after it heals);
//! - an error has a documented code: `store_unavailable`, `store_corrupt`, `store_timeout`
//!   (and `id_collision` for a create whose store says every id is taken);
//! - no half-created password: a password the test holds is listed if and only if it
//!   verifies. A record without its index entry is left behind only when its password was
//!   never returned (create reported an error). The one exception is a store that *lies*
//!   about writes (drops them and answers Ok): see FAULTS.md.
//!
//! Not covered here because tests/faults.rs already does: a record under the wrong id,
//! corrupt hashes / scope encodings / fields, a record moved to another user, corrupt index
//! entries, failing follow-up writes, a failing tombstone write. Forced id collisions with
//! every draw colliding: tests/service.rs `a_revoked_id_is_never_issued_again`.
//!
//! No timer exists in the core: a store that never answers leaves its future pending. A
//! native host adds its own timeout (e.g. `tokio::time::timeout` around the call, or around
//! each store call); the tests below model both with poll-based deadlines (`run`,
//! `CallTimeout`), so a hang never hangs the test.
//!
//! Also here: forced id collisions (`RepeatIds`: retried, then `id_collision` after four
//! draws), and a strongly consistent store that answers out of order under many seeded
//! schedules (`Sched`), which is where the known issue of FAULTS.md shows up (a re-hash
//! upgrade racing a revoke; minimal repro in `upgrade_race`).

mod common;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use app_passwords::record::{index_key, record_key, tombstone_key, user_prefix};
use app_passwords::{
    AppPasswords, Config, Created, Error, HashParams, ListPage, MemoryStore, NewAppPassword, RandomSource, Result,
    Store, VerifyResult,
};
use common::{SplitMix64, T0, TestClock, api, block_on, clock, light_config, with_other_secret};

// ------------------------------------------------------------------------------ deadlines

/// What an operation may take when its store answers (a safety net, never reached).
const OP_BUDGET: Duration = Duration::from_secs(10);
/// The host's deadline, counted from the moment a store call hangs (so a slow machine
/// cannot make it fire before the operation reaches the hanging call).
const HOST_DEADLINE: Duration = Duration::from_millis(1);
/// The per-call timeout of the "never answers, per-call timeout" store.
const CALL_TIMEOUT: Duration = Duration::from_millis(1);

/// Drives `fut` by polling it in a loop; when `give_up()` says so it stops, drops the
/// future (the operation is cancelled wherever it was) and returns `Err(StoreTimeout)`:
/// what a native host's own deadline does. The core has no timer of its own.
fn run_until<T>(fut: impl Future<Output = Result<T>>, give_up: impl Fn() -> bool) -> Result<T> {
    let mut fut = std::pin::pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    let start = Instant::now();
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        if give_up() || start.elapsed() >= OP_BUDGET {
            return Err(Error::StoreTimeout);
        }
        std::thread::yield_now();
    }
}

/// [`run_until`] with the host deadline of `store`'s hanging calls.
fn run<T>(fut: impl Future<Output = Result<T>>, store: &Chaos) -> Result<T> {
    run_until(fut, || store.hung_for(HOST_DEADLINE))
}

/// A store call that never answers, behind a per-call timeout: pending until `CALL_TIMEOUT`
/// has passed, then `Err(StoreTimeout)` (what `storeTimeoutMs` makes of a hung JS store).
struct CallTimeout(Instant);

impl Future for CallTimeout {
    type Output = Error;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Error> {
        if self.0.elapsed() >= CALL_TIMEOUT {
            Poll::Ready(Error::StoreTimeout)
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

// ---------------------------------------------------------------------------------- faults

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Every call returns `Err(StoreUnavailable)`.
    Throws,
    /// Every write is applied, then reported as failed (the ack was lost). Reads work.
    AckLost,
    /// Every call stays pending; a per-call timeout turns it into `Err(StoreTimeout)`.
    HangsCallTimeout,
    /// Every call stays pending forever; the host's deadline drops the whole operation.
    HangsHostDeadline,
    /// `get` of a key that holds a value answers non-JSON text.
    GarbageNonJson,
    /// `get` of a key that holds a value answers JSON with every field of the wrong type.
    GarbageWrongTypes,
    /// `get` answers garbage for every key, even absent ones; `list` adds junk keys and
    /// repeats its cursor.
    GarbageInvented,
    /// `put` and `delete` answer Ok and store nothing.
    DropsWrites,
    /// `delete` answers Ok and removes nothing.
    DropsDeletes,
    /// `put` and `delete` answer Ok at once; the writes are applied at the flush, in
    /// reverse order. Reads do not see them before (no read-your-writes).
    Reordered,
}

const FAULTS: [Fault; 10] = [
    Fault::Throws,
    Fault::AckLost,
    Fault::HangsCallTimeout,
    Fault::HangsHostDeadline,
    Fault::GarbageNonJson,
    Fault::GarbageWrongTypes,
    Fault::GarbageInvented,
    Fault::DropsWrites,
    Fault::DropsDeletes,
    Fault::Reordered,
];

impl Fault {
    fn label(self) -> &'static str {
        match self {
            Self::Throws => "throws (Err on every call)",
            Self::AckLost => "write applied, then Err (lost ack)",
            Self::HangsCallTimeout => "never answers; per-call timeout",
            Self::HangsHostDeadline => "never answers; host deadline drops the op",
            Self::GarbageNonJson => "garbage: stored values read back as non-JSON",
            Self::GarbageWrongTypes => "garbage: stored values with wrong JSON types",
            Self::GarbageInvented => "garbage: a value for every key, junk list keys",
            Self::DropsWrites => "drops writes (put/delete Ok, no effect)",
            Self::DropsDeletes => "drops deletes (delete Ok, no effect)",
            Self::Reordered => "out of order: writes acked, applied later in reverse",
        }
    }

    /// A store that says Ok for a write it did not make.
    fn lies(self) -> bool {
        matches!(self, Self::DropsWrites | Self::DropsDeletes)
    }
}

/// Which store calls of the operation (counted from 1 after arming) the fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Window {
    All,
    Only(usize),
    From(usize),
}

impl Window {
    fn covers(self, n: usize) -> bool {
        match self {
            Self::All => true,
            Self::Only(k) => n == k,
            Self::From(k) => n >= k,
        }
    }
}

enum Write {
    Put(String, String),
    Delete(String),
}

#[derive(Default)]
struct Control {
    armed: Option<(Fault, Window)>,
    calls: usize,
    buffer: Vec<Write>,
    gets: usize,
    hung_at: Option<Instant>,
}

/// A store over a [`MemoryStore`] that misbehaves on demand.
#[derive(Clone)]
struct Chaos {
    mem: Arc<MemoryStore>,
    ctl: Arc<Mutex<Control>>,
}

const NON_JSON: &str = "{\"v\":1,\"id\":";

fn down(op: &str) -> Error {
    Error::StoreUnavailable(format!("{op} failed (test)"))
}

/// The JSON `value` with every field turned into another type.
fn wrong_types(json: &str) -> String {
    use serde_json::Value;
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(map)) => {
            let swapped = map.into_iter().map(|(k, v)| {
                let v = match v {
                    Value::String(_) => Value::from(7),
                    Value::Number(n) => Value::from(n.to_string()),
                    Value::Null => Value::from(false),
                    Value::Bool(_) => Value::Null,
                    other => Value::Array(vec![other]),
                };
                (k, v)
            });
            Value::Object(swapped.collect()).to_string()
        }
        _ => "[]".to_owned(),
    }
}

impl Chaos {
    fn new() -> Self {
        Self { mem: Arc::new(MemoryStore::new()), ctl: Arc::new(Mutex::new(Control::default())) }
    }

    fn ctl(&self) -> std::sync::MutexGuard<'_, Control> {
        self.ctl.lock().unwrap()
    }

    fn arm(&self, fault: Fault, window: Window) {
        let mut ctl = self.ctl();
        ctl.armed = Some((fault, window));
        ctl.calls = 0;
        ctl.hung_at = None;
    }

    /// A call that will never answer (the host deadline starts now).
    async fn hang<T>(&self) -> T {
        self.ctl().hung_at.get_or_insert_with(Instant::now);
        std::future::pending().await
    }

    fn hung_for(&self, deadline: Duration) -> bool {
        self.ctl().hung_at.is_some_and(|t| t.elapsed() >= deadline)
    }

    /// No more faults; writes already acknowledged stay pending until [`Chaos::flush`].
    fn disarm(&self) {
        self.ctl().armed = None;
    }

    /// Applies the acknowledged-but-pending writes, newest first.
    fn flush(&self) {
        let buffer = std::mem::take(&mut self.ctl().buffer);
        for write in buffer.into_iter().rev() {
            match write {
                Write::Put(k, v) => block_on(self.mem.put(&k, &v)).unwrap(),
                Write::Delete(k) => block_on(self.mem.delete(&k)).unwrap(),
            }
        }
    }

    fn heal(&self) {
        self.disarm();
        self.flush();
    }

    /// The fault that hits this call, if any.
    fn hit(&self) -> Option<Fault> {
        let mut ctl = self.ctl();
        let (fault, window) = ctl.armed?;
        ctl.calls += 1;
        window.covers(ctl.calls).then_some(fault)
    }

    fn snapshot(&self) -> BTreeMap<String, String> {
        self.mem.snapshot().into_iter().collect()
    }

    fn raw(&self, key: &str) -> Option<String> {
        block_on(self.mem.get(key)).unwrap()
    }

    /// Shared by put and delete: what a write does under the fault that hits it.
    async fn write(&self, op: &str, write: Write) -> Result<()> {
        let apply = |w: &Write| match w {
            Write::Put(k, v) => block_on(self.mem.put(k, v)),
            Write::Delete(k) => block_on(self.mem.delete(k)),
        };
        match self.hit() {
            Some(Fault::Throws) => Err(down(op)),
            Some(Fault::AckLost) => {
                apply(&write)?;
                Err(down(op))
            }
            Some(Fault::HangsCallTimeout) => Err(CallTimeout(Instant::now()).await),
            Some(Fault::HangsHostDeadline) => self.hang().await,
            Some(Fault::DropsWrites) => Ok(()),
            Some(Fault::DropsDeletes) if matches!(write, Write::Delete(_)) => Ok(()),
            Some(Fault::Reordered) => {
                self.ctl().buffer.push(write);
                Ok(())
            }
            _ => apply(&write),
        }
    }
}

impl Store for Chaos {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        self.ctl().gets += 1;
        let held = self.mem.get(key).await?;
        match self.hit() {
            Some(Fault::Throws) => Err(down("get")),
            Some(Fault::HangsCallTimeout) => Err(CallTimeout(Instant::now()).await),
            Some(Fault::HangsHostDeadline) => self.hang().await,
            Some(Fault::GarbageNonJson) => Ok(held.map(|_| NON_JSON.to_owned())),
            Some(Fault::GarbageWrongTypes) => Ok(held.map(|v| wrong_types(&v))),
            Some(Fault::GarbageInvented) => Ok(Some("garbage".to_owned())),
            _ => Ok(held),
        }
    }

    async fn put(&self, key: &str, value: &str) -> Result<()> {
        self.write("put", Write::Put(key.to_owned(), value.to_owned())).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.write("delete", Write::Delete(key.to_owned())).await
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage> {
        match self.hit() {
            Some(Fault::Throws) => Err(down("list")),
            Some(Fault::HangsCallTimeout) => Err(CallTimeout(Instant::now()).await),
            Some(Fault::HangsHostDeadline) => self.hang().await,
            Some(Fault::GarbageInvented) => {
                let mut page = self.mem.list(prefix, None).await?;
                page.keys.extend(["unrelated".to_owned(), format!("{prefix}not-an-id"), format!("{prefix}../x")]);
                page.cursor = Some(format!("{prefix}same"));
                Ok(page)
            }
            _ => self.mem.list(prefix, cursor).await,
        }
    }
}

// ----------------------------------------------------------------------------- the fixture

type Svc = AppPasswords<Chaos, TestClock, SplitMix64>;

const USER: &str = "alice";

/// Alice holds a valid password, a revoked one, and a wrong one (valid id, other secret).
struct Fixture {
    svc: Svc,
    store: Chaos,
    valid: Created,
    revoked: Created,
    wrong: String,
}

/// The cheapest Argon2id profile there is (m = 8 KiB): these tests are about the store.
fn fast_config() -> Config {
    profile(8)
}

fn fixture(seed: u64) -> Fixture {
    let store = Chaos::new();
    let now = Arc::new(AtomicU64::new(T0));
    let svc = AppPasswords::with_parts(store.clone(), fast_config(), clock(&now), SplitMix64::new(seed)).unwrap();
    let new = NewAppPassword { user: USER, label: "tool", scopes: &["repository"], expires_at: None };
    let valid = block_on(svc.create(new)).unwrap();
    let revoked = block_on(svc.create(new)).unwrap();
    assert!(block_on(svc.revoke(USER, &revoked.id)).unwrap());
    let wrong = with_other_secret(valid.password.expose());
    Fixture { svc, store, valid, revoked, wrong }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Create,
    VerifyValid,
    VerifyRevoked,
    VerifyWrong,
    List,
    Revoke,
}

const OPS: [Op; 6] = [Op::Create, Op::VerifyValid, Op::VerifyRevoked, Op::VerifyWrong, Op::List, Op::Revoke];

impl Op {
    fn label(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::VerifyValid => "verify valid",
            Self::VerifyRevoked => "verify revoked",
            Self::VerifyWrong => "verify wrong secret",
            Self::List => "list",
            Self::Revoke => "revoke",
        }
    }
}

enum Outcome {
    Created(Created),
    Verified(VerifyResult),
    Listed(Vec<String>),
    Revoked(bool),
    Failed(Error),
}

impl Outcome {
    fn label(&self) -> String {
        match self {
            Self::Created(_) => "Ok: password returned".into(),
            Self::Verified(v) => verdict(v),
            Self::Listed(ids) => format!("Ok: {} listed", ids.len()),
            Self::Revoked(b) => format!("Ok({b})"),
            Self::Failed(e) => format!("Err({})", e.code()),
        }
    }
}

fn verdict(v: &VerifyResult) -> String {
    match v {
        VerifyResult::Granted(_) => "granted".into(),
        VerifyResult::Refused(r) => format!("refused ({})", r.reason.as_str()),
    }
}

fn run_op(fx: &Fixture, op: Op) -> Outcome {
    let svc = &fx.svc;
    let result = match op {
        Op::Create => {
            let new = NewAppPassword { user: USER, label: "new", scopes: &["email"], expires_at: None };
            run(svc.create(new), &fx.store).map(Outcome::Created)
        }
        Op::VerifyValid => {
            run(svc.verify(api(USER, fx.valid.password.expose(), &[])), &fx.store).map(Outcome::Verified)
        }
        Op::VerifyRevoked => {
            run(svc.verify(api(USER, fx.revoked.password.expose(), &[])), &fx.store).map(Outcome::Verified)
        }
        Op::VerifyWrong => run(svc.verify(api(USER, &fx.wrong, &[])), &fx.store).map(Outcome::Verified),
        Op::List => run(svc.list(USER), &fx.store).map(|l| Outcome::Listed(l.into_iter().map(|p| p.id).collect())),
        Op::Revoke => run(svc.revoke(USER, &fx.valid.id), &fx.store).map(Outcome::Revoked),
    };
    result.unwrap_or_else(Outcome::Failed)
}

/// Verify `password` on the healed store: "verifies" or "refused (reason)".
fn verify_now(fx: &Fixture, password: &str) -> String {
    match run(fx.svc.verify(api(USER, password, &[])), &fx.store) {
        Ok(v) => verdict(&v),
        Err(e) => panic!("the healed store failed a verify: {e:?}"),
    }
}

fn listed_now(fx: &Fixture) -> Vec<String> {
    run(fx.svc.list(USER), &fx.store).unwrap().into_iter().map(|p| p.id).collect()
}

/// The store's change from `before` to `after`, by kind of key: "+rec +idx", "~idx", "·".
fn diff(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> String {
    let kind = |k: &str| {
        if k.contains("/record/") {
            "rec"
        } else if k.contains("/revoked/") {
            "tomb"
        } else {
            "idx"
        }
    };
    let mut out = Vec::new();
    for (k, v) in after {
        match before.get(k) {
            None => out.push(format!("+{}", kind(k))),
            Some(old) if old != v => out.push(format!("~{}", kind(k))),
            Some(_) => {}
        }
    }
    for k in before.keys().filter(|k| !after.contains_key(*k)) {
        out.push(format!("−{}", kind(k)));
    }
    if out.is_empty() { "·".into() } else { out.join(" ") }
}

/// One cell's observed outcome (the table row), after checking the invariants.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    result: String,
    subject: String,
    store: String,
}

/// Runs `op` under `fault` on the calls `window` selects, heals the store, and checks the
/// invariants that must hold in every cell. Returns what happened, for the table.
fn cell(fault: Fault, window: Window, op: Op, seed: u64) -> Row {
    let fx = fixture(seed);
    let before = fx.store.snapshot();
    fx.store.arm(fault, window);
    let outcome = run_op(&fx, op);
    fx.store.disarm();
    let ctx = format!("{} / {} / {window:?}", fault.label(), op.label());

    // Documented error codes only, and no secret in any message.
    if let Outcome::Failed(e) = &outcome {
        let allowed = ["store_unavailable", "store_corrupt", "store_timeout"];
        let ok = allowed.contains(&e.code()) || (op == Op::Create && e.code() == "id_collision");
        assert!(ok, "{ctx}: undocumented error {e:?}");
        let text = format!("{e} {e:?}");
        for pw in [fx.valid.password.expose(), fx.revoked.password.expose(), fx.wrong.as_str()] {
            assert!(!text.contains(pw), "{ctx}: an error shows a password");
        }
    }
    // Never granted: a revoked or a wrong password.
    if matches!(op, Op::VerifyRevoked | Op::VerifyWrong) {
        assert!(!matches!(outcome, Outcome::Verified(VerifyResult::Granted(_))), "{ctx}: granted");
    }

    // The subject of the cell, before the acknowledged-but-pending writes land.
    let created = match &outcome {
        Outcome::Created(c) => Some(c.password.expose().to_owned()),
        _ => None,
    };
    let subject_password = match op {
        Op::Create => created.clone(),
        Op::VerifyRevoked => Some(fx.revoked.password.expose().to_owned()),
        Op::VerifyWrong => Some(fx.wrong.clone()),
        _ => Some(fx.valid.password.expose().to_owned()),
    };
    let pending = !fx.store.ctl().buffer.is_empty();
    let before_flush = match (&subject_password, pending) {
        (Some(pw), true) => Some(verify_now(&fx, pw)),
        _ => None,
    };
    fx.store.heal();
    let after = fx.store.snapshot();

    // After healing: the revoked and the wrong password still never verify.
    for pw in [fx.revoked.password.expose(), fx.wrong.as_str()] {
        assert!(verify_now(&fx, pw).starts_with("refused"), "{ctx}: granted after healing");
    }
    let listed = listed_now(&fx);
    // No half-created password: for each password the test holds, listed ⟺ verifies.
    let mut held = vec![fx.valid.password.clone()];
    if let Outcome::Created(c) = &outcome {
        held.push(c.password.clone());
    }
    for pw in &held {
        let verifies = verify_now(&fx, pw.expose()) == "granted";
        let is_listed = listed.iter().any(|id| id == pw.id());
        if verifies != is_listed {
            // Only a store that lies about a write gets here: the index write of a create
            // dropped (the password verifies and is not listed; it can still be revoked by
            // id), or every write of a revoke dropped (the revoke said true, so this instance
            // refuses it; the store still lists it). See FAULTS.md.
            assert!(fault.lies(), "{ctx}: listed={is_listed} verifies={verifies}");
        }
    }
    // A record without its index entry: only for a password never returned, or when the
    // store dropped the index write.
    for key in after.keys().filter(|k| k.contains("/record/")) {
        let id = key.rsplit('/').next().unwrap();
        if !after.contains_key(&index_key(USER, id)) {
            let returned = held.iter().any(|p| p.id() == id);
            assert!(!returned || fault.lies(), "{ctx}: record {id} of a returned password has no index entry");
        }
    }
    // A revoke that said true on an honest store: the password is gone for good.
    if op == Op::Revoke && matches!(outcome, Outcome::Revoked(true)) && !fault.lies() {
        assert!(verify_now(&fx, fx.valid.password.expose()).starts_with("refused"), "{ctx}: verifies after revoke");
        assert!(!listed.contains(&fx.valid.id), "{ctx}: listed after revoke");
        assert!(fx.store.raw(&tombstone_key(&fx.valid.id)).is_some(), "{ctx}: no tombstone");
    }
    // Any operation but a revoke leaves the valid password working. (A revoke that failed
    // may have got part of the way: then listed ⟺ verifies above is what holds.)
    if op != Op::Revoke {
        assert_eq!(verify_now(&fx, fx.valid.password.expose()), "granted", "{ctx}: the valid password broke");
    }

    let subject = match subject_password {
        None => "— (no password returned)".to_owned(),
        Some(pw) => {
            let mut s = verify_now(&fx, &pw);
            if matches!(op, Op::Create | Op::VerifyValid | Op::List | Op::Revoke) {
                let id = if op == Op::Create { pw.get(4..16).unwrap().to_owned() } else { fx.valid.id.clone() };
                s.push_str(if listed.contains(&id) { ", listed" } else { ", not listed" });
            }
            match before_flush {
                Some(b) if !s.starts_with(&b) => format!("{s} (before flush: {b})"),
                _ => s,
            }
        }
    };
    Row { result: outcome.label(), subject, store: diff(&before, &after) }
}

// ------------------------------------------------------------------------ the whole table

/// The expected outcome of every cell (fault on every call of the operation).
/// Columns: result of the operation; the subject after the store heals (the created
/// password, the valid one for verify valid / list / revoke, else the one verified);
/// the store's change, by kind of key (`rec` record, `idx` index entry, `tomb` tombstone).
const EXPECTED: &[(Fault, Op, &str, &str, &str)] = &[
    (Fault::Throws, Op::Create, "Err(store_unavailable)", "— (no password returned)", "·"),
    (Fault::Throws, Op::VerifyValid, "Err(store_unavailable)", "granted, listed", "·"),
    (Fault::Throws, Op::VerifyRevoked, "Err(store_unavailable)", "refused (unknown_id)", "·"),
    (Fault::Throws, Op::VerifyWrong, "Err(store_unavailable)", "refused (wrong_secret)", "·"),
    (Fault::Throws, Op::List, "Err(store_unavailable)", "granted, listed", "·"),
    (Fault::Throws, Op::Revoke, "Err(store_unavailable)", "granted, listed", "·"),
    (Fault::AckLost, Op::Create, "Err(store_unavailable)", "— (no password returned)", "+rec"),
    (Fault::AckLost, Op::VerifyValid, "granted", "granted, listed", "~idx"),
    (Fault::AckLost, Op::VerifyRevoked, "refused (unknown_id)", "refused (unknown_id)", "·"),
    (Fault::AckLost, Op::VerifyWrong, "refused (wrong_secret)", "refused (wrong_secret)", "·"),
    (Fault::AckLost, Op::List, "Ok: 1 listed", "granted, listed", "·"),
    (Fault::AckLost, Op::Revoke, "Err(store_unavailable)", "refused (unknown_id), not listed", "+tomb"),
    (Fault::HangsCallTimeout, Op::Create, "Err(store_timeout)", "— (no password returned)", "·"),
    (Fault::HangsCallTimeout, Op::VerifyValid, "Err(store_timeout)", "granted, listed", "·"),
    (Fault::HangsCallTimeout, Op::VerifyRevoked, "Err(store_timeout)", "refused (unknown_id)", "·"),
    (Fault::HangsCallTimeout, Op::VerifyWrong, "Err(store_timeout)", "refused (wrong_secret)", "·"),
    (Fault::HangsCallTimeout, Op::List, "Err(store_timeout)", "granted, listed", "·"),
    (Fault::HangsCallTimeout, Op::Revoke, "Err(store_timeout)", "granted, listed", "·"),
    (Fault::HangsHostDeadline, Op::Create, "Err(store_timeout)", "— (no password returned)", "·"),
    (Fault::HangsHostDeadline, Op::VerifyValid, "Err(store_timeout)", "granted, listed", "·"),
    (Fault::HangsHostDeadline, Op::VerifyRevoked, "Err(store_timeout)", "refused (unknown_id)", "·"),
    (Fault::HangsHostDeadline, Op::VerifyWrong, "Err(store_timeout)", "refused (wrong_secret)", "·"),
    (Fault::HangsHostDeadline, Op::List, "Err(store_timeout)", "granted, listed", "·"),
    (Fault::HangsHostDeadline, Op::Revoke, "Err(store_timeout)", "granted, listed", "·"),
    (Fault::GarbageNonJson, Op::Create, "Ok: password returned", "granted, listed", "+rec +idx"),
    (Fault::GarbageNonJson, Op::VerifyValid, "Err(store_corrupt)", "granted, listed", "·"),
    (Fault::GarbageNonJson, Op::VerifyRevoked, "Err(store_corrupt)", "refused (unknown_id)", "·"),
    (Fault::GarbageNonJson, Op::VerifyWrong, "Err(store_corrupt)", "refused (wrong_secret)", "·"),
    (Fault::GarbageNonJson, Op::List, "Err(store_corrupt)", "granted, listed", "·"),
    (Fault::GarbageNonJson, Op::Revoke, "Err(store_corrupt)", "granted, listed", "·"),
    (Fault::GarbageWrongTypes, Op::Create, "Ok: password returned", "granted, listed", "+rec +idx"),
    (Fault::GarbageWrongTypes, Op::VerifyValid, "Err(store_corrupt)", "granted, listed", "·"),
    (Fault::GarbageWrongTypes, Op::VerifyRevoked, "Err(store_corrupt)", "refused (unknown_id)", "·"),
    (Fault::GarbageWrongTypes, Op::VerifyWrong, "Err(store_corrupt)", "refused (wrong_secret)", "·"),
    (Fault::GarbageWrongTypes, Op::List, "Err(store_corrupt)", "granted, listed", "·"),
    (Fault::GarbageWrongTypes, Op::Revoke, "Err(store_corrupt)", "granted, listed", "·"),
    (Fault::GarbageInvented, Op::Create, "Err(id_collision)", "— (no password returned)", "·"),
    (Fault::GarbageInvented, Op::VerifyValid, "Err(store_corrupt)", "granted, listed", "·"),
    (Fault::GarbageInvented, Op::VerifyRevoked, "Err(store_corrupt)", "refused (unknown_id)", "·"),
    (Fault::GarbageInvented, Op::VerifyWrong, "Err(store_corrupt)", "refused (wrong_secret)", "·"),
    (Fault::GarbageInvented, Op::List, "Err(store_corrupt)", "granted, listed", "·"),
    (Fault::GarbageInvented, Op::Revoke, "Err(store_corrupt)", "granted, listed", "·"),
    (Fault::DropsWrites, Op::Create, "Ok: password returned", "refused (unknown_id), not listed", "·"),
    (Fault::DropsWrites, Op::VerifyValid, "granted", "granted, listed", "·"),
    (Fault::DropsWrites, Op::VerifyRevoked, "refused (unknown_id)", "refused (unknown_id)", "·"),
    (Fault::DropsWrites, Op::VerifyWrong, "refused (wrong_secret)", "refused (wrong_secret)", "·"),
    (Fault::DropsWrites, Op::List, "Ok: 1 listed", "granted, listed", "·"),
    (Fault::DropsWrites, Op::Revoke, "Ok(true)", "refused (unknown_id), listed", "·"),
    (Fault::DropsDeletes, Op::Create, "Ok: password returned", "granted, listed", "+rec +idx"),
    (Fault::DropsDeletes, Op::VerifyValid, "granted", "granted, listed", "~idx"),
    (Fault::DropsDeletes, Op::VerifyRevoked, "refused (unknown_id)", "refused (unknown_id)", "·"),
    (Fault::DropsDeletes, Op::VerifyWrong, "refused (wrong_secret)", "refused (wrong_secret)", "·"),
    (Fault::DropsDeletes, Op::List, "Ok: 1 listed", "granted, listed", "·"),
    (Fault::DropsDeletes, Op::Revoke, "Ok(true)", "refused (unknown_id), not listed", "+tomb"),
    (
        Fault::Reordered,
        Op::Create,
        "Ok: password returned",
        "granted, listed (before flush: refused (unknown_id))",
        "+rec +idx",
    ),
    (Fault::Reordered, Op::VerifyValid, "granted", "granted, listed", "~idx"),
    (Fault::Reordered, Op::VerifyRevoked, "refused (unknown_id)", "refused (unknown_id)", "·"),
    (Fault::Reordered, Op::VerifyWrong, "refused (wrong_secret)", "refused (wrong_secret)", "·"),
    (Fault::Reordered, Op::List, "Ok: 1 listed", "granted, listed", "·"),
    (Fault::Reordered, Op::Revoke, "Ok(true)", "refused (unknown_id), not listed", "+tomb −rec −idx"),
];

fn observed_table() -> Vec<(Fault, Op, Row)> {
    let mut out = Vec::new();
    for (i, fault) in FAULTS.into_iter().enumerate() {
        for (j, op) in OPS.into_iter().enumerate() {
            out.push((fault, op, cell(fault, Window::All, op, 100 + (i * 10 + j) as u64)));
        }
    }
    out
}

fn markdown(rows: &[(Fault, Op, &str, &str, &str)]) -> String {
    let mut md = String::from(
        "| fault | operation | result | subject after the store heals | store change |\n|---|---|---|---|---|\n",
    );
    for (fault, op, result, subject, store) in rows {
        writeln!(md, "| {} | {} | `{result}` | {subject} | {store} |", fault.label(), op.label()).unwrap();
    }
    md
}

#[test]
fn every_fault_on_every_operation_matches_the_table() {
    let observed = observed_table();
    assert_eq!(observed.len(), FAULTS.len() * OPS.len());
    let got: Vec<(Fault, Op, &str, &str, &str)> =
        observed.iter().map(|(f, o, r)| (*f, *o, r.result.as_str(), r.subject.as_str(), r.store.as_str())).collect();
    let mismatches: Vec<String> = got
        .iter()
        .zip(EXPECTED)
        .filter(|(g, e)| g != e)
        .map(|(g, e)| format!("  got      {g:?}\n  expected {e:?}"))
        .collect();
    assert_eq!(got.len(), EXPECTED.len());
    assert!(
        mismatches.is_empty(),
        "{} cells differ:\n{}\n\nobserved table:\n{}",
        mismatches.len(),
        mismatches.join("\n"),
        markdown(&got)
    );
}

#[test]
fn the_fault_matrix_matches_faults_md() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/FAULTS.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let table = markdown(EXPECTED);
    assert!(doc.contains(&table), "tests/FAULTS.md must contain the Rust table exactly:\n\n{table}");
}

// ------------------------------------------------------ one faulty call at a time, every call

/// Every operation, with the fault on exactly one of its store calls, and from that call on:
/// the invariants of [`cell`] hold at every step (the first write of a create failing, the
/// second, the cleanup delete failing too, a revoke stopping after its tombstone, ...).
#[test]
fn a_fault_at_any_single_store_call_keeps_the_invariants() {
    let mut cells = 0;
    let mut seen = BTreeSet::new();
    for fault in FAULTS {
        for op in OPS {
            // create: 1 list, 2 gets (a store without get_many reads its record and
            // tombstone one after the other), 2 puts, 2 cleanup deletes; list: 1 list + 3 gets;
            // revoke: 6 gets (record, tombstone, index entry, three markers), 1 put, 2 deletes.
            for k in 1..=9 {
                for window in [Window::Only(k), Window::From(k)] {
                    let row = cell(fault, window, op, 7_000 + cells as u64);
                    seen.insert(format!("{} → {} → {}", op.label(), row.result, row.store));
                    cells += 1;
                }
            }
        }
    }
    assert_eq!(cells, 10 * 6 * 9 * 2);
    // Some outcomes only a single faulty call produces (the whole-operation table cannot).
    for expected in [
        // The index write of a create fails: the record written first is removed again.
        "create → Err(store_unavailable) → ·",
        // ...and when the cleanup delete fails too: an orphan record, password never shown.
        "create → Err(store_unavailable) → +rec",
        // The host's deadline drops a create between its two writes: same orphan.
        "create → Err(store_timeout) → +rec",
        // Only the index write of a create dropped: usable, not listed (see FAULTS.md).
        "create → Ok: password returned → +rec",
        // A revoke that stops after its tombstone.
        "revoke → Err(store_unavailable) → +tomb",
        "revoke → Err(store_timeout) → +tomb",
    ] {
        assert!(
            seen.contains(expected),
            "never observed: {expected}\nseen:\n{}",
            seen.iter().cloned().collect::<Vec<_>>().join("\n")
        );
    }
}

// --------------------------------------------------------------- decisions, spelled out

#[test]
fn a_create_whose_second_write_fails_leaves_nothing_usable() {
    // Decision (create.rs): the record goes first, then the index entry. If the index write
    // fails, the record is deleted (best effort) and the error returned: the password was
    // never shown, so no one holds it. If the cleanup fails too, an orphan record stays: not
    // listed, and unverifiable by anyone (no one has the 190-bit secret).
    let fx = fixture(1);
    let before = fx.store.snapshot();
    fx.store.arm(Fault::Throws, Window::Only(5)); // list 1, gets 2-3, record put 4, index put 5
    let err =
        run(fx.svc.create(NewAppPassword { user: USER, label: "x", scopes: &["email"], expires_at: None }), &fx.store)
            .unwrap_err();
    assert_eq!(err.code(), "store_unavailable");
    fx.store.heal();
    assert_eq!(fx.store.snapshot(), before, "the record written first was removed");

    let fx = fixture(2);
    let before = fx.store.snapshot();
    fx.store.arm(Fault::Throws, Window::From(5)); // the cleanup deletes fail as well
    let err =
        run(fx.svc.create(NewAppPassword { user: USER, label: "x", scopes: &["email"], expires_at: None }), &fx.store)
            .unwrap_err();
    assert_eq!(err.code(), "store_unavailable");
    fx.store.heal();
    assert_eq!(diff(&before, &fx.store.snapshot()), "+rec", "an orphan record");
    assert_eq!(listed_now(&fx), vec![fx.valid.id.clone()], "not listed");
}

#[test]
fn a_dropped_write_during_create_fails_closed() {
    // A store that answers Ok to a write it did not make. Nothing in the library can tell
    // (no read-after-write: Workers KV would not guarantee it anyway), so create returns a
    // password. What holds is that the password then fails closed:
    let fx = fixture(3);
    fx.store.arm(Fault::DropsWrites, Window::All);
    let c =
        run(fx.svc.create(NewAppPassword { user: USER, label: "x", scopes: &["email"], expires_at: None }), &fx.store)
            .unwrap();
    fx.store.heal();
    // The record write was dropped: the password does not verify and is not listed.
    assert_eq!(verify_now(&fx, c.password.expose()), "refused (unknown_id)");
    assert!(!listed_now(&fx).contains(&c.id));

    // Only the record write dropped: a dangling index entry, which list never shows. List
    // does not delete it either (a missing record may be a stale read on an eventually
    // consistent store); revoking the id create returned removes it, behind a tombstone.
    let fx = fixture(4);
    fx.store.arm(Fault::DropsWrites, Window::Only(4));
    let c =
        run(fx.svc.create(NewAppPassword { user: USER, label: "x", scopes: &["email"], expires_at: None }), &fx.store)
            .unwrap();
    fx.store.heal();
    assert!(fx.store.raw(&index_key(USER, &c.id)).is_some());
    assert_eq!(verify_now(&fx, c.password.expose()), "refused (unknown_id)");
    assert!(!listed_now(&fx).contains(&c.id));
    assert!(fx.store.raw(&index_key(USER, &c.id)).is_some(), "list leaves it");
    assert!(run(fx.svc.revoke(USER, &c.id), &fx.store).unwrap());
    assert!(fx.store.raw(&index_key(USER, &c.id)).is_none());
    assert!(fx.store.raw(&tombstone_key(&c.id)).is_some());

    // Only the index write dropped: the password works but is not listed. It can still be
    // revoked by its id (create returned it), and then it is gone.
    let fx = fixture(5);
    fx.store.arm(Fault::DropsWrites, Window::Only(5));
    let c =
        run(fx.svc.create(NewAppPassword { user: USER, label: "x", scopes: &["email"], expires_at: None }), &fx.store)
            .unwrap();
    fx.store.heal();
    assert!(!listed_now(&fx).contains(&c.id), "the store lost the index entry");
    assert_eq!(verify_now(&fx, c.password.expose()), "granted");
    // Its first verify writes lastUsedAt, which puts the index entry back: listed again.
    assert!(listed_now(&fx).contains(&c.id));
    assert!(run(fx.svc.revoke(USER, &c.id), &fx.store).unwrap());
    assert_eq!(verify_now(&fx, c.password.expose()), "refused (unknown_id)");
    assert!(!listed_now(&fx).contains(&c.id));
}

#[test]
fn a_dropped_delete_during_revoke_still_revokes_through_the_tombstone() {
    // Revoke writes the tombstone, then deletes the record, then the index entry. A store
    // that drops the deletes (answers Ok, keeps the data) still cannot bring the password
    // back: verify and list read the tombstone with the record.
    let fx = fixture(6);
    fx.store.arm(Fault::DropsDeletes, Window::All);
    assert!(run(fx.svc.revoke(USER, &fx.valid.id), &fx.store).unwrap());
    fx.store.heal();
    assert!(fx.store.raw(&tombstone_key(&fx.valid.id)).is_some());
    assert!(fx.store.raw(&record_key(&fx.valid.id)).is_some(), "the store lied: the record is still there");
    assert_eq!(verify_now(&fx, fx.valid.password.expose()), "refused (unknown_id)");
    assert!(listed_now(&fx).is_empty(), "a tombstoned id is not listed");
    // Only the record delete dropped: the same.
    let fx = fixture(7);
    fx.store.arm(Fault::DropsDeletes, Window::Only(8)); // 6 gets, put tombstone, delete record
    assert!(run(fx.svc.revoke(USER, &fx.valid.id), &fx.store).unwrap());
    fx.store.heal();
    assert_eq!(verify_now(&fx, fx.valid.password.expose()), "refused (unknown_id)");
    assert!(listed_now(&fx).is_empty());
    // Revoking again on a healthy store tidies the record away (true: it was still there).
    assert!(run(fx.svc.revoke(USER, &fx.valid.id), &fx.store).unwrap());
    assert!(fx.store.raw(&record_key(&fx.valid.id)).is_none());
    assert!(!run(fx.svc.revoke(USER, &fx.valid.id), &fx.store).unwrap(), "then nothing is left");
}

#[test]
fn a_revoke_that_failed_after_its_tombstone_can_be_retried() {
    for fault in [Fault::Throws, Fault::HangsCallTimeout, Fault::HangsHostDeadline] {
        let fx = fixture(8);
        fx.store.arm(fault, Window::From(8)); // 6 gets, tombstone, then the record delete fails
        let err = run(fx.svc.revoke(USER, &fx.valid.id), &fx.store).unwrap_err();
        assert!(["store_unavailable", "store_timeout"].contains(&err.code()), "{err:?}");
        fx.store.heal();
        assert!(fx.store.raw(&tombstone_key(&fx.valid.id)).is_some());
        // The caller was told it failed, but the tombstone is written: already refused.
        assert_eq!(verify_now(&fx, fx.valid.password.expose()), "refused (unknown_id)");
        assert!(listed_now(&fx).is_empty());
        // A retry finishes the clean-up (and says true: this user's password was there). The
        // list above already tidied it, so here it only confirms.
        run(fx.svc.revoke(USER, &fx.valid.id), &fx.store).unwrap();
        assert!(fx.store.raw(&record_key(&fx.valid.id)).is_none());
        assert_eq!(verify_now(&fx, fx.valid.password.expose()), "refused (unknown_id)");
        assert!(listed_now(&fx).is_empty());
    }
}

#[test]
fn a_hung_store_never_hangs_the_caller_and_never_grants() {
    // Per-call timeout (what storeTimeoutMs does in JS): the operation continues with
    // Err(StoreTimeout) from that call, so a create whose index write hangs still cleans up.
    let fx = fixture(9);
    let before = fx.store.snapshot();
    fx.store.arm(Fault::HangsCallTimeout, Window::Only(5));
    let started = Instant::now();
    let err =
        run(fx.svc.create(NewAppPassword { user: USER, label: "x", scopes: &["email"], expires_at: None }), &fx.store)
            .unwrap_err();
    assert_eq!(err, Error::StoreTimeout);
    assert!(started.elapsed() < Duration::from_secs(1));
    fx.store.heal();
    assert_eq!(fx.store.snapshot(), before, "cleaned up after the timed-out index write");
    // Host deadline (the future is dropped where it stands): nothing after the hung call
    // runs, so the record written before it stays, as an orphan nobody has the password of.
    let fx = fixture(10);
    fx.store.arm(Fault::HangsHostDeadline, Window::Only(5));
    let err =
        run(fx.svc.create(NewAppPassword { user: USER, label: "x", scopes: &["email"], expires_at: None }), &fx.store)
            .unwrap_err();
    assert_eq!(err, Error::StoreTimeout);
    fx.store.heal();
    let orphans: Vec<String> =
        fx.store.snapshot().into_keys().filter(|k| k.contains("/record/") && !k.ends_with(&fx.valid.id)).collect();
    assert_eq!(orphans.len(), 1, "{orphans:?}");
    assert_eq!(listed_now(&fx), vec![fx.valid.id.clone()]);
    // A verify that hangs is a timeout, never a grant, even for the right password.
    for fault in [Fault::HangsCallTimeout, Fault::HangsHostDeadline] {
        let fx = fixture(11);
        fx.store.arm(fault, Window::All);
        let result = run(fx.svc.verify(api(USER, fx.valid.password.expose(), &[])), &fx.store);
        assert_eq!(result.unwrap_err(), Error::StoreTimeout);
    }
}

// ------------------------------------------------------------------------------ id collisions

/// Replays the same 64 bytes for the first `repeats` password draws (so the same id and
/// secret), then draws fresh ones. Other draws (salts, the dummy hash) are fresh.
struct RepeatIds {
    repeats: usize,
    inner: SplitMix64,
}

const SAME_POOL: [u8; 64] = {
    let mut pool = [0u8; 64];
    let mut i = 0;
    let mut byte: u8 = 0;
    while i < 64 {
        pool[i] = byte; // all below 248: each byte is a character
        byte = if byte >= 203 { byte - 203 } else { byte + 37 }; // + 37 mod 240
        i += 1;
    }
    pool
};

impl RandomSource for RepeatIds {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        if buf.len() == SAME_POOL.len() && self.repeats > 0 {
            self.repeats -= 1;
            buf.copy_from_slice(&SAME_POOL);
            return Ok(());
        }
        self.inner.fill(buf)
    }
}

fn colliding(collisions: usize) -> (AppPasswords<Chaos, TestClock, RepeatIds>, Chaos) {
    let store = Chaos::new();
    let now = Arc::new(AtomicU64::new(T0));
    let rng = RepeatIds { repeats: 1 + collisions, inner: SplitMix64::new(42) };
    (AppPasswords::with_parts(store.clone(), fast_config(), clock(&now), rng).unwrap(), store)
}

#[test]
fn create_retries_an_id_that_is_taken_and_gives_up_after_four_draws() {
    // tests/service.rs (a_revoked_id_is_never_issued_again) covers a source that always
    // repeats; here the first draws collide and a later one is free.
    let new = NewAppPassword { user: USER, label: "l", scopes: &["email"], expires_at: None };
    for collisions in 0..=3 {
        let (svc, store) = colliding(collisions);
        let first = block_on(svc.create(new)).unwrap();
        let gets = store.ctl().gets;
        let second = block_on(svc.create(new)).unwrap();
        assert_ne!(second.id, first.id, "{collisions} collisions");
        assert_eq!(store.ctl().gets - gets, 2 * (collisions + 1), "one record + tombstone read per draw");
        for c in [&first, &second] {
            assert!(block_on(svc.verify(api(USER, c.password.expose(), &[]))).unwrap().is_ok());
        }
        assert_eq!(block_on(svc.list(USER)).unwrap().len(), 2);
    }
    // Four draws in a row taken: id_collision, nothing written, the first password intact.
    let (svc, store) = colliding(4);
    let first = block_on(svc.create(new)).unwrap();
    let before = store.snapshot();
    assert_eq!(block_on(svc.create(new)).unwrap_err(), Error::IdCollision);
    assert_eq!(store.snapshot(), before);
    assert!(block_on(svc.verify(api(USER, first.password.expose(), &[]))).unwrap().is_ok());
}

#[test]
fn a_revoked_id_collides_through_its_tombstone() {
    let new = NewAppPassword { user: USER, label: "l", scopes: &["email"], expires_at: None };
    let (svc, store) = colliding(3);
    let first = block_on(svc.create(new)).unwrap();
    assert!(block_on(svc.revoke(USER, &first.id)).unwrap());
    assert!(store.raw(&record_key(&first.id)).is_none());
    let second = block_on(svc.create(new)).unwrap();
    assert_ne!(second.id, first.id, "the tombstone keeps a revoked id from coming back");
    let r = block_on(svc.verify(api(USER, first.password.expose(), &[]))).unwrap();
    assert_eq!(verdict(&r), "refused (unknown_id)");
}

// ------------------------------------------ out of order: a strongly consistent store with
// ------------------------------------------ a hostile schedule, many concurrent operations

enum Cmd {
    Get(String),
    Put(String, String),
    Delete(String),
    List(String, Option<String>),
}

enum Answer {
    Value(Option<String>),
    Done,
    Page(ListPage),
}

struct Slot {
    cmd: Cmd,
    answer: RefCell<Option<Answer>>,
    released: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// A linearizable store whose calls all wait in a queue; the driver decides which waiting
/// call is answered next. `apply_early`: the effect happens when the call is made, the
/// answer comes later (answers out of order); otherwise the effect happens when the call is
/// answered (operations applied late and out of order). Either way each call takes effect
/// atomically between its start and its answer: a strongly consistent store.
struct Sched {
    mem: Arc<MemoryStore>,
    queue: RefCell<Vec<Rc<Slot>>>,
    apply_early: bool,
}

impl Sched {
    fn apply(&self, cmd: &Cmd) -> Answer {
        match cmd {
            Cmd::Get(k) => Answer::Value(block_on(self.mem.get(k)).unwrap()),
            Cmd::Put(k, v) => {
                block_on(self.mem.put(k, v)).unwrap();
                Answer::Done
            }
            Cmd::Delete(k) => {
                block_on(self.mem.delete(k)).unwrap();
                Answer::Done
            }
            Cmd::List(p, c) => Answer::Page(block_on(self.mem.list(p, c.as_deref())).unwrap()),
        }
    }

    fn submit(&self, cmd: Cmd) -> Wait {
        let slot =
            Rc::new(Slot { cmd, answer: RefCell::new(None), released: Cell::new(false), waker: RefCell::new(None) });
        if self.apply_early {
            *slot.answer.borrow_mut() = Some(self.apply(&slot.cmd));
        }
        self.queue.borrow_mut().push(Rc::clone(&slot));
        Wait(slot)
    }

    fn answer(&self, index: usize) {
        let slot = self.queue.borrow_mut().remove(index);
        if slot.answer.borrow().is_none() {
            *slot.answer.borrow_mut() = Some(self.apply(&slot.cmd));
        }
        slot.released.set(true);
        if let Some(waker) = slot.waker.borrow_mut().take() {
            waker.wake();
        }
    }
}

struct Wait(Rc<Slot>);

impl Future for Wait {
    type Output = Answer;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Answer> {
        if self.0.released.get() {
            Poll::Ready(self.0.answer.borrow_mut().take().unwrap())
        } else {
            *self.0.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

#[derive(Clone)]
struct SchedStore(Rc<Sched>);

impl Store for SchedStore {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        match self.0.submit(Cmd::Get(key.to_owned())).await {
            Answer::Value(v) => Ok(v),
            _ => unreachable!(),
        }
    }
    async fn put(&self, key: &str, value: &str) -> Result<()> {
        self.0.submit(Cmd::Put(key.to_owned(), value.to_owned())).await;
        Ok(())
    }
    async fn delete(&self, key: &str) -> Result<()> {
        self.0.submit(Cmd::Delete(key.to_owned())).await;
        Ok(())
    }
    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage> {
        match self.0.submit(Cmd::List(prefix.to_owned(), cursor.map(str::to_owned))).await {
            Answer::Page(p) => Ok(p),
            _ => unreachable!(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pick {
    Random,
    Newest,
    Oldest,
}

enum Event {
    Verify {
        pw: usize,
        wrong: bool,
        granted: bool,
    },
    Revoke {
        pw: usize,
        revoked: bool,
    },
    List {
        user: usize,
        ids: Vec<String>,
    },
    /// create, verify, (revoke, verify): each result in order.
    Chain {
        user: usize,
        id: String,
        password: String,
        first: bool,
        revoked: Option<bool>,
        after: Option<bool>,
    },
}

struct Task<'a> {
    start: usize,
    fut: Pin<Box<dyn Future<Output = Result<Event>> + 'a>>,
}

struct Done {
    event: Event,
    started: usize,
    ended: usize,
}

/// Set when a task's store call is answered: the task can make progress.
struct Woken(std::sync::atomic::AtomicBool);

impl std::task::Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Polls every task that can make progress, answers one waiting store call (chosen by
/// `pick`), repeats. `step` counts answered calls: the logical clock of the run.
fn drive(sched: &Sched, tasks: Vec<Task<'_>>, pick: Pick, rng: &mut SplitMix64) -> Vec<Done> {
    use std::sync::atomic::Ordering::SeqCst;
    let n = tasks.len();
    let mut tasks: Vec<Option<Task<'_>>> = tasks.into_iter().map(Some).collect();
    let flags: Vec<Arc<Woken>> = (0..n).map(|_| Arc::new(Woken(std::sync::atomic::AtomicBool::new(true)))).collect();
    let wakers: Vec<Waker> = flags.iter().map(|f| Waker::from(Arc::clone(f))).collect();
    let mut started = vec![None; n];
    let mut done = Vec::with_capacity(n);
    let mut step = 0;
    while done.len() < n {
        for (i, slot) in tasks.iter_mut().enumerate() {
            let Some(task) = slot else { continue };
            if task.start > step || !flags[i].0.swap(false, SeqCst) {
                continue;
            }
            let start = *started[i].get_or_insert(step);
            let mut cx = Context::from_waker(&wakers[i]);
            if let Poll::Ready(event) = task.fut.as_mut().poll(&mut cx) {
                done.push(Done { event: event.unwrap(), started: start, ended: step });
                *slot = None;
            }
        }
        let waiting = sched.queue.borrow().len();
        if waiting > 0 {
            let index = match pick {
                Pick::Random => usize::try_from(rng.next_u64() % waiting as u64).unwrap(),
                Pick::Newest => waiting - 1,
                Pick::Oldest => 0,
            };
            sched.answer(index);
        }
        step += 1;
        assert!(step < 1_000_000, "the run does not end");
    }
    done
}

fn profile(memory_kib: u32) -> Config {
    // Parsing the catalogue costs ~1.5 ms in a debug build: once is enough.
    static BASE: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
    let mut config = BASE.get_or_init(light_config).clone();
    config.hashing = HashParams { memory_kib, iterations: 1, parallelism: 1 };
    config
}

struct Pre {
    user: usize,
    id: String,
    password: String,
}

/// Statistics of one schedule.
#[derive(Default, Debug)]
struct Stats {
    ops: usize,
    verifies_after_revoke: usize,
    upgrade_window_grants: usize,
    upgrade_window_lists: usize,
}

/// One run: passwords made beforehand, then creates, verifies (through two service
/// instances: "isolates"), revokes and lists all in flight at once on a hostile schedule.
/// With `upgrades`, the second instance has a newer hash profile, so its grants re-hash in
/// place (the writes that race revokes).
fn schedule(seed: u64, pick: Pick, apply_early: bool, upgrades: bool) -> Stats {
    const USERS: usize = 3;
    let mem = Arc::new(MemoryStore::new());
    let sched = Rc::new(Sched { mem: Arc::clone(&mem), queue: RefCell::new(Vec::new()), apply_early });
    let now = Arc::new(AtomicU64::new(T0));
    let mut rng = SplitMix64::new(seed);
    let users: Vec<String> = (0..USERS).map(|u| format!("user{u}")).collect();

    // Passwords that exist before the run, made on the plain store.
    let setup =
        AppPasswords::with_parts(common::Shared(Arc::clone(&mem)), profile(8), clock(&now), SplitMix64::new(seed ^ 1))
            .unwrap();
    let pre: Vec<Pre> = (0..9)
        .map(|i| {
            let user = i % USERS;
            let c = block_on(setup.create(NewAppPassword {
                user: &users[user],
                label: "pre",
                scopes: &["repository"],
                expires_at: None,
            }))
            .unwrap();
            Pre { user, id: c.id.clone(), password: c.password.expose().to_owned() }
        })
        .collect();

    let a = AppPasswords::with_parts(SchedStore(Rc::clone(&sched)), profile(8), clock(&now), SplitMix64::new(seed ^ 2))
        .unwrap();
    let b = AppPasswords::with_parts(
        SchedStore(Rc::clone(&sched)),
        profile(if upgrades { 16 } else { 8 }),
        clock(&now),
        SplitMix64::new(seed ^ 3),
    )
    .unwrap();
    let (a, b) = (&a, &b);

    let mut tasks: Vec<Task<'_>> = Vec::new();
    let horizon = 200;
    let at = |rng: &mut SplitMix64| usize::try_from(rng.next_u64() % horizon).unwrap();
    let mut revoked_pre = BTreeSet::new();
    for (i, p) in pre.iter().enumerate() {
        if rng.next_u64() % 2 == 0 {
            revoked_pre.insert(i);
            let user = &users[p.user];
            let id = p.id.clone();
            tasks.push(Task {
                start: at(&mut rng),
                fut: Box::pin(async move { Ok(Event::Revoke { pw: i, revoked: a.revoke(user, &id).await? }) }),
            });
        }
        for k in 0..4 {
            let via_newer = k % 2 == 1;
            let svc = if via_newer { b } else { a };
            let wrong = k == 3;
            let user = &users[p.user];
            let password = if wrong { with_other_secret(&p.password) } else { p.password.clone() };
            tasks.push(Task {
                start: at(&mut rng),
                fut: Box::pin(async move {
                    let granted = svc.verify(api(user, &password, &[])).await?.is_ok();
                    Ok(Event::Verify { pw: i, wrong, granted })
                }),
            });
        }
    }
    for c in 0..4 {
        let user = c % USERS;
        let name = &users[user];
        let revoke = c % 2 == 0;
        tasks.push(Task {
            start: at(&mut rng),
            fut: Box::pin(async move {
                let created = a
                    .create(NewAppPassword { user: name, label: "chain", scopes: &["email"], expires_at: None })
                    .await?;
                let pw = created.password.expose().to_owned();
                let first = b.verify(api(name, &pw, &[])).await?.is_ok();
                let (revoked, after) = if revoke {
                    let r = b.revoke(name, &created.id).await?;
                    (Some(r), Some(a.verify(api(name, &pw, &[])).await?.is_ok()))
                } else {
                    (None, None)
                };
                Ok(Event::Chain { user, id: created.id, password: pw, first, revoked, after })
            }),
        });
    }
    for (user, name) in users.iter().enumerate() {
        for _ in 0..2 {
            let svc = if rng.next_u64() % 2 == 0 { a } else { b };
            tasks.push(Task {
                start: at(&mut rng),
                fut: Box::pin(async move {
                    Ok(Event::List { user, ids: svc.list(name).await?.into_iter().map(|l| l.id).collect() })
                }),
            });
        }
    }

    let mut stats = Stats { ops: tasks.len(), ..Stats::default() };
    let done = drive(&sched, tasks, pick, &mut rng);
    let ctx = format!("seed {seed}, {pick:?}, apply_early {apply_early}, upgrades {upgrades}");

    // When each revoke of a pre-made password ended (it must have said true).
    let mut revoke_end = BTreeMap::new();
    let mut revoke_start = BTreeMap::new();
    for d in &done {
        if let Event::Revoke { pw, revoked } = d.event {
            assert!(revoked, "{ctx}: revoke of a live password said false");
            revoke_end.insert(pw, d.ended);
            revoke_start.insert(pw, d.started);
        }
    }
    // A verify of `pw` that may have a re-hash upgrade in flight across the window: it
    // started (read the record) before the revoke ended, and ended (its follow-up done)
    // after `later` started.
    let upgrading = |pw: usize, revoke_ended: usize, later: usize| {
        done.iter().any(|u| {
            matches!(u.event, Event::Verify { pw: p, wrong: false, .. } if p == pw)
                && u.started <= revoke_ended
                && u.ended >= later
        })
    };
    let mut alive_ids: Vec<BTreeSet<String>> = vec![BTreeSet::new(); USERS];
    for d in &done {
        match &d.event {
            Event::Verify { pw, wrong: true, granted, .. } => assert!(!granted, "{ctx}: wrong secret of #{pw} granted"),
            Event::Verify { pw, granted, .. } => {
                match revoke_end.get(pw) {
                    // Started after the revoke returned: must be refused.
                    Some(&end) if d.started > end => {
                        stats.verifies_after_revoke += 1;
                        if *granted {
                            // Known issue (FAULTS.md): a re-hash upgrade that read the record
                            // before the revoke writes it back after; until it sees the
                            // tombstone and deletes it again, the record verifies.
                            assert!(
                                upgrades && upgrading(*pw, end, d.started),
                                "{ctx}: #{pw} granted after its revoke returned"
                            );
                            stats.upgrade_window_grants += 1;
                        }
                    }
                    // No revoke started before this verify ended: nothing may be lost.
                    Some(_) | None if revoke_start.get(pw).is_none_or(|&s| s > d.ended) => {
                        assert!(granted, "{ctx}: #{pw} refused with no revoke in sight");
                    }
                    _ => {}
                }
            }
            Event::Revoke { .. } => {}
            Event::List { user, ids } => {
                for (i, p) in pre.iter().enumerate() {
                    let listed = ids.contains(&p.id);
                    if p.user != *user {
                        assert!(!listed, "{ctx}: another user's password listed");
                    } else if revoke_start.get(&i).is_none_or(|&s| s > d.ended) {
                        assert!(listed, "{ctx}: #{i} not listed, no revoke in sight");
                    } else if let Some(&end) = revoke_end.get(&i).filter(|&&e| e < d.started) {
                        if listed {
                            assert!(
                                upgrades && upgrading(i, end, d.started),
                                "{ctx}: #{i} listed after its revoke returned"
                            );
                            stats.upgrade_window_lists += 1;
                        }
                    }
                }
            }
            Event::Chain { user, id, first, revoked, after, .. } => {
                assert!(first, "{ctx}: a fresh password did not verify");
                if let Some(r) = revoked {
                    assert!(r, "{ctx}: revoke of a fresh password said false");
                    assert_eq!(*after, Some(false), "{ctx}: verifies after its revoke returned");
                } else {
                    alive_ids[*user].insert(id.clone());
                }
            }
        }
    }

    // Quiet now: everything settles to the truth, through both instances.
    for (i, p) in pre.iter().enumerate() {
        let user = &users[p.user];
        for svc in [a, b] {
            let granted = quiet(&sched, svc.verify(api(user, &p.password, &[]))).is_ok();
            assert_eq!(granted, !revoked_pre.contains(&i), "{ctx}: #{i} at rest");
        }
        if revoked_pre.contains(&i) {
            assert!(mem_has(&mem, &tombstone_key(&p.id)), "{ctx}: no tombstone");
            assert!(!mem_has(&mem, &record_key(&p.id)), "{ctx}: a revoked record came back");
        } else {
            alive_ids[p.user].insert(p.id.clone());
        }
    }
    for d in &done {
        if let Event::Chain { user, password, revoked, .. } = &d.event {
            let granted = quiet(&sched, a.verify(api(&users[*user], password, &[]))).is_ok();
            assert_eq!(granted, revoked.is_none(), "{ctx}: chain password at rest");
        }
    }
    for (u, name) in users.iter().enumerate() {
        let listed: BTreeSet<String> = quiet(&sched, a.list(name)).into_iter().map(|l| l.id).collect();
        assert_eq!(listed, alive_ids[u], "{ctx}: list of {name} at rest");
        // And list tidied any dangling index entry a lastUsedAt write left behind.
        let keys = block_on(mem.list(&user_prefix(name), None)).unwrap().keys;
        assert_eq!(keys.len(), alive_ids[u].len(), "{ctx}: index entries of {name}");
    }
    stats
}

/// Runs `fut` on the scheduled store at rest: every call answered at once, in order.
fn quiet<T>(sched: &Sched, fut: impl Future<Output = Result<T>>) -> T {
    let mut fut = std::pin::pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out.unwrap();
        }
        assert!(!sched.queue.borrow().is_empty(), "pending with nothing to answer");
        sched.answer(0);
    }
}

fn mem_has(mem: &MemoryStore, key: &str) -> bool {
    block_on(mem.get(key)).unwrap().is_some()
}

#[test]
fn out_of_order_answers_on_a_consistent_store_keep_every_guarantee() {
    let mut total = Stats::default();
    let mut runs = 0;
    for apply_early in [false, true] {
        for pick in [Pick::Newest, Pick::Oldest] {
            let s = schedule(1, pick, apply_early, false);
            total.ops += s.ops;
            total.verifies_after_revoke += s.verifies_after_revoke;
            runs += 1;
        }
        for seed in 0..40 {
            let s = schedule(1000 + seed, Pick::Random, apply_early, false);
            total.ops += s.ops;
            total.verifies_after_revoke += s.verifies_after_revoke;
            assert_eq!(s.upgrade_window_grants, 0);
            runs += 1;
        }
    }
    eprintln!(
        "{runs} schedules, {} operations, {} verifies started after their revoke returned: none granted",
        total.ops, total.verifies_after_revoke
    );
    assert!(total.verifies_after_revoke > 100, "the schedules must exercise verify-after-revoke");
}

#[test]
fn out_of_order_answers_with_rehash_upgrades_in_flight() {
    // Same, with the second instance re-hashing in place on every grant. An upgrade's record
    // write can land after a revoke (the record is briefly back until the upgrade sees the
    // tombstone and undoes itself), but verify reads the tombstone too: no verify that starts
    // after its revoke returned is ever granted, in the window or after it (FAULTS.md, fixed).
    let mut window = 0;
    let mut ops = 0;
    for apply_early in [false, true] {
        for seed in 0..30 {
            let s = schedule(5000 + seed, Pick::Random, apply_early, true);
            window += s.upgrade_window_grants;
            ops += s.ops;
        }
    }
    eprintln!("with upgrades: {ops} operations, {window} grants inside the upgrade window");
    assert_eq!(window, 0, "a verify after its revoke returned was granted while an upgrade was in flight");
}

/// A store that parks the next write to one key: the call is made, its effect lands only
/// when the test releases it (a slow write, or writes reordered on the wire).
#[derive(Clone)]
struct Gate {
    mem: Arc<MemoryStore>,
    hold: Rc<RefCell<Option<String>>>,
    parked: Rc<RefCell<Option<(String, String)>>>,
}

impl Gate {
    fn release(&self) {
        let (k, v) = self.parked.borrow_mut().take().expect("a parked write");
        block_on(self.mem.put(&k, &v)).unwrap();
    }
}

struct Parked(Rc<RefCell<Option<(String, String)>>>);

impl Future for Parked {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.0.borrow().is_some() { Poll::Pending } else { Poll::Ready(()) }
    }
}

impl Store for Gate {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        self.mem.get(key).await
    }
    async fn put(&self, key: &str, value: &str) -> Result<()> {
        if self.hold.borrow().as_deref() == Some(key) {
            *self.hold.borrow_mut() = None;
            *self.parked.borrow_mut() = Some((key.to_owned(), value.to_owned()));
            Parked(Rc::clone(&self.parked)).await;
            return Ok(());
        }
        self.mem.put(key, value).await
    }
    async fn delete(&self, key: &str) -> Result<()> {
        self.mem.delete(key).await
    }
    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage> {
        self.mem.list(prefix, cursor).await
    }
}

/// A re-hash upgrade racing a revoke on a strongly consistent store, step by step: the
/// upgrade's slow record write lands after the revoke deleted the record, so the record is
/// back until the upgrade reads the tombstone and deletes it again. A verify that starts in
/// that window, after `revoke()` returned true, must be refused: verify reads the tombstone
/// with the record (this was a real window before it did; FAULTS.md).
#[test]
fn rehash_upgrade_racing_a_revoke_leaves_no_window() {
    let mem = Arc::new(MemoryStore::new());
    let gate = Gate { mem: Arc::clone(&mem), hold: Rc::new(RefCell::new(None)), parked: Rc::new(RefCell::new(None)) };
    let now = Arc::new(AtomicU64::new(T0));
    let svc = AppPasswords::with_parts(gate.clone(), profile(8), clock(&now), SplitMix64::new(1)).unwrap();
    let newer = AppPasswords::with_parts(gate.clone(), profile(16), clock(&now), SplitMix64::new(2)).unwrap();
    let c =
        block_on(svc.create(NewAppPassword { user: USER, label: "l", scopes: &["email"], expires_at: None })).unwrap();
    let pw = c.password.expose();

    // 1. A verify on the instance with the newer profile: granted; its re-hash is pending.
    let (result, follow_up) = block_on(newer.verify_deferred(api(USER, pw, &[]))).unwrap();
    assert!(result.is_ok());
    // 2. The host runs the follow-up in the background; its record write is slow.
    *gate.hold.borrow_mut() = Some(record_key(&c.id));
    let mut cx = Context::from_waker(Waker::noop());
    let mut complete = Box::pin(newer.complete(follow_up.unwrap()));
    assert!(complete.as_mut().poll(&mut cx).is_pending());
    // 3. Meanwhile the owner revokes: tombstone, record deleted, index deleted. Returns true.
    assert!(block_on(svc.revoke(USER, &c.id)).unwrap());
    assert_eq!(verdict(&block_on(svc.verify(api(USER, pw, &[]))).unwrap()), "refused (unknown_id)");
    // 4. The slow write lands: the record is back (for now).
    gate.release();
    assert!(mem_has(&mem, &record_key(&c.id)));
    // 5. A verify that starts now, after revoke() returned true:
    let during = block_on(svc.verify(api(USER, pw, &[]))).unwrap();
    // 6. The upgrade continues, sees the tombstone, deletes the record.
    assert!(complete.as_mut().poll(&mut cx).is_ready());
    assert!(mem_has(&mem, &tombstone_key(&c.id)) && !mem_has(&mem, &record_key(&c.id)));
    assert_eq!(verdict(&block_on(svc.verify(api(USER, pw, &[]))).unwrap()), "refused (unknown_id)");
    assert_eq!(verdict(&during), "refused (unknown_id)", "a verify after revoke returned was granted");
}
