//! The async path of a verify: the cache, else the store read, the hash, the owner, expiry and
//! lifecycle checks, caching the credential, `maxUses` and the follow-up writes. Apart from the
//! synchronous path (verify/sync_path.rs), which answers without the store when it can.
//!
//! It is the machine [`Verify`] (io.rs): the synchronous prelude (parse, the cache, and for a
//! cache hit `maxUses`), the bulk read of five keys, the checks, then `maxUses` and the
//! predecessor's supersession; the async methods of the service drive it.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{Credentials, Purpose, Reason, Refusal, RefusalCode, VerifyRequest, VerifyResult};
use crate::basic_auth::{BasicCredentials, parse_basic};
use crate::cache::Credential;
use crate::canary::CanaryUse;
use crate::caveat::{RequestContext, Unmet};
use crate::clock::{Clock, Millis};
#[cfg(doc)]
use crate::error::Error;
use crate::error::Result;
use crate::follow_up::{Complete, FollowUp, Upgrade};
use crate::hash::PhcHash;
use crate::io::{self, Call, Machine, Reply, Step, ok};
use crate::marker::{password_keys, read_live};
use crate::password::{self, RandomSource};
use crate::record::{Record, uses_key};
use crate::rotate::Supersede;
use crate::scope::ScopeSet;
use crate::service::{AppPasswords, DUMMY_ID, corrupt};
use crate::store::Store;

/// What a verify answers, and the writes it leaves for after the answer.
type Answer = (VerifyResult, Option<FollowUp>);

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// Verifies credentials and performs the follow-up writes before returning.
    ///
    /// # Errors
    /// [`Error::UnknownScope`] for a `require` name not in the catalogue; store errors.
    /// Follow-up write failures are ignored: they never change the answer.
    pub async fn verify(&self, request: VerifyRequest<'_>) -> Result<VerifyResult> {
        let (result, follow_up) = self.verify_deferred(request).await?;
        if let Some(follow_up) = follow_up {
            let _ = self.drive(Complete::new(follow_up)).await;
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

    /// Verifies credentials; returns the answer at once and the store writes it leaves
    /// (`lastUsedAt`, re-hash) for [`AppPasswords::complete`], so they never delay it.
    ///
    /// # Errors
    /// As [`AppPasswords::verify`].
    pub async fn verify_deferred(&self, request: VerifyRequest<'_>) -> Result<(VerifyResult, Option<FollowUp>)> {
        self.drive(Verify::new(self, &request)?).await
    }
}

/// The request's client IP, method and path, owned (a machine outlives the request's borrows).
struct Context {
    client_ip: Option<String>,
    method: Option<String>,
    path: Option<String>,
}

impl Context {
    fn of(context: &RequestContext<'_>) -> Self {
        Self {
            client_ip: context.client_ip.map(str::to_owned),
            method: context.method.map(str::to_owned),
            path: context.path.map(str::to_owned),
        }
    }

    fn borrow(&self) -> RequestContext<'_> {
        RequestContext {
            client_ip: self.client_ip.as_deref(),
            method: self.method.as_deref(),
            path: self.path.as_deref(),
        }
    }
}

/// [`AppPasswords::verify_deferred`] as a [`Machine`]: its output is the answer and the
/// follow-up for [`Complete`]. Holds the password (zeroized on drop; no `Debug`).
pub struct Verify {
    username: String,
    password: Zeroizing<String>,
    required: ScopeSet,
    purpose: Purpose,
    context: Option<Context>,
    /// The answer, once made (kept here, not moved from stage to stage).
    answer: Option<Answer>,
    /// The checks a record just read passed, for what follows a granted answer.
    checked: Option<Box<Checked>>,
    stage: Stage,
}

/// The checks passed on a record read from the store, for what follows a granted answer.
struct Checked {
    record: Record,
    /// Whether its hash is not of the current profile (a re-hash is due).
    stale_hash: bool,
    now: Millis,
}

enum Stage {
    /// The synchronous prelude is next.
    Start,
    /// The Basic header was missing or unreadable: refused at the first step.
    Refused(Refusal),
    /// The bulk read of record, tombstone and markers asked for.
    Reading {
        id: String,
        tag: Option<[u8; 32]>,
        now: Millis,
    },
    /// `maxUses`' increment asked for; then, for a record just read, what follows a grant.
    TakingUse(u64),
    /// The predecessor's supersession under way.
    Superseding(Supersede),
    Over,
}

impl Verify {
    /// Verifies `request` on `service` (the required scopes are parsed here, against its
    /// catalogue; everything else at the first step).
    ///
    /// # Errors
    /// [`Error::UnknownScope`] for a `require` name not in the catalogue.
    pub fn new<S, C, R>(service: &AppPasswords<S, C, R>, request: &VerifyRequest<'_>) -> Result<Self> {
        let required = ok!(service.config.catalog.parse_names(request.require.iter().copied()));
        let (username, password, stage) = match request.credentials {
            Credentials::Password { username, password } => {
                (username.to_owned(), Zeroizing::new(password.to_owned()), Stage::Start)
            }
            Credentials::Basic(header) => match parse_basic(header) {
                Ok(BasicCredentials { username, password }) => (username, password, Stage::Start),
                Err(e) => (String::new(), Zeroizing::default(), Stage::Refused(Refusal::invalid(Reason::Header(e)))),
            },
        };
        let context = request.context.as_ref().map(Context::of);
        Ok(Self { username, password, required, purpose: request.purpose, context, answer: None, checked: None, stage })
    }

