#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The store-call budget of docs/design.md#store-calls, measured through the public API over a store that
//! counts its calls (a bulk read of up to 100 keys counts as one, as Workers KV bills it), and
//! the consistency rules of issue #10: the per-user cap, no stale read making a live password
//! vanish, a revoke winning over a verify in flight (cache included), the `lastUsedAt` write
//! budget. Each budget test prints its figure (`cargo test --test budget -- --nocapture`).

mod common;

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use app_passwords::record::{index_key, record_key, tombstone_key};
use app_passwords::{
    AppPasswords, CacheConfig, Config, Error, HashParams, ListPage, MemoryStore, NewAppPassword, Result, Store,
    VerifyResult,
};
use common::{CountingStore, SplitMix64, T0, TestClock, api, block_on, clock, refused};

/// The cheapest Argon2id profile: these tests are about store calls.
const FAST: HashParams = HashParams { memory_kib: 8, iterations: 1, parallelism: 1 };

fn config(max_per_user: usize) -> Config {
    let mut config = Config::new().unwrap();
    config.hashing = FAST;
    config.max_per_user = max_per_user;
    config
}

// ------------------------------------------------------------------------ a counting store

type Svc<S> = AppPasswords<S, TestClock, SplitMix64>;

fn service<S: Store>(store: S, config: Config, now: &Arc<AtomicU64>, seed: u64) -> Svc<S> {
    AppPasswords::with_parts(store, config, clock(now), SplitMix64::new(seed)).unwrap()
}

fn new(user: &str) -> NewAppPassword<'_> {
    NewAppPassword { user, label: "tool", scopes: &["repository"], expires_at: None }
}

#[test]
fn the_store_call_budget_holds_at_1000_passwords_and_the_cap_refuses_the_rest() {
    let store = CountingStore::atomic();
    let now = Arc::new(AtomicU64::new(T0));
    let svc = service(store.clone(), config(1000), &now, 1);

    // 1,500 creates for one user with maxPerUser 1000: 1,000 made, 500 refused at the cap.
    let mut made = Vec::new();
    let mut refused_at_cap = 0;
    let mut create_max = 0;
    for _ in 0..1500 {
        store.reset();
        match block_on(svc.create(new("alice"))) {
            Ok(c) => made.push(c),
            Err(e) => {
                assert_eq!(e.code(), "too_many_passwords");
                refused_at_cap += 1;
            }
        }
        create_max = create_max.max(store.calls());
    }
    assert_eq!((made.len(), refused_at_cap), (1000, 500));
    println!(
        "budget: 1,500 creates for one user (maxPerUser 1000): {} created, {refused_at_cap} refused too_many_passwords",
        made.len()
    );
    println!("budget: create, most store calls over 1,500 creates: {create_max} (must be <= 6)");
    assert!(create_max <= 6);

    // List: every password, in few calls.
    store.reset();
    let listed = block_on(svc.list("alice")).unwrap();
    let list_calls = store.calls();
    println!("budget: list of {} passwords: {list_calls} store calls (must be <= 40)", listed.len());
    assert_eq!(listed.len(), 1000, "every password listed");
    assert!(list_calls <= 40);

    // Verify, including its lastUsedAt write (due on a first verify).
    store.reset();
    let (result, follow_up) = block_on(svc.verify_deferred(api("alice", made[0].password.expose(), &[]))).unwrap();
    assert!(result.is_ok());
    block_on(svc.complete(follow_up.expect("lastUsedAt is due"))).unwrap();
    let verify_calls = store.calls();
    println!("budget: verify incl. its lastUsedAt write: {verify_calls} store calls (must be <= 2)");
    assert!(verify_calls <= 2);
    // A refused verify (unknown id) reads once.
    store.reset();
    let unknown = common::with_other_secret(made[1].password.expose());
    assert!(!block_on(svc.verify(api("alice", &unknown, &[]))).unwrap().is_ok());
    assert_eq!(store.calls(), 1);

    // Revoke.
    store.reset();
    assert!(block_on(svc.revoke("alice", &made[0].id)).unwrap());
    let revoke_calls = store.calls();
    println!("budget: revoke: {revoke_calls} store calls (must be <= 6)");
    assert!(revoke_calls <= 6);
    // Now there is room for one more.
    store.reset();
    block_on(svc.create(new("alice"))).unwrap();
    println!("budget: create at 999 passwords: {} store calls (must be <= 6)", store.calls());
    assert!(store.calls() <= 6);
    assert_eq!(block_on(svc.list("alice")).unwrap().len(), 1000);
}

