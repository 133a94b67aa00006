//! The store writes a granted verify leaves for after the answer: `lastUsedAt` (see
//! `touch.rs`) and the re-hash of a record whose Argon2 parameters are not the current
//! profile (at most once per password per instance).

use crate::canary::CanaryUse;
use crate::clock::{Clock, Millis};
use crate::error::Result;
use crate::hash::Hasher;
use crate::password::RandomSource;
use crate::record::{IndexEntry, RECORD_VERSION, Record, record_key, tombstone_key};
use crate::service::AppPasswords;
use crate::store::Store;

/// Store writes a successful verify leaves to do after the answer: `lastUsedAt`, and a
/// re-hash when the record's Argon2 parameters are not the current profile (the hash itself
/// is computed then too, after the answer). Holds the password for that re-hash: zeroized on
/// drop, never in `Debug`.
pub struct FollowUp {
    pub(crate) touch: Option<(String, Millis)>,
    pub(crate) upgrade: Option<Upgrade>,
    /// A canary's use, for the host's hook (no store write). Boxed: rare, and it would double
    /// the size of every follow-up.
    pub(crate) canary: Option<Box<CanaryUse>>,
}

impl FollowUp {
    pub(crate) fn canary(canary: CanaryUse) -> Self {
        Self { touch: None, upgrade: None, canary: Some(Box::new(canary)) }
    }

    /// The use of a canary this verify saw (the right secret of a canary password), for the
    /// host's `onCanary` hook; `None` for every other verify.
    #[must_use]
    pub fn canary_use(&self) -> Option<&CanaryUse> {
        self.canary.as_deref()
    }

    /// Whether [`AppPasswords::complete`] has a store write to do (a canary's use alone has
    /// none: a host may skip the call, so a canary costs what an unknown id costs).
    #[must_use]
    pub fn has_writes(&self) -> bool {
        self.touch.is_some() || self.upgrade.is_some()
    }
}

/// A re-hash to do: the record as read, and the password that verified against it.
pub(crate) struct Upgrade {
    pub(crate) record: Record,
    pub(crate) password: zeroize::Zeroizing<String>,
}

impl core::fmt::Debug for FollowUp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FollowUp")
            .field("touch", &self.touch)
            .field("upgrade", &self.upgrade.as_ref().map(|u| u.record.id.as_str()))
            .field("canary", &self.canary)
            .finish()
    }
}

/// Most ids remembered as upgraded before the set is cleared (bounds memory).
const MAX_UPGRADED: usize = 10_000;

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
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

    /// Whether this is the first re-hash upgrade of `id` scheduled by this instance.
    pub(crate) fn first_upgrade(&self, id: &str) -> bool {
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
}
