//! Caveats: restrictions a password carries besides its scopes (docs/design.md#caveats).
//!
//! A password may be limited to client IP ranges (`allowIps`, `denyIps`), to a start time
//! (`notBefore`), to HTTP methods (`methods`), to path prefixes (`paths`) and to a number of
//! granted verifies (`maxUses`). They are given at creation, parsed strictly here, stored in the
//! record (the `caveats` member; absent means none), immutable like the scopes, and checked on
//! every verify after the secret, owner and expiry (cached answers included). Everything about
//! a caveat is in this module: parsing, the record encoding and matching. The use counter of
//! `maxUses` lives in the store (see `verify.rs`), counted with its atomic `increment`.
//!
//! Decisions, each enforced by a test (tests/caveats.rs):
//! - IP ranges are CIDRs (`10.0.0.0/8`, `2001:db8::/32`) or single addresses; host bits after
//!   the prefix length are refused (write the network address). IPv4 is matched in the IPv6
//!   space as IPv4-mapped (`::ffff:a.b.c.d`), so `10.0.0.0/8` matches the client
//!   `::ffff:10.1.2.3` and `::ffff:0:0/96` matches every IPv4 client. A deny range wins over an
//!   allow range. No client IP (or one that does not parse) while an IP caveat exists: refused.
//! - Methods are HTTP tokens (RFC 9110 section 9), upper-cased at creation (what people type),
//!   then compared exactly with the request's method (methods are case-sensitive; `fetch`
//!   upper-cases the standard ones).
//! - Paths are prefixes: a prefix ending in `/` matches paths that start with it; one that
//!   does not matches itself and what lies below it (`/api/repos` matches `/api/repos` and
//!   `/api/repos/1`, never `/api/reposX`). Prefixes are ASCII without `?`, `#`, `%`, `\`, empty,
//!   `.` or `..` segments. The request's path loses its query and fragment; a path with a dot
//!   segment (also `..;x`), an encoded dot, slash or backslash (`%2e`, `%2f`, `%5c`) or a
//!   backslash is refused whatever the prefix, since a server could route it elsewhere.
//!   Compared byte for byte (paths are case-sensitive).
//! - An empty list is refused at creation (`[]` would allow nothing; leave the option out).

use core::net::{Ipv4Addr, Ipv6Addr};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::clock::Millis;
use crate::error::{Error, Result};
use crate::json::{self, Fields, push_quoted, push_u64};

/// Most ranges in `allowIps`, and in `denyIps`.
pub const MAX_IP_RANGES: usize = 32;
/// Most path prefixes.
pub const MAX_PATHS: usize = 16;
/// Most methods.
pub const MAX_METHODS: usize = 16;
/// Longest path prefix (bytes).
pub const MAX_PATH_LEN: usize = 256;
/// Longest method name.
pub const MAX_METHOD_LEN: usize = 32;
/// Largest `maxUses` (JavaScript's largest safe integer).
pub const MAX_USES_LIMIT: u64 = 9_007_199_254_740_991;

/// The caveats `create` is asked for, as given (`None`: no such caveat).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaveatSpec<'a> {
    /// Client IP ranges allowed (CIDR or single address).
    pub allow_ips: Option<&'a [&'a str]>,
    /// Client IP ranges refused; wins over `allow_ips`.
    pub deny_ips: Option<&'a [&'a str]>,
    /// No verify succeeds before this time, epoch milliseconds.
    pub not_before: Option<Millis>,
    /// HTTP methods allowed (upper-cased).
    pub methods: Option<&'a [&'a str]>,
    /// Path prefixes allowed.
    pub paths: Option<&'a [&'a str]>,
    /// Most verifies that may succeed.
    pub max_uses: Option<u64>,
}

/// What a verify knows about the request, for the caveats. Every field is optional: a caveat
/// that needs one that is missing refuses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestContext<'a> {
    /// The client's address as the host knows it (`CF-Connecting-IP` on Workers, the socket's
    /// remote address on Node and Deno); never read from `X-Forwarded-For` by this crate.
    pub client_ip: Option<&'a str>,
    /// The request method.
    pub method: Option<&'a str>,
    /// The request path (a query or fragment is ignored).
    pub path: Option<&'a str>,
}

