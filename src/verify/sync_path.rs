//! The synchronous path of a verify: the answer when it needs neither a store read nor a
//! write (a malformed password, a fresh cache hit), and the second call of a cache hit that
//! waits for the request's context. Apart from the async path, which it never calls: a host
//! calls this first, then `verify` (verify/async_path.rs) when it gets no answer.

use super::{Purpose, Reason, Refusal, VerifyRequest, VerifyResult, open};
use crate::cache::Credential;
use crate::caveat::RequestContext;
use crate::clock::{Clock, Millis};
use crate::error::Result;
use crate::password::{self, RandomSource};
use crate::scope::ScopeSet;
use crate::service::AppPasswords;

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

impl<S, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// The synchronous path: the answer when it needs neither a store read nor a write, that is
    /// the refusal of a malformed password (wrong prefix, length, alphabet, checksum), or the
    /// verified-credential cache's answer for a fresh credential whose `lastUsedAt` is not due.
    /// `None` otherwise: then call [`AppPasswords::verify`] (the async path), which reads the
    /// cache again and does the rest. Calling this first is never required. A missing or
    /// unreadable Basic header is refused here too. A request without its context gets no
    /// answer here for a password with caveats ([`AppPasswords::verify_now_lazily`] gets one).
    ///
    /// # Errors
    /// [`Error::UnknownScope`](crate::Error::UnknownScope) for a `require` name not in the catalogue.
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
    /// [`Error::UnknownScope`](crate::Error::UnknownScope) for a `require` name not in the catalogue.
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
}
