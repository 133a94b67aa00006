//! [`AppPasswords`]: create, list, revoke and verify, over any [`Store`].
//!
//! Verification follows one fixed order (docs/design.md#order-of-checks): Basic header → password format → store get
//! by id → Argon2 verify (against a dummy hash when the id is unknown, so timing does not
//! tell) → owner → expiry → purpose → grantable → scopes → `lastUsedAt` (throttled, after the
//! answer). A wrong password is a [`VerifyResult::Refused`], never an error; a failing store is
//! an [`Error`], never a success.

use std::collections::HashMap;
use std::sync::Mutex;

use futures_util::future::join_all;
use subtle::ConstantTimeEq;

use crate::basic_auth::{BasicAuthError, parse_basic};
use crate::cache::{CacheConfig, Credential, VerifiedCache};
use crate::error::{Error, Result};
use crate::hash::{HashParams, Hasher, PhcHash};
use crate::password::{self, Malformed, OsRandom, Password, Prefix, RandomSource};
use crate::record::{
    self, IndexEntry, RECORD_VERSION, Record, Tombstone, index_key, record_key, tombstone_key, user_prefix,
};
use crate::scope::{Catalog, ScopeSet};
use crate::store::{MAX_GET_MANY, Store};

/// Epoch milliseconds.
pub type Millis = u64;

/// A source of the current time.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> Millis;
}

/// The system clock (not available in `wasm32-unknown-unknown`, where the bindings supply
/// `Date.now()`).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now_ms(&self) -> Millis {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

impl<F: Fn() -> Millis> Clock for F {
    fn now_ms(&self) -> Millis {
        self()
    }
}

/// Settings of an [`AppPasswords`] service.
#[derive(Clone)]
pub struct Config {
    /// Password prefix (default `apw`).
    pub prefix: Prefix,
    /// Scope catalogue (default: Bitbucket's).
    pub catalog: Catalog,
    /// Argon2id profile for new records (default [`HashParams::APP_PASSWORD`]).
    pub hashing: HashParams,
    /// Optional pepper: Argon2's secret input, kept by the host outside the store.
    pub pepper: Option<Vec<u8>>,
    /// `lastUsedAt` is written at most once per this interval per password and process
    /// (default 10 minutes: a password used every minute costs at most 144 writes a day).
    pub touch_interval_ms: Millis,
    /// Opt-in cache of verified credentials (see [`crate::cache`] for its staleness bound).
    pub cache: Option<CacheConfig>,
    /// Most passwords one user may hold (default [`DEFAULT_MAX_PER_USER`], at most
    /// [`MAX_PER_USER_LIMIT`]): `create` past it fails with [`Error::TooManyPasswords`].
    pub max_per_user: usize,
}

impl core::fmt::Debug for Config {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Config")
            .field("prefix", &self.prefix)
            .field("hashing", &self.hashing)
            .field("pepper", &self.pepper.as_ref().map(|_| "<redacted>"))
            .field("touch_interval_ms", &self.touch_interval_ms)
            .field("cache", &self.cache)
            .field("max_per_user", &self.max_per_user)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// The defaults: prefix `apw`, Bitbucket's catalogue, the light app-password profile,
    /// no pepper, `lastUsedAt` at most once every 10 minutes, no cache, 100 passwords a user.
    ///
    /// # Errors
    /// Only if the embedded catalogue were unreadable.
    pub fn new() -> Result<Self> {
        Ok(Self {
            prefix: Prefix::default(),
            catalog: Catalog::bitbucket()?,
            hashing: HashParams::APP_PASSWORD,
            pepper: None,
            touch_interval_ms: DEFAULT_TOUCH_INTERVAL_MS,
            cache: None,
            max_per_user: DEFAULT_MAX_PER_USER,
        })
    }
}

/// What `create` is asked for.
#[derive(Debug, Clone, Copy)]
pub struct NewAppPassword<'a> {
    /// The owner.
    pub user: &'a str,
    /// A name for the tool that will use it.
    pub label: &'a str,
    /// Scopes chosen (closed under implication before storing).
    pub scopes: &'a [&'a str],
    /// Optional expiry, epoch milliseconds, in the future.
    pub expires_at: Option<Millis>,
}

/// A new password, returned once by `create`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// Its id.
    pub id: String,
    /// The password: show it once. Zeroized on drop, redacted in `Debug`.
    pub password: Password,
    /// Label.
    pub label: String,
    /// Granted scopes (closed), catalogue order.
    pub scopes: Vec<String>,
    /// Creation time.
    pub created_at: Millis,
    /// Expiry.
    pub expires_at: Option<Millis>,
}

/// A password as `list` shows it: never the password or its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its id.
    pub id: String,
    /// Label.
    pub label: String,
    /// Granted scopes (closed), catalogue order.
    pub scopes: Vec<String>,
    /// Creation time.
    pub created_at: Millis,
    /// Expiry.
    pub expires_at: Option<Millis>,
    /// Last successful verify (throttled), if any.
    pub last_used_at: Option<Millis>,
}

/// What the credentials are being used for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Purpose {
    /// An API call: the use app passwords exist for.
    #[default]
    Api,
    /// Signing in to the website: always refused for app passwords (docs/design.md#order-of-checks).
    Login,
}

/// What `verify` is asked. Its `Debug` never shows the password.
#[derive(Clone, Copy)]
pub struct VerifyRequest<'a> {
    /// The username the client sent.
    pub username: &'a str,
    /// The password the client sent.
    pub password: &'a str,
    /// Scopes the operation needs.
    pub require: &'a [&'a str],
    /// API call or login.
    pub purpose: Purpose,
}

