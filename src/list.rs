//! Listing: [`AppPasswords::list`] ([`Listed`] out) and the paged read of a user's index that
//! `list`, the per-user cap, `revoke_all` and `rotate` share.
//!
//! Apart from `service.rs` (the service's state and wiring) because it is the one read that
//! walks a whole user, with its own bounds against a store that never stops paging.

use crate::caveat::Caveats;
use crate::clock::{Clock, Millis};
use crate::config::MAX_PER_USER_LIMIT;
#[cfg(doc)]
use crate::error::Error;
use crate::error::Result;
use crate::io::{self, Call, Machine, Reply, Step, Writes, ok, output};
use crate::marker;
use crate::password::{RandomSource, is_id};
use crate::record::{self, IndexEntry, Record, index_key, record_key, tombstone_key, user_prefix};
use crate::revoke::revoked;
use crate::service::{AppPasswords, corrupt};
use crate::store::Store;

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

impl Listed {
    /// A record as `list` shows it (and `create_from_hash` answers it), with its scope names;
    /// `replaced_by` is filled in once every listed password is known.
    pub(crate) fn of(record: Record, scopes: Vec<String>, last_used_at: Option<Millis>, enabled: bool) -> Self {
        Self {
            id: record.id,
            label: record.label,
            scopes,
            created_at: record.created_at,
            expires_at: record.expires_at,
            last_used_at,
            caveats: record.caveats,
            enabled,
            replaces: record.replaces,
            replaced_by: None,
        }
    }
}

/// Most index entries `list` reads for one user before it reports the store as corrupt
/// rather than truncate (ten times the largest cap: concurrent creates and entries a failed
/// write left can pass the cap, but not by this much).
const MAX_LIST_KEYS: usize = 10 * MAX_PER_USER_LIMIT;
/// Most pages `list` reads (bounds a store that keeps handing out new cursors).
const MAX_LIST_PAGES: usize = 10_000;

/// The paged read of a user's index: the ids of `user`'s index entries, each once, reading
/// pages until the store says the listing ended, or until `stop_at` ids were seen; and the ids
/// with a disabled marker among the keys listed. Never a silent truncation: a store that hands
/// out more entries than any cap allows is reported as corrupt.
pub(crate) struct IndexListing {
    prefix: String,
    stop_at: usize,
    ids: Vec<String>,
    disabled: Vec<String>,
    cursor: Option<String>,
    pages: usize,
}

impl IndexListing {
    pub(crate) fn new(user: &str, stop_at: usize) -> Self {
        Self { prefix: user_prefix(user), stop_at, ids: Vec::new(), disabled: Vec::new(), cursor: None, pages: 0 }
    }

    fn call(&self) -> Step<(Vec<String>, Vec<String>)> {
        Step::Call(Call::List { prefix: self.prefix.clone(), cursor: self.cursor.clone() })
    }
}

impl<S, C, R> Machine<S, C, R> for IndexListing {
    /// The ids, and the ids with a disabled marker.
    type Output = (Vec<String>, Vec<String>);

    fn step(&mut self, _: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<Self::Output>> {
        if self.pages == 0 && reply.is_none() {
            self.pages = 1;
            return Ok(self.call());
        }
        let page = ok!(ok!(io::reply(reply)).page());
        for key in page.keys {
            let id = key.strip_prefix(&self.prefix).unwrap_or_default();
            if is_id(id) {
                self.ids.push(id.to_owned());
            } else if let Some(id) = id.strip_suffix(marker::DISABLED).filter(|id| is_id(id)) {
                self.disabled.push(id.to_owned());
            }
        }
        // Some stores (Redis SCAN) may return a key twice: each id counts once.
        self.ids.sort_unstable();
        self.ids.dedup();
        if self.ids.len() > MAX_LIST_KEYS {
            return Err(io::store_corrupt("more index entries than any cap allows"));
        }
        // A store that repeats its cursor has nothing more to give.
        let next = page.cursor.filter(|next| self.ids.len() < self.stop_at && Some(next) != self.cursor.as_ref());
        let Some(next) = next else {
            return Ok(Step::Done((core::mem::take(&mut self.ids), core::mem::take(&mut self.disabled))));
        };
        self.cursor = Some(next);
        if self.pages >= MAX_LIST_PAGES {
            return Err(io::store_corrupt("list did not end"));
        }
        self.pages += 1;
        Ok(self.call())
    }
}

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
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
        self.drive(List::new(user)).await
    }
}

/// [`AppPasswords::list`] as a [`Machine`]: the index listing, one bulk read of the record,
/// tombstone and index entry of every id, then the ids one after the other, with the
/// best-effort tidy-up deletes of each revoked one before the next id is looked at (so a
/// corrupt record further on fails the call after the same deletes as before).
pub struct List {
    user: String,
    /// The ids listed, then those still to look at.
    ids: std::vec::IntoIter<String>,
    /// The sorted ids with a disabled marker.
    disabled: Vec<String>,
    /// What the bulk read answered of the ids still to look at.
    values: io::Values,
    out: Vec<Listed>,
    state: ListState,
}

