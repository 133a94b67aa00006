//! Verification: one [`VerifyRequest`], one [`VerifyResult`] (granted, or a [`Refusal`] with a
//! public [`RefusalCode`] and a private [`Reason`]); a synchronous path that answers when it can
//! without the store, and the async path that does the rest.
//!
//! The order of checks is fixed (docs/design.md#order-of-checks): Basic header → password
//! format → store get by id → Argon2 verify (against a dummy hash when the id is unknown, so
//! timing does not tell) → owner → expiry → purpose → caveats → grantable → scopes → `maxUses`
//! (the store's atomic increment, only once everything else passed) → `lastUsedAt`
//! (throttled, after the answer).
//!
//! This file holds what a verify is asked and what it answers (the request, the credentials,
//! the result, the refusal codes and reasons); the synchronous path is `verify/sync_path.rs`,
//! the async path `verify/async_path.rs` (the machine [`Verify`], and [`Complete`] for its
//! follow-up writes), and the checks both run after authentication
//! `verify/authorize.rs`.

use crate::basic_auth::{BasicAuthError, BasicCredentials, parse_basic};
use crate::caveat::{RequestContext, Unmet};
use crate::password::Malformed;

mod async_path;
mod authorize;
mod sync_path;

pub use crate::follow_up::Complete;
pub use async_path::Verify;
pub use sync_path::{CachedHit, Now};

/// What the credentials are being used for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Purpose {
    /// An API call: the use app passwords exist for.
    #[default]
    Api,
    /// Signing in to the website: always refused for app passwords (docs/design.md#order-of-checks).
    Login,
}

/// The credentials a client sent: either form goes through the same checks.
#[derive(Clone, Copy)]
pub enum Credentials<'a> {
    /// An `Authorization` header value (HTTP Basic, RFC 7617), or `None` when the request had
    /// none. A missing or unreadable header is refused with [`RefusalCode::InvalidCredentials`].
    Basic(Option<&'a str>),
    /// A username and password (a login form, or a header the host parsed itself).
    Password {
        /// The username the client sent.
        username: &'a str,
        /// The password the client sent.
        password: &'a str,
    },
}

impl core::fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Basic(header) => f.debug_tuple("Basic").field(&header.map(|_| "<redacted>")).finish(),
            Self::Password { username, .. } => {
                f.debug_struct("Password").field("username", username).field("password", &"<redacted>").finish()
            }
        }
    }
}

/// What `verify` is asked. Its `Debug` never shows the password.
#[derive(Debug, Clone, Copy)]
pub struct VerifyRequest<'a> {
    /// What the client sent.
    pub credentials: Credentials<'a>,
    /// Scopes the operation needs.
    pub require: &'a [&'a str],
    /// API call or login.
    pub purpose: Purpose,
    /// Client IP, method and path, for the password's caveats; `None` when the caller has not
    /// read them. Then the synchronous path leaves a password with caveats to the async path,
    /// which refuses it for lack of them (fail closed), as it does a context that lacks one.
    pub context: Option<RequestContext<'a>>,
}

impl<'a> VerifyRequest<'a> {
    /// An API call with a username and password.
    #[must_use]
    pub const fn password(username: &'a str, password: &'a str, require: &'a [&'a str]) -> Self {
        Self {
            credentials: Credentials::Password { username, password },
            require,
            purpose: Purpose::Api,
            context: None,
        }
    }

    /// An API call with an `Authorization` header value (`None`: the request had none).
    #[must_use]
    pub const fn basic(header: Option<&'a str>, require: &'a [&'a str]) -> Self {
        Self { credentials: Credentials::Basic(header), require, purpose: Purpose::Api, context: None }
    }

    /// The same credentials offered to the website's sign-in (always refused for an app password).
    #[must_use]
    pub const fn for_login(self) -> Self {
        Self { purpose: Purpose::Login, ..self }
    }

    /// The same request with the client IP, method and path the caveats check.
    #[must_use]
    pub const fn with_context(self, context: RequestContext<'a>) -> Self {
        Self { context: Some(context), ..self }
    }
}