impl core::fmt::Debug for VerifyRequest<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VerifyRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("require", &self.require)
            .field("purpose", &self.purpose)
            .finish()
    }
}

/// The public refusal codes (what a client may be told).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalCode {
    /// 401: malformed, unknown, wrong secret, wrong user, expired or revoked.
    InvalidCredentials,
    /// 403: app passwords cannot sign in to the website.
    LoginNotAllowed,
    /// 403: the password lacks scopes the request needs (`missing` lists them).
    InsufficientScope,
    /// 403: the request needs a scope no app password can ever hold.
    NotAllowedForAppPasswords,
}

impl RefusalCode {
    /// The stable code string.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidCredentials => "invalid_credentials",
            Self::LoginNotAllowed => "login_not_allowed",
            Self::InsufficientScope => "insufficient_scope",
            Self::NotAllowedForAppPasswords => "not_allowed_for_app_passwords",
        }
    }

    /// The HTTP status to answer with.
    #[must_use]
    pub const fn status(self) -> u16 {
        match self {
            Self::InvalidCredentials => 401,
            _ => 403,
        }
    }
}

/// Why exactly a verify refused: for the host's logs only, never for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The Basic header was missing or unreadable.
    Header(BasicAuthError),
    /// The password is not well formed.
    Malformed(Malformed),
    /// No record with that id: never created, or revoked.
    UnknownId,
    /// The id exists but the secret does not match.
    WrongSecret,
    /// The password is right but belongs to another user.
    WrongUser,
    /// The password has expired.
    Expired,
    /// `purpose: login`.
    Login,
    /// A required scope is not grantable.
    NotGrantable,
    /// Required scopes are missing.
    MissingScopes,
}

impl Reason {
    /// The stable reason string.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Header(e) => e.reason(),
            Self::Malformed(m) => m.reason(),
            Self::UnknownId => "unknown_id",
            Self::WrongSecret => "wrong_secret",
            Self::WrongUser => "wrong_user",
            Self::Expired => "expired",
            Self::Login => "login_refused",
            Self::NotGrantable => "scope_not_grantable",
            Self::MissingScopes => "missing_scopes",
        }
    }
}

/// A refusal: public code and status, private reason, missing scopes when relevant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What the client may be told.
    pub code: RefusalCode,
    /// What the host's log may be told.
    pub reason: Reason,
    /// For `insufficient_scope` and `not_allowed_for_app_passwords`: the scopes lacking.
    pub missing: Vec<String>,
}

impl Refusal {
    fn new(code: RefusalCode, reason: Reason) -> Self {
        Self { code, reason, missing: Vec::new() }
    }

    fn invalid(reason: Reason) -> Self {
        Self::new(RefusalCode::InvalidCredentials, reason)
    }

    /// The HTTP status (401 or 403).
    #[must_use]
    pub const fn status(&self) -> u16 {
        self.code.status()
    }
}

/// A granted verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    /// The owner.
    pub user: String,
    /// The password's id.
    pub id: String,
    /// Its label.
    pub label: String,
    /// Its scopes (closed), catalogue order.
    pub scopes: Vec<String>,
    /// Whether the answer came from the verified-credential cache (no store read, no hash).
    pub cached: bool,
}

/// The outcome of a verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyResult {
    /// The credentials are good for this request.
    Granted(Granted),
    /// They are not.
    Refused(Refusal),
}

impl VerifyResult {
    /// Whether access is granted.
    #[must_use]
    pub const fn is_ok(&self) -> bool {
        matches!(self, Self::Granted(_))
    }
}

/// Store writes a successful verify leaves to do after the answer: `lastUsedAt`, and a
/// re-hash when the record's Argon2 parameters are not the current profile (the hash itself
/// is computed then too, after the answer). Holds the password for that re-hash: zeroized on
/// drop, never in `Debug`.
pub struct FollowUp {
    touch: Option<(String, Millis)>,
    upgrade: Option<Upgrade>,
}

/// A re-hash to do: the record as read, and the password that verified against it.
struct Upgrade {
    record: Record,
    password: zeroize::Zeroizing<String>,
}

impl core::fmt::Debug for FollowUp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FollowUp")
            .field("touch", &self.touch)
            .field("upgrade", &self.upgrade.as_ref().map(|u| u.record.id.as_str()))
            .finish()
    }
}

/// Ids (with their owner) revoked through this instance: a verify of this instance that
/// completes after the revoke refuses them, even if it read the record before the tombstone
/// was written, and the cache never answers for them (checked at insert and at hit).
/// (The same map type as the touch map, keyed by `id \n user`: one less generic instance in
/// the wasm. A username has no control character, an id is base62: the key is unambiguous.)
#[derive(Default)]
struct RevokedSet {
    tokens: HashMap<String, u64>,
    next_token: u64,
}

fn revoked_key(id: &str, user: &str) -> String {
    let mut key = String::with_capacity(id.len() + 1 + user.len());
    key.push_str(id);
    key.push('\n');
    key.push_str(user);
    key
}

impl RevokedSet {
    fn contains(&self, id: &str, user: &str) -> bool {
        !self.tokens.is_empty() && self.tokens.contains_key(&revoked_key(id, user))
    }

