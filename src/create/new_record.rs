//! A new record, from the checks to the writes: [`NewRecord`], the machine `create`,
//! `create_canary`, `create_from_hash` share, and its steps ([`CheckNew`], [`UnusedPassword`],
//! [`WriteNew`]; `rotate` uses the last two). Apart from `create.rs`, which holds the public
//! operation and its types.

use super::NewAppPassword;
use crate::caveat::{CaveatSpec, Caveats};
use crate::clock::{Clock, Millis};
use crate::error::{Error, Result};
use crate::hash::Hasher;
use crate::io::{self, Call, Machine, Reply, Step, ok, output};
use crate::list::IndexListing;
use crate::marker::record_keys;
use crate::password::{self, Password, RandomSource};
use crate::record::{self, IndexEntry, RECORD_VERSION, Record, index_key, record_key, uses_key};
use crate::scope::ScopeSet;
use crate::service::AppPasswords;

/// The fields of a new password, owned: a machine keeps them across store calls.
pub(crate) struct Fields {
    user: String,
    label: String,
    scopes: Vec<String>,
    expires_at: Option<Millis>,
}

impl Fields {
    fn of(new: &NewAppPassword<'_>) -> Self {
        Self {
            user: new.user.to_owned(),
            label: new.label.to_owned(),
            scopes: new.scopes.iter().map(|&s| s.to_owned()).collect(),
            expires_at: new.expires_at,
        }
    }
}

/// What the checks of a new password made of its arguments: the closed scope set, the parsed
/// caveats and the time of creation.
pub(crate) struct Checked {
    granted: ScopeSet,
    caveats: Caveats,
    now: Millis,
}

/// The checks `create` and `create_from_hash` share, before anything is written: user, label,
/// caveats, scopes, expiry (at [`CheckNew::new`], no store call), then the per-user cap (the
/// machine: the index listing, up to the cap).
pub(crate) struct CheckNew {
    checked: Option<Checked>,
    listing: IndexListing,
    max: usize,
}

impl CheckNew {
    /// The checks that need no store; `caveats` as parsed from the request (its error comes
    /// after the user's and the label's).
    pub(crate) fn new<S, C: Clock, R: RandomSource>(
        service: &AppPasswords<S, C, R>,
        new: &Fields,
        caveats: Result<Caveats>,
    ) -> Result<Self> {
        ok!(record::validate_user(&new.user));
        ok!(record::validate_label(&new.label));
        let caveats = ok!(caveats);
        if let (Some(start), Some(end)) = (caveats.not_before(), new.expires_at) {
            if start >= end {
                return Err(Error::InvalidCaveat("notBefore must be before expiresAt"));
            }
        }
        let catalog = &service.config.catalog;
        let chosen = ok!(catalog.parse_names(new.scopes.iter().map(String::as_str)));
        if chosen.is_empty() {
            return Err(Error::NoScopes);
        }
        // The first one not grantable, by name (with the catalogue's `names`, not an iterator of
        // positions of its own here).
        if let Some(name) = catalog.names(&chosen.difference(&catalog.grantable())).into_iter().next() {
            return Err(Error::ScopeNotGrantable(name));
        }
        let now = service.now();
        if new.expires_at.is_some_and(|t| t <= now) {
            return Err(Error::InvalidExpiry);
        }
        let max = service.config.max_per_user;
        let checked = Checked { granted: catalog.close(&chosen), caveats, now };
        Ok(Self { checked: Some(checked), listing: IndexListing::new(&new.user, max), max })
    }
}

impl<S, C, R> Machine<S, C, R> for CheckNew {
    type Output = Checked;

    fn step(&mut self, service: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<Checked>> {
        let (ids, _) = output!(self.listing.step(service, reply));
        if ids.len() >= self.max {
            return Err(Error::TooManyPasswords);
        }
        self.checked.take().map(Step::Done).ok_or_else(io::stepped_after_end)
    }
}

/// The PHC string of a new password under the service's profile, with a fresh salt: the one
/// copy `create`, `rotate` and the re-hash upgrade share.
#[inline(never)]
pub(crate) fn hash_new<S, C: Clock, R: RandomSource>(
    service: &AppPasswords<S, C, R>,
    password: &[u8],
) -> Result<String> {
    let salt = ok!(service.with_rng(|rng| Hasher::salt(rng)));
    service.hasher.hash_with_salt(password, &service.config.hashing, &salt)
}

/// Whether the read of an id's record and tombstone found neither.
fn unused(reply: Option<Result<Reply>>) -> Result<bool> {
    let mut values = ok!(io::values(reply, 2));
    Ok(values.take().is_none() && values.take().is_none())
}

/// A fresh password whose id has no record and no tombstone (both read in one call), drawn
/// up to four times.
#[derive(Default)]
pub(crate) struct UnusedPassword {
    draws: u8,
    /// The password whose id is being read (zeroized on drop, as every [`Password`]).
    password: Option<Password>,
}

impl<S, C: Clock, R: RandomSource> Machine<S, C, R> for UnusedPassword {
    type Output = Password;

