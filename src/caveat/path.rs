//! Path caveats (`paths`): which prefixes `create` accepts, which request paths can be matched
//! at all, and when a path is under a prefix. Apart from the other caveats because the rules
//! that keep a server from routing a matched path elsewhere (dot segments, encodings) read
//! best side by side.

use super::MAX_PATH_LEN;
use crate::error::{Error, Result};

/// Whether a segment would be resolved or re-read by some server: `.`, `..`, and the same
/// followed by a `;` parameter (`..;x`, which some servlet containers resolve).
fn dot_segment(segment: &[u8]) -> bool {
    let name = segment.split(|&b| b == b';').next().unwrap_or(segment);
    name == b"." || name == b".."
}

/// Whether a `/`-separated path has a `.` or `..` segment (one function for both uses).
fn has_dot_segment(path: &[u8]) -> bool {
    path.split(|&b| b == b'/').any(dot_segment)
}

/// Checks a path prefix given at creation.
pub(super) fn check_path_prefix(prefix: &str) -> Result<()> {
    if !prefix.starts_with('/') || prefix.len() > MAX_PATH_LEN {
        return Err(Error::InvalidCaveat("a path prefix must start with / and be at most 256 bytes"));
    }
    if !prefix.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'?' | b'#' | b'%' | b'\\')) {
        return Err(Error::InvalidCaveat(
            "a path prefix is printable ASCII without ?, #, % or \\ (no query, no percent-encoding)",
        ));
    }
    // Only the last segment may be empty (a trailing slash; "/" alone is one empty segment), so
    // an empty segment is a `//`.
    let bytes = prefix.as_bytes();
    if bytes.windows(2).any(|pair| pair == b"//") || has_dot_segment(bytes) {
        return Err(Error::InvalidCaveat("a path prefix has an empty, . or .. segment"));
    }
    Ok(())
}

/// The request path to match, or `None` when it must be refused whatever the prefixes: not
/// absolute, a dot segment, an encoded dot, slash or backslash, a backslash, a control or
/// space character. The query and fragment are cut off first.
pub(super) fn matchable_path(path: &str) -> Option<&str> {
    // On bytes, not chars (this runs on every verify of a password with paths): every byte
    // looked for is ASCII, which UTF-8 never uses inside a character, so the cut is on a
    // character boundary.
    let end = path.bytes().position(|b| b == b'?' || b == b'#').unwrap_or(path.len());
    let path = path.get(..end)?;
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'/') || bytes.iter().any(|&b| b <= b' ' || b == 0x7f || b == b'\\') {
        return None;
    }
    let encoded =
        bytes.windows(3).any(|w| matches!(w, [b'%', b'2', b'e' | b'E' | b'f' | b'F'] | [b'%', b'5', b'c' | b'C']));
    if encoded || has_dot_segment(bytes) {
        return None;
    }
    Some(path)
}

/// Whether `path` (from [`matchable_path`]) is under `prefix`.
pub(super) fn under(path: &str, prefix: &str) -> bool {
    let (path, prefix) = (path.as_bytes(), prefix.as_bytes());
    match path.get(..prefix.len()) {
        Some(head) if head == prefix => {
            prefix.last() == Some(&b'/') || path.get(prefix.len()).is_none_or(|&b| b == b'/')
        }
        _ => false,
    }
}
