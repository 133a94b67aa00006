//! The lifecycle markers: small documents in keys of their own, so that no record is ever
//! read, modified and written back (Workers KV has no compare-and-set and one write a second
//! per key).
//!
//! | key (under the owner's index prefix) | written by | means |
//! |---|---|---|
//! | `{id}/disabled` | `set_enabled(false)`; deleted by `set_enabled(true)` | refuse, reason `disabled` |
//! | `{id}/rotated` | `rotate` | refuse from `until` on (the end of the overlap) |
//! | `{id}/superseded` | the replacement's first granted verify | refuse from `at` on |
//!
//! Each is written blindly by one kind of writer: a rotation cannot undo a supersession (two
//! keys, the earlier time wins), an enable cannot undo a revoke (the tombstone is another
//! key). They sit under `app-passwords/v1/user/{user}/`, so `list` learns which exist from
//! the key listing it makes anyway (no extra read), and `verify` reads the three with the
//! record and tombstone in its one bulk read (keyed by the username the client sent: when
//! that is not the owner, the owner check refuses first). A revoke leaves them: a tombstoned
//! id is never issued again, so they can never apply to another password.

use crate::clock::Millis;
use crate::error::Result;
use crate::io::{Values, ok, store_corrupt};
use crate::json::{Fields, push_quoted, push_u64};
use crate::password::is_id;
use crate::record::{RECORD_VERSION, index_key, record_key, tombstone_key};
use crate::revoke::revoked;
use crate::verify::Reason;

/// Suffix of the disabled marker's key.
pub const DISABLED: &str = "/disabled";
/// Suffix of the rotation marker's key.
pub const ROTATED: &str = "/rotated";
/// Suffix of the supersession marker's key.
pub const SUPERSEDED: &str = "/superseded";

/// The three suffixes, in [`marker_keys`] order.
pub(crate) const SUFFIXES: [&str; 3] = [DISABLED, ROTATED, SUPERSEDED];

/// Key of a marker of `user`'s password `id` (`suffix`: [`DISABLED`], [`ROTATED`], [`SUPERSEDED`]).
#[must_use]
pub fn marker_key(user: &str, id: &str, suffix: &str) -> String {
    let mut key = index_key(user, id);
    key.push_str(suffix);
    key
}

/// The three marker keys of `user`'s password `id`: disabled, rotated, superseded.
#[must_use]
pub fn marker_keys(user: &str, id: &str) -> [String; 3] {
    [marker_key(user, id, DISABLED), marker_key(user, id, ROTATED), marker_key(user, id, SUPERSEDED)]
}

/// Whether `user` and `id` could name a password at all (else `revoke`, `set_enabled` and
/// `rotate` answer that the user has no such password, with no store call). One shared copy.
#[inline(never)]
pub(crate) fn could_exist(user: &str, id: &str) -> bool {
    crate::record::validate_user(user).is_ok() && is_id(id)
}

/// The keys of `id`'s record and tombstone, the first two of every bulk read a machine makes
/// of one password, with room for `len` keys in all (the caller adds the rest).
#[inline(never)]
pub(crate) fn record_keys(id: &str, len: usize) -> Vec<String> {
    let mut keys = Vec::with_capacity(len);
    keys.push(record_key(id));
    keys.push(tombstone_key(id));
    keys
}

/// The keys `verify`, `rotate`, `revoke` and `revoke_all` read of `user`'s password `id`, in
/// this order: record, tombstone, the index entry when `entry` (`revoke`), then the three
/// [`marker_keys`] (for `verify` and `rotate`, read back with [`read_live`]).
#[must_use]
pub(crate) fn password_keys(user: &str, id: &str, entry: bool) -> Vec<String> {
    let mut keys = record_keys(id, 6);
    if entry {
        keys.push(index_key(user, id));
    }
    for suffix in SUFFIXES {
        keys.push(marker_key(user, id, suffix));
    }
    keys
}

/// The values of [`password_keys`]: the record, unless a tombstone says the password is
/// revoked, and what the markers say (read first: a corrupt marker is an error even for a
/// revoked id). The one copy of these checks that `verify` and `rotate` share.
#[inline(never)]
pub(crate) fn read_live(values: &mut Values) -> Result<(Option<String>, State)> {
    let (record, tombstone) = (values.take(), values.take());
    let (disabled, rotated, superseded) = (values.take(), values.take(), values.take());
    let state = ok!(State::read(disabled.as_deref(), rotated.as_deref(), superseded.as_deref()));
    let record = if ok!(revoked(tombstone)) { None } else { record };
    Ok((record, state))
}

/// `{"v":1,"at":ms}`: when it was disabled.
#[must_use]
pub fn disabled_json(at: Millis) -> String {
    // The shape of a tombstone with another name: one writer for both.
    crate::record::v_and_time(RECORD_VERSION, "at", Some(at))
}

/// `{"v":1,"by":"id","at":ms}`: the rotation marker (`at` = the end of the overlap) and the
/// supersession marker (`at` = the replacement's first verify) share this shape.
#[must_use]
pub fn replaced_json(by: &str, at: Millis) -> String {
    let mut json = String::from("{\"v\":1,\"by\":");
    push_quoted(&mut json, by);
    json.push_str(",\"at\":");
    push_u64(&mut json, at);
    json.push('}');
    json
}

/// A marker's time, checking its shape; anything else is the store's corruption (fail closed:
/// never taken as "no marker").
fn marker_at(json: &str, with_by: bool) -> Result<Millis> {
    let bad = || store_corrupt("lifecycle marker is not valid JSON of the v1 shape");
    let fields = ok!(Fields::parse(json, &["v", "by", "at"]).ok_or_else(bad));
    if fields.u64("v") != Some(u64::from(RECORD_VERSION)) {
        return Err(bad());
    }
    if with_by && !fields.string("by").is_some_and(|by| is_id(&by)) {
        return Err(bad());
    }
    fields.u64("at").ok_or_else(bad)
}

/// What the markers of one password say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct State {
    /// A disabled marker exists.
    pub(crate) disabled: bool,
    /// A rotation marker exists (the password has a replacement).
    pub(crate) rotated: bool,
    /// From when on it refuses as superseded: the earlier of the overlap's end and the
    /// replacement's first verify.
    pub(crate) superseded_from: Option<Millis>,
}

impl State {
    /// Reads the values of [`marker_keys`], in that order.
    pub(crate) fn read(disabled: Option<&str>, rotated: Option<&str>, superseded: Option<&str>) -> Result<Self> {
        if let Some(json) = disabled {
            ok!(marker_at(json, false));
        }
        let rotated_at = ok!(rotated.map(|json| marker_at(json, true)).transpose());
        let superseded_at = ok!(superseded.map(|json| marker_at(json, true)).transpose());
        let superseded_from = match (rotated_at, superseded_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(Self { disabled: disabled.is_some(), rotated: rotated.is_some(), superseded_from })
    }

    /// The refusal these markers call for at `now`, if any (disabled first).
    pub(crate) fn refusal(&self, now: Millis) -> Option<Reason> {
        if self.disabled {
            Some(Reason::Disabled)
        } else if self.superseded_from.is_some_and(|t| t <= now) {
            Some(Reason::Superseded)
        } else {
            None
        }
    }
}
