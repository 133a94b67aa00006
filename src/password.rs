//! The app-password format: `{prefix}_{id}{secret}{check}` in base62.
//!
//! - `id`: 12 characters, the lookup key (not secret);
//! - `secret`: 32 characters from a CSPRNG (about 190.5 bits);
//! - `check`: CRC32 (IEEE) of everything before it, 6 base62 digits, most significant first.
//!
//! The unique prefix lets secret scanners find leaked passwords; the checksum lets anyone
//! (a scanner, a login form, [`parse`] before any store access) reject a mistyped or made-up
//! string without a lookup. Generation takes an injected [`RandomSource`] so that tests are
//! deterministic; [`OsRandom`] is the operating system's CSPRNG (`crypto.getRandomValues`
//! in WebAssembly).

use core::fmt;

use std::sync::OnceLock;

use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};

/// The 62 characters of the alphabet, in digit-value order.
pub const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// The default prefix.
pub const DEFAULT_PREFIX: &str = "apw";
/// Length of the id (selector) part.
pub const ID_LEN: usize = 12;
/// Length of the secret part.
pub const SECRET_LEN: usize = 32;
/// Length of the checksum part.
pub const CHECK_LEN: usize = 6;
/// Longest prefix accepted.
pub const MAX_PREFIX_LEN: usize = 16;
/// Everything after `{prefix}_`.
pub const BODY_LEN: usize = ID_LEN + SECRET_LEN + CHECK_LEN;

/// A source of uniformly random bytes. Implemented by [`OsRandom`]; tests inject a seeded one.
pub trait RandomSource {
    /// Fills `buf` with random bytes.
    ///
    /// # Errors
    /// [`Error::RandomUnavailable`] when the source cannot produce bytes.
    fn fill(&mut self, buf: &mut [u8]) -> Result<()>;
}

/// The operating system's CSPRNG through `getrandom` (`crypto.getRandomValues` in wasm).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        getrandom::fill(buf).map_err(|_| Error::RandomUnavailable)
    }
}

/// The OS CSPRNG read 256 bytes at a time. In WebAssembly each read is a call into
/// `crypto.getRandomValues`, which costs more than the bytes themselves, so one read serves
/// several passwords. Bytes are zeroized in the pool as they are handed out.
pub struct PooledOsRandom {
    pool: Zeroizing<[u8; 256]>,
    used: usize,
}

impl PooledOsRandom {
    /// An empty pool (filled on first use).
    #[must_use]
    pub fn new() -> Self {
        Self { pool: Zeroizing::new([0u8; 256]), used: 256 }
    }
}

impl Default for PooledOsRandom {
    // Not derived: an all-zero pool marked unused would hand out zeros.
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for PooledOsRandom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PooledOsRandom")
    }
}

impl RandomSource for PooledOsRandom {
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        let mut filled = 0;
        while filled < buf.len() {
            if self.used >= self.pool.len() {
                getrandom::fill(self.pool.as_mut_slice()).map_err(|_| Error::RandomUnavailable)?;
                self.used = 0;
            }
            let available = self.pool.get_mut(self.used..).unwrap_or_default();
            let wanted = buf.get_mut(filled..).unwrap_or_default();
            let n = available.len().min(wanted.len());
            if let (Some(src), Some(dst)) = (available.get_mut(..n), wanted.get_mut(..n)) {
                dst.copy_from_slice(src);
                src.zeroize();
            }
            self.used += n;
            filled += n;
        }
        Ok(())
    }
}

/// A validated password prefix: `[a-z][a-z0-9]{0,15}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix(String);

impl Prefix {
    /// Checks and wraps a prefix.
    ///
    /// # Errors
    /// [`Error::InvalidPrefix`] when it does not match `[a-z][a-z0-9]{0,15}`.
    pub fn new(prefix: &str) -> Result<Self> {
        let bytes = prefix.as_bytes();
        let first_ok = bytes.first().is_some_and(u8::is_ascii_lowercase);
        let rest_ok = bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if first_ok && rest_ok && bytes.len() <= MAX_PREFIX_LEN {
            Ok(Self(prefix.to_owned()))
        } else {
            Err(Error::InvalidPrefix)
        }
    }