#[test]
fn the_default_cap_is_100_and_every_password_is_listed_even_past_it() {
    let store = Arc::new(MemoryStore::new());
    let now = Arc::new(AtomicU64::new(T0));
    let svc = service(Arc::clone(&store), config(100), &now, 2);
    assert_eq!(Config::new().unwrap().max_per_user, 100);
    for _ in 0..100 {
        block_on(svc.create(new("bob"))).unwrap();
    }
    assert_eq!(block_on(svc.create(new("bob"))).unwrap_err(), Error::TooManyPasswords);
    // Another user is not affected.
    block_on(svc.create(new("carol"))).unwrap();
    // Two instances racing past the cap (or a cap lowered later): list still shows all.
    let more = service(Arc::clone(&store), config(120), &now, 3);
    for _ in 0..20 {
        block_on(more.create(new("bob"))).unwrap();
    }
    assert_eq!(block_on(svc.list("bob")).unwrap().len(), 120, "never truncated");
    assert_eq!(block_on(svc.create(new("bob"))).unwrap_err().code(), "too_many_passwords");
}

#[test]
fn store_calls_per_operation_at_10_100_and_1000_passwords() {
    // The table `make bench` reports for the JS package, here for the Rust core.
    for n in [10usize, 100, 1000] {
        let store = CountingStore::atomic();
        let now = Arc::new(AtomicU64::new(T0));
        let svc = service(store.clone(), config(1000), &now, 4);
        let mut made = Vec::new();
        for _ in 0..n - 1 {
            made.push(block_on(svc.create(new("dave"))).unwrap());
        }
        store.reset();
        made.push(block_on(svc.create(new("dave"))).unwrap());
        let create = store.calls();
        store.reset();
        assert_eq!(block_on(svc.list("dave")).unwrap().len(), n);
        let list = store.calls();
        store.reset();
        assert!(block_on(svc.verify(api("dave", made[0].password.expose(), &[]))).unwrap().is_ok());
        let verify = store.calls();
        store.reset();
        assert!(block_on(svc.revoke("dave", &made[1].id)).unwrap());
        let revoke = store.calls();
        println!(
            "budget: {n:>4} passwords: create {create}, list {list}, verify {verify}, revoke {revoke} store calls"
        );
        assert!(create <= 6 && list <= 40 && verify <= 2 && revoke <= 6);
    }
}

// ------------------------------------------------------------- lastUsedAt write budget

#[test]
fn a_password_used_every_minute_for_a_day_costs_at_most_144_writes() {
    let store = CountingStore::atomic();
    let now = Arc::new(AtomicU64::new(T0));
    let mut config = config(100);
    config.touch_interval_ms = Config::new().unwrap().touch_interval_ms; // the default
    assert_eq!(config.touch_interval_ms, 600_000);
    let svc = service(store.clone(), config, &now, 5);
    let c = block_on(svc.create(new("erin"))).unwrap();
    store.reset();
    for minute in 0..24 * 60 {
        now.store(T0 + minute * 60_000, Ordering::SeqCst);
        assert!(block_on(svc.verify(api("erin", c.password.expose(), &[]))).unwrap().is_ok());
    }
    let writes = store.puts().len();
    println!("budget: one password used every minute for a day: {writes} lastUsedAt writes (must be <= 144)");
    assert!(writes <= 144);
    assert!(store.puts().iter().all(|k| k == &index_key("erin", &c.id)));
}

// ------------------------------------------------------------------- stale reads

/// A view of a shared store whose reads of some keys answer "missing", as Workers KV does for a
/// key whose absence it cached (a "stale miss"). Writes go through.
#[derive(Clone)]
struct Stale {
    inner: Arc<MemoryStore>,
    missing: Arc<Mutex<HashSet<String>>>,
}

impl Stale {
    fn over(inner: &Arc<MemoryStore>) -> Self {
        Self { inner: Arc::clone(inner), missing: Arc::default() }
    }
    fn hide(&self, key: String) {
        self.missing.lock().unwrap().insert(key);
    }
    fn hidden(&self, key: &str) -> bool {
        self.missing.lock().unwrap().contains(key)
    }
}

