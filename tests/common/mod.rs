//! Helpers shared by the integration tests: a seeded random source, a controllable clock,
//! stores that share or break, an independent CRC-32, and the JSON vector loader.
#![allow(dead_code)] // each test crate uses a different subset
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use app_passwords::{
    AppPasswords, Catalog, Config, Error, HashParams, ListPage, MemoryStore, Millis, RandomSource, Refusal, Result,
    Store, VerifyRequest, VerifyResult,
};

pub use pollster::block_on;

/// The base62 alphabet in digit-value order (docs/design.md#the-password), written out again here.
pub const ALPHABET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A light Argon2id profile for tests that are not about hashing cost.
pub const LIGHT: HashParams = HashParams { memory_kib: 64, iterations: 1, parallelism: 1 };

// ------------------------------------------------------------------------ random sources

/// SplitMix64 (Steele, Lea, Flood 2014; java.util.SplittableRandom): a tiny deterministic
/// generator. `fill` writes successive outputs little-endian and drops the unused tail of the
/// last one. `tests/vectors/generate.py` has the same generator in Python.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl RandomSource for SplitMix64 {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }
}

/// Always the same byte: every password it generates is the same.
#[derive(Debug, Clone, Copy)]
pub struct ConstRandom(pub u8);

impl RandomSource for ConstRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        buf.fill(self.0);
        Ok(())
    }
}

/// Replays a fixed byte sequence, cycling.
#[derive(Debug, Clone)]
pub struct Replay {
    pub bytes: Vec<u8>,
    pub pos: usize,
}

impl RandomSource for Replay {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        for b in buf.iter_mut() {
            *b = self.bytes[self.pos % self.bytes.len()];
            self.pos += 1;
        }
        Ok(())
    }
}

/// A random source that works `ok_calls` times and then fails.
#[derive(Debug, Clone)]
pub struct FailingRandom {
    pub ok_calls: usize,
    pub inner: SplitMix64,
}

impl RandomSource for FailingRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        if self.ok_calls == 0 {
            return Err(Error::RandomUnavailable);
        }
        self.ok_calls -= 1;
        self.inner.fill(buf)
    }
}

// ------------------------------------------------------------------------ checksum

