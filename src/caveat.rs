//! Caveats: restrictions a password carries besides its scopes (docs/design.md#caveats).
//!
//! A password may be limited to client IP ranges (`allowIps`, `denyIps`), to a start time
//! (`notBefore`), to HTTP methods (`methods`), to path prefixes (`paths`) and to a number of
//! granted verifies (`maxUses`). They are given at creation, parsed strictly here, stored in the
//! record (the `caveats` member; absent means none), immutable like the scopes, and checked on
//! every verify after the secret, owner and expiry (cached answers included). Everything about
//! a caveat is in this module and its children: parsing, the record encoding and matching. The
//! use counter of `maxUses` lives in the store (see `verify/async_path.rs`), counted with its
//! atomic `increment`.
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
//!
//! This file holds the model (what `create` is given, the request's context, the parsed
//! caveats, the check against a request); IP ranges are in `caveat/ip.rs`, path prefixes and
//! the request path in `caveat/path.rs`, the record's `caveats` member in `caveat/record_json.rs`,
//! the per-instance memo of parsed members in `caveat/parsed.rs`.

use std::sync::Arc;

use crate::clock::Millis;
use crate::error::{Error, Result};

mod ip;
mod parsed;
mod path;
mod record_json;

use ip::ranges;
pub use ip::{IpRange, parse_client_ip};
pub(crate) use parsed::ParsedCaveats;
use path::{check_path_prefix, matchable_path, under};

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

/// An HTTP method as stored: an RFC 9110 token, upper-cased.
fn normalize_method(method: &str) -> Result<String> {
    let tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if method.is_empty() || method.len() > MAX_METHOD_LEN || !method.bytes().all(tchar) {
        return Err(Error::InvalidCaveat("a method is not an HTTP method name (a token of at most 32 characters)"));
    }
    Ok(method.to_ascii_uppercase())
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
        // Field by field rather than `!= Limits::default()`: that compared through the derived
        // `PartialEq` of every list, code the wasm needs nowhere else.
        let none = limits.allow_ips.is_empty()
            && limits.deny_ips.is_empty()
            && limits.not_before.is_none()
            && limits.methods.is_empty()
            && limits.paths.is_empty()
            && limits.max_uses.is_none();
        Ok(Self((!none).then(|| Arc::new(limits))))
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
}