impl Store for Stale {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        if self.hidden(key) {
            return Ok(None);
        }
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: &str) -> Result<()> {
        self.inner.put(key, value).await
    }
    async fn delete(&self, key: &str) -> Result<()> {
        self.inner.delete(key).await
    }
    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage> {
        let mut page = self.inner.list(prefix, cursor).await?;
        page.keys.retain(|k| !self.hidden(k));
        Ok(page)
    }
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>> {
        let mut out = Vec::new();
        for key in keys {
            out.push(self.get(key).await?);
        }
        Ok(out)
    }
}

/// For every password: listed (by a fresh instance on the true store) exactly when it verifies.
fn listed_iff_verifies(store: &Arc<MemoryStore>, now: &Arc<AtomicU64>, passwords: &[&app_passwords::Created]) {
    let fresh = service(Arc::clone(store), config(100), now, 99);
    let listed: Vec<String> = block_on(fresh.list("alice")).unwrap().into_iter().map(|l| l.id).collect();
    for p in passwords {
        let verifies = block_on(fresh.verify(api("alice", p.password.expose(), &[]))).unwrap().is_ok();
        assert_eq!(listed.contains(&p.id), verifies, "{}: listed {} verifies {verifies}", p.id, listed.contains(&p.id));
    }
}

#[test]
fn a_stale_miss_never_makes_a_live_password_vanish() {
    let truth = Arc::new(MemoryStore::new());
    let now = Arc::new(AtomicU64::new(T0));
    let writer = service(Arc::clone(&truth), config(100), &now, 6);
    let a = block_on(writer.create(new("alice"))).unwrap();
    let b = block_on(writer.create(new("alice"))).unwrap();
    let c = block_on(writer.create(new("alice"))).unwrap();

    // Revoke through a location whose read of the record is a stale miss, its index entry
    // visible: the tombstone is written anyway, so the password is gone everywhere.
    let stale = Stale::over(&truth);
    stale.hide(record_key(&a.id));
    let there = service(stale.clone(), config(100), &now, 7);
    assert!(block_on(there.revoke("alice", &a.id)).unwrap());
    assert!(block_on(truth.get(&tombstone_key(&a.id))).unwrap().is_some());
    listed_iff_verifies(&truth, &now, &[&a, &b, &c]);

    // Record and index entry both read as missing: nothing of alice's is known there, nothing
    // is deleted (answer false); the password keeps verifying and stays listed.
    stale.hide(record_key(&b.id));
    stale.hide(index_key("alice", &b.id));
    assert!(!block_on(there.revoke("alice", &b.id)).unwrap());
    assert!(block_on(truth.get(&index_key("alice", &b.id))).unwrap().is_some(), "index entry kept");
    listed_iff_verifies(&truth, &now, &[&a, &b, &c]);

    // A list whose record read is stale: not listed there (verify there refuses it too: they
    // agree), and its index entry is not deleted, so it is listed again once the read is fresh.
    stale.hide(record_key(&c.id));
    let there_list: Vec<String> = block_on(there.list("alice")).unwrap().into_iter().map(|l| l.id).collect();
    assert!(!there_list.contains(&c.id));
    assert!(!block_on(there.verify(api("alice", c.password.expose(), &[]))).unwrap().is_ok());
    assert!(block_on(truth.get(&index_key("alice", &c.id))).unwrap().is_some(), "index entry kept");
    listed_iff_verifies(&truth, &now, &[&a, &b, &c]);

    // A stale tombstone read (the revoke is not visible yet) cannot resurrect anything either:
    // the revoked password stays refused where the tombstone is seen.
    stale.hide(tombstone_key(&a.id));
    let _ = block_on(there.list("alice")).unwrap();
    listed_iff_verifies(&truth, &now, &[&a, &b, &c]);
    // Nothing of a's reappears in the true store.
    let keys: Vec<String> = truth.snapshot().into_iter().map(|(k, _)| k).collect();
    assert!(!keys.contains(&record_key(&a.id)) && !keys.contains(&index_key("alice", &a.id)), "{keys:?}");
}

