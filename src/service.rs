//! [`AppPasswords`] over any [`Store`]: the service's state, its construction from a
//! [`Config`], and the store reads every operation shares. Creating is in `create.rs`, listing
//! in `list.rs`, revoking in `revoke.rs`, verifying in [`crate::verify`], the `lastUsedAt`
//! throttle in `touch.rs`, the writes after an answer in `follow_up.rs`.
//!
//! A wrong password is a `VerifyResult::Refused`, never an
//! error; a failing store is an [`Error`], never a success.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::future::join_all;

use crate::cache::VerifiedCache;
use crate::caveat::{Caveats, ParsedCaveats};
#[cfg(not(target_arch = "wasm32"))]
pub use crate::clock::SystemClock;
pub use crate::clock::{Clock, DefaultClock, Millis};
pub use crate::config::{Config, DEFAULT_MAX_PER_USER, DEFAULT_TOUCH_INTERVAL_MS, MAX_PER_USER_LIMIT};
pub use crate::create::{Create, Created, NewAppPassword};
use crate::error::{Error, Result};
pub use crate::follow_up::FollowUp;
use crate::hash::{Hasher, PhcHash};
pub use crate::list::Listed;
use crate::password::{OsRandom, RandomSource};
use crate::record::{RECORD_VERSION, Record};
use crate::revoke::RevokedSet;
use crate::scope::{Catalog, ScopeSet};
use crate::store::{MAX_GET_MANY, Store};
pub use crate::verify::{CachedHit, Granted, Now, Purpose, Reason, Refusal, RefusalCode, VerifyRequest, VerifyResult};

/// The app-password service over a host store.
pub struct AppPasswords<S, C = DefaultClock, R = OsRandom> {
    pub(crate) store: S,
    pub(crate) config: Config,
    pub(crate) hasher: Hasher,
    /// A stored-record stand-in for unknown ids (see `with_parts`).
    pub(crate) dummy_record: String,
    pub(crate) clock: C,
    pub(crate) rng: Mutex<R>,
    pub(crate) touched: Mutex<HashMap<String, Millis>>,
    pub(crate) cache: Option<VerifiedCache>,
    /// Shared with the marks of revokes in flight, which undo themselves on drop.
    pub(crate) revoked: Arc<Mutex<RevokedSet>>,
    /// Ids whose re-hash upgrade this instance has already scheduled (at most once each),
    /// with when.
    pub(crate) upgraded: Mutex<HashMap<String, Millis>>,
    /// Replacements whose predecessor this instance has marked superseded, with when.
    pub(crate) superseded: Mutex<HashMap<String, Millis>>,
    /// The caveats of the records verify has read, parsed once per password.
    pub(crate) parsed_caveats: ParsedCaveats,
}

impl<S, C, R> core::fmt::Debug for AppPasswords<S, C, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AppPasswords").field("config", &self.config).finish_non_exhaustive()
    }
}

/// The id of the stand-in record verified for unknown ids (never a real id: `is_id` holds,
/// but generation would have to draw twelve zeros).
pub(crate) const DUMMY_ID: &str = "000000000000";

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

impl<S, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
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
            caveats: Caveats::default(),
            replaces: None,
            canary: false,
        }
        .to_json()?;
        let cache = match config.cache {
            Some(cache_config) => {
                let mut key = zeroize::Zeroizing::new([0u8; 32]);
                rng.fill(key.as_mut_slice())?;
                Some(VerifiedCache::new(cache_config, *key))
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
            revoked: Arc::new(Mutex::new(RevokedSet::default())),
            upgraded: Mutex::new(HashMap::new()),
            superseded: Mutex::new(HashMap::new()),
            parsed_caveats: ParsedCaveats::default(),
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

    pub(crate) fn with_rng<T>(&self, f: impl FnOnce(&mut R) -> Result<T>) -> Result<T> {
        let mut rng = self.rng.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut rng)
    }

    pub(crate) fn now(&self) -> Millis {
        self.clock.now_ms()
    }

    /// Scopes as a set, for hosts that check scopes themselves.
    ///
    /// # Errors
    /// [`Error::UnknownScope`].
    pub fn scope_set(&self, names: &[&str]) -> Result<ScopeSet> {
        self.config.catalog.parse_names(names.iter().copied())
    }
}

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// One `get_many` call; an answer of the wrong length is the store's corruption.
    pub(crate) async fn get_exact(&self, keys: &[&str]) -> Result<Vec<Option<String>>> {
        let values = self.store.get_many(keys).await?;
        if values.len() != keys.len() {
            return Err(Error::StoreCorrupt("get_many answered a different number of values".into()));
        }
        Ok(values)
    }

    /// The values of `keys`, [`MAX_GET_MANY`] a call, the calls made concurrently.
    pub(crate) async fn read_many(&self, keys: &[String]) -> Result<Vec<Option<String>>> {
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
}

pub(crate) fn corrupt(err: Error) -> Error {
    Error::StoreCorrupt(err.message())
}