    fn context(&self) -> Option<RequestContext<'_>> {
        self.context.as_ref().map(Context::borrow)
    }

    /// The prelude: parse, then a fresh cache hit is answered (after `maxUses`), else the read.
    fn start<S, C: Clock, R: RandomSource>(&mut self, service: &AppPasswords<S, C, R>) -> Result<Step<Answer>> {
        let parsed = match password::parse(&self.password, &service.config.prefix) {
            Ok(parsed) => parsed,
            Err(malformed) => return invalid(Reason::Malformed(malformed)),
        };
        let now = service.now();
        let tag = service.cache.as_ref().and_then(|c| c.tag(&self.username, &self.password));
        if let (Some(cache), Some(tag)) = (&service.cache, &tag) {
            if let Some(credential) = cache.get(tag, now) {
                // The tag covers the username, so the owner matched when it was cached.
                if service.is_revoked_here(&credential.id, &credential.user) {
                    cache.evict_id(&credential.id);
                    return invalid(Reason::UnknownId);
                }
                if credential.expires_at.is_some_and(|t| t <= now) {
                    return invalid(Reason::Expired);
                }
                let uses = credential.caveats.max_uses();
                self.answer =
                    Some(service.authorize(credential, self.purpose, self.context(), &self.required, now, true));
                return self.take_use(service, uses);
            }
        }

        // The tombstone is read with the record, in one call: a revoked id is refused even if
        // a store write brought its record back (a re-hash upgrade racing the revoke, a
        // dropped delete). The lifecycle markers (marker.rs) come in the same call.
        let id = parsed.id().to_owned();
        let keys = password_keys(&self.username, &id, false);
        self.stage = Stage::Reading { id, tag, now };
        Ok(Step::Call(Call::Read(keys)))
    }

    /// The read's answer: decode, hash, the owner, expiry and lifecycle checks, the cache, the
    /// checks that follow authentication; then `maxUses`.
    fn checks<S, C: Clock, R: RandomSource>(
        &mut self,
        service: &AppPasswords<S, C, R>,
        reply: Option<Result<Reply>>,
        (id, tag, now): (String, Option<[u8; 32]>, Millis),
    ) -> Result<Step<Answer>> {
        let catalog = &service.config.catalog;
        let (stored, markers) = ok!(read_live(&mut ok!(io::values(reply, 5))));
        let known = stored.is_some();
        let (json, id) = match &stored {
            Some(json) => (json.as_str(), id.as_str()),
            None => (service.dummy_record.as_str(), DUMMY_ID),
        };
        let record = ok!(Record::from_json_with(json, id, &service.parsed_caveats));
        let phc = ok!(PhcHash::parse(&record.hash).map_err(corrupt));
        let granted = ok!(catalog.decode(&record.scopes).map_err(corrupt));
        if granted.is_empty() {
            // create never stores an empty set (docs/design.md#scopes-are-fixed-at-creation): this record was not written by us.
            return Err(io::store_corrupt("record has no scopes"));
        }

        let secret_ok = service.hasher.verify(self.password.as_bytes(), &phc);
        if !known {
            return invalid(Reason::UnknownId);
        }
        if record.canary {
            // The same answer as an unknown id, after the same work; the use is reported.
            let canary = secret_ok.then(|| CanaryUse::of(&record, now));
            return Ok(Step::Done((
                VerifyResult::Refused(Refusal::invalid(Reason::UnknownId)),
                canary.map(FollowUp::canary),
            )));
        }
        if !secret_ok {
            return invalid(Reason::WrongSecret);
        }
        if !bool::from(record.user.as_bytes().ct_eq(self.username.as_bytes())) {
            return invalid(Reason::WrongUser);
        }
        if record.expires_at.is_some_and(|t| t <= now) {
            return invalid(Reason::Expired);
        }
        if let Some(reason) = markers.refusal(now) {
            return invalid(reason);
        }
        // A revoke through this instance that completed while this verify was reading or
        // hashing wins: refused, and never cached.
        if service.is_revoked_here(&record.id, &record.user) {
            return invalid(Reason::UnknownId);
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
        let cacheable = record.replaces.is_none() || service.predecessor_superseded(&record.id);
        if let (Some(cache), Some(tag), true) = (&service.cache, tag, cacheable) {
            cache.insert(tag, credential.clone(), now);
            // Checked again after the insert: a revoke marks, then evicts; whichever order the
            // two ran in on another thread, the entry does not survive it.
            if service.is_revoked_here(&record.id, &record.user) {
                cache.evict_id(&record.id);
            }
        }
        self.answer = Some(service.authorize(credential, self.purpose, self.context(), &self.required, now, false));
        let stale_hash = !phc.is_current(&service.config.hashing);
        self.checked = Some(Box::new(Checked { record, stale_hash, now }));
        self.take_use(service, uses)
    }

    /// `maxUses`: a granted answer takes one use with the store's atomic increment, and past
    /// the limit becomes a refusal (with no follow-up). Runs after every other check, so a
    /// refused request uses nothing up; with the store's atomic add, exactly `maxUses`
    /// verifies succeed however many run at once. No store call without `maxUses`.
    fn take_use<S, C: Clock, R: RandomSource>(
        &mut self,
        service: &AppPasswords<S, C, R>,
        max_uses: Option<u64>,
    ) -> Result<Step<Answer>> {
        let (Some(max_uses), Some((VerifyResult::Granted(granted), _))) = (max_uses, &self.answer) else {
            return self.after_use(service);
        };
        let call = Call::Increment(uses_key(&granted.id), 1);
        self.stage = Stage::TakingUse(max_uses);
        Ok(Step::Call(call))
    }

    /// What follows a grant of a record just read: a replacement's first grant ends its
    /// predecessor's overlap, before the answer.
    fn after_use<S, C: Clock, R: RandomSource>(&mut self, service: &AppPasswords<S, C, R>) -> Result<Step<Answer>> {
        let granted = self.answer.as_ref().is_some_and(|answer| answer.0.is_ok());
        let Some(checked) = self.checked.as_ref().filter(|_| granted) else { return self.answer() };
        match service.supersede_predecessor(&checked.record, checked.now) {
            Some(supersede) => self.supersede(service, supersede, None),
            None => self.upgrade(service),
        }
    }

    /// Steps the predecessor's supersession; the upgrade once it is written.
    fn supersede<S, C: Clock, R: RandomSource>(
        &mut self,
        service: &AppPasswords<S, C, R>,
        mut supersede: Supersede,
        reply: Option<Result<Reply>>,
    ) -> Result<Step<Answer>> {
        match Machine::step(&mut supersede, service, reply) {
            Ok(Step::Call(call)) => {
                self.stage = Stage::Superseding(supersede);
                Ok(Step::Call(call))
            }
            Ok(Step::Done(())) => self.upgrade(service),
            Err(err) => Err(err),
        }
    }

    /// A granted answer of a record whose hash is not of the current profile: re-hashed under
    /// it after the answer (upgrade in place), at most once per password per instance.
    fn upgrade<S, C: Clock, R: RandomSource>(&mut self, service: &AppPasswords<S, C, R>) -> Result<Step<Answer>> {
        let Some(Checked { record, stale_hash, .. }) = self.checked.take().map(|checked| *checked) else {
            return self.answer();
        };
        if !(stale_hash && service.first_upgrade(&record.id)) {
            return self.answer();
        }
        // The password moves to the follow-up: nothing after this step needs it.
        let password = Zeroizing::new(core::mem::take(&mut *self.password));
        if let Some((_, follow_up)) = &mut self.answer {
            let follow_up = follow_up.get_or_insert_with(|| FollowUp { touch: None, upgrade: None, canary: None });
            follow_up.upgrade = Some(Box::new(Upgrade { record, password }));
        }
        self.answer()
    }

    /// The answer made: the machine's output.
    fn answer(&mut self) -> Result<Step<Answer>> {
        self.answer.take().map(Step::Done).ok_or_else(io::stepped_after_end)
    }
}

