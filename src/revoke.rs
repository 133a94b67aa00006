//! Revocation: `revoke` and `revoke_all` (tombstone first, then the deletes), and the set of
//! ids revoked through this instance, which this instance refuses at once (cache included),
//! even in a verify already in flight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::clock::{Clock, Millis};
use crate::error::Result;
use crate::io::{self, Call, Machine, Reply, Step, Writes, ok, output};
use crate::list::IndexListing;
#[cfg(doc)]
use crate::marker::marker_keys;
use crate::marker::{SUFFIXES, could_exist, marker_key, password_keys};
use crate::password::RandomSource;
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
/// `user`'s index entry exists, and which of its three markers exist (in [`marker_keys`] order).
struct Read {
    record: Option<String>,
    tombstone: Option<String>,
    has_entry: bool,
    markers: [bool; 3],
}

impl Read {
    /// What was read of one password: its record and tombstone, then (for `revoke`, whose read
    /// has it there) its index entry, then its markers.
    fn take(values: &mut io::Values, entry: bool) -> Self {
        let (record, tombstone) = (values.take(), values.take());
        // revoke_all's entries were just listed: they exist.
        let has_entry = !entry || values.take().is_some();
        let markers = [values.take().is_some(), values.take().is_some(), values.take().is_some()];
        Self { record, tombstone, has_entry, markers }
    }
}

/// An entry of the revoked set that is removed again on drop unless kept.
pub(crate) struct RevokeMark {
    set: Arc<Mutex<RevokedSet>>,
    key: String,
    token: Option<u64>,
}

impl RevokeMark {
    pub(crate) fn keep(mut self) {
        self.token = None;
    }
}

impl Drop for RevokeMark {
    fn drop(&mut self) {
        if let Some(token) = self.token {
            self.set.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&self.key, token);
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
    /// store calls, and one delete more for each marker the password had. A record that reads
    /// as missing while `user`'s index entry exists may be a stale read: the tombstone is
    /// written anyway, so the password cannot stay usable while unlisted.
    ///
    /// # Errors
    /// Store errors (then the revoke may be partial: call it again).
    pub async fn revoke(&self, user: &str, id: &str) -> Result<bool> {
        self.drive(Revoke::new(user, id)).await
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
        self.drive(RevokeAll::new(user)).await
    }
}

impl<S, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// Adds `(id, user)` to the revoked set and drops cached credentials of that password.
    /// The mark is undone when the returned guard is dropped without [`RevokeMark::keep`]:
    /// a revoke that failed or was cancelled leaves the password usable in the store, so this
    /// instance must not refuse it either (verify and list keep agreeing).
    fn mark_revoked(&self, id: &str, user: &str) -> RevokeMark {
        let key = revoked_key(id, user);
        let token = self.revoked.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key.clone());
        if let Some(cache) = &self.cache {
            cache.evict_id(id);
        }
        RevokeMark { set: Arc::clone(&self.revoked), key, token: Some(token) }
    }

    /// Whether `(id, user)` was revoked through this instance.
    pub(crate) fn is_revoked_here(&self, id: &str, user: &str) -> bool {
        self.revoked.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains(id, user)
    }
}

/// Whether `user` owns `id` by what was read: its record says so or, when the record reads as
/// missing (it may be a stale miss), `user`'s index entry exists. (Neither: nothing of theirs
/// there; a tombstone could revoke another user's password whose record read stale.) When
/// owned, `Some(whether the record has a use counter)`.
pub(crate) fn owned(record: Option<&str>, has_entry: bool, user: &str, id: &str) -> Result<Option<bool>> {
    Ok(match record {
        Some(json) => {
            let record = ok!(Record::from_json(json, id));
            (record.user == user).then(|| record.caveats.max_uses().is_some())
        }
        None => has_entry.then_some(false),
    })
}

