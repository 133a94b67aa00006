//! Creating a password: [`AppPasswords::create`] and [`AppPasswords::create_with_caveats`],
//! the checks every new record passes ([`NewAppPassword`] in, [`Created`] out), a fresh unused
//! id, and the two writes (record, then index entry).
//!
//! Apart from `service.rs` (the service's state and wiring) because it is one operation with
//! its own order of checks and writes, shared with `mint.rs`, `rotate.rs` and `canary.rs`.

use crate::caveat::{CaveatSpec, Caveats};
use crate::clock::{Clock, Millis};
use crate::error::{Error, Result};
use crate::hash::Hasher;
use crate::password::{self, Password, RandomSource};
use crate::record::{self, IndexEntry, RECORD_VERSION, Record, index_key, record_key, tombstone_key, uses_key};
use crate::scope::ScopeSet;
use crate::service::AppPasswords;
use crate::store::Store;

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

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
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

    /// How many index entries `user` has, counting up to `stop_at`.
    async fn count_entries(&self, user: &str, stop_at: usize) -> Result<usize> {
        Ok(self.index_ids(user, stop_at).await?.len())
    }
}