/// Which caveat refused a request (the log-only reason of `request_not_allowed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmet {
    /// Before `notBefore`.
    NotYetValid,
    /// An IP caveat exists and the client IP is unknown or unreadable.
    IpUnknown,
    /// The client IP is in a `denyIps` range.
    IpDenied,
    /// The client IP is in no `allowIps` range.
    IpNotAllowed,
    /// The method is not in `methods` (or unknown).
    MethodNotAllowed,
    /// The path is under no prefix of `paths` (or unknown, or refused as ambiguous).
    PathNotAllowed,
    /// `maxUses` verifies have already succeeded.
    MaxUsesReached,
}

impl Unmet {
    /// The stable reason string.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotYetValid => "not_yet_valid",
            Self::IpUnknown => "client_ip_unknown",
            Self::IpDenied => "client_ip_denied",
            Self::IpNotAllowed => "client_ip_not_allowed",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PathNotAllowed => "path_not_allowed",
            Self::MaxUsesReached => "max_uses_reached",
        }
    }
}

/// One CIDR range: a network in the IPv6 address space (IPv4 as IPv4-mapped), its netmask
/// (kept, not recomputed per request: a 128-bit shift is a library call in wasm) and the text it
/// was given as (IPv6 in lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpRange {
    text: String,
    network: u128,
    mask: u128,
}

/// An IPv4 address as IPv4-mapped IPv6 (`::ffff:a.b.c.d`).
fn mapped(v4: Ipv4Addr) -> u128 {
    (0xffff_u128 << 32) | u128::from(u32::from(v4))
}

/// The netmask of a prefix length (0 to 128).
fn mask(bits: u8) -> u128 {
    if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits.min(128))) }
}

/// A client address: IPv4, or IPv6 (IPv4-mapped included), no prefix, no zone, no brackets.
#[must_use]
pub fn parse_client_ip(text: &str) -> Option<u128> {
    if let Ok(v4) = text.parse::<Ipv4Addr>() {
        return Some(mapped(v4));
    }
    text.parse::<Ipv6Addr>().ok().map(u128::from)
}

impl IpRange {
    /// Parses `a.b.c.d[/n]` or an IPv6 address with an optional `/n`, strictly: decimal prefix
    /// length without leading zeros, no bit set after it.
    ///
    /// # Errors
    /// [`Error::InvalidCaveat`].
    pub fn parse(text: &str) -> Result<Self> {
        let (address, length) = match text.split_once('/') {
            Some((address, length)) => (address, Some(length)),
            None => (text, None),
        };
        let (network, width) = if let Ok(v4) = address.parse::<Ipv4Addr>() {
            (mapped(v4), 32)
        } else if let Ok(v6) = address.parse::<Ipv6Addr>() {
            (u128::from(v6), 128)
        } else {
            return Err(Error::InvalidCaveat("an IP range is not an IPv4 or IPv6 address with an optional /length"));
        };
        let length = match length {
            None => width,
            Some(digits) => prefix_length(digits, width)?,
        };
        let bits = length + (128 - width);
        if network & !mask(bits) != 0 {
            return Err(Error::InvalidCaveat(
                "an IP range has bits set after its prefix length (give the network address)",
            ));
        }
        let text = if width == 32 { text.to_owned() } else { text.to_ascii_lowercase() };
        Ok(Self { text, network, mask: mask(bits) })
    }

    /// Whether the address (from [`parse_client_ip`]) is in this range.
    #[must_use]
    pub fn contains(&self, address: u128) -> bool {
        address & self.mask == self.network
    }

