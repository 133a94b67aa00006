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
use crate::create::{UnusedPassword, WriteNew, hash_new};
use crate::error::{Error, Result};
use crate::io::{self, Call, Machine, Reply, Step, ok, output};
use crate::list::{IndexListing, scope_names};
use crate::marker::{self, could_exist, marker_key, password_keys, read_live};
use crate::password::{Password, RandomSource};
use crate::record::{Record, tombstone_key};
use crate::revoke::{Revoke, revoked};
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
        self.drive(Rotate::new(user, id, overlap_ms)).await
    }
}

impl<S, C, R> AppPasswords<S, C, R> {
    /// Whether this instance has written the supersession of `id`'s predecessor.
    pub(crate) fn predecessor_superseded(&self, id: &str) -> bool {
        self.superseded.lock().unwrap_or_else(std::sync::PoisonError::into_inner).contains_key(id)
    }

    /// After a granted verify of `record`: if it replaced another password and this instance
    /// has not yet said so, the write of the predecessor's supersession marker (one blind
    /// write), which then drops the predecessor from this instance's cache; `None` otherwise.
    pub(crate) fn supersede_predecessor(&self, record: &Record, now: Millis) -> Option<Supersede> {
        let old = record.replaces.as_ref()?;
        if self.predecessor_superseded(&record.id) {
            return None;
        }
        let put = Call::Put(marker_key(&record.user, old, marker::SUPERSEDED), marker::replaced_json(&record.id, now));
        Some(Supersede { put: Some(put), old: old.clone(), id: record.id.clone(), at: now })
    }
}

/// The supersession of a replacement's predecessor ([`AppPasswords::supersede_predecessor`]):
/// the marker's write, then this instance's bookkeeping once it is written.
pub(crate) struct Supersede {
    /// The marker's write, until asked for.
    put: Option<Call>,
    old: String,
    id: String,
    at: Millis,
}

impl<S, C, R> Machine<S, C, R> for Supersede {
    type Output = ();

    fn step(&mut self, service: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<()>> {
        if let Some(put) = self.put.take() {
            return Ok(Step::Call(put));
        }
        ok!(io::done(reply));
        if let Some(cache) = &service.cache {
            cache.evict_id(&self.old);
        }
        let mut superseded = service.superseded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if superseded.len() >= MAX_SUPERSEDED {
            superseded.clear();
        }
        superseded.insert(core::mem::take(&mut self.id), self.at);
        Ok(Step::Done(()))
    }
}

/// Sets `replaced_by` of each listed password that a listed password replaces.
pub(crate) fn link_replacements(listed: &mut [Listed]) {
    for new in 0..listed.len() {
        let Some(replacement) = listed.get(new) else { continue };
        let old = replacement.replaces.as_ref().and_then(|old| listed.iter().position(|l| &l.id == old));
        let Some(old) = old else { continue };
        let id = replacement.id.clone();
        if let Some(entry) = listed.get_mut(old) {
            entry.replaced_by = Some(id);
        }
    }
}

/// [`AppPasswords::rotate`] as a [`Machine`]: the bulk read and its checks, the per-user count,
/// an unused id, the hash, the record, index entry and rotation marker, the tombstone's
/// second read, and when the old password was revoked meanwhile, the replacement's revoke.
pub struct Rotate {
    user: String,
    id: String,
    overlap_ms: Millis,
    /// The time of the rotation, once the old record is read.
    now: Millis,
    /// The old record, once read; then, in its box, the replacement's.
    record: Option<Box<Record>>,
    /// The replacement's password, once drawn (zeroized on drop).
    password: Option<Password>,
    state: RotateState,
}

/// Where a [`Rotate`] is. Its sub-machines are stepped where they are (not moved out of the
/// state and back at every call: each such move was a copy in the wasm); what the steps made
/// waits in the machine's fields.
enum RotateState {
    Start,
    Reading,
    /// The listing that counts the user's passwords.
    Counting(IndexListing),
    Drawing(UnusedPassword),
    /// The replacement's record, index entry and rotation marker.
    Writing(WriteNew),
    /// The old tombstone's read after the writes.
    Confirming,
    /// The old password was revoked meanwhile: the replacement is revoked too.
    Revoking(Revoke),
    Over,
}

impl Rotate {
    /// Rotates `user`'s password `id` with an overlap of `overlap_ms` (default
    /// [`DEFAULT_OVERLAP_MS`]).
    #[must_use]
    pub fn new(user: &str, id: &str, overlap_ms: Option<Millis>) -> Self {
        Self {
            user: user.to_owned(),
            id: id.to_owned(),
            overlap_ms: overlap_ms.unwrap_or(DEFAULT_OVERLAP_MS),
            now: 0,
            record: None,
            password: None,
            state: RotateState::Start,
        }
    }
}

impl<S, C: Clock, R: RandomSource> Machine<S, C, R> for Rotate {
    /// The replacement, or `None` when that user has no such password.
    type Output = Option<Created>;

