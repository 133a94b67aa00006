//! The stored record, its versioned JSON encoding, and the key layout.
//!
//! Key layout, version 1 (every key starts with [`KEY_ROOT`]):
//!
//! | key | value | written by |
//! |---|---|---|
//! | `app-passwords/v1/record/{id}` | [`Record`] JSON | `create` (and a re-hash upgrade) |
//! | `app-passwords/v1/user/{user}/{id}` | [`IndexEntry`] JSON (`lastUsedAt`) | `create`, `verify` (throttled) |
//! | `app-passwords/v1/revoked/{id}` | [`Tombstone`] JSON | `revoke` |
//! | `app-passwords/v1/uses/{id}` | an integer: granted verifies so far | `verify` of a password with `maxUses` (the store's atomic `increment`) |
//! | `app-passwords/v1/user/{user}/{id}/disabled` | `marker::Disabled` JSON | `set_enabled(false)` (deleted by `true`) |
//! | `app-passwords/v1/user/{user}/{id}/rotated` | `marker::Rotated` JSON | `rotate` (the overlap's end) |
//! | `app-passwords/v1/user/{user}/{id}/superseded` | `marker::Superseded` JSON | the replacement's first verify |
//!
//! The three markers sit under the owner's index prefix, so `list` sees them in its key listing
//! without reading them, and `verify` reads them in the same bulk read as record and tombstone
//! (see `marker.rs`).
//!
//! `{user}` is percent-encoded (everything but `A-Z a-z 0-9 - . _ ~`), so one user's prefix
//! never matches another's. No value is ever read, modified and written back: the record is
//! written once, the index entry is overwritten blindly, and the tombstone lets a re-hash
//! upgrade that raced a revoke undo itself. So a store without compare-and-set (Workers KV)
//! is enough, and no write after a revoke can bring a revoked password back.

use crate::caveat::{Caveats, ParsedCaveats};
use crate::clock::Millis;
use crate::error::{Error, Result};
use crate::io::{ok, store_corrupt};
use crate::json::{Fields, push_opt_u64, push_quoted, push_u64};
use crate::password::is_id;

/// The root of every key this crate writes.
pub const KEY_ROOT: &str = "app-passwords/v1/";
/// Current record format version.
pub const RECORD_VERSION: u32 = 1;
/// Longest username accepted (bytes of UTF-8).
pub const MAX_USER_LEN: usize = 128;
/// Longest label accepted (characters).
pub const MAX_LABEL_LEN: usize = 255;

/// One app password as stored: everything but the password itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    /// Format version ([`RECORD_VERSION`]).
    pub v: u32,
    /// The id (selector).
    pub id: String,
    /// The owner's username.
    pub user: String,
    /// The label given at creation.
    pub label: String,
    /// The closed scope set, compact encoding (`v1.` + base64url).
    pub scopes: String,
    /// Argon2 PHC string of the whole password.
    pub hash: String,
    /// Creation time, epoch milliseconds.
    pub created_at: Millis,
    /// Expiry time, epoch milliseconds, if any.
    pub expires_at: Option<Millis>,
    /// Caveats (docs/design.md#caveats); stored only when there is one.
    pub caveats: Caveats,
    /// The id of the password this one replaced (`rotate`), if any. Absent from the JSON when
    /// `None`.
    pub replaces: Option<String>,
    /// A canary: never grants, reports each use. Absent from the JSON when `false`.
    pub canary: bool,
}

impl core::fmt::Debug for Record {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Record")
            .field("id", &self.id)
            .field("user", &self.user)
            .field("label", &self.label)
            .field("scopes", &self.scopes)
            .field("hash", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("caveats", &self.caveats)
            .field("replaces", &self.replaces)
            .field("canary", &self.canary)
            .finish()
    }
}

const RECORD_FIELDS: &[&str] =
    &["v", "id", "user", "label", "scopes", "hash", "createdAt", "expiresAt", "caveats", "replaces", "canary"];

