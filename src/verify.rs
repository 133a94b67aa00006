//! Verification: one [`VerifyRequest`], one [`VerifyResult`] (granted, or a [`Refusal`] with a
//! public [`RefusalCode`] and a private [`Reason`]); a synchronous path that answers when it can
//! without the store, and the async path that does the rest.
//!
//! The order of checks is fixed (docs/design.md#order-of-checks): Basic header → password
//! format → store get by id → Argon2 verify (against a dummy hash when the id is unknown, so
//! timing does not tell) → owner → expiry → purpose → caveats → grantable → scopes → `maxUses`
//! (the store's atomic increment, only once everything else passed) → `lastUsedAt`
//! (throttled, after the answer).

use subtle::ConstantTimeEq;

use crate::basic_auth::{BasicAuthError, BasicCredentials, parse_basic};
use crate::cache::Credential;
use crate::canary::CanaryUse;
use crate::caveat::{RequestContext, Unmet};
use crate::clock::{Clock, Millis};
use crate::error::{Error, Result};
use crate::follow_up::{FollowUp, Upgrade};
use crate::hash::PhcHash;
use crate::marker::{State, marker_keys};
use crate::password::{self, Malformed, RandomSource};
use crate::record::{Record, index_key, record_key, tombstone_key, uses_key};
use crate::revoke::revoked;
use crate::scope::ScopeSet;
use crate::service::{AppPasswords, DUMMY_ID, corrupt};
use crate::store::Store;

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

/// What the synchronous path says ([`AppPasswords::verify_now_lazily`]).
#[derive(Debug)]
pub enum Now {
    /// The answer.
    Answered(VerifyResult),
    /// A fresh cache hit of a password with caveats, for a request without its context: read
    /// the client IP, method and path and call [`AppPasswords::verify_hit`]. So only a password
    /// with caveats pays for reading them.
    NeedsContext(CachedHit),
    /// No answer without the store: call [`AppPasswords::verify`].
    Later,
}

/// A cache hit waiting for the request's context: what the first call found and checked (the
/// credential, fresh, not expired, no `maxUses`, `lastUsedAt` not due, at that time) and the
/// required scopes, so the second call needs no password, no keyed hash and no lookup.
pub struct CachedHit {
    credential: Credential,
    required: ScopeSet,
    purpose: Purpose,
    at: Millis,
}