#[test]
fn revoke_on_another_users_id_never_writes_a_tombstone() {
    // A stale miss of bob's record must not let alice's revoke tombstone bob's password.
    let truth = Arc::new(MemoryStore::new());
    let now = Arc::new(AtomicU64::new(T0));
    let svc = service(Arc::clone(&truth), config(100), &now, 8);
    let bobs = block_on(svc.create(new("bob"))).unwrap();
    let stale = Stale::over(&truth);
    stale.hide(record_key(&bobs.id));
    let there = service(stale, config(100), &now, 9);
    assert!(!block_on(there.revoke("alice", &bobs.id)).unwrap());
    assert!(!block_on(svc.revoke("alice", &bobs.id)).unwrap());
    assert!(block_on(truth.get(&tombstone_key(&bobs.id))).unwrap().is_none());
    assert!(block_on(svc.verify(api("bob", bobs.password.expose(), &[]))).unwrap().is_ok());
}

// ------------------------------------------------------ a read that stalls (cache race)

/// A store whose next bulk read, once armed, takes its answer at once and then waits until
/// released: a verify that read the record before a revoke and finishes after it.
#[derive(Clone)]
struct Stalling {
    inner: Arc<MemoryStore>,
    armed: Arc<AtomicBool>,
    released: Arc<AtomicBool>,
}

struct Stalled {
    answer: Option<Result<Vec<Option<String>>>>,
    released: Arc<AtomicBool>,
}

impl Future for Stalled {
    type Output = Result<Vec<Option<String>>>;
    fn poll(mut self: std::pin::Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.released.load(Ordering::SeqCst) {
            Poll::Ready(self.answer.take().unwrap_or_else(|| Ok(Vec::new())))
        } else {
            Poll::Pending
        }
    }
}

impl Store for Stalling {
    forward_basics!(inner);
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>> {
        let answer = self.inner.get_many(keys).await;
        if self.armed.swap(false, Ordering::SeqCst) {
            return Stalled { answer: Some(answer), released: Arc::clone(&self.released) }.await;
        }
        answer
    }
}

fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

fn cached_config() -> Config {
    let mut config = config(100);
    config.cache = Some(CacheConfig { ttl_ms: 3_600_000, max_entries: 100 });
    config
}

#[test]
fn a_revoke_wins_over_a_verify_in_flight_and_the_cache_never_answers_for_it() {
    for revoke_elsewhere_first in [false, true] {
        let inner = Arc::new(MemoryStore::new());
        let store = Stalling { inner: Arc::clone(&inner), armed: Arc::default(), released: Arc::default() };
        let now = Arc::new(AtomicU64::new(T0));
        let svc = service(store.clone(), cached_config(), &now, 10);
        let c = block_on(svc.create(new("alice"))).unwrap();
        let req = api("alice", c.password.expose(), &[]);

        // A verify reads the record (still there), then stalls.
        store.armed.store(true, Ordering::SeqCst);
        let mut in_flight = std::pin::pin!(svc.verify(req));
        assert!(poll_once(in_flight.as_mut()).is_pending());

        if revoke_elsewhere_first {
            // Another instance revokes first: the record is already gone when this one does.
            let other = service(Arc::clone(&inner), config(100), &now, 11);
            assert!(block_on(other.revoke("alice", &c.id)).unwrap());
        }
        // The revoke through this instance completes while the verify is in flight.
        let answered = block_on(svc.revoke("alice", &c.id)).unwrap();
        assert_eq!(answered, !revoke_elsewhere_first);

        // The verify completes after it: refused, not cached.
        store.released.store(true, Ordering::SeqCst);
        let done = match poll_once(in_flight.as_mut()) {
            Poll::Ready(result) => result.unwrap(),
            Poll::Pending => panic!("the verify should have finished"),
        };
        assert_eq!(refused(done).reason.as_str(), "unknown_id", "revoke elsewhere first: {revoke_elsewhere_first}");
        // Every later verify of this instance: refused, never from the cache.
        assert!(svc.verify_now(&req).unwrap().is_none());
        let again = block_on(svc.verify(req)).unwrap();
        assert!(matches!(&again, VerifyResult::Refused(_)), "{again:?}");
    }
}