/// CRC-32/IEEE (reflected, polynomial 0xEDB88320), bit by bit: independent of crc32fast.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// The six check digits docs/design.md#checksum describes, computed here from scratch.
pub fn check_digits(head: &str) -> String {
    let mut value = crc32(head.as_bytes());
    let alphabet = ALPHABET.as_bytes();
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = alphabet[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(out.to_vec()).unwrap()
}

/// Value of base62 digits (most significant first).
pub fn base62_value(digits: &str) -> u64 {
    digits.bytes().fold(0u64, |acc, b| acc * 62 + ALPHABET.bytes().position(|a| a == b).unwrap() as u64)
}

/// `password` with one secret character changed and the checksum recomputed: same id,
/// well formed, wrong secret.
pub fn with_other_secret(password: &str) -> String {
    let head_len = password.len() - 6;
    let mut head: Vec<u8> = password.as_bytes()[..head_len].to_vec();
    let i = head_len - 5; // inside the secret for any prefix
    head[i] = if head[i] == b'A' { b'B' } else { b'A' };
    let head = String::from_utf8(head).unwrap();
    let check = check_digits(&head);
    format!("{head}{check}")
}

// ------------------------------------------------------------------------ clock

pub type TestClock = Box<dyn Fn() -> Millis + Send + Sync>;

/// A clock reading `now`, which the test moves.
pub fn clock(now: &Arc<AtomicU64>) -> TestClock {
    let now = Arc::clone(now);
    Box::new(move || now.load(Ordering::SeqCst))
}

// ------------------------------------------------------------------------ stores

/// The four methods a wrapper store of a test leaves as they are (`get`, `put`, `delete`,
/// `list`), forwarded to its field `$field` (`inner`, `0`): the test writes only those it changes.
#[macro_export]
macro_rules! forward_basics {
    ($field:tt) => {
        async fn get(&self, key: &str) -> app_passwords::Result<Option<String>> {
            self.$field.get(key).await
        }
        async fn put(&self, key: &str, value: &str) -> app_passwords::Result<()> {
            self.$field.put(key, value).await
        }
        async fn delete(&self, key: &str) -> app_passwords::Result<()> {
            self.$field.delete(key).await
        }
        async fn list(&self, prefix: &str, cursor: Option<&str>) -> app_passwords::Result<app_passwords::ListPage> {
            self.$field.list(prefix, cursor).await
        }
    };
}

/// A handle on a shared [`MemoryStore`], so several services (and the test) see one store.
#[derive(Debug, Clone)]
pub struct Shared(pub Arc<MemoryStore>);

impl Store for Shared {
    forward_basics!(0);
}

/// Switches for [`FaultyStore`].
#[derive(Debug, Default)]
pub struct Faults {
    pub inner: Arc<MemoryStore>,
    pub fail_get: AtomicBool,
    pub fail_put: AtomicBool,
    pub fail_delete: AtomicBool,
    pub fail_list: AtomicBool,
    /// Fails the n-th put from now on counting from 1 (0: never).
    pub fail_put_number: AtomicUsize,
    pub puts: AtomicUsize,
}

/// A store over a shared [`MemoryStore`] whose operations can be made to fail.
#[derive(Debug, Clone)]
pub struct FaultyStore(pub Arc<Faults>);

impl FaultyStore {
    pub fn over(inner: Arc<MemoryStore>) -> Self {
        Self(Arc::new(Faults { inner, ..Faults::default() }))
    }
}

impl core::ops::Deref for FaultyStore {
    type Target = Faults;
    fn deref(&self) -> &Faults {
        &self.0
    }
}

fn down(op: &str) -> Error {
    Error::StoreUnavailable(format!("{op} failed (test)"))
}

impl Store for FaultyStore {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        if self.fail_get.load(Ordering::SeqCst) {
            return Err(down("get"));
        }
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: &str) -> Result<()> {
        let n = self.puts.fetch_add(1, Ordering::SeqCst) + 1;
        if self.fail_put.load(Ordering::SeqCst) || self.fail_put_number.load(Ordering::SeqCst) == n {
            return Err(down("put"));
        }
        self.inner.put(key, value).await
    }
    async fn delete(&self, key: &str) -> Result<()> {
        if self.fail_delete.load(Ordering::SeqCst) {
            return Err(down("delete"));
        }
        self.inner.delete(key).await
    }
    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage> {
        if self.fail_list.load(Ordering::SeqCst) {
            return Err(down("list"));
        }
        self.inner.list(prefix, cursor).await
    }
}

// ------------------------------------------------------------------------ services

pub type Service = AppPasswords<Shared, TestClock, SplitMix64>;

/// A service over a shared store, with the light profile, a movable clock and a seeded rng.
pub struct Harness {
    pub svc: Service,
    pub store: Arc<MemoryStore>,
    pub now: Arc<AtomicU64>,
}

pub const T0: Millis = 1_700_000_000_000;

pub fn light_config() -> Config {
    let mut config = Config::new().unwrap();
    config.hashing = LIGHT;
    config
}

/// [`light_config`] with the verified-credential cache on (60 s, 100 entries).
pub fn cached_config() -> Config {
    let mut config = light_config();
    config.cache = Some(app_passwords::cache::CacheConfig { ttl_ms: 60_000, max_entries: 100 });
    config
}

impl Harness {
    pub fn new() -> Self {
        Self::with(Arc::new(MemoryStore::new()), light_config(), 1)
    }

    pub fn with(store: Arc<MemoryStore>, config: Config, seed: u64) -> Self {
        let now = Arc::new(AtomicU64::new(T0));
        let svc =
            AppPasswords::with_parts(Shared(Arc::clone(&store)), config, clock(&now), SplitMix64::new(seed)).unwrap();
        Self { svc, store, now }
    }

    /// Another service over the same store and clock, with another config.
    pub fn sibling(&self, config: Config, seed: u64) -> Service {
        AppPasswords::with_parts(Shared(Arc::clone(&self.store)), config, clock(&self.now), SplitMix64::new(seed))
            .unwrap()
    }

    pub fn set_now(&self, t: Millis) {
        self.now.store(t, Ordering::SeqCst);
    }