impl Record {
    /// Encodes the record as JSON (fields in a fixed order).
    ///
    /// # Errors
    /// None today; the `Result` keeps the signature stable.
    pub fn to_json(&self) -> Result<String> {
        let mut out = String::with_capacity(256);
        out.push_str("{\"v\":");
        push_u64(&mut out, u64::from(self.v));
        for (name, value) in [
            ("id", &self.id),
            ("user", &self.user),
            ("label", &self.label),
            ("scopes", &self.scopes),
            ("hash", &self.hash),
        ] {
            out.push_str(",\"");
            out.push_str(name);
            out.push_str("\":");
            push_quoted(&mut out, value);
        }
        out.push_str(",\"createdAt\":");
        push_u64(&mut out, self.created_at);
        out.push_str(",\"expiresAt\":");
        push_opt_u64(&mut out, self.expires_at);
        self.caveats.write_json(&mut out);
        // The lifecycle fields only when set: every other record stays byte for byte as before.
        if let Some(replaces) = &self.replaces {
            out.push_str(",\"replaces\":");
            push_quoted(&mut out, replaces);
        }
        if self.canary {
            out.push_str(",\"canary\":true");
        }
        out.push('}');
        Ok(out)
    }

    /// Decodes and checks a stored record: the v1 shape exactly (no unknown or missing field,
    /// integers where integers belong), the id it is stored under, a valid username. Scopes
    /// and hash are checked where they are used.
    ///
    /// # Errors
    /// [`Error::StoreCorrupt`] for anything unexpected.
    pub fn from_json(json: &str, expected_id: &str) -> Result<Self> {
        Self::read(json, expected_id, None)
    }

    /// [`Record::from_json`], the caveats taken from `parsed` when it has parsed the same text
    /// for this id before (verify reads the same record again and again).
    pub(crate) fn from_json_with(json: &str, expected_id: &str, parsed: &ParsedCaveats) -> Result<Self> {
        Self::read(json, expected_id, Some(parsed))
    }

    fn read(json: &str, expected_id: &str, parsed: Option<&ParsedCaveats>) -> Result<Self> {
        let shape = || store_corrupt("record is not valid JSON of the v1 shape");
        let (fields, caveats) = ok!(Fields::parse_keeping(json, RECORD_FIELDS, "caveats").ok_or_else(shape));
        let v = ok!(fields.u64("v").ok_or_else(shape));
        if v != u64::from(RECORD_VERSION) {
            return Err(store_corrupt("unknown record version"));
        }
        // Every field read in one closure, so that one error stands for any of them; the strings
        // borrowed until all are read (no copy to free when a later field is wrong).
        let read = || {
            let (id, user, label) = (fields.str("id")?, fields.str("user")?, fields.str("label")?);
            let (scopes, hash) = (fields.str("scopes")?, fields.str("hash")?);
            let (created_at, expires_at) = (fields.u64("createdAt")?, fields.opt_u64("expiresAt")?);
            let canary = fields.bool_or("canary", false)?;
            let replaces = match fields.string_or_empty("replaces")? {
                id if id.is_empty() => None,
                id if is_id(&id) => Some(id),
                _ => return None,
            };
            Some(Self {
                v: RECORD_VERSION,
                id: id.to_owned(),
                user: user.to_owned(),
                label: label.to_owned(),
                scopes: scopes.to_owned(),
                hash: hash.to_owned(),
                created_at,
                expires_at,
                caveats: Caveats::default(),
                replaces,
                canary,
            })
        };
        let mut record = ok!(read().ok_or_else(shape));
        record.caveats = match (caveats, parsed) {
            (None, _) => Caveats::default(),
            (Some(text), Some(parsed)) => ok!(parsed.get(expected_id, text)),
            (Some(text), None) => ok!(Caveats::from_record(text)),
        };
        if record.id != expected_id {
            return Err(store_corrupt("record id does not match its key"));
        }
        ok!(validate_user(&record.user).map_err(|_| store_corrupt("bad user in record")));
        Ok(record)
    }
}

/// The per-user index entry: exists while the password does, holds its last use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexEntry {
    /// Format version ([`RECORD_VERSION`]).
    pub v: u32,
    /// Last successful verify, epoch milliseconds (throttled), if any.
    pub last_used_at: Option<Millis>,
}

impl IndexEntry {
    /// JSON text.
    #[must_use]
    pub fn to_json(&self) -> String {
        v_and_time(self.v, "lastUsedAt", self.last_used_at)
    }

    /// Decodes an index entry.
    ///
    /// # Errors
    /// [`Error::StoreCorrupt`].
    pub fn from_json(json: &str) -> Result<Self> {
        let bad = || store_corrupt("index entry is not valid JSON of the v1 shape");
        let fields = ok!(Fields::parse(json, &["v", "lastUsedAt"]).ok_or_else(bad));
        if fields.u64("v") != Some(u64::from(RECORD_VERSION)) {
            return Err(store_corrupt("unknown index entry version"));
        }
        Ok(Self { v: RECORD_VERSION, last_used_at: ok!(fields.opt_u64("lastUsedAt").ok_or_else(bad)) })
    }
}

