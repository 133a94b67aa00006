//! Rotation: `rotate` makes a replacement with the same label, scopes, caveats and expiry;
//! the old password keeps working until the replacement is first granted, or until the
//! overlap ends, whichever is first, and then refuses (reason `superseded`).
//!
//! Both ends are markers (marker.rs), written blindly: `rotate` writes `{old}/rotated` with
//! the overlap's end; the replacement's first granted verify writes `{old}/superseded` with
//! its time, before it answers, so no verify of the old password that starts after that
//! answer is granted (on a strongly consistent store; on Workers KV, after its propagation
//! delay). The old one refuses from the earlier of the two times: no later write moves it.
//!
//! Defined cases (docs/design.md#rotation):
//! - rotating the replacement is a rotation like any other (a chain: each link supersedes the
//!   one before);
//! - rotating a password that already has a replacement is refused with `already_rotated`
//!   (a second overlap would let a leaked password live on);
//! - a revoke racing a rotate wins: the rotate reads the old tombstone again after its writes,
//!   and if the old password was revoked meanwhile it revokes the replacement and answers
//!   `None`, as for a password that user does not have.

use crate::clock::{Clock, Millis};
use crate::error::{Error, Result};
use crate::hash::Hasher;
use crate::marker::{self, State, marker_key, marker_keys};
use crate::password::{RandomSource, is_id};
use crate::record::{self, Record, index_key, record_key, tombstone_key};
use crate::revoke::revoked;
use crate::service::{AppPasswords, Created, Listed};
use crate::store::Store;

/// Default overlap of a rotation: 24 hours.
pub const DEFAULT_OVERLAP_MS: Millis = 24 * 60 * 60 * 1000;
/// Longest overlap accepted: 30 days.
pub const MAX_OVERLAP_MS: Millis = 30 * DEFAULT_OVERLAP_MS;
/// Most replacements whose supersession this instance remembers before it forgets them all
/// (forgetting only costs one more blind write).
const MAX_SUPERSEDED: usize = 10_000;

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// Rotates `user`'s password `id`: a new password with the same label, scopes, caveats
    /// and expiry, shown once. The old one keeps verifying until the new one is first granted
    /// or `overlap_ms` (default [`DEFAULT_OVERLAP_MS`]) has passed, whichever is first.
    /// `Ok(None)` when `user` has no such password (unknown, another user's, revoked, or
    /// revoked while this rotation ran).
    ///
    /// Store calls: one bulk read, the listing that counts the user's passwords, the id check,
    /// the record, the index entry, the rotation marker, and a tombstone read: 7.
    ///
    /// # Errors
    /// [`Error::AlreadyRotated`] when the password already has a replacement;
    /// [`Error::InvalidExpiry`] when it has expired; [`Error::InvalidArgument`] for an overlap
    /// over [`MAX_OVERLAP_MS`]; [`Error::TooManyPasswords`] at the cap; store errors (then no
    /// replacement exists, or an unlisted one nobody holds).
    pub async fn rotate(&self, user: &str, id: &str, overlap_ms: Option<Millis>) -> Result<Option<Created>> {
        let overlap_ms = overlap_ms.unwrap_or(DEFAULT_OVERLAP_MS);
        if overlap_ms > MAX_OVERLAP_MS {
            return Err(Error::InvalidArgument("overlapMs must be from 0 to 30 days"));
        }
        if record::validate_user(user).is_err() || !is_id(id) {
            return Ok(None);
        }
        let [disabled_key, rotated_key, superseded_key] = marker_keys(user, id);
        let keys = [&record_key(id), &tombstone_key(id), &disabled_key, &rotated_key, &superseded_key];
        let values = self.get_exact(&keys.map(String::as_str)).await?;
        let mut values = values.into_iter();
        let (stored, tombstone) = (values.next().flatten(), values.next().flatten());
        let (disabled, rotated, superseded) =
            (values.next().flatten(), values.next().flatten(), values.next().flatten());
        let state = State::read(disabled.as_deref(), rotated.as_deref(), superseded.as_deref())?;
        if revoked(tombstone)? {
            return Ok(None);
        }
        let Some(stored) = stored else { return Ok(None) };
        let old = Record::from_json(&stored, id)?;
        if old.user != user {
            return Ok(None);
        }
        if state.rotated || state.superseded_from.is_some() {
            return Err(Error::AlreadyRotated);
        }
        let now = self.now();
        if old.expires_at.is_some_and(|t| t <= now) {
            return Err(Error::InvalidExpiry);
        }
        if self.index_ids(user, self.config.max_per_user).await?.len() >= self.config.max_per_user {
            return Err(Error::TooManyPasswords);
        }

        let password = self.unused_password().await?;
        let salt = self.with_rng(|rng| Hasher::salt(rng))?;
        let hash = self.hasher.hash_with_salt(password.expose().as_bytes(), &self.config.hashing, &salt)?;
        // Everything else as it was (label, scopes, expiry, caveats, canary): S5 holds across a
        // rotation.
        let new = Record { id: password.id().to_owned(), hash, created_at: now, replaces: Some(id.to_owned()), ..old };
        self.write_new(&new).await?;
        let until = now.saturating_add(overlap_ms);
        if let Err(err) = self.store.put(&rotated_key, &marker::replaced_json(&new.id, until)).await {
            // Never shown, so nobody holds it: undone, best effort, as create undoes itself.
            let _ = self.store.delete(&index_key(user, &new.id)).await;
            let _ = self.store.delete(&record_key(&new.id)).await;
            return Err(err);
        }
        // A revoke of the old password that ran meanwhile wins.
        if revoked(self.store.get(&tombstone_key(id)).await?)? {
            self.revoke(user, &new.id).await?;
            return Ok(None);
        }
        let scopes = self.config.catalog.decode(&new.scopes).map_err(crate::service::corrupt)?;
        Ok(Some(Created {
            id: new.id,
            password,
            label: new.label,
            scopes: self.config.catalog.names(&scopes),
            created_at: now,
            expires_at: new.expires_at,
            caveats: new.caveats,
        }))
    }

    /// Whether this instance has written the supersession of `id`'s predecessor.
    pub(crate) fn predecessor_superseded(&self, id: &str) -> bool {
        self.superseded.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains_key(id)
    }

    /// After a granted verify of `record`: if it replaced another password and this instance
    /// has not yet said so, writes the predecessor's supersession marker (one blind write) and
    /// drops the predecessor from this instance's cache.
    pub(crate) async fn supersede_predecessor(&self, record: &Record, now: Millis) -> Result<()> {
        let Some(old) = &record.replaces else { return Ok(()) };
        if self.predecessor_superseded(&record.id) {
            return Ok(());
        }
        let key = marker_key(&record.user, old, marker::SUPERSEDED);
        self.store.put(&key, &marker::replaced_json(&record.id, now)).await?;
        if let Some(cache) = &self.cache {
            cache.evict_id(old);
        }
        let mut superseded = self.superseded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if superseded.len() >= MAX_SUPERSEDED {
            superseded.clear();
        }
        superseded.insert(record.id.clone(), now);
        Ok(())
    }
}

/// Sets `replaced_by` of each listed password that a listed password replaces.
pub(crate) fn link_replacements(listed: &mut [Listed]) {
    let links: Vec<(String, String)> =
        listed.iter().filter_map(|l| l.replaces.clone().map(|old| (old, l.id.clone()))).collect();
    for (old, new) in links {
        if let Some(entry) = listed.iter_mut().find(|l| l.id == old) {
            entry.replaced_by = Some(new);
        }
    }
}