    /// The raw value at `key`.
    pub fn raw(&self, key: &str) -> Option<String> {
        block_on(self.store.get(key)).unwrap()
    }

    pub fn put_raw(&self, key: &str, value: &str) {
        block_on(self.store.put(key, value)).unwrap();
    }
}

pub fn api<'a>(username: &'a str, password: &'a str, require: &'a [&'a str]) -> VerifyRequest<'a> {
    VerifyRequest::password(username, password, require)
}

pub fn login<'a>(username: &'a str, password: &'a str) -> VerifyRequest<'a> {
    VerifyRequest::password(username, password, &[]).for_login()
}

/// The refusal in `result`; fails the test on a grant.
#[track_caller]
pub fn refused(result: VerifyResult) -> Refusal {
    match result {
        VerifyResult::Refused(r) => r,
        VerifyResult::Granted(g) => panic!("expected a refusal, got a grant for {}", g.id),
    }
}

/// A catalogue from an inline JSON list of scopes.
pub fn catalog(scopes_json: &str) -> Catalog {
    Catalog::from_json(&format!("{{\"scopes\": {scopes_json}}}")).unwrap()
}

// ------------------------------------------------------------------------ vectors

pub fn vector_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("vectors").join(name)
}

pub fn load_vectors(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(vector_path(name)).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(value["source"].as_str().is_some_and(|s| !s.is_empty()), "{name} must say where its values come from");
    value
}

pub fn hex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0, "odd hex length");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

pub fn s(value: &serde_json::Value) -> &str {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}"))
}

pub fn strs(value: &serde_json::Value) -> Vec<&str> {
    value.as_array().unwrap().iter().map(s).collect()
}

pub fn params(value: &serde_json::Value) -> HashParams {
    HashParams {
        memory_kib: u32::try_from(value["memoryKiB"].as_u64().unwrap()).unwrap(),
        iterations: u32::try_from(value["iterations"].as_u64().unwrap()).unwrap(),
        parallelism: u32::try_from(value["parallelism"].as_u64().unwrap()).unwrap(),
    }
}

/// A shared [`MemoryStore`] that counts every call (a `get_many` of up to
/// [`app_passwords::store::MAX_GET_MANY`] keys is one, and more is a test failure) and records
/// every write as `"put KEY"` or `"delete KEY"`. Clones share the counts. `atomic`: whether it
/// offers `increment` (the default does not, as Workers KV).
#[derive(Clone, Default)]
pub struct CountingStore {
    pub inner: Arc<MemoryStore>,
    pub calls: Arc<AtomicUsize>,
    pub writes: Arc<Mutex<Vec<String>>>,
    pub atomic: bool,
}

impl CountingStore {
    /// A counting store with an atomic `increment`.
    pub fn atomic() -> Self {
        Self { atomic: true, ..Self::default() }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Every write since the last reset, in order: `"put KEY"` or `"delete KEY"`.
    pub fn writes(&self) -> Vec<String> {
        self.writes.lock().unwrap().clone()
    }

    /// The keys put since the last reset, in order.
    pub fn puts(&self) -> Vec<String> {
        self.writes().iter().filter_map(|w| w.strip_prefix("put ").map(str::to_owned)).collect()
    }

    pub fn reset(&self) {
        self.calls.store(0, Ordering::SeqCst);
        self.writes.lock().unwrap().clear();
    }

    fn count(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

impl Store for CountingStore {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        self.count();
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: &str) -> Result<()> {
        self.count();
        self.writes.lock().unwrap().push(format!("put {key}"));
        self.inner.put(key, value).await
    }
    async fn delete(&self, key: &str) -> Result<()> {
        self.count();
        self.writes.lock().unwrap().push(format!("delete {key}"));
        self.inner.delete(key).await
    }
    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage> {
        self.count();
        self.inner.list(prefix, cursor).await
    }
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>> {
        assert!(keys.len() <= app_passwords::store::MAX_GET_MANY, "a bulk read of {} keys", keys.len());
        self.count();
        self.inner.get_many(keys).await
    }
    async fn increment(&self, key: &str, delta: i64) -> Result<i64> {
        if !self.atomic {
            return Err(Error::StoreLacksAtomic);
        }
        self.count();
        self.inner.increment(key, delta).await
    }
}