#[test]
fn a_revoke_evicts_a_cached_credential_even_when_the_record_was_already_gone() {
    let inner = Arc::new(MemoryStore::new());
    let now = Arc::new(AtomicU64::new(T0));
    let svc = service(Arc::clone(&inner), cached_config(), &now, 12);
    let c = block_on(svc.create(new("alice"))).unwrap();
    let req = api("alice", c.password.expose(), &[]);
    assert!(block_on(svc.verify(req)).unwrap().is_ok());
    assert!(svc.verify_now(&req).unwrap().is_some(), "cached");
    // Revoked elsewhere; this instance still has it cached.
    let other = service(Arc::clone(&inner), config(100), &now, 13);
    assert!(block_on(other.revoke("alice", &c.id)).unwrap());
    // Revoking through this instance finds nothing left (false) and still ends the cache entry.
    assert!(!block_on(svc.revoke("alice", &c.id)).unwrap());
    assert!(svc.verify_now(&req).unwrap().is_none());
    assert!(!block_on(svc.verify(req)).unwrap().is_ok());
}

#[test]
fn a_revoke_that_fails_leaves_the_password_usable_here_as_everywhere() {
    // The revoked set is undone when the revoke fails before its tombstone: verify and list
    // keep agreeing on this instance.
    let store = common::FaultyStore::over(Arc::new(MemoryStore::new()));
    let now = Arc::new(AtomicU64::new(T0));
    let svc = service(store.clone(), cached_config(), &now, 14);
    let c = block_on(svc.create(new("alice"))).unwrap();
    store.fail_put.store(true, Ordering::SeqCst);
    assert_eq!(block_on(svc.revoke("alice", &c.id)).unwrap_err().code(), "store_unavailable");
    store.fail_put.store(false, Ordering::SeqCst);
    assert!(block_on(svc.verify(api("alice", c.password.expose(), &[]))).unwrap().is_ok());
    assert_eq!(block_on(svc.list("alice")).unwrap().len(), 1);
}

// ---------------------------------------------------------------- revokeAll, the trait

#[test]
fn revoke_all_revokes_every_password_of_one_user_only() {
    let store = CountingStore::atomic();
    let now = Arc::new(AtomicU64::new(T0));
    let svc = service(store.clone(), config(1000), &now, 15);
    let mine: Vec<_> = (0..120).map(|_| block_on(svc.create(new("alice"))).unwrap()).collect();
    let theirs = block_on(svc.create(new("bob"))).unwrap();
    // A dangling entry (its record write was lost) is cleared too, behind a tombstone.
    let dangling = "AAAAAAAAAAAA";
    block_on(store.put(&index_key("alice", dangling), "{\"v\":1,\"lastUsedAt\":null}")).unwrap();
    store.reset();
    assert_eq!(block_on(svc.revoke_all("alice")).unwrap(), 121);
    println!("budget: revokeAll of 121 passwords: {} store calls", store.calls());
    assert!(block_on(svc.list("alice")).unwrap().is_empty());
    for c in &mine {
        assert!(!block_on(svc.verify(api("alice", c.password.expose(), &[]))).unwrap().is_ok());
    }
    assert!(block_on(store.get(&tombstone_key(dangling))).unwrap().is_some());
    assert!(block_on(svc.verify(api("bob", theirs.password.expose(), &[]))).unwrap().is_ok());
    assert_eq!(block_on(svc.revoke_all("alice")).unwrap(), 0, "nothing left");
    assert_eq!(block_on(svc.revoke_all("a:b")).unwrap_err().code(), "invalid_user");
}

/// A store with only the four required methods: the trait's defaults apply.
struct Plain(MemoryStore);

impl Store for Plain {
    forward_basics!(0);
}