/// The writes that revoke `user`'s `id` given what was read, or `None` when that user has
/// nothing to revoke there.
fn revoke_writes(user: &str, id: &str, read: Read, now: Millis) -> Result<Option<Writes>> {
    let Read { record, tombstone, has_entry, markers } = read;
    let revoked = ok!(revoked(tombstone));
    let Some(counted) = ok!(owned(record.as_deref(), has_entry, user, id)) else { return Ok(None) };
    // Revoked already: what a revoke that stopped halfway left of this user's password is
    // removed (the record and the entry, when read), and then this call is the one that
    // finished it (true). Else the tombstone, then the record and the entry.
    let mut writes = Writes::new();
    if !revoked {
        writes = writes.then(Call::Put(tombstone_key(id), Tombstone { v: RECORD_VERSION, revoked_at: now }.to_json()));
    }
    if !revoked || record.is_some() {
        writes = writes.then(Call::Delete(record_key(id)));
    }
    if !revoked || has_entry {
        writes = writes.then(Call::Delete(index_key(user, id)));
    }
    if !revoked && counted {
        // The use counter of maxUses. Best effort: the tombstone already revoked it, and a
        // counter left behind is one small integer nothing reads.
        writes = writes.then_try(Call::Delete(uses_key(id)));
    }
    Ok(Some(delete_markers(writes, user, id, &markers)))
}

/// Deletes the disabled, rotation and supersession markers of a revoked password that were
/// read as present (`markers`, in [`marker_keys`] order): no store call for the usual
/// password, which has none. Best effort, like the use counter: the tombstone already
/// refuses the password, and a marker left behind (a rotation racing the revoke, a failed
/// delete) is a small key nothing reads once the index entry is gone.
fn delete_markers(mut writes: Writes, user: &str, id: &str, markers: &[bool; 3]) -> Writes {
    for (suffix, present) in SUFFIXES.into_iter().zip(markers) {
        if *present {
            writes = writes.then_try(Call::Delete(marker_key(user, id, suffix)));
        }
    }
    writes
}

/// The revokes of some of `user`'s passwords, one after the other: the part `revoke` (one id)
/// and `revoke_all` (the listed ids) share, one machine in the wasm instead of two. Per 50
/// passwords one bulk read, then each password's writes, one password after the other
/// (revokeAll is rare, account deletion; running a batch concurrently cost the wasm 5 KB).
struct Revoking {
    user: String,
    ids: Vec<String>,
    /// Whether the bulk read has each id's index entry (`revoke`; the ids `revoke_all` revokes
    /// were just listed, so their entries exist).
    entry: bool,
    /// Where the next batch starts in `ids`.
    next: usize,
    /// Whether the batch's bulk read is in flight.
    reading: bool,
    /// The marks of the batch's passwords still to decide, in the order of their ids (the
    /// batch's last ids, up to `next`).
    marks: std::vec::IntoIter<RevokeMark>,
    /// What the bulk read answered of them, in the same order (read as each is decided).
    values: io::Values,
    /// The password being written: its place in `ids`, its mark, its writes.
    current: Option<(usize, RevokeMark, Writes)>,
    count: usize,
}

impl Revoking {
    fn new(user: &str, ids: Vec<String>, entry: bool) -> Self {
        Self {
            user: user.to_owned(),
            ids,
            entry,
            next: 0,
            reading: false,
            marks: Vec::new().into_iter(),
            values: io::Values::default(),
            current: None,
            count: 0,
        }
    }
}

impl<S, C: Clock, R: RandomSource> Machine<S, C, R> for Revoking {
    /// How many were revoked.
    type Output = usize;

