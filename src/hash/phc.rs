//! The PHC string of an Argon2 hash: [`PhcHash`] reads one (`$argon2id$v=19$m=..,t=..,p=..$salt$hash`)
//! and writes one.
//!
//! Apart from the hashing (`hash.rs`) because it is a text format, not a computation: this
//! file knows the grammar and our bounds on it and never runs Argon2; [`super::Hasher`] runs
//! Argon2 on what this file parsed. The reader is our own, small and bounded, so a stored
//! string with absurd parameters is refused before any memory is asked for.

use core::fmt;

use argon2::{Algorithm, Params, Version};
use base64ct::{Base64Unpadded, Encoding};

use super::HashParams;
use crate::error::{Error, Result};
use crate::json::push_u64;

/// Longest PHC string accepted.
pub const MAX_PHC_LEN: usize = 512;

/// A parsed Argon2 PHC string: `$argon2id$v=19$m=..,t=..,p=..$salt$hash`.
#[derive(Clone, PartialEq, Eq)]
pub struct PhcHash {
    pub(super) algorithm: Algorithm,
    pub(super) version: Version,
    pub(super) params: HashParams,
    pub(super) keyid: Vec<u8>,
    pub(super) data: Vec<u8>,
    pub(super) salt: Vec<u8>,
    pub(super) hash: Vec<u8>,
}

impl fmt::Debug for PhcHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PhcHash")
            .field("algorithm", &self.algorithm)
            .field("version", &self.version)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

fn b64_decode(field: &str, what: &'static str) -> Result<Vec<u8>> {
    // The PHC format is unpadded; tolerate padding some writers add.
    let trimmed = field.trim_end_matches('=');
    Base64Unpadded::decode_vec(trimmed).map_err(|_| Error::InvalidHash(what))
}

/// `value`, or [`Error::InvalidHash`] naming what is missing. Not `ok_or`: that builds the error
/// before knowing it is needed and drops it again, a call at every use.
fn required<T>(value: Option<T>, what: &'static str) -> Result<T> {
    match value {
        Some(value) => Ok(value),
        None => Err(Error::InvalidHash(what)),
    }
}

/// Appends the unpadded base64 of `bytes` (one copy of this for the four fields of a PHC string).
fn push_b64(out: &mut String, bytes: &[u8]) {
    out.push_str(&Base64Unpadded::encode_string(bytes));
}

fn parse_u32(value: &str, what: &'static str) -> Result<u32> {
    if value.is_empty() || value.len() > 10 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidHash(what));
    }
    // At most 10 digits: the sum cannot overflow a u64, and what passes u32::MAX is refused.
    // Summed here rather than by `str::parse`, whose generic parser was 300 B of wasm.
    let n = value.bytes().fold(0u64, |n, digit| n * 10 + u64::from(digit - b'0'));
    u32::try_from(n).map_err(|_| Error::InvalidHash(what))
}