    fn step(&mut self, service: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<Self::Output>> {
        let step = self.advance(service, reply);
        if io::ends(&step) {
            self.state = RotateState::Over;
        }
        step
    }
}

impl Rotate {
    /// A step of the machine (see [`Machine::step`]).
    fn advance<S, C: Clock, R: RandomSource>(
        &mut self,
        service: &AppPasswords<S, C, R>,
        mut reply: Option<Result<Reply>>,
    ) -> Result<Step<Option<Created>>> {
        let (user, id) = (self.user.as_str(), self.id.as_str());
        loop {
            match &mut self.state {
                RotateState::Start => {
                    if self.overlap_ms > MAX_OVERLAP_MS {
                        return Err(Error::InvalidArgument("overlapMs must be from 0 to 30 days"));
                    }
                    if !could_exist(user, id) {
                        return Ok(Step::Done(None));
                    }
                    self.state = RotateState::Reading;
                    return Ok(Step::Call(Call::Read(password_keys(user, id, false))));
                }
                RotateState::Reading => {
                    // Revoked or missing: nothing of `user`'s to rotate.
                    let (stored, state) = ok!(read_live(&mut ok!(io::values(reply.take(), 5))));
                    let Some(stored) = stored else { return Ok(Step::Done(None)) };
                    let old = ok!(Record::from_json(&stored, id));
                    if old.user != user {
                        return Ok(Step::Done(None));
                    }
                    if state.rotated || state.superseded_from.is_some() {
                        return Err(Error::AlreadyRotated);
                    }
                    let now = service.now();
                    if old.expires_at.is_some_and(|t| t <= now) {
                        return Err(Error::InvalidExpiry);
                    }
                    self.now = now;
                    self.record = Some(Box::new(old));
                    self.state = RotateState::Counting(IndexListing::new(user, service.config.max_per_user));
                }
                RotateState::Counting(listing) => match listing.step(service, reply.take()) {
                    Ok(Step::Call(call)) => return Ok(Step::Call(call)),
                    Ok(Step::Done((ids, _))) if ids.len() >= service.config.max_per_user => {
                        return Err(Error::TooManyPasswords);
                    }
                    Ok(Step::Done(_)) => self.state = RotateState::Drawing(UnusedPassword::default()),
                    Err(err) => return Err(err),
                },
                RotateState::Drawing(unused) => {
                    let password = output!(unused.step(service, reply.take()));
                    let hash = ok!(hash_new(service, password.expose().as_bytes()));
                    // The old record with a new id, hash, time and predecessor, in its box;
                    // everything else as it was (label, scopes, expiry, caveats, canary): S5
                    // holds across a rotation.
                    let new = ok!(self.record.as_mut().ok_or_else(io::stepped_after_end));
                    new.id = password.id().to_owned();
                    new.hash = hash;
                    new.created_at = self.now;
                    new.replaces = Some(id.to_owned());
                    // The rotation marker after the index entry; its failure undoes the record
                    // and the entry too (never shown, so nobody holds it), best effort.
                    let until = self.now.saturating_add(self.overlap_ms);
                    let marker = (marker_key(user, id, marker::ROTATED), marker::replaced_json(&new.id, until));
                    let writes = ok!(WriteNew::new(new)).then_put(marker.0, marker.1);
                    self.password = Some(password);
                    self.state = RotateState::Writing(writes);
                }
                RotateState::Writing(writes) => {
                    output!(writes.step(service, reply.take()));
                    self.state = RotateState::Confirming;
                    return Ok(Step::Call(Call::Get(tombstone_key(id))));
                }
                RotateState::Confirming => {
                    let (Some(new), Some(password)) = (self.record.take(), self.password.take()) else {
                        return Err(io::stepped_after_end());
                    };
                    // A revoke of the old password that ran meanwhile wins.
                    if ok!(revoked(ok!(io::value(reply.take())))) {
                        self.state = RotateState::Revoking(Revoke::new(user, &new.id));
                        continue;
                    }
                    let scopes = ok!(scope_names(service, &new.scopes));
                    return Ok(Step::Done(Some(Created::of(*new, password, scopes))));
                }
                RotateState::Revoking(revoke) => {
                    output!(revoke.step(service, reply.take()));
                    return Ok(Step::Done(None));
                }
                RotateState::Over => return Err(io::stepped_after_end()),
            }
        }
    }
}