/// Where a [`List`] is. Its sub-machines are stepped where they are (not moved out of the state
/// and back at every call: each such move was a copy in the wasm); what the steps made waits
/// in the machine's fields.
enum ListState {
    Start,
    Listing(IndexListing),
    /// The bulk read of the ids in flight.
    Reading,
    /// Going through the ids.
    Sorting,
    /// The tidy-up deletes of a revoked id in flight.
    Tidying(Writes),
    Over,
}

impl List {
    /// Every password of `user`.
    #[must_use]
    pub fn new(user: &str) -> Self {
        Self {
            user: user.to_owned(),
            ids: Vec::new().into_iter(),
            disabled: Vec::new(),
            values: io::Values::default(),
            out: Vec::new(),
            state: ListState::Start,
        }
    }
}

impl<S, C: Clock, R: RandomSource> Machine<S, C, R> for List {
    /// The passwords, oldest first.
    type Output = Vec<Listed>;

    fn step(&mut self, service: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<Self::Output>> {
        let step = self.advance(service, reply);
        if io::ends(&step) {
            self.state = ListState::Over;
        }
        step
    }
}

impl List {
    /// A step of the machine (see [`Machine::step`]).
    fn advance<S, C: Clock, R: RandomSource>(
        &mut self,
        service: &AppPasswords<S, C, R>,
        mut reply: Option<Result<Reply>>,
    ) -> Result<Step<Vec<Listed>>> {
        let user = self.user.as_str();
        loop {
            match &mut self.state {
                ListState::Start => {
                    ok!(record::validate_user(user));
                    self.state = ListState::Listing(IndexListing::new(user, usize::MAX));
                }
                ListState::Listing(listing) => {
                    let (ids, mut disabled) = output!(Machine::step(listing, service, reply.take()));
                    disabled.sort_unstable();
                    let mut keys = Vec::with_capacity(3 * ids.len());
                    for id in &ids {
                        keys.push(record_key(id));
                        keys.push(tombstone_key(id));
                        keys.push(index_key(user, id));
                    }
                    self.ids = ids.into_iter();
                    self.disabled = disabled;
                    self.state = ListState::Reading;
                    return Ok(Step::Call(Call::Read(keys)));
                }
                ListState::Reading => {
                    self.values = ok!(io::values(reply.take(), 3 * self.ids.len()));
                    self.out = Vec::with_capacity(self.ids.len());
                    self.state = ListState::Sorting;
                }
                ListState::Tidying(tidy) => {
                    output!(Machine::step(tidy, service, reply.take()));
                    self.state = ListState::Sorting;
                }
                ListState::Sorting => {
                    let Some(id) = self.ids.next() else {
                        let mut out = core::mem::take(&mut self.out);
                        crate::rotate::link_replacements(&mut out);
                        // Ids are unique, so the order is total and an unstable sort gives the same result.
                        out.sort_unstable_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
                        return Ok(Step::Done(out));
                    };
                    let values = &mut self.values;
                    let (record, tombstone, entry) = (values.take(), values.take(), values.take());
                    if ok!(revoked(tombstone)) {
                        // Revoked (the revoke stopped before its deletes, or a lastUsedAt write raced
                        // it): not a password any more. Tidy up, best effort.
                        let mut tidy = Writes::new().then_try(Call::Delete(index_key(user, &id)));
                        if record.is_some() {
                            tidy = tidy.then_try(Call::Delete(record_key(&id)));
                        }
                        self.state = ListState::Tidying(tidy);
                        continue;
                    }
                    if let Some(record) = record {
                        let listed = ok!(listed(service, user, &id, &record, entry, &self.disabled));
                        self.out.push(listed);
                    }
                }
                ListState::Over => return Err(io::stepped_after_end()),
            }
        }
    }
}

/// `user`'s password `id` as `list` shows it, from its record and index entry.
fn listed<S, C, R>(
    service: &AppPasswords<S, C, R>,
    user: &str,
    id: &str,
    record: &str,
    entry: Option<String>,
    disabled: &[String],
) -> Result<Listed> {
    let record = ok!(Record::from_json(record, id));
    if record.user != user {
        return Err(io::store_corrupt("index entry points at another user's record"));
    }
    let last_used_at = match entry {
        Some(json) => ok!(IndexEntry::from_json(&json)).last_used_at,
        None => None,
    };
    let scopes = ok!(scope_names(service, &record.scopes));
    let enabled = disabled.binary_search_by(|d| d.as_str().cmp(id)).is_err();
    Ok(Listed::of(record, scopes, last_used_at, enabled))
}

/// The names of a stored record's scopes, as `list` and `rotate` answer them.
#[inline(never)]
pub(crate) fn scope_names<S, C, R>(service: &AppPasswords<S, C, R>, scopes: &str) -> Result<Vec<String>> {
    let catalog = &service.config.catalog;
    Ok(catalog.names(&ok!(catalog.decode(scopes).map_err(corrupt))))
}