impl PhcHash {
    /// Reads an Argon2 PHC string as other implementations write it: `argon2id`, `argon2i` or
    /// `argon2d`; `v=16`, `v=19` or no version (meaning 16); `m`, `t`, `p` in any order, with
    /// optional `keyid` and `data`.
    ///
    /// # Errors
    /// [`Error::InvalidHash`] for anything else, including parameters beyond our bounds.
    pub fn parse(phc: &str) -> Result<Self> {
        if phc.len() > MAX_PHC_LEN {
            return Err(Error::InvalidHash("too long"));
        }
        let mut fields = phc.split('$');
        if fields.next() != Some("") {
            return Err(Error::InvalidHash("must start with $"));
        }
        let algorithm = match fields.next() {
            Some("argon2id") => Algorithm::Argon2id,
            Some("argon2i") => Algorithm::Argon2i,
            Some("argon2d") => Algorithm::Argon2d,
            _ => return Err(Error::InvalidHash("not an Argon2 hash")),
        };
        let mut field = required(fields.next(), "missing parameters")?;
        let mut version = Version::V0x10;
        if let Some(v) = field.strip_prefix("v=") {
            version = match parse_u32(v, "bad version")? {
                16 => Version::V0x10,
                19 => Version::V0x13,
                _ => return Err(Error::InvalidHash("unsupported version")),
            };
            field = required(fields.next(), "missing parameters")?;
        }
        let (mut m, mut t, mut p) = (None, None, None);
        let (mut keyid, mut data) = (Vec::new(), Vec::new());
        for pair in field.split(',') {
            let (name, value) = required(pair.split_once('='), "bad parameter")?;
            let slot = match name {
                "m" => &mut m,
                "t" => &mut t,
                "p" => &mut p,
                "keyid" if keyid.is_empty() => {
                    keyid = b64_decode(value, "bad keyid")?;
                    continue;
                }
                "data" if data.is_empty() => {
                    data = b64_decode(value, "bad data")?;
                    continue;
                }
                _ => return Err(Error::InvalidHash("unknown or repeated parameter")),
            };
            if slot.is_some() {
                return Err(Error::InvalidHash("repeated parameter"));
            }
            *slot = Some(parse_u32(value, "bad parameter value")?);
        }
        let params = HashParams {
            memory_kib: required(m, "missing m")?,
            iterations: required(t, "missing t")?,
            parallelism: required(p, "missing p")?,
        };
        params.validate().map_err(|_| Error::InvalidHash("parameters out of range"))?;
        let salt = b64_decode(required(fields.next(), "missing salt")?, "bad salt")?;
        let hash = b64_decode(required(fields.next(), "missing hash")?, "bad hash")?;
        if fields.next().is_some() {
            return Err(Error::InvalidHash("trailing fields"));
        }
        if salt.len() < 8 || salt.len() > 64 {
            return Err(Error::InvalidHash("salt must be 8 to 64 bytes"));
        }
        if hash.len() < 4 || hash.len() > 64 {
            return Err(Error::InvalidHash("hash must be 4 to 64 bytes"));
        }
        if keyid.len() > Params::MAX_KEYID_LEN || data.len() > Params::MAX_DATA_LEN {
            return Err(Error::InvalidHash("keyid or data too long"));
        }
        Ok(Self { algorithm, version, params, keyid, data, salt, hash })
    }

    /// An Argon2id v=19 hash from its parts (no keyid or data).
    #[must_use]
    pub fn argon2id(params: HashParams, salt: &[u8], hash: &[u8]) -> Self {
        Self {
            algorithm: Algorithm::Argon2id,
            version: Version::V0x13,
            params,
            keyid: Vec::new(),
            data: Vec::new(),
            salt: salt.to_vec(),
            hash: hash.to_vec(),
        }
    }

    /// The cost parameters.
    #[must_use]
    pub fn params(&self) -> HashParams {
        self.params
    }

    /// Whether this is Argon2id, v=19, without keyid or data: the only kind `create` writes.
    #[must_use]
    pub fn is_plain_argon2id_v19(&self) -> bool {
        self.algorithm == Algorithm::Argon2id
            && self.version == Version::V0x13
            && self.keyid.is_empty()
            && self.data.is_empty()
    }

    /// Salt length in bytes.
    #[must_use]
    pub fn salt_len(&self) -> usize {
        self.salt.len()
    }

    /// Output (hash) length in bytes.
    #[must_use]
    pub fn output_len(&self) -> usize {
        self.hash.len()
    }

    /// Whether this is an Argon2id, v=19 hash with exactly `params`, i.e. needs no re-hash.
    #[must_use]
    pub fn is_current(&self, params: &HashParams) -> bool {
        self.algorithm == Algorithm::Argon2id
            && self.version == Version::V0x13
            && self.params == *params
            && self.keyid.is_empty()
            && self.data.is_empty()
    }

    /// The PHC string.
    #[must_use]
    pub fn to_phc(&self) -> String {
        let alg = match self.algorithm {
            Algorithm::Argon2d => "argon2d",
            Algorithm::Argon2i => "argon2i",
            Algorithm::Argon2id => "argon2id",
        };
        let v = match self.version {
            Version::V0x10 => "16",
            Version::V0x13 => "19",
        };
        let HashParams { memory_kib, iterations, parallelism } = self.params;
        // keyid and data are inputs of the hash (data is Argon2's associated data X): a string
        // without them would describe another hash.
        // Built without core::fmt (it would be the only user in the wasm: docs/BUILD-KNOBS.md).
        let mut out = ["$", alg, "$v=", v].concat();
        for (text, n) in [("$m=", memory_kib), (",t=", iterations), (",p=", parallelism)] {
            out.push_str(text);
            push_u64(&mut out, u64::from(n));
        }
        if !self.keyid.is_empty() {
            out.push_str(",keyid=");
            push_b64(&mut out, &self.keyid);
        }
        if !self.data.is_empty() {
            out.push_str(",data=");
            push_b64(&mut out, &self.data);
        }
        out.push('$');
        push_b64(&mut out, &self.salt);
        out.push('$');
        push_b64(&mut out, &self.hash);
        out
    }
}