/// The username and password of `credentials`, parsing a Basic header into `parsed` (which
/// owns and zeroizes the decoded password).
fn open<'r>(
    credentials: Credentials<'r>,
    parsed: &'r mut Option<BasicCredentials>,
) -> core::result::Result<(&'r str, &'r str), BasicAuthError> {
    match credentials {
        Credentials::Password { username, password } => Ok((username, password)),
        Credentials::Basic(header) => {
            let credentials = parsed.insert(parse_basic(header)?);
            Ok((credentials.username.as_str(), credentials.password.as_str()))
        }
    }
}

/// The public refusal codes (what a client may be told).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalCode {
    /// 401: malformed, unknown, wrong secret, wrong user, expired or revoked.
    InvalidCredentials,
    /// 403: app passwords cannot sign in to the website.
    LoginNotAllowed,
    /// 403: the password lacks scopes the request needs (`missing` lists them).
    InsufficientScope,
    /// 403: the request needs a scope no app password can ever hold.
    NotAllowedForAppPasswords,
    /// 403: a caveat of the password refuses this request (IP, time, method, path, uses).
    RequestNotAllowed,
}

impl RefusalCode {
    /// The stable code string.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidCredentials => "invalid_credentials",
            Self::LoginNotAllowed => "login_not_allowed",
            Self::InsufficientScope => "insufficient_scope",
            Self::NotAllowedForAppPasswords => "not_allowed_for_app_passwords",
            Self::RequestNotAllowed => "request_not_allowed",
        }
    }

    /// The HTTP status to answer with.
    #[must_use]
    pub const fn status(self) -> u16 {
        match self {
            Self::InvalidCredentials => 401,
            _ => 403,
        }
    }
}

/// Why exactly a verify refused: for the host's logs only, never for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The Basic header was missing or unreadable.
    Header(BasicAuthError),
    /// The password is not well formed.
    Malformed(Malformed),
    /// No record with that id: never created, or revoked.
    UnknownId,
    /// The id exists but the secret does not match.
    WrongSecret,
    /// The password is right but belongs to another user.
    WrongUser,
    /// The password has expired.
    Expired,
    /// `purpose: login`.
    Login,
    /// A required scope is not grantable.
    NotGrantable,
    /// Required scopes are missing.
    MissingScopes,
    /// A caveat is not met: which one.
    Caveat(Unmet),
    /// The owner disabled it (`set_enabled(false)`).
    Disabled,
    /// It was rotated, and its replacement was verified or the overlap ended.
    Superseded,
}

impl Reason {
    /// The stable reason string.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Header(e) => e.reason(),
            Self::Malformed(m) => m.reason(),
            Self::UnknownId => "unknown_id",
            Self::WrongSecret => "wrong_secret",
            Self::WrongUser => "wrong_user",
            Self::Expired => "expired",
            Self::Login => "login_refused",
            Self::NotGrantable => "scope_not_grantable",
            Self::MissingScopes => "missing_scopes",
            Self::Caveat(unmet) => unmet.as_str(),
            Self::Disabled => "disabled",
            Self::Superseded => "superseded",
        }
    }
}

/// A refusal: public code and status, private reason, missing scopes when relevant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What the client may be told.
    pub code: RefusalCode,
    /// What the host's log may be told.
    pub reason: Reason,
    /// For `insufficient_scope` and `not_allowed_for_app_passwords`: the scopes lacking.
    pub missing: Vec<String>,
}

impl Refusal {
    pub(crate) fn new(code: RefusalCode, reason: Reason) -> Self {
        Self { code, reason, missing: Vec::new() }
    }

    pub(crate) fn invalid(reason: Reason) -> Self {
        Self::new(RefusalCode::InvalidCredentials, reason)
    }

    /// The HTTP status (401 or 403).
    #[must_use]
    pub const fn status(&self) -> u16 {
        self.code.status()
    }
}

/// A granted verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    /// The owner.
    pub user: String,
    /// The password's id.
    pub id: String,
    /// Its label.
    pub label: String,
    /// Its scopes (closed), catalogue order.
    pub scopes: Vec<String>,
    /// Whether the answer came from the verified-credential cache (no store read, no hash).
    pub cached: bool,
}

/// The outcome of a verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyResult {
    /// The credentials are good for this request.
    Granted(Granted),
    /// They are not.
    Refused(Refusal),
}

impl VerifyResult {
    /// Whether access is granted.
    #[must_use]
    pub const fn is_ok(&self) -> bool {
        matches!(self, Self::Granted(_))
    }
}