    /// The range as given (IPv6 in lower case).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

fn prefix_length(digits: &str, width: u8) -> Result<u8> {
    let bad = Error::InvalidCaveat("an IP range's prefix length is not a number from 0 to 32 (IPv4) or 128 (IPv6)");
    let well_formed = !digits.is_empty()
        && digits.len() <= 3
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !well_formed {
        return Err(bad);
    }
    match digits.parse::<u8>() {
        Ok(n) if n <= width => Ok(n),
        _ => Err(bad),
    }
}

/// An HTTP method as stored: an RFC 9110 token, upper-cased.
fn normalize_method(method: &str) -> Result<String> {
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if method.is_empty() || method.len() > MAX_METHOD_LEN || !method.bytes().all(tchar) {
        return Err(Error::InvalidCaveat("a method is not an HTTP method name (a token of at most 32 characters)"));
    }
    Ok(method.to_ascii_uppercase())
}

/// Whether a segment would be resolved or re-read by some server: `.`, `..`, and the same
/// followed by a `;` parameter (`..;x`, which some servlet containers resolve).
fn dot_segment(segment: &[u8]) -> bool {
    let name = segment.split(|&b| b == b';').next().unwrap_or(segment);
    name == b"." || name == b".."
}

/// Checks a path prefix given at creation.
fn check_path_prefix(prefix: &str) -> Result<()> {
    if !prefix.starts_with('/') || prefix.len() > MAX_PATH_LEN {
        return Err(Error::InvalidCaveat("a path prefix must start with / and be at most 256 bytes"));
    }
    if !prefix.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'?' | b'#' | b'%' | b'\\')) {
        return Err(Error::InvalidCaveat(
            "a path prefix is printable ASCII without ?, #, % or \\ (no query, no percent-encoding)",
        ));
    }
    let segments: Vec<&str> = prefix.split('/').skip(1).collect();
    let inner = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        // Only the last segment may be empty (a trailing slash); "/" alone is one empty segment.
        if (segment.is_empty() && i < inner) || dot_segment(segment.as_bytes()) {
            return Err(Error::InvalidCaveat("a path prefix has an empty, . or .. segment"));
        }
    }
    Ok(())
}

/// The request path to match, or `None` when it must be refused whatever the prefixes: not
/// absolute, a dot segment, an encoded dot, slash or backslash, a backslash, a control or
/// space character. The query and fragment are cut off first.
fn matchable_path(path: &str) -> Option<&str> {
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
    if encoded || bytes.split(|&b| b == b'/').any(dot_segment) {
        return None;
    }
    Some(path)
}

/// Whether `path` (from [`matchable_path`]) is under `prefix`.
fn under(path: &str, prefix: &str) -> bool {
    let (path, prefix) = (path.as_bytes(), prefix.as_bytes());
    match path.get(..prefix.len()) {
        Some(head) if head == prefix => {
            prefix.last() == Some(&b'/') || path.get(prefix.len()).is_none_or(|&b| b == b'/')
        }
        _ => false,
    }
}

/// A password's caveats, parsed. The default has none. Shared: a clone (a record's, a cached
/// credential's) copies a pointer, not 32 ranges and 16 paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caveats(Option<Arc<Limits>>);

/// The caveats themselves (at least one set: no caveat is [`Caveats`]' `None`).
#[derive(Debug, Default, PartialEq, Eq)]
struct Limits {
    allow_ips: Vec<IpRange>,
    deny_ips: Vec<IpRange>,
    not_before: Option<Millis>,
    methods: Vec<String>,
    paths: Vec<String>,
    max_uses: Option<u64>,
}

fn ranges(texts: Option<&[&str]>) -> Result<Vec<IpRange>> {
    let Some(texts) = texts else { return Ok(Vec::new()) };
    if texts.is_empty() || texts.len() > MAX_IP_RANGES {
        return Err(Error::InvalidCaveat("allowIps and denyIps take 1 to 32 ranges each"));
    }
    let mut out: Vec<IpRange> = Vec::with_capacity(texts.len());
    for text in texts {
        let range = IpRange::parse(text)?;
        if !out.iter().any(|r| r.network == range.network && r.mask == range.mask) {
            out.push(range);
        }
    }
    Ok(out)
}

impl Caveats {
    /// Parses and checks what `create` was given.
    ///
    /// # Errors
    /// [`Error::InvalidCaveat`] naming what is wrong.
    pub fn parse(spec: &CaveatSpec<'_>) -> Result<Self> {
        let mut methods: Vec<String> = Vec::new();
        if let Some(given) = spec.methods {
            if given.is_empty() || given.len() > MAX_METHODS {
                return Err(Error::InvalidCaveat("methods takes 1 to 16 method names"));
            }
            for method in given {
                let method = normalize_method(method)?;
                if !methods.contains(&method) {
                    methods.push(method);
                }
            }
        }
        let mut paths: Vec<String> = Vec::new();
        if let Some(given) = spec.paths {
            if given.is_empty() || given.len() > MAX_PATHS {
                return Err(Error::InvalidCaveat("paths takes 1 to 16 path prefixes"));
            }
            for path in given {
                check_path_prefix(path)?;
                if !paths.iter().any(|p| p == path) {
                    paths.push((*path).to_owned());
                }
            }
        }
        if spec.max_uses.is_some_and(|n| n == 0 || n > MAX_USES_LIMIT) {
            return Err(Error::InvalidCaveat("maxUses must be an integer from 1 to 2^53 - 1"));
        }
        let limits = Limits {
            allow_ips: ranges(spec.allow_ips)?,
            deny_ips: ranges(spec.deny_ips)?,
            not_before: spec.not_before,
            methods,
            paths,
            max_uses: spec.max_uses,
        };
        Ok(Self((limits != Limits::default()).then(|| Arc::new(limits))))
    }

