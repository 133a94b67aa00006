//! [`AppPasswords`]: create and list over any [`Store`]; the service's state. Revoking is in
//! `revoke.rs`, verifying in [`crate::verify`], the `lastUsedAt` throttle in `touch.rs`, the
//! writes after an answer in `follow_up.rs`.
//!
//! A wrong password is a `VerifyResult::Refused`, never an
//! error; a failing store is an [`Error`], never a success.

use std::collections::HashMap;
use std::sync::Mutex;

use futures_util::future::join_all;

use crate::cache::VerifiedCache;
use crate::caveat::{CaveatSpec, Caveats};
#[cfg(not(target_arch = "wasm32"))]
pub use crate::clock::SystemClock;
pub use crate::clock::{Clock, DefaultClock, Millis};
pub use crate::config::{Config, DEFAULT_MAX_PER_USER, DEFAULT_TOUCH_INTERVAL_MS, MAX_PER_USER_LIMIT};
use crate::error::{Error, Result};
pub use crate::follow_up::FollowUp;
use crate::hash::{Hasher, PhcHash};
use crate::marker;
use crate::password::{self, OsRandom, Password, RandomSource, is_id};
use crate::record::{
    self, IndexEntry, RECORD_VERSION, Record, index_key, record_key, tombstone_key, user_prefix, uses_key,
};
use crate::revoke::{RevokedSet, revoked};
use crate::scope::{Catalog, ScopeSet};
use crate::store::{MAX_GET_MANY, Store};
pub use crate::verify::{Granted, Purpose, Reason, Refusal, RefusalCode, VerifyRequest, VerifyResult};

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
    /// Caveats (none by default).
    pub caveats: Caveats,
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
    /// Caveats (none by default).
    pub caveats: Caveats,
    /// `false` while disabled (`set_enabled`).
    pub enabled: bool,
    /// The id of the password this one replaced (`rotate`), if any.
    pub replaces: Option<String>,
    /// The id of the listed password that replaced this one, if any.
    pub replaced_by: Option<String>,
}

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
    pub(crate) revoked: Mutex<RevokedSet>,
    /// Ids whose re-hash upgrade this instance has already scheduled (at most once each),
    /// with when.
    pub(crate) upgraded: Mutex<HashMap<String, Millis>>,
    /// Replacements whose predecessor this instance has marked superseded, with when.
    pub(crate) superseded: Mutex<HashMap<String, Millis>>,
}

impl<S, C, R> core::fmt::Debug for AppPasswords<S, C, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AppPasswords").field("config", &self.config).finish_non_exhaustive()
    }
}