    /// Marks `key`; the token lets the mark's guard remove exactly this mark again.
    fn insert(&mut self, key: String) -> u64 {
        self.next_token = self.next_token.wrapping_add(1);
        if self.tokens.len() >= MAX_REVOKED {
            // Full: drop the oldest mark (rare; a mark matters only while verifies that started
            // before its revoke are in flight).
            let oldest = self.tokens.iter().min_by_key(|(_, t)| **t).map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.tokens.remove(&oldest);
            }
        }
        self.tokens.insert(key, self.next_token);
        self.next_token
    }

    fn remove(&mut self, key: &str, token: u64) {
        if self.tokens.get(key) == Some(&token) {
            self.tokens.remove(key);
        }
    }
}

/// The app-password service over a host store.
pub struct AppPasswords<S, C = DefaultClock, R = OsRandom> {
    store: S,
    config: Config,
    hasher: Hasher,
    /// A stored-record stand-in for unknown ids (see `with_parts`).
    dummy_record: String,
    clock: C,
    rng: Mutex<R>,
    touched: Mutex<HashMap<String, Millis>>,
    cache: Option<VerifiedCache>,
    revoked: Mutex<RevokedSet>,
    /// Ids whose re-hash upgrade this instance has already scheduled (at most once each),
    /// with when.
    upgraded: Mutex<HashMap<String, Millis>>,
}

/// The default clock of the platform.
#[cfg(not(target_arch = "wasm32"))]
pub type DefaultClock = SystemClock;
/// In wasm the bindings always supply a clock.
#[cfg(target_arch = "wasm32")]
pub type DefaultClock = fn() -> Millis;

impl<S, C, R> core::fmt::Debug for AppPasswords<S, C, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AppPasswords").field("config", &self.config).finish_non_exhaustive()
    }
}

/// An entry of the revoked set that is removed again on drop unless kept.
struct RevokeMark<'a, S, C, R> {
    service: &'a AppPasswords<S, C, R>,
    key: String,
    token: Option<u64>,
}

impl<S, C, R> RevokeMark<'_, S, C, R> {
    fn keep(mut self) {
        self.token = None;
    }
}

impl<S, C, R> Drop for RevokeMark<'_, S, C, R> {
    fn drop(&mut self) {
        if let Some(token) = self.token {
            self.service.revoked.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&self.key, token);
        }
    }
}

/// The id of the stand-in record verified for unknown ids (never a real id: `is_id` holds,
/// but generation would have to draw twelve zeros).
const DUMMY_ID: &str = "000000000000";

/// Most entries of the last-touch map before it is cleared (bounds memory).
const MAX_TOUCHED: usize = 10_000;
/// Most entries of the revoked set; the oldest is dropped first. A revoke needs its entry only
/// while verifies that started before it are still in flight.
const MAX_REVOKED: usize = 10_000;
/// Most ids remembered as upgraded before the set is cleared (bounds memory).
const MAX_UPGRADED: usize = 10_000;
/// Default of [`Config::touch_interval_ms`]: 10 minutes.
pub const DEFAULT_TOUCH_INTERVAL_MS: Millis = 600_000;
/// Default of [`Config::max_per_user`].
pub const DEFAULT_MAX_PER_USER: usize = 100;
/// Largest [`Config::max_per_user`] accepted.
pub const MAX_PER_USER_LIMIT: usize = 1000;
/// Most index entries `list` reads for one user before it reports the store as corrupt
/// rather than truncate (ten times the largest cap: concurrent creates and entries a failed
/// write left can pass the cap, but not by this much).
const MAX_LIST_KEYS: usize = 10 * MAX_PER_USER_LIMIT;
/// Most pages `list` reads (bounds a store that keeps handing out new cursors).
const MAX_LIST_PAGES: usize = 10_000;
/// How many passwords `revoke_all` reads in one go (2 keys each: one bulk read).
const REVOKE_ALL_BATCH: usize = 50;

