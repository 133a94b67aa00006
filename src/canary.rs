//! Canaries: passwords that look and list like any other and never grant. A verify with a
//! canary's right secret answers exactly as for an unknown id (same refusal, after the same
//! store read and one Argon2 run against the canary's real hash) and reports the use, so a
//! host learns that someone holds a password that should never have left its hiding place
//! (a honeytoken planted in a config file, a wiki page, a CI log).
//!
//! The use travels in the verify's [`FollowUp`](crate::FollowUp)
//! ([`FollowUp::canary_use`](crate::FollowUp::canary_use)): the JavaScript package calls its
//! `onCanary` hook with it after the answer (through `waitUntil` on Workers), as it does the
//! `lastUsedAt` write.

use crate::caveat::CaveatSpec;
use crate::clock::{Clock, Millis};
use crate::create::{Create, NewRecord, Source};
use crate::error::Result;
use crate::password::RandomSource;
use crate::record::Record;
use crate::service::{AppPasswords, Created, NewAppPassword};
use crate::store::Store;

/// One use of a canary: its id, owner and label, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanaryUse {
    /// The canary's id.
    pub id: String,
    /// Its owner.
    pub user: String,
    /// Its label.
    pub label: String,
    /// When it was used, epoch milliseconds.
    pub at: Millis,
}

impl CanaryUse {
    pub(crate) fn of(record: &Record, at: Millis) -> Self {
        Self { id: record.id.clone(), user: record.user.clone(), label: record.label.clone(), at }
    }
}

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// Creates a canary: the same arguments, checks, store writes and result as
    /// [`AppPasswords::create`], and a record that never grants.
    ///
    /// # Errors
    /// As [`AppPasswords::create`].
    pub async fn create_canary(&self, new: NewAppPassword<'_>) -> Result<Created> {
        self.drive(Create::canary(new)).await
    }
}

impl Create {
    /// `create_canary`: no caveats (a canary never grants).
    #[must_use]
    pub fn canary(new: NewAppPassword<'_>) -> Self {
        Self(NewRecord::new(new, &CaveatSpec::default(), Source::Drawn { canary: true }))
    }
}