/// The id of the stand-in record verified for unknown ids (never a real id: `is_id` holds,
/// but generation would have to draw twelve zeros).
pub(crate) const DUMMY_ID: &str = "000000000000";
/// Most index entries `list` reads for one user before it reports the store as corrupt
/// rather than truncate (ten times the largest cap: concurrent creates and entries a failed
/// write left can pass the cap, but not by this much).
const MAX_LIST_KEYS: usize = 10 * MAX_PER_USER_LIMIT;
/// Most pages `list` reads (bounds a store that keeps handing out new cursors).
const MAX_LIST_PAGES: usize = 10_000;

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
            caveats: Caveats::default(),
            replaces: None,
            canary: false,
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
            superseded: Mutex::new(HashMap::new()),
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

    /// Creates a password for `user` and returns it, the only time it is ever available.
    ///
    /// # Errors
    /// [`Error::InvalidUser`], [`Error::InvalidLabel`], [`Error::NoScopes`],
    /// [`Error::UnknownScope`], [`Error::ScopeNotGrantable`], [`Error::InvalidExpiry`] for bad
    /// arguments; store errors. When the second write fails the first is undone (best effort)
    /// and an error is returned: the password was never shown, so no one holds it.
    pub async fn create(&self, new: NewAppPassword<'_>) -> Result<Created> {
        self.create_as(new, &CaveatSpec::default(), false).await
    }

    /// [`AppPasswords::create`] with caveats (docs/design.md#caveats): IP ranges, a start time,
    /// methods, path prefixes, a number of uses. Stored with the record, fixed for its life.
    ///
    /// # Errors
    /// As [`AppPasswords::create`]; [`Error::InvalidCaveat`] for a caveat that cannot be used
    /// (also `notBefore` not before `expiresAt`); [`Error::StoreLacksAtomic`] for `maxUses` on a
    /// store without an atomic `increment` (never an unenforced limit).
    pub async fn create_with_caveats(&self, new: NewAppPassword<'_>, caveats: &CaveatSpec<'_>) -> Result<Created> {
        self.create_as(new, caveats, false).await
    }

    /// `create_with_caveats`, or with `canary` a canary's (canary.rs).
    pub(crate) async fn create_as(
        &self,
        new: NewAppPassword<'_>,
        caveats: &CaveatSpec<'_>,
        canary: bool,
    ) -> Result<Created> {
        let (granted, caveats, now) = self.check_new(&new, caveats).await?;
        let catalog = &self.config.catalog;
        let password = self.unused_password().await?;
        let id = password.id().to_owned();
        self.check_use_counter(&id, &caveats).await?;
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
            caveats,
            replaces: None,
            canary,
        };
        self.write_new(&record).await?;
        Ok(Created {
            id,
            password,
            label: record.label,
            scopes: catalog.names(&granted),
            created_at: now,
            expires_at: new.expires_at,
            caveats: record.caveats,
        })
    }

    /// The checks `create` and `create_from_hash` share, before anything is written: user,
    /// label, caveats, scopes, expiry, then the per-user cap (one `list` call). Returns the
    /// closed scope set, the parsed caveats and the time of creation.
    pub(crate) async fn check_new(
        &self,
        new: &NewAppPassword<'_>,
        caveats: &CaveatSpec<'_>,
    ) -> Result<(ScopeSet, Caveats, Millis)> {
        record::validate_user(new.user)?;
        record::validate_label(new.label)?;
        let caveats = Caveats::parse(caveats)?;
        if let (Some(start), Some(end)) = (caveats.not_before(), new.expires_at) {
            if start >= end {
                return Err(Error::InvalidCaveat("notBefore must be before expiresAt"));
            }
        }
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
        if self.count_entries(new.user, self.config.max_per_user).await? >= self.config.max_per_user {
            return Err(Error::TooManyPasswords);
        }
        Ok((catalog.close(&chosen), caveats, now))
    }

    /// With `maxUses`, an add of zero to the new id's use counter: whether the store can count
    /// atomically (Workers KV cannot: refused here rather than a limit nobody enforces), and
    /// that the counter is unused. No store call without `maxUses`.
    pub(crate) async fn check_use_counter(&self, id: &str, caveats: &Caveats) -> Result<()> {
        if caveats.max_uses().is_some() && self.store.increment(&uses_key(id), 0).await? != 0 {
            return Err(Error::StoreCorrupt("the use counter of a new id is not zero".into()));
        }
        Ok(())
    }

    /// Writes a new record and its index entry. Record first: if the index write then fails,
    /// an unlisted record nobody has the password to is harmless, and we remove it (and the
    /// entry, in case the failed write was applied after all).
    pub(crate) async fn write_new(&self, record: &Record) -> Result<()> {
        let record_key = record_key(&record.id);
        self.store.put(&record_key, &record.to_json()?).await?;
        let entry = IndexEntry { v: RECORD_VERSION, last_used_at: None };
        let index_key = index_key(&record.user, &record.id);
        if let Err(err) = self.store.put(&index_key, &entry.to_json()).await {
            let _ = self.store.delete(&index_key).await;
            let _ = self.store.delete(&record_key).await;
            return Err(err);
        }
        Ok(())
    }

    /// A fresh password whose id has no record and no tombstone (both read in one call).
    pub(crate) async fn unused_password(&self) -> Result<Password> {
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

    /// The ids of `user`'s index entries, each once, reading pages until the store says the
    /// listing ended, or until `stop_at` ids were seen. Never a silent truncation: a store
    /// that hands out more entries than any cap allows is reported as corrupt.
    pub(crate) async fn index_ids(&self, user: &str, stop_at: usize) -> Result<Vec<String>> {
        Ok(self.index_listing(user, stop_at).await?.0)
    }

    /// [`AppPasswords::index_ids`], and the ids with a disabled marker among the keys listed.
    pub(crate) async fn index_listing(&self, user: &str, stop_at: usize) -> Result<(Vec<String>, Vec<String>)> {
        let prefix = user_prefix(user);
        let mut ids = Vec::new();
        let mut disabled = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_LIST_PAGES {
            let page = self.store.list(&prefix, cursor.as_deref()).await?;
            for key in page.keys {
                let id = key.strip_prefix(&prefix).unwrap_or_default();
                if is_id(id) {
                    ids.push(id.to_owned());
                } else if let Some(id) = id.strip_suffix(marker::DISABLED).filter(|id| is_id(id)) {
                    disabled.push(id.to_owned());
                }
            }
            // Some stores (Redis SCAN) may return a key twice: each id counts once.
            ids.sort_unstable();
            ids.dedup();
            if ids.len() > MAX_LIST_KEYS {
                return Err(Error::StoreCorrupt("more index entries than any cap allows".into()));
            }
            if ids.len() >= stop_at {
                return Ok((ids, disabled));
            }
            match page.cursor {
                // A store that repeats its cursor has nothing more to give.
                Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
                _ => return Ok((ids, disabled)),
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
        let (ids, mut disabled) = self.index_listing(user, usize::MAX).await?;
        disabled.sort_unstable();
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
                caveats: record.caveats,
                enabled: disabled.binary_search(id).is_err(),
                replaces: record.replaces,
                replaced_by: None,
            });
        }
        crate::rotate::link_replacements(&mut out);
        // Ids are unique, so the order is total and an unstable sort gives the same result.
        out.sort_unstable_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Scopes as a set, for hosts that check scopes themselves.
    ///
    /// # Errors
    /// [`Error::UnknownScope`].
    pub fn scope_set(&self, names: &[&str]) -> Result<ScopeSet> {
        self.config.catalog.parse_names(names.iter().copied())
    }
}

pub(crate) fn corrupt(err: Error) -> Error {
    Error::StoreCorrupt(err.message())
}