/// A refusal's answer (a refusal leaves no follow-up).
fn refuse(refusal: Refusal) -> Step<Answer> {
    Step::Done((VerifyResult::Refused(refusal), None))
}

/// The answer of invalid credentials, for `reason`: one copy of the answer's construction for
/// the many checks that refuse.
#[inline(never)]
fn invalid(reason: Reason) -> Result<Step<Answer>> {
    Ok(refuse(Refusal::invalid(reason)))
}

impl<S, C: Clock, R: RandomSource> Machine<S, C, R> for Verify {
    /// The answer, and the writes it leaves for [`Complete`].
    type Output = Answer;

    fn step(&mut self, service: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<Answer>> {
        match core::mem::replace(&mut self.stage, Stage::Over) {
            Stage::Start => self.start(service),
            Stage::Refused(refusal) => Ok(refuse(refusal)),
            Stage::Reading { id, tag, now } => self.checks(service, reply, (id, tag, now)),
            Stage::TakingUse(max_uses) => {
                let count = ok!(io::count(reply));
                let count = ok!(u64::try_from(count)
                    .ok()
                    .filter(|c| *c >= 1)
                    .ok_or_else(|| io::store_corrupt("a use counter is below one after an increment")));
                if count > max_uses {
                    return Ok(refuse(Refusal::new(
                        RefusalCode::RequestNotAllowed,
                        Reason::Caveat(Unmet::MaxUsesReached),
                    )));
                }
                self.after_use(service)
            }
            Stage::Superseding(supersede) => self.supersede(service, supersede, reply),
            Stage::Over => Err(io::stepped_after_end()),
        }
    }
}
