//! Creating a password: [`AppPasswords::create`] and [`AppPasswords::create_with_caveats`],
//! the checks every new record passes ([`NewAppPassword`] in, [`Created`] out), a fresh unused
//! id, and the two writes (record, then index entry).
//!
//! Apart from `service.rs` (the service's state and wiring) because it is one operation with
//! its own order of checks and writes, shared with `mint.rs`, `rotate.rs` and `canary.rs`.

use crate::caveat::{CaveatSpec, Caveats};
use crate::clock::{Clock, Millis};
#[cfg(doc)]
use crate::error::Error;
use crate::error::Result;
use crate::io::{self, Machine, Reply, Step, ok, output};
use crate::password::{Password, RandomSource};
use crate::record::Record;
use crate::service::AppPasswords;
use crate::store::Store;

mod new_record;
pub(crate) use new_record::{NewRecord, Source, UnusedPassword, WriteNew, hash_new};

/// What `create` is asked for.
#[derive(Debug, Clone, Copy)]
pub struct NewAppPassword<'a> {
    /// The owner.
    pub user: &'a str,
    /// A name for the tool that will use it.
    pub label: &'a str,
    /// Scopes chosen (closed under implication before storing).
    pub scopes: &'a [&'a str],
    /// Optional expiry, epoch milliseconds, in the future.
    pub expires_at: Option<Millis>,
}

/// A new password, returned once by `create`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// Its id.
    pub id: String,
    /// The password: show it once. Zeroized on drop, redacted in `Debug`.
    pub password: Password,
    /// Label.
    pub label: String,
    /// Granted scopes (closed), catalogue order.
    pub scopes: Vec<String>,
    /// Creation time.
    pub created_at: Millis,
    /// Expiry.
    pub expires_at: Option<Millis>,
    /// Caveats (none by default).
    pub caveats: Caveats,
}

impl Created {
    /// A new record as `create` and `rotate` answer it, with its password and scope names.
    pub(crate) fn of(record: Record, password: Password, scopes: Vec<String>) -> Self {
        Self {
            id: record.id,
            password,
            label: record.label,
            scopes,
            created_at: record.created_at,
            expires_at: record.expires_at,
            caveats: record.caveats,
        }
    }
}

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// Creates a password for `user` and returns it, the only time it is ever available.
    ///
    /// # Errors
    /// [`Error::InvalidUser`], [`Error::InvalidLabel`], [`Error::NoScopes`],
    /// [`Error::UnknownScope`], [`Error::ScopeNotGrantable`], [`Error::InvalidExpiry`] for bad
    /// arguments; store errors. When the second write fails the first is undone (best effort)
    /// and an error is returned: the password was never shown, so no one holds it.
    pub async fn create(&self, new: NewAppPassword<'_>) -> Result<Created> {
        self.drive(Create::new(new, &CaveatSpec::default())).await
    }

    /// [`AppPasswords::create`] with caveats (docs/design.md#caveats): IP ranges, a start time,
    /// methods, path prefixes, a number of uses. Stored with the record, fixed for its life.
    ///
    /// # Errors
    /// As [`AppPasswords::create`]; [`Error::InvalidCaveat`] for a caveat that cannot be used
    /// (also `notBefore` not before `expiresAt`); [`Error::StoreLacksAtomic`] for `maxUses` on a
    /// store without an atomic `increment` (never an unenforced limit).
    pub async fn create_with_caveats(&self, new: NewAppPassword<'_>, caveats: &CaveatSpec<'_>) -> Result<Created> {
        self.drive(Create::new(new, caveats)).await
    }
}

/// [`AppPasswords::create`], [`AppPasswords::create_with_caveats`] and
/// [`AppPasswords::create_canary`] as a [`Machine`]: the checks and the per-user count, an
/// unused id, the use counter's check (with `maxUses`), the hash, the two writes.
pub struct Create(pub(crate) NewRecord);

impl Create {
    /// `create_with_caveats` (`create`: no caveats).
    #[must_use]
    pub fn new(new: NewAppPassword<'_>, caveats: &CaveatSpec<'_>) -> Self {
        Self(NewRecord::new(new, caveats, Source::Drawn { canary: false }))
    }
}

impl<S, C: Clock, R: RandomSource> Machine<S, C, R> for Create {
    /// The new password, shown once.
    type Output = Created;

    fn step(&mut self, service: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<Created>> {
        let (record, granted, password) = output!(self.0.step(service, reply));
        // A drawn source always has its password; its absence is a bug, reported, never a panic.
        let password = ok!(password.ok_or_else(io::stepped_after_end));
        Ok(Step::Done(Created::of(record, password, service.config.catalog.names(&granted))))
    }
}