    fn step(&mut self, service: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<Password>> {
        if let Some(password) = self.password.take() {
            if ok!(unused(reply)) {
                return Ok(Step::Done(password));
            }
            if self.draws >= 4 {
                return Err(Error::IdCollision);
            }
        }
        let password = ok!(service.with_rng(|rng| password::generate(&service.config.prefix, rng)));
        self.draws += 1;
        let id = password.id();
        let call = Call::Read(record_keys(id, 2));
        self.password = Some(password);
        Ok(Step::Call(call))
    }
}

/// Writes a new record and its index entry (and, for `rotate`, one write more). Record first:
/// if a later write then fails, an unlisted record nobody has the password to is harmless, and
/// it is removed (and the entry, in case the failed write was applied after all), best effort,
/// before the write's error is returned.
pub(crate) struct WriteNew {
    record_key: String,
    index_key: String,
    /// The puts not yet asked for, the next one last.
    pending: Vec<Call>,
    /// How many calls were asked for.
    asked: usize,
    /// The error of a failed put, once its undo (the deletes then pending) has begun.
    failed: Option<Error>,
}

impl WriteNew {
    pub(crate) fn new(record: &Record) -> Result<Self> {
        let (record_key, index_key) = (record_key(&record.id), index_key(&record.user, &record.id));
        let entry = IndexEntry { v: RECORD_VERSION, last_used_at: None };
        let pending =
            vec![Call::Put(index_key.clone(), entry.to_json()), Call::Put(record_key.clone(), ok!(record.to_json()))];
        Ok(Self { record_key, index_key, pending, asked: 0, failed: None })
    }

    /// One put more after the index entry, undone as the index entry's would be.
    pub(crate) fn then_put(mut self, key: String, value: String) -> Self {
        self.pending.insert(0, Call::Put(key, value));
        self
    }
}

impl<S, C, R> Machine<S, C, R> for WriteNew {
    type Output = ();

    fn step(&mut self, _: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<()>> {
        if self.asked > 0 {
            // An undo's deletes are best effort: their failures are ignored.
            if let (Err(err), None) = (io::done(reply), &self.failed) {
                // The record's put: nothing was written.
                if self.asked == 1 {
                    return Err(err);
                }
                // The puts left are dropped; the index entry's delete first (popped last).
                self.pending = vec![
                    Call::Delete(core::mem::take(&mut self.record_key)),
                    Call::Delete(core::mem::take(&mut self.index_key)),
                ];
                self.failed = Some(err);
            }
        }
        match self.pending.pop() {
            Some(call) => {
                self.asked += 1;
                Ok(Step::Call(call))
            }
            None => self.failed.take().map_or(Ok(Step::Done(())), Err),
        }
    }
}

/// Where a new record's password comes from.
pub(crate) enum Source {
    /// Drawn here (`create`): an unused id, hashed here; with `canary`, a canary's record.
    Drawn { canary: bool },
    /// Minted elsewhere (`create_from_hash`): its id and PHC string, checked at the first step.
    Minted { id: String, phc: String },
}

/// A new record, from the checks to the writes: the machine `create`, `create_canary` and
/// `create_from_hash` share (one machine with a mode, not three: less code in the wasm).
pub(crate) struct NewRecord {
    fields: Fields,
    /// The caveats as parsed from the request (no store, no service needed), until checked.
    caveats: Option<Result<Caveats>>,
    source: Source,
    /// What the checks made of the arguments, once they passed (until the record is made).
    checked: Option<Checked>,
    /// The drawn password (zeroized on drop, as every [`Password`]); `None` when minted.
    password: Option<Password>,
    /// The record being written, and its closed scopes.
    record: Option<(Box<Record>, ScopeSet)>,
    state: NewState,
}

/// Where a [`NewRecord`] is. Its sub-machines are stepped where they are (not moved out of the
/// state and back at every call: each such move was a copy in the wasm); what the steps made
/// waits in the machine's fields.
enum NewState {
    Start,
    Checking(CheckNew),
    /// `create`: drawing an unused password.
    Drawing(UnusedPassword),
    /// `create_from_hash`: the read of the minted id's record and tombstone.
    Reading,
    /// With `maxUses`: the use counter's add of zero.
    Counting,
    Writing(WriteNew),
    Over,
}

impl NewRecord {
    pub(crate) fn new(new: NewAppPassword<'_>, caveats: &CaveatSpec<'_>, source: Source) -> Self {
        Self {
            fields: Fields::of(&new),
            caveats: Some(Caveats::parse(caveats)),
            source,
            checked: None,
            password: None,
            record: None,
            state: NewState::Start,
        }
    }

