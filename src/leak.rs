//! Leaked passwords: `report_leaked` revokes a password found in public (a secret scanner's
//! report, a person pasting one into a form), after checking the whole secret, never on the
//! id alone (ids are not secret: they are listed).
//!
//! A password revoked this way leaves `app-passwords/v1/leaked/{id}` (owner, the record's
//! hash, when): a report replayed later is recognised as the same real password (found, not
//! revoked again) although its record is gone. GitHub's secret scanning endpoint (the
//! package's `secret-scanning.js`) is built on this.

use zeroize::Zeroizing;

use crate::clock::{Clock, Millis};
use crate::error::Result;
use crate::hash::PhcHash;
use crate::io::{self, Call, Machine, Reply, Step, ok, output};
use crate::json::{Fields, push_quoted, push_u64};
use crate::marker::record_keys;
use crate::password::{self, RandomSource};
use crate::record::{KEY_ROOT, RECORD_VERSION, Record};
use crate::revoke::{Revoke, revoked};
use crate::service::{AppPasswords, corrupt};
use crate::store::Store;

/// What [`AppPasswords::report_leaked`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeakReport {
    /// The text is a real password of this service (live now, or revoked as leaked before).
    pub found: bool,
    /// This call revoked it.
    pub revoked: bool,
    /// Its id, when found.
    pub id: Option<String>,
    /// Its owner, when found.
    pub user: Option<String>,
}

/// Key of the leak note of this id.
#[must_use]
pub fn leaked_key(id: &str) -> String {
    let mut key = String::from(KEY_ROOT);
    key.push_str("leaked/");
    key.push_str(id);
    key
}

fn leaked_json(user: &str, hash: &str, at: Millis) -> String {
    let mut json = String::from("{\"v\":1,\"user\":");
    push_quoted(&mut json, user);
    json.push_str(",\"hash\":");
    push_quoted(&mut json, hash);
    json.push_str(",\"at\":");
    push_u64(&mut json, at);
    json.push('}');
    json
}

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// Revokes `text` if it is a real password of this service: the checksum first (a bad
    /// one costs no store call at all), then one bulk read (record, tombstone, leak note) and
    /// one Argon2 run against the stored hash, then the leak note and a `revoke`. A wrong
    /// secret with a real id is not found and revokes nothing. Canaries are revoked like any
    /// other password.
    ///
    /// # Errors
    /// Store errors (then call it again: it resumes).
    pub async fn report_leaked(&self, text: &str) -> Result<LeakReport> {
        self.drive(ReportLeaked::new(text)).await
    }
}

/// [`AppPasswords::report_leaked`] as a [`Machine`]: the bulk read, the leak note's write,
/// then a [`Revoke`].
pub struct ReportLeaked {
    /// The reported text: a live password, when the report is right.
    text: Zeroizing<String>,
    /// Its id, once parsed.
    id: String,
    /// Its owner, once read.
    user: String,
    state: LeakState,
}

/// Where a [`ReportLeaked`] is: the revoke is stepped where it is (not moved out of the state
/// and back at every call).
enum LeakState {
    Start,
    Reading,
    /// The leak note's write in flight.
    Noting,
    /// The revoke of the owner's password (boxed: much larger than the other states).
    Revoking(Box<Revoke>),
    Over,
}

impl ReportLeaked {
    /// Revokes `text` if it is a real password of this service.
    #[must_use]
    pub fn new(text: &str) -> Self {
        Self { text: Zeroizing::new(text.to_owned()), id: String::new(), user: String::new(), state: LeakState::Start }
    }

    fn found(&mut self, revoked: bool) -> LeakReport {
        LeakReport { found: true, revoked, id: Some(self.id.clone()), user: Some(core::mem::take(&mut self.user)) }
    }
}

/// The answer for a text that is not a real password of this service (one copy for its four
/// cases).
#[inline(never)]
fn not_found() -> Result<Step<LeakReport>> {
    Ok(Step::Done(LeakReport::default()))
}

impl<S, C: Clock, R: RandomSource> Machine<S, C, R> for ReportLeaked {
    /// What was found.
    type Output = LeakReport;

    fn step(&mut self, service: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<Self::Output>> {
        let step = self.advance(service, reply);
        if io::ends(&step) {
            self.state = LeakState::Over;
        }
        step
    }
}

impl ReportLeaked {
    /// A step of the machine (see [`Machine::step`]).
    fn advance<S, C: Clock, R: RandomSource>(
        &mut self,
        service: &AppPasswords<S, C, R>,
        mut reply: Option<Result<Reply>>,
    ) -> Result<Step<LeakReport>> {
        loop {
            match &mut self.state {
                LeakState::Start => {
                    let Ok(parsed) = password::parse(&self.text, &service.config.prefix) else {
                        return not_found();
                    };
                    let id = parsed.id();
                    self.id = id.to_owned();
                    self.state = LeakState::Reading;
                    let mut keys = record_keys(id, 3);
                    keys.push(leaked_key(id));
                    return Ok(Step::Call(Call::Read(keys)));
                }
                LeakState::Reading => {
                    let mut values = ok!(io::values(reply.take(), 3));
                    let (stored, tombstone, note) = (values.take(), values.take(), values.take());
                    // The owner and hash to check the text against: a live password's record's,
                    // or, revoked before, its leak note's (the same real password if the note's
                    // hash says so).
                    let revoked = ok!(revoked(tombstone));
                    let (user, hash) = if revoked {
                        let Some(note) = note else { return not_found() };
                        let bad = || io::store_corrupt("leak note is not valid JSON of the v1 shape");
                        let fields = ok!(Fields::parse(&note, &["v", "user", "hash", "at"]).ok_or_else(bad));
                        if fields.u64("v") != Some(u64::from(RECORD_VERSION)) {
                            return Err(bad());
                        }
                        (ok!(fields.string("user").ok_or_else(bad)), ok!(fields.string("hash").ok_or_else(bad)))
                    } else {
                        let Some(stored) = stored else { return not_found() };
                        let record = ok!(Record::from_json(&stored, &self.id));
                        (record.user, record.hash)
                    };
                    let phc = ok!(PhcHash::parse(&hash).map_err(corrupt));
                    // The text parsed in the first step: it is the whole password (what is hashed).
                    if !service.hasher.verify(self.text.as_bytes(), &phc) {
                        return not_found();
                    }
                    self.user = user;
                    if revoked {
                        return Ok(Step::Done(self.found(false)));
                    }
                    let note = leaked_json(&self.user, &hash, service.now());
                    self.state = LeakState::Noting;
                    return Ok(Step::Call(Call::Put(leaked_key(&self.id), note)));
                }
                LeakState::Noting => {
                    ok!(io::done(reply.take()));
                    self.state = LeakState::Revoking(Box::new(Revoke::new(&self.user, &self.id)));
                }
                LeakState::Revoking(revoke) => {
                    let revoked = output!(Machine::step(&mut **revoke, service, reply.take()));
                    return Ok(Step::Done(self.found(revoked)));
                }
                LeakState::Over => return Err(io::stepped_after_end()),
            }
        }
    }
}
