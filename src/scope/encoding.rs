//! The compact, versioned storage encoding of a [`ScopeSet`]: `v1.` + base64url of its
//! bytes ([`Catalog::encode`], [`Catalog::decode`]).
//!
//! Apart from `scope.rs` because it is a stored format with its own strictness rules (one
//! canonical string per set, refused otherwise), read from every record on every verify;
//! the scope model itself never needs bytes.

use base64ct::{Base64Unpadded, Encoding};

use super::{Catalog, MAX_SCOPES, ScopeSet};
use crate::error::{Error, Result};

/// Prefix of the version-1 compact encoding.
pub const ENCODING_V1: &str = "v1.";

impl ScopeSet {
    /// Little-endian bytes; the canonical form is them without trailing zero bytes.
    fn to_bytes(self) -> [u8; MAX_SCOPES / 8] {
        let mut bytes = [0u8; MAX_SCOPES / 8];
        for (i, byte) in bytes.iter_mut().enumerate() {
            let word = self.0.get(i / 8).copied().unwrap_or_default();
            *byte = word.to_le_bytes().get(i % 8).copied().unwrap_or_default();
        }
        bytes
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > MAX_SCOPES / 8 {
            return None;
        }
        let mut set = Self::EMPTY;
        for (i, byte) in bytes.iter().enumerate() {
            let word = set.0.get_mut(i / 8)?;
            *word |= u64::from(*byte) << ((i % 8) * 8);
        }
        Some(set)
    }
}

impl Catalog {
    /// The compact storage encoding: `v1.` + base64url (unpadded) of the bitset's
    /// little-endian bytes, trailing zero bytes trimmed.
    #[must_use]
    pub fn encode(&self, set: &ScopeSet) -> String {
        let mut out = String::from(ENCODING_V1);
        let bytes = set.to_bytes();
        let used = bytes.iter().rposition(|b| *b != 0).map_or(0, |last| last + 1);
        out.push_str(&base64url_encode(bytes.get(..used).unwrap_or_default()));
        out
    }

    /// Strict decoding of [`Catalog::encode`]'s output.
    ///
    /// # Errors
    /// [`Error::InvalidScopeEncoding`] for an unknown version, bad or non-canonical base64,
    /// a trailing zero byte, or a bit outside this catalogue.
    pub fn decode(&self, encoded: &str) -> Result<ScopeSet> {
        // let-else rather than `ok_or`, which builds the error (and drops it) on every call.
        let Some(payload) = encoded.strip_prefix(ENCODING_V1) else {
            return Err(Error::InvalidScopeEncoding("unknown version"));
        };
        if payload.len() > 64 {
            return Err(Error::InvalidScopeEncoding("too long"));
        }
        // Non-canonical base64url (trailing bits set) is refused here too: base64ct re-encodes
        // the last block and compares.
        let Some(bytes) = base64url_decode(payload) else {
            return Err(Error::InvalidScopeEncoding("bad base64url"));
        };
        if bytes.last() == Some(&0) {
            return Err(Error::InvalidScopeEncoding("trailing zero byte"));
        }
        let Some(set) = ScopeSet::from_bytes(&bytes) else {
            return Err(Error::InvalidScopeEncoding("too long"));
        };
        if !set.is_subset(&self.all) {
            return Err(Error::InvalidScopeEncoding("unknown scope bit"));
        }
        Ok(set)
    }
}

// base64url (RFC 4648 section 5, unpadded) through base64ct's standard alphabet with its two
// differing characters swapped: the PHC code already links that codec, and a second alphabet
// was 2 KB of wasm. Scope sets are not secret, so the swap need not be constant-time.
fn base64url_encode(bytes: &[u8]) -> String {
    Base64Unpadded::encode_string(bytes)
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect()
}

fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    // Byte by byte: the alphabet is ASCII, and any other byte makes a character base64 refuses.
    let standard: String = text
        .bytes()
        .map(|b| match b {
            b'-' => '+',
            b'_' => '/',
            b'+' | b'/' => '.', // standard-alphabet characters are not base64url
            b => char::from(b),
        })
        .collect();
    Base64Unpadded::decode_vec(&standard).ok()
}
