//! HTTP Basic credentials (RFC 7617), parsed with a size bound and without panics.

use base64ct::{Base64Unpadded, Encoding};
use zeroize::Zeroizing;

/// Longest `Authorization` header value accepted. A username of 128 bytes and a password of
/// 128 bytes encode to under 350 characters; anything far beyond is refused unread.
pub const MAX_HEADER_LEN: usize = 1024;

/// Why a header did not yield credentials. Internal detail for logs (`reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasicAuthError {
    /// No header, or an empty one.
    Missing,
    /// Longer than [`MAX_HEADER_LEN`].
    TooLong,
    /// Another scheme (Bearer, Digest, ...).
    NotBasic,
    /// The token is not base64.
    BadBase64,
    /// The decoded bytes are not UTF-8.
    BadUtf8,
    /// No colon between user-id and password.
    NoColon,
}

impl BasicAuthError {
    /// The stable reason string.
    #[must_use]
    pub const fn reason(self) -> &'static str {
        match self {
            Self::Missing => "missing_credentials",
            Self::TooLong => "header_too_long",
            Self::NotBasic => "not_basic_auth",
            Self::BadBase64 => "bad_base64",
            Self::BadUtf8 => "bad_utf8",
            Self::NoColon => "missing_colon",
        }
    }
}

/// A username and password from a Basic header; the password is zeroized on drop and kept
/// out of `Debug`.
pub struct BasicCredentials {
    /// The user-id.
    pub username: String,
    /// The password (an app password, or anything a client sent).
    pub password: Zeroizing<String>,
}

impl core::fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BasicCredentials").field("username", &self.username).field("password", &"<redacted>").finish()
    }
}

/// Parses an `Authorization` header value: `Basic base64(user-id ":" password)`.
/// The scheme is case-insensitive (RFC 7235); the user-id ends at the first colon.
///
/// # Errors
/// A [`BasicAuthError`] naming the first problem.
pub fn parse_basic(header: Option<&str>) -> Result<BasicCredentials, BasicAuthError> {
    let header = header.map(str::trim).filter(|h| !h.is_empty()).ok_or(BasicAuthError::Missing)?;
    if header.len() > MAX_HEADER_LEN {
        return Err(BasicAuthError::TooLong);
    }
    let (scheme, token) = header.split_once(' ').ok_or(BasicAuthError::NotBasic)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(BasicAuthError::NotBasic);
    }
    let token = token.trim();
    let decoded = Zeroizing::new(decode_padded(token).ok_or(BasicAuthError::BadBase64)?);
    let text = core::str::from_utf8(&decoded).map_err(|_| BasicAuthError::BadUtf8)?;
    let (username, password) = text.split_once(':').ok_or(BasicAuthError::NoColon)?;
    Ok(BasicCredentials { username: username.to_owned(), password: Zeroizing::new(password.to_owned()) })
}

/// Standard base64 with exactly the `=` padding RFC 4648 writes, decoded in constant time by
/// the unpadded codec the PHC reader links anyway (a padded codec too was 2 KB more wasm).
fn decode_padded(token: &str) -> Option<Vec<u8>> {
    if token.len() % 4 != 0 {
        return None;
    }
    let padding = token.bytes().rev().take_while(|&b| b == b'=').count();
    let unpadded = token.get(..token.len() - padding)?;
    if padding != (4 - unpadded.len() % 4) % 4 {
        return None;
    }
    Base64Unpadded::decode_vec(unpadded).ok()
}

/// Builds a Basic header value (for clients and tests).
#[must_use]
pub fn basic_header(username: &str, password: &str) -> String {
    let mut pair = Zeroizing::new(String::with_capacity(username.len() + 1 + password.len()));
    pair.push_str(username);
    pair.push(':');
    pair.push_str(password);
    let mut header = ["Basic ", &Base64Unpadded::encode_string(pair.as_bytes())].concat();
    while header.len() % 4 != 2 {
        header.push('='); // "Basic " is 6 bytes: the base64 after it ends on a multiple of 4
    }
    header
}
