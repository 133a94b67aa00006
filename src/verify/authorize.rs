//! The checks that follow authentication (purpose, caveats, grantable, scopes) and the
//! `lastUsedAt` follow-up: apart because both paths run them, on a cached credential
//! (verify/sync_path.rs, verify/async_path.rs) as on one just read from the store.

use super::{Granted, Purpose, Reason, Refusal, RefusalCode, VerifyResult};
use crate::cache::Credential;
use crate::caveat::RequestContext;
use crate::clock::{Clock, Millis};
use crate::follow_up::FollowUp;
use crate::password::RandomSource;
use crate::record::index_key;
use crate::scope::ScopeSet;
use crate::service::AppPasswords;

impl<S, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// The checks that follow authentication, run on every request (cached or not): purpose,
    /// caveats (but `maxUses`), grantable, scopes; then the `lastUsedAt` follow-up.
    pub(super) fn authorize(
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
