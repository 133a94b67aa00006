//! Revocation: `revoke` and `revoke_all` (tombstone first, then the deletes), and the set of
//! ids revoked through this instance, which this instance refuses at once (cache included),
//! even in a verify already in flight.

use std::collections::HashMap;

use crate::clock::Clock;
use crate::error::Result;
use crate::marker::marker_keys;
use crate::password::{RandomSource, is_id};
use crate::record::{self, RECORD_VERSION, Record, Tombstone, index_key, record_key, tombstone_key, uses_key};
use crate::service::AppPasswords;
use crate::store::Store;

/// Most entries of the revoked set; the oldest is dropped first. A revoke needs its entry only
/// while verifies that started before it are still in flight.
const MAX_REVOKED: usize = 10_000;
/// How many passwords `revoke_all` reads in one go (5 keys each: record, tombstone and the
/// three markers; 3 bulk reads of at most 100 keys).
const REVOKE_ALL_BATCH: usize = 50;

/// Ids (with their owner) revoked through this instance: a verify of this instance that
/// completes after the revoke refuses them, even if it read the record before the tombstone
/// was written, and the cache never answers for them (checked at insert and at hit).
/// (The same map type as the touch map, keyed by `id \n user`: one less generic instance in
/// the wasm. A username has no control character, an id is base62: the key is unambiguous.)
#[derive(Default)]
pub(crate) struct RevokedSet {
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
    pub(crate) fn contains(&self, id: &str, user: &str) -> bool {
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

/// What a revoke reads of one password before it decides: its record, tombstone, whether
/// `user`'s index entry exists, and its three markers (in [`marker_keys`] order).
struct Read {
    record: Option<String>,
    tombstone: Option<String>,
    has_entry: bool,
    markers: [Option<String>; 3],
}

/// An entry of the revoked set that is removed again on drop unless kept.
pub(crate) struct RevokeMark<'a, S, C, R> {
    service: &'a AppPasswords<S, C, R>,
    key: String,
    token: Option<u64>,
}

impl<S, C, R> RevokeMark<'_, S, C, R> {
    pub(crate) fn keep(mut self) {
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

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// Revokes `user`'s password `id`. Returns `false` when that user has no such password.
    /// After it returns `true`, the password never verifies again on a strongly consistent
    /// store; on Workers KV other locations see it within KV's propagation delay (~60 s).
    /// On this instance it is refused at once (cache included), even by a verify already in
    /// flight, and also when the record was already gone.
    ///
    /// One bulk read (record, tombstone, index entry, and the disabled, rotation and
    /// supersession markers), then the tombstone, the record delete and the index delete: 4
    /// store calls, and one delete more for each marker the password had. A record that reads as missing while `user`'s
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
        let [disabled, rotated, superseded] = marker_keys(user, id);
        let keys = [record_key(id), tombstone_key(id), index_key(user, id)];
        let values = self.get_exact(&[&keys[0], &keys[1], &keys[2], &disabled, &rotated, &superseded]).await?;
        let mut values = values.into_iter();
        let (record, tombstone, entry) = (values.next().flatten(), values.next().flatten(), values.next().flatten());
        let markers = [values.next().flatten(), values.next().flatten(), values.next().flatten()];
        let revoked =
            self.revoke_read(user, id, Read { record, tombstone, has_entry: entry.is_some(), markers }).await?;
        mark.keep();
        Ok(revoked)
    }

    /// Revokes every password `user` has (account deletion). Returns how many were revoked
    /// (as many `revoke` calls would have answered `true`), and deletes their markers, so no
    /// key named after `user` stays behind but a marker a racing rotation wrote. Costs one page
    /// listing, three bulk reads per 50 passwords, and three writes per password (one more per
    /// marker): on Workers KV (1,000 operations a request) about 320 passwords a request; call
    /// it again to finish, it resumes where it stopped.
    ///
    /// # Errors
    /// [`Error::InvalidUser`](crate::Error::InvalidUser); store errors (then some may be revoked: call it again).
    pub async fn revoke_all(&self, user: &str) -> Result<usize> {
        record::validate_user(user)?;
        let ids = self.index_ids(user, usize::MAX).await?;
        let mut count = 0;
        for batch in ids.chunks(REVOKE_ALL_BATCH) {
            let marks: Vec<RevokeMark<'_, S, C, R>> = batch.iter().map(|id| self.mark_revoked(id, user)).collect();
            let keys: Vec<String> = batch
                .iter()
                .flat_map(|id| {
                    let [disabled, rotated, superseded] = marker_keys(user, id);
                    [record_key(id), tombstone_key(id), disabled, rotated, superseded]
                })
                .collect();
            let values = self.read_many(&keys).await?;
            let mut values = values.into_iter();
            // One password after the other: revokeAll is rare (account deletion), and running
            // the batch concurrently cost the wasm 5 KB.
            for (id, mark) in batch.iter().zip(marks) {
                let (record, tombstone) = (values.next().flatten(), values.next().flatten());
                let markers = [values.next().flatten(), values.next().flatten(), values.next().flatten()];
                // The index entry was just listed: it exists. A failure drops the marks not yet
                // kept (those passwords stay usable).
                let revoked = self.revoke_read(user, id, Read { record, tombstone, has_entry: true, markers }).await?;
                mark.keep();
                count += usize::from(revoked);
            }
        }
        Ok(count)
    }

    /// The decision and writes of a revoke, once what it needs is read.
    async fn revoke_read(&self, user: &str, id: &str, read: Read) -> Result<bool> {
        let Read { record, tombstone, has_entry, markers } = read;
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
            self.delete_markers(user, id, &markers).await;
            self.forget_touch(id);
            return Ok(true);
        }
        let mut counted = false;
        match record {
            Some(json) => {
                let record = Record::from_json(&json, id)?;
                if record.user != user {
                    return Ok(false);
                }
                counted = record.caveats.max_uses().is_some();
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
        if counted {
            // The use counter of maxUses. Best effort: the tombstone already revoked it, and a
            // counter left behind is one small integer nothing reads.
            let _ = self.store.delete(&uses_key(id)).await;
        }
        self.delete_markers(user, id, &markers).await;
        self.forget_touch(id);
        Ok(true)
    }

    /// Deletes the disabled, rotation and supersession markers of a revoked password that were
    /// read as present (`markers`, in [`marker_keys`] order): no store call for the usual
    /// password, which has none. Best effort, like the use counter: the tombstone already
    /// refuses the password, and a marker left behind (a rotation racing the revoke, a failed
    /// delete) is a small key nothing reads once the index entry is gone.
    async fn delete_markers(&self, user: &str, id: &str, markers: &[Option<String>; 3]) {
        for (key, value) in marker_keys(user, id).iter().zip(markers) {
            if value.is_some() {
                let _ = self.store.delete(key).await;
            }
        }
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
    pub(crate) fn is_revoked_here(&self, id: &str, user: &str) -> bool {
        self.revoked.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains(id, user)
    }
}

/// Whether a tombstone read says "revoked"; a value that is not a tombstone is an error.
pub(crate) fn revoked(tombstone: Option<String>) -> Result<bool> {
    tombstone.map_or(Ok(false), |json| Tombstone::from_json(&json).map(|_| true))
}