    /// The prefix text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Total length of a password with this prefix.
    #[must_use]
    pub fn password_len(&self) -> usize {
        self.0.len() + 1 + BODY_LEN
    }
}

impl Default for Prefix {
    fn default() -> Self {
        Self(DEFAULT_PREFIX.to_owned())
    }
}

/// A whole app password. Zeroized on drop; its `Debug` shows only the id.
#[derive(Clone, PartialEq, Eq, Zeroize)]
#[zeroize(drop)]
pub struct Password {
    text: String,
    id_start: usize,
}

impl Password {
    /// The password text. Handle with care: show it once, never log it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The id (selector): the lookup key, safe to show.
    #[must_use]
    pub fn id(&self) -> &str {
        self.text.get(self.id_start..self.id_start + ID_LEN).unwrap_or_default()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Password").field("id", &self.id()).field("secret", &"<redacted>").finish()
    }
}

/// Why a string is not a well-formed app password. Internal detail for logs (`reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// Does not start with `{prefix}_`.
    WrongPrefix,
    /// Right prefix, wrong total length.
    WrongLength,
    /// A character outside `0-9A-Za-z` after the prefix.
    BadAlphabet,
    /// The CRC32 checksum does not match.
    BadChecksum,
}

impl Malformed {
    /// The stable reason string.
    #[must_use]
    pub const fn reason(self) -> &'static str {
        match self {
            Self::WrongPrefix => "wrong_prefix",
            Self::WrongLength => "wrong_length",
            Self::BadAlphabet => "bad_alphabet",
            Self::BadChecksum => "bad_checksum",
        }
    }
}

/// A parsed, well-formed password: borrowed view, nothing copied.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ParsedPassword<'a> {
    text: &'a str,
    id: &'a str,
}

impl<'a> ParsedPassword<'a> {
    /// The id (selector).
    #[must_use]
    pub fn id(&self) -> &'a str {
        self.id
    }
    /// The whole password text (what is hashed).
    #[must_use]
    pub fn text(&self) -> &'a str {
        self.text
    }
}

impl fmt::Debug for ParsedPassword<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedPassword").field("id", &self.id).field("secret", &"<redacted>").finish()
    }
}

const fn is_base62(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// CRC-32/IEEE lookup table (reflected polynomial 0xEDB88320), built on first use. Our own
/// 1 KiB table rather than crc32fast's 16 KiB slice-by-16 tables: we checksum under 70 bytes,
/// and those tables were an eighth of the WebAssembly module. Built at run time (a few
/// microseconds, once) rather than at compile time: as data it was 1 KiB of the download, which
/// compresses badly.
fn crc32_table() -> &'static [u32; 256] {
    static TABLE: OnceLock<[u32; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [0u32; 256];
        for (n, slot) in (0u32..).zip(table.iter_mut()) {
            *slot = (0..8).fold(n, |c, _| if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 });
        }
        table
    })
}

/// CRC-32 (IEEE 802.3, as zlib computes it).
#[must_use]
pub fn crc32(bytes: &[u8]) -> u32 {
    let table = crc32_table();
    !bytes.iter().fold(!0u32, |crc, &b| {
        let slot = usize::from(crc.to_le_bytes()[0] ^ b);
        table.get(slot).copied().unwrap_or(0) ^ (crc >> 8)
    })
}

/// The checksum digits of `head` (`{prefix}_{id}{secret}`).
fn checksum_digits(head: &[u8]) -> [u8; CHECK_LEN] {
    let mut value = crc32(head);
    let mut out = [b'0'; CHECK_LEN];
    for slot in out.iter_mut().rev() {
        // value % 62 < 62, so the lookup always succeeds.
        *slot = ALPHABET.get((value % 62) as usize).copied().unwrap_or(b'0');
        value /= 62;
    }
    out
}

