//! The PHC string of an Argon2 hash: [`PhcHash`] reads one (`$argon2id$v=19$m=..,t=..,p=..$salt$hash`)
//! and writes one.
//!
//! Apart from the hashing (`hash.rs`) because it is a text format, not a computation: this
//! file knows the grammar and our bounds on it and never runs Argon2; [`super::Hasher`] runs
//! Argon2 on what this file parsed. The reader is our own, small and bounded, so a stored
//! string with absurd parameters is refused before any memory is asked for. Its base64 codec
//! ([`push_b64`], [`decode_b64`]) is also the scope encoding's (base64url) and the Basic
//! header's: one small codec in the wasm.

use core::fmt;

use argon2::{Algorithm, Params, Version};

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
    match decode_b64(trimmed, false) {
        Some(bytes) => Ok(bytes),
        None => Err(Error::InvalidHash(what)),
    }
}

/// `value`, or [`Error::InvalidHash`] naming what is missing. Not `ok_or`: that builds the error
/// before knowing it is needed and drops it again, a call at every use.
fn required<T>(value: Option<T>, what: &'static str) -> Result<T> {
    match value {
        Some(value) => Ok(value),
        None => Err(Error::InvalidHash(what)),
    }
}

/// Appends the unpadded base64 of `bytes`: the standard alphabet, or with `url` base64url's,
/// `-` and `_` for `+` and `/` (the scope encoding). Our own rather than base64ct's encoder,
/// which was 1 KB of wasm; branch-free as that one is (no lookup indexed by a byte of the hash).
pub(crate) fn push_b64(out: &mut String, bytes: &[u8], url: bool) {
    let (plus, slash) = if url { (b'-', b'_') } else { (b'+', b'/') };
    // Eight bits in per byte, a character out whenever six are waiting; the last 2 or 4 bits
    // padded with zeros to a character of their own.
    let (mut bits, mut waiting) = (0u32, 0u32);
    for &byte in bytes {
        bits = (bits << 8) | u32::from(byte);
        waiting += 8;
        while waiting >= 6 {
            waiting -= 6;
            out.push(char::from(encode_6bits((bits >> waiting) & 63, plus, slash)));
        }
    }
    if waiting > 0 {
        out.push(char::from(encode_6bits((bits << (6 - waiting)) & 63, plus, slash)));
    }
}

/// Strict unpadded base64 (`url`: base64url) to bytes: `None` for a character outside the
/// alphabet, a length of 1 mod 4, or bits set after the last byte (so each byte string has one
/// text). Our own, with [`push_b64`], rather than base64ct's codec (2 KB of wasm: its decoder
/// re-encodes to check); constant-time in the text as that one is, since it decodes the
/// password of a Basic header too. The capacity is reserved first, so no copy is left behind.
pub(crate) fn decode_b64(text: &str, url: bool) -> Option<Vec<u8>> {
    let (plus, slash) = if url { (b'-', b'_') } else { (b'+', b'/') };
    let text = text.as_bytes();
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    // Six bits in per character, a byte out whenever eight are waiting (where depends only on
    // the position); the 2 or 4 bits left at the end must be zero.
    let (mut bad, mut bits, mut waiting) = (0i16, 0u32, 0u32);
    for &c in text {
        let six = decode_6bits(c, plus, slash);
        bad |= six & -64; // nonzero only for -1, a character outside the alphabet
        bits = (bits << 6) | u32::from(six.to_le_bytes()[0] & 63);
        waiting += 6;
        if waiting >= 8 {
            waiting -= 8;
            out.push((bits >> waiting).to_le_bytes()[0]);
        }
    }
    bad |= i16::from(bits & ((1 << waiting) - 1) != 0);
    (bad == 0).then_some(out)
}

/// The 6-bit value of a character of the alphabet with `plus` and `slash` for 62 and 63, or
/// -1. Arithmetic only: each `((low - 1 - c) & (c - high - 1)) >> 8` is all ones when `c` is
/// in `low..=high`, else zero; the matching range adds its offset to the -1.
fn decode_6bits(c: u8, plus: u8, slash: u8) -> i16 {
    let within = |low: u8, high: u8, offset: i16| {
        let c = i16::from(c);
        (((i16::from(low) - 1 - c) & (c - i16::from(high) - 1)) >> 8) & offset
    };
    -1 + within(b'A', b'Z', i16::from(c) - 64)
        + within(b'a', b'z', i16::from(c) - 70)
        + within(b'0', b'9', i16::from(c) + 5)
        + within(plus, plus, 63)
        + within(slash, slash, 64)
}

