//! The store writes a granted verify leaves for after the answer: `lastUsedAt` (see
//! `touch.rs`) and the re-hash of a record whose Argon2 parameters are not the current
//! profile (at most once per password per instance).

use crate::canary::CanaryUse;
use crate::clock::{Clock, Millis};
use crate::error::Result;
use crate::io::{self, Call, Machine, Reply, Step, ok};
use crate::password::RandomSource;
use crate::record::{IndexEntry, RECORD_VERSION, Record, record_key, tombstone_key};
use crate::service::AppPasswords;
use crate::store::Store;

/// Store writes a successful verify leaves to do after the answer: `lastUsedAt`, and a
/// re-hash when the record's Argon2 parameters are not the current profile (the hash itself
/// is computed then too, after the answer). Holds the password for that re-hash: zeroized on
/// drop, never in `Debug`.
pub struct FollowUp {
    pub(crate) touch: Option<(String, Millis)>,
    /// The re-hash upgrade. Boxed: it holds a whole record, and a follow-up is moved with
    /// every answer of a verify.
    pub(crate) upgrade: Option<Box<Upgrade>>,
    /// A canary's use, for the host's hook (no store write). Boxed: rare, and it would double
    /// the size of every follow-up.
    pub(crate) canary: Option<Box<CanaryUse>>,
}

impl FollowUp {
    pub(crate) fn canary(canary: CanaryUse) -> Self {
        Self { touch: None, upgrade: None, canary: Some(Box::new(canary)) }
    }

    /// The use of a canary this verify saw (the right secret of a canary password), for the
    /// host's `onCanary` hook; `None` for every other verify.
    #[must_use]
    pub fn canary_use(&self) -> Option<&CanaryUse> {
        self.canary.as_deref()
    }

    /// Whether [`AppPasswords::complete`] has a store write to do (a canary's use alone has
    /// none: a host may skip the call, so a canary costs what an unknown id costs).
    #[must_use]
    pub fn has_writes(&self) -> bool {
        self.touch.is_some() || self.upgrade.is_some()
    }
}

/// A re-hash to do: the record as read, and the password that verified against it.
pub(crate) struct Upgrade {
    pub(crate) record: Record,
    pub(crate) password: zeroize::Zeroizing<String>,
}

impl core::fmt::Debug for FollowUp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FollowUp")
            .field("touch", &self.touch)
            .field("upgrade", &self.upgrade.as_ref().map(|u| u.record.id.as_str()))
            .field("canary", &self.canary)
            .finish()
    }
}

/// Most ids remembered as upgraded before the set is cleared (bounds memory).
const MAX_UPGRADED: usize = 10_000;

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// Performs the writes a verify left: the re-hash upgrade (undone if a revoke raced it),
    /// then `lastUsedAt`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn complete(&self, follow_up: FollowUp) -> Result<()> {
        self.drive(Complete::new(follow_up)).await
    }
}

impl<S, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// Whether this is the first re-hash upgrade of `id` scheduled by this instance.
    pub(crate) fn first_upgrade(&self, id: &str) -> bool {
        let mut upgraded = self.upgraded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if upgraded.contains_key(id) {
            return false;
        }
        if upgraded.len() >= MAX_UPGRADED {
            upgraded.clear();
        }
        upgraded.insert(id.to_owned(), self.now());
        true
    }
}

/// [`AppPasswords::complete`] as a [`Machine`]: the re-hash (computed in its first step, after
/// the answer), its record write and the tombstone read (and the record's delete when a revoke
/// raced it), then the `lastUsedAt` write.
pub struct Complete {
    touch: Option<(String, Millis)>,
    state: CompleteState,
}

enum CompleteState {
    /// Nothing asked yet; the re-hash to do, if any.
    Start(Option<Box<Upgrade>>),
    /// The re-hashed record's write asked for (its id).
    Upgrading(String),
    /// The tombstone's read asked for.
    Checking(String),
    /// The record's delete asked for: a revoke raced the re-hash.
    Undoing,
    /// The `lastUsedAt` write asked for.
    Touching,
    Over,
}

impl Complete {
    /// Performs the writes `follow_up` holds.
    #[must_use]
    pub fn new(follow_up: FollowUp) -> Self {
        Self { touch: follow_up.touch, state: CompleteState::Start(follow_up.upgrade) }
    }

    /// The `lastUsedAt` write, if any is left.
    fn touch(&mut self) -> Step<()> {
        let Some((key, now)) = self.touch.take() else { return Step::Done(()) };
        self.state = CompleteState::Touching;
        let entry = IndexEntry { v: RECORD_VERSION, last_used_at: Some(now) };
        Step::Call(Call::Put(key, entry.to_json()))
    }
}

impl<S, C: Clock, R: RandomSource> Machine<S, C, R> for Complete {
    type Output = ();

    fn step(&mut self, service: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<()>> {
        match core::mem::replace(&mut self.state, CompleteState::Over) {
            CompleteState::Start(None) => Ok(self.touch()),
            CompleteState::Start(Some(upgrade)) => {
                let Upgrade { mut record, password } = *upgrade;
                record.hash = ok!(crate::create::hash_new(service, password.as_bytes()));
                drop(password);
                let json = ok!(record.to_json());
                // The id cloned and the record dropped whole (one shared drop, not each of its
                // other fields inlined here).
                self.state = CompleteState::Upgrading(record.id.clone());
                Ok(Step::Call(Call::Put(record_key(&record.id), json)))
            }
            CompleteState::Upgrading(id) => {
                ok!(io::done(reply));
                // A revoke writes its tombstone before deleting the record, so if it ran
                // concurrently we see the tombstone here and remove what we just wrote.
                let key = tombstone_key(&id);
                self.state = CompleteState::Checking(id);
                Ok(Step::Call(Call::Get(key)))
            }
            CompleteState::Checking(id) => {
                if ok!(io::value(reply)).is_some() {
                    self.state = CompleteState::Undoing;
                    return Ok(Step::Call(Call::Delete(record_key(&id))));
                }
                Ok(self.touch())
            }
            CompleteState::Undoing | CompleteState::Touching => {
                ok!(io::done(reply));
                Ok(Step::Done(()))
            }
            CompleteState::Over => Err(io::stepped_after_end()),
        }
    }
}