    /// Whether there is no caveat at all.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// `allowIps`, as given.
    #[must_use]
    pub fn allow_ips(&self) -> &[IpRange] {
        self.0.as_ref().map_or(&[], |l| &l.allow_ips)
    }

    /// `denyIps`, as given.
    #[must_use]
    pub fn deny_ips(&self) -> &[IpRange] {
        self.0.as_ref().map_or(&[], |l| &l.deny_ips)
    }

    /// `notBefore`, epoch milliseconds.
    #[must_use]
    pub fn not_before(&self) -> Option<Millis> {
        self.0.as_ref().and_then(|l| l.not_before)
    }

    /// `methods`, upper case.
    #[must_use]
    pub fn methods(&self) -> &[String] {
        self.0.as_ref().map_or(&[], |l| &l.methods)
    }

    /// `paths`.
    #[must_use]
    pub fn paths(&self) -> &[String] {
        self.0.as_ref().map_or(&[], |l| &l.paths)
    }

    /// `maxUses`.
    #[must_use]
    pub fn max_uses(&self) -> Option<u64> {
        self.0.as_ref().and_then(|l| l.max_uses)
    }

    /// Checks every caveat but `maxUses` (the store counts that one, last), in this order:
    /// `notBefore`, IP (deny, then allow), method, path.
    ///
    /// # Errors
    /// The first caveat the request does not meet.
    pub fn check(&self, request: &RequestContext<'_>, now: Millis) -> core::result::Result<(), Unmet> {
        let Some(limits) = self.0.as_deref() else { return Ok(()) };
        if limits.not_before.is_some_and(|t| now < t) {
            return Err(Unmet::NotYetValid);
        }
        if !limits.allow_ips.is_empty() || !limits.deny_ips.is_empty() {
            let ip = request.client_ip.and_then(parse_client_ip).ok_or(Unmet::IpUnknown)?;
            if limits.deny_ips.iter().any(|r| r.contains(ip)) {
                return Err(Unmet::IpDenied);
            }
            if !limits.allow_ips.is_empty() && !limits.allow_ips.iter().any(|r| r.contains(ip)) {
                return Err(Unmet::IpNotAllowed);
            }
        }
        if !limits.methods.is_empty() && !request.method.is_some_and(|m| limits.methods.iter().any(|x| x == m)) {
            return Err(Unmet::MethodNotAllowed);
        }
        if !limits.paths.is_empty() {
            let path = request.path.and_then(matchable_path).ok_or(Unmet::PathNotAllowed)?;
            if !limits.paths.iter().any(|prefix| under(path, prefix)) {
                return Err(Unmet::PathNotAllowed);
            }
        }
        Ok(())
    }