/// The character of a 6-bit value: `A`-`Z`, `a`-`z`, `0`-`9`, `plus`, `slash`. Arithmetic
/// only: each `(edge - x) >> 8` is all ones once `x` is past `edge`, else zero.
fn encode_6bits(six: u32, plus: u8, slash: u8) -> u8 {
    let x = i32::try_from(six).unwrap_or(0);
    let mut c = x + i32::from(b'A');
    c += ((25 - x) >> 8) & 6; // 26.. -> 'a'..
    c -= ((51 - x) >> 8) & 75; // 52.. -> '0'..
    c += ((61 - x) >> 8) & (i32::from(plus) - i32::from(b'9') - 1); // 62 -> plus
    c += ((62 - x) >> 8) & (i32::from(slash) - i32::from(plus) - 1); // 63 -> slash
    u8::try_from(c).unwrap_or(b'=')
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
            push_b64(&mut out, &self.keyid, false);
        }
        if !self.data.is_empty() {
            out.push_str(",data=");
            push_b64(&mut out, &self.data, false);
        }
        out.push('$');
        push_b64(&mut out, &self.salt, false);
        out.push('$');
        push_b64(&mut out, &self.hash, false);
        out
    }
}

#[cfg(test)]
mod tests {
    use base64ct::{Base64Unpadded, Encoding};

    use super::{decode_b64, push_b64};

    #[test]
    fn push_b64_writes_what_base64ct_writes() {
        // Every 6-bit value in every position, and every length of remainder.
        let bytes: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for start in 0..3 {
            for len in 0..=bytes.len() - start {
                let input = bytes.get(start..start + len).unwrap_or_default();
                let expected = Base64Unpadded::encode_string(input);
                let mut standard = String::from("x");
                push_b64(&mut standard, input, false);
                assert_eq!(standard, ["x", &expected].concat());
                let mut url = String::new();
                push_b64(&mut url, input, true);
                assert_eq!(url, expected.replace('+', "-").replace('/', "_"));
            }
        }
    }

    /// What base64ct's strict unpadded decoder answers, with `url`'s alphabet mapped to its.
    fn reference(text: &str, url: bool) -> Option<Vec<u8>> {
        let standard: String = text
            .chars()
            .map(|c| match (url, c) {
                (true, '-') => '+',
                (true, '_') => '/',
                (true, '+' | '/') => '.',
                (_, c) => c,
            })
            .collect();
        Base64Unpadded::decode_vec(&standard).ok()
    }

    #[test]
    fn decode_b64_answers_what_base64ct_answers() {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=. @[`{\x7f";
        // Every text of up to 3 characters over the alphabets and their neighbours...
        let mut texts = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = texts
                .iter()
                .filter(|t| t.len() == texts.last().map_or(0, String::len))
                .flat_map(|t| CHARS.iter().map(move |&c| [t.as_str(), &char::from(c).to_string()].concat()))
                .collect();
            texts.extend(longer);
        }
        // ...and pseudo-random ones up to 16, mostly valid (a small LCG, no dependency).
        let mut state = 0x2545_f491_u64;
        let mut next = |n: usize| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(state >> 33).unwrap_or(0) % n
        };
        for _ in 0..200_000 {
            let len = next(17);
            let alphabet = if next(8) == 0 { CHARS.len() } else { 66 };
            texts.push((0..len).map(|_| char::from(*CHARS.get(next(alphabet)).unwrap_or(&b'A'))).collect());
        }
        texts.push("é".into());
        texts.push("QUJDé".into());
        let mut valid = 0;
        for text in &texts {
            for url in [false, true] {
                let ours = decode_b64(text, url);
                assert_eq!(ours, reference(text, url), "{text:?} url={url}");
                valid += usize::from(ours.is_some());
            }
        }
        assert!(valid > 50_000, "the test reaches valid texts ({valid})");
    }
}