    fn step(&mut self, service: &AppPasswords<S, C, R>, mut reply: Option<Result<Reply>>) -> Result<Step<usize>> {
        let per_id = if self.entry { 6 } else { 5 };
        loop {
            if let Some((at, _, writes)) = &mut self.current {
                // Stepped where it is (not moved out and back at each call); a failure drops it
                // at once, and its mark with it (that password stays usable).
                match Machine::step(writes, service, reply.take()) {
                    Ok(Step::Call(call)) => return Ok(Step::Call(call)),
                    Ok(Step::Done(())) => service.forget_touch(self.ids.get(*at).map_or("", String::as_str)),
                    Err(err) => {
                        self.current = None;
                        return Err(err);
                    }
                }
                if let Some((_, mark, _)) = self.current.take() {
                    mark.keep();
                }
                self.count += 1;
            } else if core::mem::take(&mut self.reading) {
                match io::values(reply.take(), per_id * self.marks.len()) {
                    Ok(values) => self.values = values,
                    // A failure drops the batch's marks (those passwords stay usable).
                    Err(err) => {
                        self.marks = Vec::new().into_iter();
                        return Err(err);
                    }
                }
            } else if let Some(mark) = self.marks.next() {
                // A failure drops this mark (the others when the machine is dropped).
                let at = self.next.saturating_sub(self.marks.len() + 1);
                let id = self.ids.get(at).map_or("", String::as_str);
                let read = Read::take(&mut self.values, self.entry);
                if let Some(writes) = ok!(revoke_writes(&self.user, id, read, service.now())) {
                    self.current = Some((at, mark, writes));
                } else {
                    mark.keep();
                }
            } else {
                let start = self.next;
                self.next = self.ids.len().min(start + REVOKE_ALL_BATCH);
                let batch = self.ids.get(start..self.next).unwrap_or_default();
                if batch.is_empty() {
                    return Ok(Step::Done(self.count));
                }
                let mut marks = Vec::with_capacity(batch.len());
                for id in batch {
                    marks.push(service.mark_revoked(id, &self.user));
                }
                self.marks = marks.into_iter();
                self.reading = true;
                let mut keys = Vec::with_capacity(per_id * batch.len());
                for id in batch {
                    keys.extend(password_keys(&self.user, id, self.entry));
                }
                return Ok(Step::Call(Call::Read(keys)));
            }
        }
    }
}

/// [`AppPasswords::revoke`] as a [`Machine`]: one bulk read (record, tombstone, index entry
/// and markers), then the writes.
pub struct Revoke(Revoking);

impl Revoke {
    /// Revokes `user`'s password `id`.
    #[must_use]
    pub fn new(user: &str, id: &str) -> Self {
        // A user or id that cannot exist: nothing to revoke (`false` at the first step, no call).
        let valid = could_exist(user, id);
        Self(Revoking::new(user, if valid { vec![id.to_owned()] } else { Vec::new() }, true))
    }
}

impl<S, C: Clock, R: RandomSource> Machine<S, C, R> for Revoke {
    /// `false` when that user has no such password.
    type Output = bool;

    fn step(&mut self, service: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<bool>> {
        match self.0.step(service, reply) {
            Ok(Step::Done(count)) => Ok(Step::Done(count > 0)),
            Ok(Step::Call(call)) => Ok(Step::Call(call)),
            Err(err) => Err(err),
        }
    }
}

/// [`AppPasswords::revoke_all`] as a [`Machine`]: the listing, then the revokes of the ids it
/// listed.
pub struct RevokeAll {
    started: bool,
    listing: Option<IndexListing>,
    revoking: Revoking,
}

impl RevokeAll {
    /// Revokes every password `user` has.
    #[must_use]
    pub fn new(user: &str) -> Self {
        Self { started: false, listing: None, revoking: Revoking::new(user, Vec::new(), false) }
    }
}

impl<S, C: Clock, R: RandomSource> Machine<S, C, R> for RevokeAll {
    /// How many were revoked.
    type Output = usize;

    fn step(&mut self, service: &AppPasswords<S, C, R>, mut reply: Option<Result<Reply>>) -> Result<Step<usize>> {
        if !core::mem::replace(&mut self.started, true) {
            ok!(record::validate_user(&self.revoking.user));
            self.listing = Some(IndexListing::new(&self.revoking.user, usize::MAX));
        }
        if let Some(listing) = &mut self.listing {
            (self.revoking.ids, _) = output!(Machine::step(listing, service, reply.take()));
            self.listing = None;
        }
        self.revoking.step(service, reply)
    }
}

/// Whether a tombstone read says "revoked"; a value that is not a tombstone is an error.
pub(crate) fn revoked(tombstone: Option<String>) -> Result<bool> {
    tombstone.map_or(Ok(false), |json| Tombstone::from_json(&json).map(|_| true))
}