/// Parses a candidate password with the given prefix: prefix, length, alphabet, checksum,
/// in that order, without touching any store.
///
/// # Errors
/// The first [`Malformed`] rule the string breaks.
pub fn parse<'a>(candidate: &'a str, prefix: &Prefix) -> core::result::Result<ParsedPassword<'a>, Malformed> {
    let p = prefix.as_str();
    let body = candidate.strip_prefix(p).and_then(|rest| rest.strip_prefix('_')).ok_or(Malformed::WrongPrefix)?;
    if body.len() != BODY_LEN {
        return Err(Malformed::WrongLength);
    }
    if !body.bytes().all(is_base62) {
        return Err(Malformed::BadAlphabet);
    }
    // All ASCII from here on, so byte offsets are char boundaries.
    let head_len = candidate.len() - CHECK_LEN;
    let (head, check) = candidate.split_at(head_len);
    let expected = checksum_digits(head.as_bytes());
    // The checksum is public information; a plain comparison is fine.
    if expected.as_slice() != check.as_bytes() {
        return Err(Malformed::BadChecksum);
    }
    let id_start = p.len() + 1;
    let id = candidate.get(id_start..id_start + ID_LEN).ok_or(Malformed::WrongLength)?;
    Ok(ParsedPassword { text: candidate, id })
}

/// True when `candidate` has the shape and checksum of an app password with any valid prefix.
/// Lets a login form say "that is an app password" and a secret scanner confirm a match.
#[must_use]
pub fn looks_like_app_password(candidate: &str) -> bool {
    let Some((prefix, _)) = candidate.split_once('_') else {
        return false;
    };
    Prefix::new(prefix).is_ok_and(|p| parse(candidate, &p).is_ok())
}

/// Fills `out` with characters drawn uniformly from [`ALPHABET`] by rejection sampling:
/// a byte is used only when below 248 (= 4 x 62), so `byte % 62` has no bias.
///
/// # Errors
/// [`Error::RandomUnavailable`] from the source.
pub fn fill_base62(rng: &mut impl RandomSource, out: &mut [u8]) -> Result<()> {
    let mut pool = Zeroizing::new([0u8; 64]);
    let mut filled = 0;
    // A healthy source rejects 8 bytes in 256, so a 64-byte draw yields about 62 characters;
    // needing four times the expected draws, plus slack, means it is broken, not unlucky.
    let max_draws = out.len() / 16 + 64;
    let mut draws = 0;
    while filled < out.len() {
        draws += 1;
        if draws > max_draws {
            return Err(Error::RandomUnavailable);
        }
        rng.fill(pool.as_mut_slice())?;
        for &byte in pool.iter() {
            if byte >= 248 {
                continue;
            }
            let Some(slot) = out.get_mut(filled) else { break };
            *slot = ALPHABET.get(usize::from(byte % 62)).copied().unwrap_or(b'0');
            filled += 1;
        }
    }
    Ok(())
}

/// Generates a new password with the given prefix from `rng`.
///
/// # Errors
/// [`Error::RandomUnavailable`] from the source.
pub fn generate(prefix: &Prefix, rng: &mut impl RandomSource) -> Result<Password> {
    let mut random = Zeroizing::new([0u8; ID_LEN + SECRET_LEN]);
    fill_base62(rng, random.as_mut_slice())?;
    let mut text = String::with_capacity(prefix.password_len());
    text.push_str(prefix.as_str());
    text.push('_');
    // Every byte of `random` is from ALPHABET (ASCII), so each maps to one char.
    text.extend(random.iter().map(|&b| char::from(b)));
    let check = checksum_digits(text.as_bytes());
    text.extend(check.iter().map(|&b| char::from(b)));
    Ok(Password { id_start: prefix.as_str().len() + 1, text })
}

/// Whether `id` has the shape of a password id (12 base62 characters).
#[must_use]
pub fn is_id(id: &str) -> bool {
    id.len() == ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::crc32;

    /// The standard check values: the table built at run time is the one built at compile time.
    #[test]
    fn crc32_is_zlibs() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414F_A339);
    }
}