    /// Appends the record's `,"caveats":{...}` member, or nothing when there is no caveat.
    pub(crate) fn write_json(&self, out: &mut String) {
        let Some(limits) = self.0.as_deref() else { return };
        out.push_str(",\"caveats\":{");
        let start = out.len();
        let member = |out: &mut String, name: &str| {
            if out.len() > start {
                out.push(',');
            }
            out.push('"');
            out.push_str(name);
            out.push_str("\":");
        };
        let list = |out: &mut String, items: &mut dyn Iterator<Item = &str>| {
            out.push('[');
            for (i, item) in items.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_quoted(out, item);
            }
            out.push(']');
        };
        if !limits.allow_ips.is_empty() {
            member(out, "allowIps");
            list(out, &mut limits.allow_ips.iter().map(IpRange::as_str));
        }
        if !limits.deny_ips.is_empty() {
            member(out, "denyIps");
            list(out, &mut limits.deny_ips.iter().map(IpRange::as_str));
        }
        if let Some(t) = limits.not_before {
            member(out, "notBefore");
            push_u64(out, t);
        }
        if !limits.methods.is_empty() {
            member(out, "methods");
            list(out, &mut limits.methods.iter().map(String::as_str));
        }
        if !limits.paths.is_empty() {
            member(out, "paths");
            list(out, &mut limits.paths.iter().map(String::as_str));
        }
        if let Some(n) = limits.max_uses {
            member(out, "maxUses");
            push_u64(out, n);
        }
        out.push('}');
    }

    /// Reads the text of the record's `caveats` member as strictly as `create` parses.
    ///
    /// # Errors
    /// [`Error::StoreCorrupt`].
    pub(crate) fn from_record(text: &str) -> Result<Self> {
        let bad = || Error::StoreCorrupt("record caveats are not of the v1 shape".into());
        const MEMBERS: &[&str] = &["allowIps", "denyIps", "notBefore", "methods", "paths", "maxUses"];
        let fields =
            json::parse(text).and_then(Fields::from_value).filter(|f| f.keys_within(MEMBERS)).ok_or_else(bad)?;
        let list = |name: &str| -> Result<Option<Vec<String>>> {
            if fields.has(name) { fields.strings_or_empty(name).map(Some).ok_or_else(bad) } else { Ok(None) }
        };
        let number = |name: &str| -> Result<Option<u64>> {
            if fields.has(name) { fields.u64(name).map(Some).ok_or_else(bad) } else { Ok(None) }
        };
        let (allow, deny, methods, paths) = (list("allowIps")?, list("denyIps")?, list("methods")?, list("paths")?);
        let (allow, deny, methods, paths) =
            (refs(allow.as_ref()), refs(deny.as_ref()), refs(methods.as_ref()), refs(paths.as_ref()));
        let caveats = Self::parse(&CaveatSpec {
            allow_ips: allow.as_deref(),
            deny_ips: deny.as_deref(),
            not_before: number("notBefore")?,
            methods: methods.as_deref(),
            paths: paths.as_deref(),
            max_uses: number("maxUses")?,
        })
        .map_err(|e| Error::StoreCorrupt(e.message()))?;
        if caveats.is_empty() {
            // create never writes an empty member.
            return Err(bad());
        }
        Ok(caveats)
    }
}

/// The strings of a list read from a record, borrowed.
fn refs(list: Option<&Vec<String>>) -> Option<Vec<&str>> {
    list.map(|v| v.iter().map(String::as_str).collect())
}

/// Most bytes of member text [`ParsedCaveats`] holds before it starts again (each entry also
/// holds the parse, a few times the text): bounds memory whatever the number of passwords.
const MAX_PARSED_BYTES: usize = 256 * 1024;

/// The caveats of the records an instance has read, by password id, each with the member text it
/// was parsed from. A verify that is not a cache hit reads the record again, and the caveats with
/// it: taken from here when the text is the same, byte for byte, so 32 ranges and 16 paths are
/// parsed once per password and instance instead of on every verify (ten times the rest of the
/// record's parse). The text comparison makes a hit exactly the parse it stands for.
#[derive(Default)]
pub(crate) struct ParsedCaveats(Mutex<ParsedEntries>);

#[derive(Default)]
struct ParsedEntries {
    by_id: HashMap<String, (String, Caveats)>,
    bytes: usize,
}

impl ParsedCaveats {
    /// The caveats of record `id` whose `caveats` member is `text`.
    ///
    /// # Errors
    /// [`Error::StoreCorrupt`], as [`Caveats::from_record`].
    pub(crate) fn get(&self, id: &str, text: &str) -> Result<Caveats> {
        let lock = || self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((seen, caveats)) = lock().by_id.get(id) {
            if seen == text {
                return Ok(caveats.clone());
            }
        }
        let caveats = Caveats::from_record(text)?;
        let mut entries = lock();
        if entries.bytes + text.len() > MAX_PARSED_BYTES {
            entries.by_id.clear();
            entries.bytes = 0;
        }
        entries.bytes += text.len();
        if let Some((replaced, _)) = entries.by_id.insert(id.to_owned(), (text.to_owned(), caveats.clone())) {
            entries.bytes = entries.bytes.saturating_sub(replaced.len());
        }
        Ok(caveats)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask(0), 0);
        assert_eq!(mask(128), u128::MAX);
        assert_eq!(mask(96), !0xffff_ffff_u128);
    }
}