#[test]
fn get_many_and_increment_default_and_in_memory() {
    let plain = Plain(MemoryStore::new());
    block_on(plain.put("a", "1")).unwrap();
    assert_eq!(block_on(plain.get_many(&["a", "b"])).unwrap(), [Some("1".to_owned()), None]);
    assert_eq!(block_on(plain.increment("n", 1)).unwrap_err(), Error::StoreLacksAtomic);
    assert_eq!(Error::StoreLacksAtomic.code(), "store_lacks_atomic");

    let mem = MemoryStore::new();
    assert_eq!(block_on(mem.increment("n", 5)).unwrap(), 5);
    assert_eq!(block_on(mem.increment("n", -2)).unwrap(), 3);
    assert_eq!(block_on(mem.get("n")).unwrap().as_deref(), Some("3"));
    block_on(mem.put("x", "not a number")).unwrap();
    assert_eq!(block_on(mem.increment("x", 1)).unwrap_err().code(), "store_corrupt");
    assert_eq!(
        block_on(mem.get_many(&["n", "zz", "x"])).unwrap(),
        [Some("3".into()), None, Some("not a number".into())]
    );
    // Concurrent increments from threads lose nothing.
    let shared = Arc::new(MemoryStore::new());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let s = Arc::clone(&shared);
            std::thread::spawn(move || {
                for _ in 0..250 {
                    block_on(s.increment("hits", 1)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(block_on(shared.get("hits")).unwrap().as_deref(), Some("1000"));
    // The service works over a store without get_many (one get after another).
    let now = Arc::new(AtomicU64::new(T0));
    let svc = service(Plain(MemoryStore::new()), config(100), &now, 16);
    let c = block_on(svc.create(new("alice"))).unwrap();
    assert!(block_on(svc.verify(api("alice", c.password.expose(), &[]))).unwrap().is_ok());
    assert_eq!(block_on(svc.list("alice")).unwrap().len(), 1);
}

#[test]
fn the_rehash_upgrade_runs_after_the_answer_and_once_per_instance() {
    let store = CountingStore::atomic();
    let now = Arc::new(AtomicU64::new(T0));
    let old = service(store.clone(), config(100), &now, 17);
    let c = block_on(old.create(new("alice"))).unwrap();
    let mut newer = config(100);
    newer.hashing.memory_kib = 16;
    let svc = service(store.clone(), newer, &now, 18);
    let req = api("alice", c.password.expose(), &[]);
    // The answer comes with the upgrade still to do: nothing written yet.
    store.reset();
    let (result, follow_up) = block_on(svc.verify_deferred(req)).unwrap();
    assert!(result.is_ok());
    assert!(store.puts().is_empty(), "nothing written before the answer");
    // A second verify before the first upgrade landed does not schedule another one.
    now.store(T0 + 700_000, Ordering::SeqCst); // lastUsedAt due again
    let (_, second) = block_on(svc.verify_deferred(req)).unwrap();
    block_on(svc.complete(second.unwrap())).unwrap();
    assert_eq!(store.puts(), [index_key("alice", &c.id)], "only lastUsedAt");
    store.reset();
    block_on(svc.complete(follow_up.unwrap())).unwrap();
    assert!(store.puts().contains(&record_key(&c.id)), "the upgrade");
    let stored = block_on(store.get(&record_key(&c.id))).unwrap().unwrap();
    assert!(stored.contains("m=16,"), "{stored}");
    assert!(block_on(svc.verify(req)).unwrap().is_ok());
}

#[test]
fn caveats_cost_no_store_call_and_max_uses_one_increment() {
    use app_passwords::{CaveatSpec, RequestContext, VerifyRequest};
    let store = CountingStore::atomic();
    let now = Arc::new(AtomicU64::new(T0));
    let svc = service(store.clone(), config(100), &now, 5);
    let context = RequestContext { client_ip: Some("10.0.0.1"), method: Some("GET"), path: Some("/api/x") };
    let measure = |spec: &CaveatSpec<'_>| {
        store.reset();
        let created = block_on(svc.create_with_caveats(new("carol"), spec)).unwrap();
        let create = store.calls();
        let request =
            VerifyRequest::password("carol", created.password.expose(), &["repository"]).with_context(context);
        store.reset();
        assert!(block_on(svc.verify(request)).unwrap().is_ok());
        let first = store.calls(); // with the lastUsedAt write
        store.reset();
        assert!(block_on(svc.verify(request)).unwrap().is_ok());
        (create, first, store.calls())
    };
    let narrowed = CaveatSpec {
        allow_ips: Some(&["10.0.0.0/8"]),
        methods: Some(&["GET"]),
        paths: Some(&["/api/"]),
        ..CaveatSpec::default()
    };
    assert_eq!(measure(&CaveatSpec::default()), (4, 2, 1), "no caveats: the budget as before");
    assert_eq!(measure(&narrowed), (4, 2, 1), "caveats without maxUses: no store call more");
    let counted = CaveatSpec { max_uses: Some(5), ..narrowed };
    assert_eq!(measure(&counted), (5, 3, 2), "maxUses: one increment at create, one per granted verify");
}
