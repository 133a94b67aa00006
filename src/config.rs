//! [`Config`]: the settings of an [`AppPasswords`](crate::AppPasswords) service, and their
//! defaults and limits.

use crate::cache::CacheConfig;
use crate::clock::Millis;
use crate::error::Result;
use crate::hash::HashParams;
use crate::password::Prefix;
use crate::scope::Catalog;

/// Settings of an [`AppPasswords`](crate::AppPasswords) service.
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
    /// [`MAX_PER_USER_LIMIT`]): `create` past it fails with [`Error::TooManyPasswords`](crate::Error::TooManyPasswords).
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

/// Default of [`Config::touch_interval_ms`]: 10 minutes.
pub const DEFAULT_TOUCH_INTERVAL_MS: Millis = 600_000;
/// Default of [`Config::max_per_user`].
pub const DEFAULT_MAX_PER_USER: usize = 100;
/// Largest [`Config::max_per_user`] accepted.
pub const MAX_PER_USER_LIMIT: usize = 1000;