    /// The new record's id: the drawn password's, or the minted one.
    fn id(&self) -> &str {
        match (&self.source, &self.password) {
            (Source::Minted { id, .. }, _) => id,
            (Source::Drawn { .. }, Some(password)) => password.id(),
            (Source::Drawn { .. }, None) => "",
        }
    }

    /// After the id is known to be unused: with `maxUses`, an add of zero to the new id's use
    /// counter (whether the store can count atomically: Workers KV cannot, refused here rather
    /// than a limit nobody enforces; and that the counter is unused); without, no store call:
    /// straight to the writes.
    fn count_uses<S, C: Clock, R: RandomSource>(&mut self, service: &AppPasswords<S, C, R>) -> Result<Option<Call>> {
        if self.checked.as_ref().is_none_or(|checked| checked.caveats.max_uses().is_none()) {
            ok!(self.write(service));
            return Ok(None);
        }
        self.state = NewState::Counting;
        Ok(Some(Call::Increment(uses_key(self.id()), 0)))
    }

    /// The record (hashing a drawn password here, synchronously) and its writes.
    fn write<S, C: Clock, R: RandomSource>(&mut self, service: &AppPasswords<S, C, R>) -> Result<()> {
        let (hash, canary) = match (&self.source, &self.password) {
            (Source::Drawn { canary }, Some(password)) => {
                (ok!(hash_new(service, password.expose().as_bytes())), *canary)
            }
            (Source::Minted { phc, .. }, _) => (phc.clone(), false),
            (Source::Drawn { .. }, None) => return Err(io::stepped_after_end()),
        };
        let Checked { granted, caveats, now } = ok!(self.checked.take().ok_or_else(io::stepped_after_end));
        let record = Record {
            v: RECORD_VERSION,
            id: self.id().to_owned(),
            user: self.fields.user.clone(),
            label: self.fields.label.clone(),
            scopes: service.config.catalog.encode(&granted),
            hash,
            created_at: now,
            expires_at: self.fields.expires_at,
            caveats,
            replaces: None,
            canary,
        };
        self.state = NewState::Writing(ok!(WriteNew::new(&record)));
        self.record = Some((Box::new(record), granted));
        Ok(())
    }
}

impl<S, C: Clock, R: RandomSource> Machine<S, C, R> for NewRecord {
    /// The record written, its closed scopes, and the drawn password (`None` when minted).
    type Output = (Record, ScopeSet, Option<Password>);

    fn step(&mut self, service: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<Self::Output>> {
        let step = self.advance(service, reply);
        if io::ends(&step) {
            self.state = NewState::Over;
        }
        step
    }
}

impl NewRecord {
    /// A step of the machine (see [`Machine::step`]).
    fn advance<S, C: Clock, R: RandomSource>(
        &mut self,
        service: &AppPasswords<S, C, R>,
        mut reply: Option<Result<Reply>>,
    ) -> Result<Step<(Record, ScopeSet, Option<Password>)>> {
        loop {
            match &mut self.state {
                NewState::Start => {
                    if let Source::Minted { id, phc } = &mut self.source {
                        // Nothing is read or written before the hash and the arguments pass.
                        *phc = ok!(crate::mint::check_minted(service, id, phc));
                    }
                    let caveats = ok!(self.caveats.take().ok_or_else(io::stepped_after_end));
                    self.state = NewState::Checking(ok!(CheckNew::new(service, &self.fields, caveats)));
                }
                NewState::Checking(check) => {
                    self.checked = Some(output!(check.step(service, reply.take())));
                    if let Source::Minted { id, .. } = &self.source {
                        let call = Call::Read(record_keys(id, 2));
                        self.state = NewState::Reading;
                        return Ok(Step::Call(call));
                    }
                    self.state = NewState::Drawing(UnusedPassword::default());
                }
                NewState::Drawing(unused) => {
                    self.password = Some(output!(unused.step(service, reply.take())));
                    match self.count_uses(service) {
                        Ok(Some(call)) => return Ok(Step::Call(call)),
                        Ok(None) => {}
                        Err(err) => return Err(err),
                    }
                }
                NewState::Reading => {
                    if !ok!(unused(reply.take())) {
                        return Err(Error::InvalidHash("id already in use"));
                    }
                    match self.count_uses(service) {
                        Ok(Some(call)) => return Ok(Step::Call(call)),
                        Ok(None) => {}
                        Err(err) => return Err(err),
                    }
                }
                NewState::Counting => {
                    if ok!(io::count(reply.take())) != 0 {
                        return Err(io::store_corrupt("the use counter of a new id is not zero"));
                    }
                    ok!(self.write(service));
                }
                NewState::Writing(writes) => {
                    output!(writes.step(service, reply.take()));
                    let (record, granted) = ok!(self.record.take().ok_or_else(io::stepped_after_end));
                    return Ok(Step::Done((*record, granted, self.password.take())));
                }
                NewState::Over => return Err(io::stepped_after_end()),
            }
        }
    }
}