#[cfg(not(target_arch = "wasm32"))]
impl<S: Store> AppPasswords<S> {
    /// A service with the system clock and the OS random source.
    ///
    /// # Errors
    /// [`Error::InvalidHashParams`] for a bad profile or pepper; [`Error::RandomUnavailable`].
    pub fn new(store: S, config: Config) -> Result<Self> {
        Self::with_parts(store, config, SystemClock, OsRandom)
    }
}

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// A service with an injected clock and random source (tests, wasm).
    ///
    /// # Errors
    /// [`Error::InvalidHashParams`] for a bad profile or pepper; [`Error::RandomUnavailable`].
    pub fn with_parts(store: S, config: Config, clock: C, mut rng: R) -> Result<Self> {
        config.hashing.validate()?;
        if !(1..=MAX_PER_USER_LIMIT).contains(&config.max_per_user) {
            return Err(Error::InvalidArgument("maxPerUser must be from 1 to 1000"));
        }
        let hasher = Hasher::new(config.pepper.as_deref())?;
        // An unknown id goes through the same work as a known one with a wrong secret: this
        // record is decoded, its hash parsed, its scopes decoded and Argon2 run against it.
        // Its hash has the current profile and a random output no password can produce
        // (probability 2^-256).
        let mut salt = [0u8; 16];
        let mut output = [0u8; 32];
        rng.fill(&mut salt)?;
        rng.fill(&mut output)?;
        let mut one = ScopeSet::EMPTY;
        one.insert(0);
        let dummy_record = Record {
            v: RECORD_VERSION,
            id: DUMMY_ID.to_owned(),
            user: "-".to_owned(),
            label: "-".to_owned(),
            scopes: config.catalog.encode(&one),
            hash: PhcHash::argon2id(config.hashing, &salt, &output).to_phc(),
            created_at: 0,
            expires_at: None,
        }
        .to_json()?;
        let cache = match config.cache {
            Some(cache_config) => {
                let mut key = [0u8; 32];
                rng.fill(&mut key)?;
                Some(VerifiedCache::new(cache_config, key))
            }
            None => None,
        };
        Ok(Self {
            store,
            config,
            hasher,
            dummy_record,
            clock,
            rng: Mutex::new(rng),
            touched: Mutex::new(HashMap::new()),
            cache,
            revoked: Mutex::new(RevokedSet::default()),
            upgraded: Mutex::new(HashMap::new()),
        })
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The scope catalogue.
    #[must_use]
    pub fn catalog(&self) -> &Catalog {
        &self.config.catalog
    }

    fn with_rng<T>(&self, f: impl FnOnce(&mut R) -> Result<T>) -> Result<T> {
        let mut rng = self.rng.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut rng)
    }

    fn now(&self) -> Millis {
        self.clock.now_ms()
    }

    /// Creates a password for `user` and returns it, the only time it is ever available.
    ///
    /// # Errors
    /// [`Error::InvalidUser`], [`Error::InvalidLabel`], [`Error::NoScopes`],
    /// [`Error::UnknownScope`], [`Error::ScopeNotGrantable`], [`Error::InvalidExpiry`] for bad
    /// arguments; store errors. When the second write fails the first is undone (best effort)
    /// and an error is returned: the password was never shown, so no one holds it.
    pub async fn create(&self, new: NewAppPassword<'_>) -> Result<Created> {
        record::validate_user(new.user)?;
        record::validate_label(new.label)?;
        let catalog = &self.config.catalog;
        let chosen = catalog.parse_names(new.scopes.iter().copied())?;
        if chosen.is_empty() {
            return Err(Error::NoScopes);
        }
        if let Some(pos) = chosen.difference(&catalog.grantable()).positions().next() {
            let name = catalog.scopes().get(pos).map(|s| s.name.clone()).unwrap_or_default();
            return Err(Error::ScopeNotGrantable(name));
        }
        let now = self.now();
        if new.expires_at.is_some_and(|t| t <= now) {
            return Err(Error::InvalidExpiry);
        }
        let granted = catalog.close(&chosen);
        if self.count_entries(new.user, self.config.max_per_user).await? >= self.config.max_per_user {
            return Err(Error::TooManyPasswords);
        }

        let password = self.unused_password().await?;
        let id = password.id().to_owned();
        let salt = self.with_rng(|rng| Hasher::salt(rng))?;
        let hash = self.hasher.hash_with_salt(password.expose().as_bytes(), &self.config.hashing, &salt)?;
        let record = Record {
            v: RECORD_VERSION,
            id: id.clone(),
            user: new.user.to_owned(),
            label: new.label.to_owned(),
            scopes: catalog.encode(&granted),
            hash,
            created_at: now,
            expires_at: new.expires_at,
        };
        // Record first: if the index write then fails, an unlisted record nobody has the
        // password to is harmless, and we remove it (and the entry, in case the failed write
        // was applied after all).
        let record_key = record_key(&id);
        self.store.put(&record_key, &record.to_json()?).await?;
        let entry = IndexEntry { v: RECORD_VERSION, last_used_at: None };
        let index_key = index_key(new.user, &id);
        if let Err(err) = self.store.put(&index_key, &entry.to_json()).await {
            let _ = self.store.delete(&index_key).await;
            let _ = self.store.delete(&record_key).await;
            return Err(err);
        }
        Ok(Created {
            id,
            password,
            label: record.label,
            scopes: catalog.names(&granted),
            created_at: now,
            expires_at: new.expires_at,
        })
    }

    /// A fresh password whose id has no record and no tombstone (both read in one call).
    async fn unused_password(&self) -> Result<Password> {
        for _ in 0..4 {
            let password = self.with_rng(|rng| password::generate(&self.config.prefix, rng))?;
            let id = password.id();
            let values = self.get_exact(&[&record_key(id), &tombstone_key(id)]).await?;
            if values.iter().all(Option::is_none) {
                return Ok(password);
            }
        }
        Err(Error::IdCollision)
    }

    /// One `get_many` call; an answer of the wrong length is the store's corruption.
    async fn get_exact(&self, keys: &[&str]) -> Result<Vec<Option<String>>> {
        let values = self.store.get_many(keys).await?;
        if values.len() != keys.len() {
            return Err(Error::StoreCorrupt("get_many answered a different number of values".into()));
        }
        Ok(values)
    }

    /// The values of `keys`, [`MAX_GET_MANY`] a call, the calls made concurrently.
    async fn read_many(&self, keys: &[String]) -> Result<Vec<Option<String>>> {
        let calls = keys.chunks(MAX_GET_MANY).map(|chunk| async move {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            self.get_exact(&refs).await
        });
        let mut values = Vec::with_capacity(keys.len());
        for chunk in join_all(calls).await {
            values.extend(chunk?);
        }
        Ok(values)
    }

    /// The ids of `user`'s index entries, each once, reading pages until the store says the
    /// listing ended, or until `stop_at` ids were seen. Never a silent truncation: a store
    /// that hands out more entries than any cap allows is reported as corrupt.
    async fn index_ids(&self, user: &str, stop_at: usize) -> Result<Vec<String>> {
        let prefix = user_prefix(user);
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_LIST_PAGES {
            let page = self.store.list(&prefix, cursor.as_deref()).await?;
            for key in page.keys {
                let id = key.strip_prefix(&prefix).unwrap_or_default();
                if is_id(id) {
                    ids.push(id.to_owned());
                }
            }
            // Some stores (Redis SCAN) may return a key twice: each id counts once.
            ids.sort_unstable();
            ids.dedup();
            if ids.len() > MAX_LIST_KEYS {
                return Err(Error::StoreCorrupt("more index entries than any cap allows".into()));
            }
            if ids.len() >= stop_at {
                return Ok(ids);
            }
            match page.cursor {
                // A store that repeats its cursor has nothing more to give.
                Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
                _ => return Ok(ids),
            }
        }
        Err(Error::StoreCorrupt("list did not end".into()))
    }

    /// How many index entries `user` has, counting up to `stop_at`.
    async fn count_entries(&self, user: &str, stop_at: usize) -> Result<usize> {
        Ok(self.index_ids(user, stop_at).await?.len())
    }

    /// Every password of `user`, oldest first: never the password or its hash, never
    /// truncated. A password is listed exactly when it could verify: its record exists, is
    /// `user`'s, and has no tombstone. One `list` call per page of keys and one bulk read per
    /// 100 keys (record, tombstone and index entry of each id): 31 calls for 1,000
    /// passwords on Workers KV. An index entry whose record is missing is not listed and not
    /// deleted (on an eventually consistent store the miss may be stale); one with a
    /// tombstone is tidied away.
    ///
    /// # Errors
    /// [`Error::InvalidUser`]; store errors; [`Error::StoreCorrupt`] for unreadable records.
    pub async fn list(&self, user: &str) -> Result<Vec<Listed>> {
        record::validate_user(user)?;
        let ids = self.index_ids(user, usize::MAX).await?;
        let keys: Vec<String> =
            ids.iter().flat_map(|id| [record_key(id), tombstone_key(id), index_key(user, id)]).collect();
        let values = self.read_many(&keys).await?;
        let mut out = Vec::with_capacity(ids.len());
        let mut values = values.into_iter();
        for id in &ids {
            let (record, tombstone, entry) =
                (values.next().flatten(), values.next().flatten(), values.next().flatten());
            if revoked(tombstone)? {
                // Revoked (the revoke stopped before its deletes, or a lastUsedAt write raced
                // it): not a password any more. Tidy up, best effort.
                let _ = self.store.delete(&index_key(user, id)).await;
                if record.is_some() {
                    let _ = self.store.delete(&record_key(id)).await;
                }
                continue;
            }
            let Some(record) = record else { continue };
            let record = Record::from_json(&record, id)?;
            if record.user != user {
                return Err(Error::StoreCorrupt("index entry points at another user's record".into()));
            }
            let last_used_at = match entry {
                Some(json) => IndexEntry::from_json(&json)?.last_used_at,
                None => None,
            };
            let scopes = self.config.catalog.decode(&record.scopes).map_err(corrupt)?;
            out.push(Listed {
                id: record.id,
                label: record.label,
                scopes: self.config.catalog.names(&scopes),
                created_at: record.created_at,
                expires_at: record.expires_at,
                last_used_at,
            });
        }
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Revokes `user`'s password `id`. Returns `false` when that user has no such password.
    /// After it returns `true`, the password never verifies again on a strongly consistent
    /// store; on Workers KV other locations see it within KV's propagation delay (~60 s).
    /// On this instance it is refused at once (cache included), even by a verify already in
    /// flight, and also when the record was already gone.
    ///
    /// One bulk read (record, tombstone, index entry), then the tombstone, the record delete
    /// and the index delete: 4 store calls. A record that reads as missing while `user`'s
    /// index entry exists may be a stale read: the tombstone is written anyway, so the
    /// password cannot stay usable while unlisted.
    ///
    /// # Errors
    /// Store errors (then the revoke may be partial: call it again).
    pub async fn revoke(&self, user: &str, id: &str) -> Result<bool> {
        if record::validate_user(user).is_err() || !is_id(id) {
            return Ok(false);
        }
        let mark = self.mark_revoked(id, user);
        let keys = [record_key(id), tombstone_key(id), index_key(user, id)];
        let values = self.get_exact(&[&keys[0], &keys[1], &keys[2]]).await?;
        let mut values = values.into_iter();
        let (record, tombstone, entry) = (values.next().flatten(), values.next().flatten(), values.next().flatten());
        let revoked = self.revoke_read(user, id, record, tombstone, entry.is_some()).await?;
        mark.keep();
        Ok(revoked)
    }

    /// Revokes every password `user` has (account deletion). Returns how many were revoked
    /// (as many `revoke` calls would have answered `true`). Costs one page listing, one bulk
    /// read per 50 passwords, and three writes per password: on Workers KV (1,000 operations a
    /// request) about 330 passwords a request; call it again to finish, it resumes where
    /// it stopped.
    ///
    /// # Errors
    /// [`Error::InvalidUser`]; store errors (then some may be revoked: call it again).
    pub async fn revoke_all(&self, user: &str) -> Result<usize> {
        record::validate_user(user)?;
        let ids = self.index_ids(user, usize::MAX).await?;
        let mut count = 0;
        for batch in ids.chunks(REVOKE_ALL_BATCH) {
            let marks: Vec<RevokeMark<'_, S, C, R>> = batch.iter().map(|id| self.mark_revoked(id, user)).collect();
            let keys: Vec<String> = batch.iter().flat_map(|id| [record_key(id), tombstone_key(id)]).collect();
            let values = self.read_many(&keys).await?;
            let mut values = values.into_iter();
            // One password after the other: revokeAll is rare (account deletion), and running
            // the batch concurrently cost the wasm 5 KB.
            for (id, mark) in batch.iter().zip(marks) {
                let (record, tombstone) = (values.next().flatten(), values.next().flatten());
                // The index entry was just listed: it exists. A failure drops the marks not yet
                // kept (those passwords stay usable).
                let revoked = self.revoke_read(user, id, record, tombstone, true).await?;
                mark.keep();
                count += usize::from(revoked);
            }
        }
        Ok(count)
    }

    /// The decision and writes of a revoke, once record, tombstone and index entry are read.
    async fn revoke_read(
        &self,
        user: &str,
        id: &str,
        record: Option<String>,
        tombstone: Option<String>,
        has_entry: bool,
    ) -> Result<bool> {
        let record_key = record_key(id);
        let index_key = index_key(user, id);
        if revoked(tombstone)? {
            // Revoked already. What a revoke that stopped halfway left of this user's password
            // is removed, and then this call is the one that finished it (true).
            let mine = match &record {
                Some(json) => Record::from_json(json, id)?.user == user,
                None => has_entry,
            };
            if !mine {
                return Ok(false);
            }
            if record.is_some() {
                self.store.delete(&record_key).await?;
            }
            if has_entry {
                self.store.delete(&index_key).await?;
            }
            self.forget_touch(id);
            return Ok(true);
        }
        match record {
            Some(json) => {
                let record = Record::from_json(&json, id)?;
                if record.user != user {
                    return Ok(false);
                }
            }
            // Neither a record nor an entry of this user: nothing of theirs to revoke. (A
            // tombstone here could revoke another user's password whose record read stale.)
            None if !has_entry => return Ok(false),
            // The entry says the id is this user's; the record may be a stale miss. Revoke.
            None => {}
        }
        let tombstone = Tombstone { v: RECORD_VERSION, revoked_at: self.now() };
        self.store.put(&tombstone_key(id), &tombstone.to_json()).await?;
        self.store.delete(&record_key).await?;
        self.store.delete(&index_key).await?;
        self.forget_touch(id);
        Ok(true)
    }

    /// Adds `(id, user)` to the revoked set and drops cached credentials of that password.
    /// The mark is undone when the returned guard is dropped without [`RevokeMark::keep`]:
    /// a revoke that failed or was cancelled leaves the password usable in the store, so this
    /// instance must not refuse it either (verify and list keep agreeing).
    fn mark_revoked(&self, id: &str, user: &str) -> RevokeMark<'_, S, C, R> {
        let key = revoked_key(id, user);
        let token = self.revoked.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key.clone());
        if let Some(cache) = &self.cache {
            cache.evict_id(id);
        }
        RevokeMark { service: self, key, token: Some(token) }
    }

    /// Whether `(id, user)` was revoked through this instance.
    fn is_revoked_here(&self, id: &str, user: &str) -> bool {
        self.revoked.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains(id, user)
    }

    /// Verifies credentials and performs the follow-up writes before returning.
    ///
    /// # Errors
    /// [`Error::UnknownScope`] for a `require` name not in the catalogue; store errors.
    /// Follow-up write failures are ignored: they never change the answer.
    pub async fn verify(&self, request: VerifyRequest<'_>) -> Result<VerifyResult> {
        let (result, follow_up) = self.verify_deferred(request).await?;
        if let Some(follow_up) = follow_up {
            let _ = self.complete(follow_up).await;
        }
        Ok(result)
    }

    /// Verifies an `Authorization` header value (HTTP Basic) for an API call.
    ///
    /// # Errors
    /// As [`AppPasswords::verify`].
    pub async fn verify_header(&self, header: Option<&str>, require: &[&str]) -> Result<VerifyResult> {
        let (result, follow_up) = self.verify_header_deferred(header, require).await?;
        if let Some(follow_up) = follow_up {
            let _ = self.complete(follow_up).await;
        }
        Ok(result)
    }

    /// What can be refused from the text alone, without a store read or a hash: a malformed
    /// password (wrong prefix, length, alphabet, checksum). `None` means "go on and verify".
    /// Lets a binding answer garbage synchronously; [`AppPasswords::verify`] does the same
    /// check itself, so calling this is never required.
    ///
    /// # Errors
    /// [`Error::UnknownScope`] for a `require` name not in the catalogue.
    pub fn precheck(&self, password: &str, require: &[&str]) -> Result<Option<Refusal>> {
        self.config.catalog.parse_names(require.iter().copied())?;
        Ok(password::parse(password, &self.config.prefix)
            .err()
            .map(|malformed| Refusal::invalid(Reason::Malformed(malformed))))
    }

    /// The answer that needs neither a store read nor a write: the refusal of a malformed
    /// password (as [`AppPasswords::precheck`]), or the verified-credential cache's answer for a
    /// fresh credential whose `lastUsedAt` is not due. `None` otherwise: then call
    /// [`AppPasswords::verify`], which reads the cache again and does the rest.
    /// Synchronous, so a binding can answer repeated calls without entering its async path.
    ///
    /// # Errors
    /// [`Error::UnknownScope`] for a `require` name not in the catalogue.
    pub fn verify_cached(&self, request: &VerifyRequest<'_>) -> Result<Option<VerifyResult>> {
        let required = self.config.catalog.parse_names(request.require.iter().copied())?;
        if let Err(malformed) = password::parse(request.password, &self.config.prefix) {
            return Ok(Some(VerifyResult::Refused(Refusal::invalid(Reason::Malformed(malformed)))));
        }
        let Some(cache) = &self.cache else { return Ok(None) };
        let now = self.now();
        let Some(tag) = cache.tag(request.username, request.password) else { return Ok(None) };
        let Some(credential) = cache.get(&tag, now) else { return Ok(None) };
        if credential.expires_at.is_some_and(|t| t <= now)
            || self.touch_due(&credential.id, now)
            || self.is_revoked_here(&credential.id, &credential.user)
        {
            return Ok(None);
        }
        Ok(Some(self.authorize(credential, request, &required, now, true).0))
    }

    /// [`AppPasswords::precheck`] for an `Authorization` header: also refuses a missing or
    /// unreadable Basic header.
    ///
    /// # Errors
    /// As [`AppPasswords::precheck`].
    pub fn precheck_header(&self, header: Option<&str>, require: &[&str]) -> Result<Option<Refusal>> {
        match parse_basic(header) {
            Ok(credentials) => self.precheck(&credentials.password, require),
            Err(e) => {
                self.config.catalog.parse_names(require.iter().copied())?;
                Ok(Some(Refusal::invalid(Reason::Header(e))))
            }
        }
    }

    /// As [`AppPasswords::verify_header`], leaving the follow-up writes to the caller.
    ///
    /// # Errors
    /// As [`AppPasswords::verify`].
    pub async fn verify_header_deferred(
        &self,
        header: Option<&str>,
        require: &[&str],
    ) -> Result<(VerifyResult, Option<FollowUp>)> {
        // Check the required scopes first: a host bug is an error whatever the client sent.
        self.config.catalog.parse_names(require.iter().copied())?;
        match parse_basic(header) {
            Ok(credentials) => {
                self.verify_deferred(VerifyRequest {
                    username: &credentials.username,
                    password: &credentials.password,
                    require,
                    purpose: Purpose::Api,
                })
                .await
            }
            Err(e) => Ok((VerifyResult::Refused(Refusal::invalid(Reason::Header(e))), None)),
        }
    }

    /// Verifies credentials; returns the answer at once and the store writes it leaves
    /// (`lastUsedAt`, re-hash) for [`AppPasswords::complete`], so they never delay it.
    ///
    /// # Errors
    /// As [`AppPasswords::verify`].
    pub async fn verify_deferred(&self, request: VerifyRequest<'_>) -> Result<(VerifyResult, Option<FollowUp>)> {
        let catalog = &self.config.catalog;
        let required = catalog.parse_names(request.require.iter().copied())?;
        let refuse = |refusal: Refusal| Ok((VerifyResult::Refused(refusal), None));

        let parsed = match password::parse(request.password, &self.config.prefix) {
            Ok(parsed) => parsed,
            Err(malformed) => return refuse(Refusal::invalid(Reason::Malformed(malformed))),
        };
        let now = self.now();
        let tag = self.cache.as_ref().and_then(|c| c.tag(request.username, request.password));
        if let (Some(cache), Some(tag)) = (&self.cache, &tag) {
            if let Some(credential) = cache.get(tag, now) {
                // The tag covers the username, so the owner matched when it was cached.
                if self.is_revoked_here(&credential.id, &credential.user) {
                    cache.evict_id(&credential.id);
                    return refuse(Refusal::invalid(Reason::UnknownId));
                }
                if credential.expires_at.is_some_and(|t| t <= now) {
                    return refuse(Refusal::invalid(Reason::Expired));
                }
                return Ok(self.authorize(credential, &request, &required, now, true));
            }
        }

        // The tombstone is read with the record, in one call: a revoked id is refused even if
        // a store write brought its record back (a re-hash upgrade racing the revoke, a
        // dropped delete).
        let values = self.get_exact(&[&record_key(parsed.id()), &tombstone_key(parsed.id())]).await?;
        let mut values = values.into_iter();
        let (stored, tombstone) = (values.next().flatten(), values.next().flatten());
        let stored = if revoked(tombstone)? { None } else { stored };
        let known = stored.is_some();
        let (json, id) = match &stored {
            Some(json) => (json.as_str(), parsed.id()),
            None => (self.dummy_record.as_str(), DUMMY_ID),
        };
        let record = Record::from_json(json, id)?;
        let phc = PhcHash::parse(&record.hash).map_err(corrupt)?;
        let granted = catalog.decode(&record.scopes).map_err(corrupt)?;
        if granted.is_empty() {
            // create never stores an empty set (docs/design.md#scopes-are-fixed-at-creation): this record was not written by us.
            return Err(Error::StoreCorrupt("record has no scopes".into()));
        }

        let secret_ok = self.hasher.verify(parsed.text().as_bytes(), &phc);
        if !known {
            return refuse(Refusal::invalid(Reason::UnknownId));
        }
        if !secret_ok {
            return refuse(Refusal::invalid(Reason::WrongSecret));
        }
        if !bool::from(record.user.as_bytes().ct_eq(request.username.as_bytes())) {
            return refuse(Refusal::invalid(Reason::WrongUser));
        }
        if record.expires_at.is_some_and(|t| t <= now) {
            return refuse(Refusal::invalid(Reason::Expired));
        }
        // A revoke through this instance that completed while this verify was reading or
        // hashing wins: refused, and never cached.
        if self.is_revoked_here(&record.id, &record.user) {
            return refuse(Refusal::invalid(Reason::UnknownId));
        }
        let credential = Credential {
            id: record.id.clone(),
            user: record.user.clone(),
            label: record.label.clone(),
            scopes: granted,
            expires_at: record.expires_at,
        };
        if let (Some(cache), Some(tag)) = (&self.cache, tag) {
            cache.insert(tag, credential.clone(), now);
            // Checked again after the insert: a revoke marks, then evicts; whichever order the
            // two ran in on another thread, the entry does not survive it.
            if self.is_revoked_here(&record.id, &record.user) {
                cache.evict_id(&record.id);
            }
        }
        let (result, mut follow_up) = self.authorize(credential, &request, &required, now, false);
        if result.is_ok() && !phc.is_current(&self.config.hashing) && self.first_upgrade(&record.id) {
            // Re-hash under the current profile after the answer (upgrade in place), at most
            // once per password per instance.
            let upgrade = Some(Upgrade { record, password: zeroize::Zeroizing::new(parsed.text().to_owned()) });
            follow_up = Some(match follow_up {
                Some(f) => FollowUp { upgrade, ..f },
                None => FollowUp { touch: None, upgrade },
            });
        }
        Ok((result, follow_up))
    }

    /// The checks that follow authentication, run on every request (cached or not): purpose,
    /// grantable, scopes; then the `lastUsedAt` follow-up.
    fn authorize(
        &self,
        credential: Credential,
        request: &VerifyRequest<'_>,
        required: &ScopeSet,
        now: Millis,
        cached: bool,
    ) -> (VerifyResult, Option<FollowUp>) {
        let catalog = &self.config.catalog;
        let refuse = |refusal: Refusal| (VerifyResult::Refused(refusal), None);
        if request.purpose == Purpose::Login {
            return refuse(Refusal::new(RefusalCode::LoginNotAllowed, Reason::Login));
        }
        let not_grantable = required.difference(&catalog.grantable());
        if !not_grantable.is_empty() {
            return refuse(Refusal {
                code: RefusalCode::NotAllowedForAppPasswords,
                reason: Reason::NotGrantable,
                missing: catalog.names(&not_grantable),
            });
        }
        // The stored set was closed at creation; it is not re-closed, so catalogue edits never
        // widen an existing password.
        let missing = required.difference(&credential.scopes);
        if !missing.is_empty() {
            return refuse(Refusal {
                code: RefusalCode::InsufficientScope,
                reason: Reason::MissingScopes,
                missing: catalog.names(&missing),
            });
        }
        let touch = self.should_touch(&credential.id, now).then(|| (index_key(&credential.user, &credential.id), now));
        let follow_up = touch.map(|touch| FollowUp { touch: Some(touch), upgrade: None });
        let granted = Granted {
            scopes: catalog.names(&credential.scopes),
            user: credential.user,
            id: credential.id,
            label: credential.label,
            cached,
        };
        (VerifyResult::Granted(granted), follow_up)
    }

    /// Performs the writes a verify left: the re-hash upgrade (undone if a revoke raced it),
    /// then `lastUsedAt`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn complete(&self, follow_up: FollowUp) -> Result<()> {
        if let Some(Upgrade { record, password }) = follow_up.upgrade {
            let salt = self.with_rng(|rng| Hasher::salt(rng))?;
            let hash = self.hasher.hash_with_salt(password.as_bytes(), &self.config.hashing, &salt)?;
            drop(password);
            let record = Record { hash, ..record };
            let key = record_key(&record.id);
            self.store.put(&key, &record.to_json()?).await?;
            // A revoke writes its tombstone before deleting the record, so if it ran
            // concurrently we see the tombstone here and remove what we just wrote.
            if self.store.get(&tombstone_key(&record.id)).await?.is_some() {
                self.store.delete(&key).await?;
                return Ok(());
            }
        }
        if let Some((key, now)) = follow_up.touch {
            let entry = IndexEntry { v: RECORD_VERSION, last_used_at: Some(now) };
            self.store.put(&key, &entry.to_json()).await?;
        }
        Ok(())
    }

    /// Whether `lastUsedAt` of `id` is due at `now` (without marking it written).
    fn touch_due(&self, id: &str, now: Millis) -> bool {
        let touched = self.touched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        touched.get(id).is_none_or(|last| now.saturating_sub(*last) >= self.config.touch_interval_ms)
    }

    fn should_touch(&self, id: &str, now: Millis) -> bool {
        let mut touched = self.touched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if touched.get(id).is_some_and(|last| now.saturating_sub(*last) < self.config.touch_interval_ms) {
            return false;
        }
        if touched.len() >= MAX_TOUCHED {
            touched.clear();
        }
        touched.insert(id.to_owned(), now);
        true
    }

    /// Whether this is the first re-hash upgrade of `id` scheduled by this instance.
    fn first_upgrade(&self, id: &str) -> bool {
        let mut upgraded = self.upgraded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if upgraded.contains_key(id) {
            return false;
        }
        if upgraded.len() >= MAX_UPGRADED {
            upgraded.clear();
        }
        upgraded.insert(id.to_owned(), self.now());
        true
    }

    fn forget_touch(&self, id: &str) {
        let mut touched = self.touched.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        touched.remove(id);
    }

    /// Scopes as a set, for hosts that check scopes themselves.
    ///
    /// # Errors
    /// [`Error::UnknownScope`].
    pub fn scope_set(&self, names: &[&str]) -> Result<ScopeSet> {
        self.config.catalog.parse_names(names.iter().copied())
    }
}

/// Whether a tombstone read says "revoked"; a value that is not a tombstone is an error.
fn revoked(tombstone: Option<String>) -> Result<bool> {
    tombstone.map_or(Ok(false), |json| Tombstone::from_json(&json).map(|_| true))
}

fn corrupt(err: Error) -> Error {
    Error::StoreCorrupt(err.to_string())
}

/// Whether `id` has the shape of a password id (12 base62 characters).
#[must_use]
pub fn is_id(id: &str) -> bool {
    id.len() == password::ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric())
}
