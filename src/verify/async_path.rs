//! The async path of a verify: the cache, else the store read, the hash, the owner, expiry and
//! lifecycle checks, caching the credential, `maxUses` and the follow-up writes. Apart from the
//! synchronous path (verify/sync_path.rs), which answers without the store when it can.

use subtle::ConstantTimeEq;

use super::{Reason, Refusal, RefusalCode, VerifyRequest, VerifyResult, open};
use crate::cache::Credential;
use crate::canary::CanaryUse;
use crate::caveat::Unmet;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::follow_up::{FollowUp, Upgrade};
use crate::hash::PhcHash;
use crate::marker::{State, marker_keys};
use crate::password::{self, RandomSource};
use crate::record::{Record, record_key, tombstone_key, uses_key};
use crate::revoke::revoked;
use crate::service::{AppPasswords, DUMMY_ID, corrupt};
use crate::store::Store;

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
}