/// Left behind by `revoke`, so a concurrent re-hash upgrade can see it lost the race.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tombstone {
    /// Format version.
    pub v: u32,
    /// When the password was revoked, epoch milliseconds.
    pub revoked_at: Millis,
}

impl Tombstone {
    /// JSON text.
    #[must_use]
    pub fn to_json(&self) -> String {
        v_and_time(self.v, "revokedAt", Some(self.revoked_at))
    }

    /// Decodes a tombstone. Anything else under a tombstone key is not taken as one: a store
    /// returning garbage must not make a live password look revoked (and be tidied away).
    ///
    /// # Errors
    /// [`Error::StoreCorrupt`].
    pub fn from_json(json: &str) -> Result<Self> {
        let bad = || store_corrupt("tombstone is not valid JSON of the v1 shape");
        let fields = ok!(Fields::parse(json, &["v", "revokedAt"]).ok_or_else(bad));
        if fields.u64("v") != Some(u64::from(RECORD_VERSION)) {
            return Err(bad());
        }
        Ok(Self { v: RECORD_VERSION, revoked_at: ok!(fields.u64("revokedAt").ok_or_else(bad)) })
    }
}

/// `{"v":..,"<name>":..}`, the JSON of an index entry and of a tombstone.
pub(crate) fn v_and_time(v: u32, name: &str, time: Option<Millis>) -> String {
    let mut out = String::from("{\"v\":");
    push_u64(&mut out, u64::from(v));
    for piece in [",\"", name, "\":"] {
        out.push_str(piece);
    }
    push_opt_u64(&mut out, time);
    out.push('}');
    out
}

/// Key of the record with this id.
#[must_use]
pub fn record_key(id: &str) -> String {
    [KEY_ROOT, "record/", id].concat()
}

/// Key of the tombstone of this id.
#[must_use]
pub fn tombstone_key(id: &str) -> String {
    [KEY_ROOT, "revoked/", id].concat()
}

/// Key of the use counter of this id (passwords with `maxUses`).
#[must_use]
pub fn uses_key(id: &str) -> String {
    [KEY_ROOT, "uses/", id].concat()
}

/// Prefix of every index entry of `user`.
#[must_use]
pub fn user_prefix(user: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut key = [KEY_ROOT, "user/"].concat();
    for byte in user.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            key.push(char::from(byte));
        } else {
            key.push('%');
            for nibble in [byte >> 4, byte & 15] {
                key.push(char::from(HEX.get(usize::from(nibble)).copied().unwrap_or(b'0')));
            }
        }
    }
    key.push('/');
    key
}

/// Key of `user`'s index entry for `id`.
#[must_use]
pub fn index_key(user: &str, id: &str) -> String {
    let mut key = user_prefix(user);
    key.push_str(id);
    key
}

/// Checks a username: 1 to 128 bytes, no colon (HTTP Basic cannot carry one in the user-id,
/// RFC 7617 section 2), no control characters.
///
/// # Errors
/// [`Error::InvalidUser`].
pub fn validate_user(user: &str) -> Result<()> {
    if user.is_empty() {
        return Err(Error::InvalidUser("empty"));
    }
    if user.len() > MAX_USER_LEN {
        return Err(Error::InvalidUser("longer than 128 bytes"));
    }
    if user.contains(':') {
        return Err(Error::InvalidUser("contains a colon"));
    }
    if user.chars().any(char::is_control) {
        return Err(Error::InvalidUser("contains a control character"));
    }
    Ok(())
}

/// Checks a label: 1 to 255 characters, not only whitespace, no control characters.
///
/// # Errors
/// [`Error::InvalidLabel`].
pub fn validate_label(label: &str) -> Result<()> {
    if label.trim().is_empty() {
        return Err(Error::InvalidLabel("empty"));
    }
    if label.chars().count() > MAX_LABEL_LEN {
        return Err(Error::InvalidLabel("longer than 255 characters"));
    }
    if label.chars().any(char::is_control) {
        return Err(Error::InvalidLabel("contains a control character"));
    }
    Ok(())
}