impl core::fmt::Debug for CachedHit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CachedHit").field("purpose", &self.purpose).finish_non_exhaustive()
    }
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

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// Verifies credentials and performs the follow-up writes before returning.
    ///
    /// # Errors
    /// [`Error::UnknownScope`] for a `require` name not in the catalogue; store errors.
    /// Follow-up write failures are ignored: they never change the answer.
    pub async fn verify(&self, request: VerifyRequest<'_>) -> Result<VerifyResult> {
        let (result, follow_up) = self.verify_deferred(request).await?;
        if let Some(follow_up) = follow_up {
            let _ = self.complete(follow_up).await;
        }
        Ok(result)
    }

    /// Shorthand for [`AppPasswords::verify`] of [`VerifyRequest::basic`]: an API call with
    /// an `Authorization` header value.
    ///
    /// # Errors
    /// As [`AppPasswords::verify`].
    pub async fn verify_header(&self, header: Option<&str>, require: &[&str]) -> Result<VerifyResult> {
        self.verify(VerifyRequest::basic(header, require)).await
    }

    /// The synchronous path: the answer when it needs neither a store read nor a write, that is
    /// the refusal of a malformed password (wrong prefix, length, alphabet, checksum), or the
    /// verified-credential cache's answer for a fresh credential whose `lastUsedAt` is not due.
    /// `None` otherwise: then call [`AppPasswords::verify`] (the async path), which reads the
    /// cache again and does the rest. Calling this first is never required. A missing or
    /// unreadable Basic header is refused here too. A request without its context gets no
    /// answer here for a password with caveats ([`AppPasswords::verify_now_lazily`] gets one).
    ///
    /// # Errors
    /// [`Error::UnknownScope`] for a `require` name not in the catalogue.
    pub fn verify_now(&self, request: &VerifyRequest<'_>) -> Result<Option<VerifyResult>> {
        Ok(match self.verify_now_lazily(request)? {
            Now::Answered(result) => Some(result),
            Now::NeedsContext(_) | Now::Later => None,
        })
    }

    /// [`AppPasswords::verify_now`] for a host that reads the request's context only when a
    /// password needs it: for a request without it, a fresh cache hit of a password with
    /// caveats is [`Now::NeedsContext`], answered by [`AppPasswords::verify_hit`] with the
    /// context (a cache hit without caveats is answered at once, without reading it).
    ///
    /// # Errors
    /// [`Error::UnknownScope`] for a `require` name not in the catalogue.
    pub fn verify_now_lazily(&self, request: &VerifyRequest<'_>) -> Result<Now> {
        // The required scopes first: a host bug is an error whatever the client sent.
        let required = self.config.catalog.parse_names(request.require.iter().copied())?;
        let mut parsed = None;
        let (username, password) = match open(request.credentials, &mut parsed) {
            Ok(pair) => pair,
            Err(e) => return Ok(Now::Answered(VerifyResult::Refused(Refusal::invalid(Reason::Header(e))))),
        };
        if let Err(malformed) = password::parse(password, &self.config.prefix) {
            return Ok(Now::Answered(VerifyResult::Refused(Refusal::invalid(Reason::Malformed(malformed)))));
        }
        let Some(cache) = &self.cache else { return Ok(Now::Later) };
        let now = self.now();
        let Some(tag) = cache.tag(username, password) else { return Ok(Now::Later) };
        let Some(credential) = cache.get(&tag, now) else { return Ok(Now::Later) };
        if credential.expires_at.is_some_and(|t| t <= now)
            || credential.caveats.max_uses().is_some()
            || self.touch_due(&credential.id, now)
            || self.is_revoked_here(&credential.id, &credential.user)
        {
            return Ok(Now::Later);
        }
        let hit = CachedHit { credential, required, purpose: request.purpose, at: now };
        if request.context.is_none() && !hit.credential.caveats.is_empty() {
            return Ok(Now::NeedsContext(hit));
        }
        Ok(Now::Answered(self.answer_hit(hit, request.context)))
    }

    /// The answer to a [`Now::NeedsContext`], given the request's context: what
    /// [`AppPasswords::verify_now`] answers for the same request with that context, as of the
    /// first call (call this for the same request, once its context is read). A revoke through
    /// this instance in between wins: `None`, then call [`AppPasswords::verify`].
    #[must_use]
    pub fn verify_hit(&self, hit: CachedHit, context: RequestContext<'_>) -> Option<VerifyResult> {
        if self.is_revoked_here(&hit.credential.id, &hit.credential.user) {
            return None;
        }
        Some(self.answer_hit(hit, Some(context)))
    }

    /// A cache hit's answer: the checks that follow authentication, with the context if any.
    fn answer_hit(&self, hit: CachedHit, context: Option<RequestContext<'_>>) -> VerifyResult {
        // The follow-up is none: the first call found `lastUsedAt` not due.
        self.authorize(hit.credential, hit.purpose, context, &hit.required, hit.at, true).0
    }

    /// Verifies credentials; returns the answer at once and the store writes it leaves
    /// (`lastUsedAt`, re-hash) for [`AppPasswords::complete`], so they never delay it.
    ///
    /// # Errors
    /// As [`AppPasswords::verify`].
    pub async fn verify_deferred(&self, request: VerifyRequest<'_>) -> Result<(VerifyResult, Option<FollowUp>)> {
        let catalog = &self.config.catalog;
        let required = catalog.parse_names(request.require.iter().copied())?;
        let refuse = |refusal: Refusal| Ok((VerifyResult::Refused(refusal), None));
        let mut basic = None;
        let (username, password) = match open(request.credentials, &mut basic) {
            Ok(pair) => pair,
            Err(e) => return refuse(Refusal::invalid(Reason::Header(e))),
        };

        let parsed = match password::parse(password, &self.config.prefix) {
            Ok(parsed) => parsed,
            Err(malformed) => return refuse(Refusal::invalid(Reason::Malformed(malformed))),
        };
        let now = self.now();
        let tag = self.cache.as_ref().and_then(|c| c.tag(username, password));
        if let (Some(cache), Some(tag)) = (&self.cache, &tag) {
            if let Some(credential) = cache.get(tag, now) {
                // The tag covers the username, so the owner matched when it was cached.
                if self.is_revoked_here(&credential.id, &credential.user) {
                    cache.evict_id(&credential.id);
                    return refuse(Refusal::invalid(Reason::UnknownId));
                }
                if credential.expires_at.is_some_and(|t| t <= now) {
                    return refuse(Refusal::invalid(Reason::Expired));
                }
                let (uses, id) = (credential.caveats.max_uses(), credential.id.clone());
                let answer = self.authorize(credential, request.purpose, request.context, &required, now, true);
                return self.take_use(uses, &id, answer).await;
            }
        }

        // The tombstone is read with the record, in one call: a revoked id is refused even if
        // a store write brought its record back (a re-hash upgrade racing the revoke, a
        // dropped delete). The lifecycle markers (marker.rs) come in the same call.
        let [disabled_key, rotated_key, superseded_key] = marker_keys(username, parsed.id());
        let keys =
            [&record_key(parsed.id()), &tombstone_key(parsed.id()), &disabled_key, &rotated_key, &superseded_key];
        let values = self.get_exact(&keys.map(String::as_str)).await?;
        let mut values = values.into_iter();
        let (stored, tombstone) = (values.next().flatten(), values.next().flatten());
        let (disabled, rotated, superseded) =
            (values.next().flatten(), values.next().flatten(), values.next().flatten());
        let markers = State::read(disabled.as_deref(), rotated.as_deref(), superseded.as_deref())?;
        let stored = if revoked(tombstone)? { None } else { stored };
        let known = stored.is_some();
        let (json, id) = match &stored {
            Some(json) => (json.as_str(), parsed.id()),
            None => (self.dummy_record.as_str(), DUMMY_ID),
        };
        let record = Record::from_json_with(json, id, &self.parsed_caveats)?;
        let phc = PhcHash::parse(&record.hash).map_err(corrupt)?;
        let granted = catalog.decode(&record.scopes).map_err(corrupt)?;
        if granted.is_empty() {
            // create never stores an empty set (docs/design.md#scopes-are-fixed-at-creation): this record was not written by us.
            return Err(Error::StoreCorrupt("record has no scopes".into()));
        }

        let secret_ok = self.hasher.verify(parsed.text().as_bytes(), &phc);
        if !known {
            return refuse(Refusal::invalid(Reason::UnknownId));
        }
        if record.canary {
            // The same answer as an unknown id, after the same work; the use is reported.
            let canary = secret_ok.then(|| CanaryUse::of(&record, now));
            return Ok((VerifyResult::Refused(Refusal::invalid(Reason::UnknownId)), canary.map(FollowUp::canary)));
        }
        if !secret_ok {
            return refuse(Refusal::invalid(Reason::WrongSecret));
        }
        if !bool::from(record.user.as_bytes().ct_eq(username.as_bytes())) {
            return refuse(Refusal::invalid(Reason::WrongUser));
        }
        if record.expires_at.is_some_and(|t| t <= now) {
            return refuse(Refusal::invalid(Reason::Expired));
        }
        if let Some(reason) = markers.refusal(now) {
            return refuse(Refusal::invalid(reason));
        }
        // A revoke through this instance that completed while this verify was reading or
        // hashing wins: refused, and never cached.
        if self.is_revoked_here(&record.id, &record.user) {
            return refuse(Refusal::invalid(Reason::UnknownId));
        }
        let credential = Credential {
            id: record.id.clone(),
            user: record.user.clone(),
            label: record.label.clone(),
            scopes: granted,
            expires_at: record.expires_at,
            caveats: record.caveats.clone(),
        };
        let uses = record.caveats.max_uses();
        // A replacement is cached only once this instance has superseded its predecessor: a
        // cached grant skips that write (rotate.rs).
        let cacheable = record.replaces.is_none() || self.predecessor_superseded(&record.id);
        if let (Some(cache), Some(tag), true) = (&self.cache, tag, cacheable) {
            cache.insert(tag, credential.clone(), now);
            // Checked again after the insert: a revoke marks, then evicts; whichever order the
            // two ran in on another thread, the entry does not survive it.
            if self.is_revoked_here(&record.id, &record.user) {
                cache.evict_id(&record.id);
            }
        }
        let answer = self.authorize(credential, request.purpose, request.context, &required, now, false);
        let (result, mut follow_up) = self.take_use(uses, &record.id, answer).await?;
        if result.is_ok() {
            // A replacement's first grant ends its predecessor's overlap, before the answer.
            self.supersede_predecessor(&record, now).await?;
        }
        if result.is_ok() && !phc.is_current(&self.config.hashing) && self.first_upgrade(&record.id) {
            // Re-hash under the current profile after the answer (upgrade in place), at most
            // once per password per instance.
            let upgrade = Some(Upgrade { record, password: zeroize::Zeroizing::new(parsed.text().to_owned()) });
            follow_up = Some(match follow_up {
                Some(f) => FollowUp { upgrade, ..f },
                None => FollowUp { touch: None, upgrade, canary: None },
            });
        }
        Ok((result, follow_up))
    }

    /// `maxUses`: a granted answer takes one use with the store's atomic increment, and past
    /// the limit becomes a refusal (with no follow-up). Runs after every other check, so a
    /// refused request uses nothing up; with the store's atomic add, exactly `maxUses`
    /// verifies succeed however many run at once. No store call without `maxUses`.
    async fn take_use(
        &self,
        max_uses: Option<u64>,
        id: &str,
        answer: (VerifyResult, Option<FollowUp>),
    ) -> Result<(VerifyResult, Option<FollowUp>)> {
        let (Some(max_uses), VerifyResult::Granted(_)) = (max_uses, &answer.0) else { return Ok(answer) };
        let count = self.store.increment(&uses_key(id), 1).await?;
        let count = u64::try_from(count)
            .ok()
            .filter(|c| *c >= 1)
            .ok_or_else(|| Error::StoreCorrupt("a use counter is below one after an increment".into()))?;
        if count > max_uses {
            let refusal = Refusal::new(RefusalCode::RequestNotAllowed, Reason::Caveat(Unmet::MaxUsesReached));
            return Ok((VerifyResult::Refused(refusal), None));
        }
        Ok(answer)
    }

    /// The checks that follow authentication, run on every request (cached or not): purpose,
    /// caveats (but `maxUses`), grantable, scopes; then the `lastUsedAt` follow-up.
    fn authorize(
        &self,
        credential: Credential,
        purpose: Purpose,
        context: Option<RequestContext<'_>>,
        required: &ScopeSet,
        now: Millis,
        cached: bool,
    ) -> (VerifyResult, Option<FollowUp>) {
        let catalog = &self.config.catalog;
        let refuse = |refusal: Refusal| (VerifyResult::Refused(refusal), None);
        if purpose == Purpose::Login {
            return refuse(Refusal::new(RefusalCode::LoginNotAllowed, Reason::Login));
        }
        // No context: nothing the caveats need is known, so every one that needs something
        // refuses (fail closed).
        if let Err(unmet) = credential.caveats.check(&context.unwrap_or_default(), now) {
            return refuse(Refusal::new(RefusalCode::RequestNotAllowed, Reason::Caveat(unmet)));
        }
        let not_grantable = required.difference(&catalog.grantable());
        if !not_grantable.is_empty() {
            return refuse(Refusal {
                code: RefusalCode::NotAllowedForAppPasswords,
                reason: Reason::NotGrantable,
                missing: catalog.names(&not_grantable),
            });
        }
        // The stored set was closed at creation; it is not re-closed, so catalogue edits never
        // widen an existing password.
        let missing = required.difference(&credential.scopes);
        if !missing.is_empty() {
            return refuse(Refusal {
                code: RefusalCode::InsufficientScope,
                reason: Reason::MissingScopes,
                missing: catalog.names(&missing),
            });
        }
        let touch = self.should_touch(&credential.id, now).then(|| (index_key(&credential.user, &credential.id), now));
        let follow_up = touch.map(|touch| FollowUp { touch: Some(touch), upgrade: None, canary: None });
        let granted = Granted {
            scopes: catalog.names(&credential.scopes),
            user: credential.user,
            id: credential.id,
            label: credential.label,
            cached,
        };
        (VerifyResult::Granted(granted), follow_up)
    }
}
