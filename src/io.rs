//! Sans-I/O operations: every operation that touches the store is a [`Machine`], a synchronous
//! state machine that asks for one store [`Call`] at a time and is stepped again with the
//! store's [`Reply`]. The decisions stay in the core; who performs the calls is the host's:
//! [`AppPasswords::drive`] over a Rust [`Store`] (the async methods of the service), or the
//! JavaScript package's driver over a JS store object, so the WebAssembly module holds no
//! async state machine at all (docs/BUILD-KNOBS.md: they were a sixth of its bytes).
//!
//! A machine is stepped first with no reply, then with the reply to each call it asked for,
//! until it answers [`Step::Done`] or an error; it is not stepped after that. A machine
//! dropped before it is done (a failed call, a host that gave up) leaves the store as an
//! interrupted `async` operation would have, and undoes its in-memory marks on drop.

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::password::RandomSource;
use crate::service::AppPasswords;
use crate::store::{ListPage, Store};

/// One store call a [`Machine`] asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// The values at these keys, in order, absent as `None` ([`Reply::Values`], exactly one
    /// value per key). Any number of keys: a driver reads them
    /// [`MAX_GET_MANY`](crate::store::MAX_GET_MANY) a store call, concurrently.
    Read(Vec<String>),
    /// The value at one key ([`Reply::Value`]), with the store's single-key `get`.
    Get(String),
    /// Sets a key ([`Reply::Done`]).
    Put(String, String),
    /// Removes a key ([`Reply::Done`]).
    Delete(String),
    /// One page of keys under `prefix` ([`Reply::Page`]).
    List {
        /// The key prefix.
        prefix: String,
        /// Where the page starts; `None` for the first.
        cursor: Option<String>,
    },
    /// The store's atomic add ([`Reply::Count`], the new value).
    Increment(String, i64),
}

/// The store's answer to a [`Call`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// To [`Call::Read`].
    Values(Vec<Option<String>>),
    /// To [`Call::Get`].
    Value(Option<String>),
    /// To [`Call::Put`] and [`Call::Delete`].
    Done,
    /// To [`Call::List`].
    Page(ListPage),
    /// To [`Call::Increment`].
    Count(i64),
}

/// What a step of a [`Machine`] asks for: a store call, or nothing more (the output).
#[derive(Debug)]
pub enum Step<T> {
    /// Perform this call and step again with its reply.
    Call(Call),
    /// The operation's output.
    Done(T),
}

/// An operation as a synchronous state machine over the service (see the module docs).
pub trait Machine<S, C, R> {
    /// What the operation answers.
    type Output;

    /// Advances the operation: `reply` is `None` on the first step, else the reply to the
    /// call the previous step asked for (a failed call as its error).
    ///
    /// # Errors
    /// The operation's error: then it is over.
    fn step(&mut self, service: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<Self::Output>>;
}

/// `expr?` for a result of the crate's own error type, as the machines write it: the same
/// early return, without the `Try` conversions that `?` leaves in the wasm (a copy of the
/// error through a residual of its own at each use: 14 B of gzip per use, measured on verify's
/// checks).
macro_rules! ok {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(err) => return Err(err),
        }
    };
}
pub(crate) use ok;

/// The output of a sub-machine's step, as a machine steps the machine it holds: the output when
/// the sub-machine is done, else an early return of its call (to be answered) or its error.
macro_rules! output {
    ($step:expr) => {
        match $step {
            Ok($crate::io::Step::Done(output)) => output,
            Ok($crate::io::Step::Call(call)) => return Ok($crate::io::Step::Call(call)),
            Err(err) => return Err(err),
        }
    };
}
pub(crate) use output;

/// Whether a step ends its machine: its output or its error. The machines with a state of their
/// own go `Over` then, so that a step after the end answers `stepped_after_end`.
pub(crate) fn ends<O>(step: &Result<Step<O>>) -> bool {
    !matches!(step, Ok(Step::Call(_)))
}

/// [`Error::StoreCorrupt`] with a fixed message: one shared copy of the error's construction
/// (built inline, each of the many places that report the store's corruption had its own).
#[inline(never)]
pub(crate) fn store_corrupt(message: &'static str) -> Error {
    Error::StoreCorrupt(message.into())
}

/// The error of a reply of the wrong kind: a driver bug, reported as the store's.
fn mismatch() -> Error {
    store_corrupt("the store's reply does not match the call")
}

/// The error of a machine stepped after its end: a driver bug.
#[must_use]
pub fn stepped_after_end() -> Error {
    store_corrupt("an operation was stepped after its end")
}

/// The reply a step was given: the call's result, or an error when there was none.
pub(crate) fn reply(reply: Option<Result<Reply>>) -> Result<Reply> {
    reply.unwrap_or_else(|| Err(mismatch()))
}

// The reply a step was given, of the kind its call asks for: one shared copy each (a machine
// step had the two calls and the error paths between them inlined at every call site).

/// The values of a [`Call::Read`] of `len` keys, in the step's `reply`.
#[inline(never)]
pub(crate) fn values(reply: Option<Result<Reply>>, len: usize) -> Result<Values> {
    Ok(Values(ok!(ok!(self::reply(reply)).values(len)).into_iter()))
}

/// The acknowledgement of a [`Call::Put`] or [`Call::Delete`], in the step's `reply`.
#[inline(never)]
pub(crate) fn done(reply: Option<Result<Reply>>) -> Result<()> {
    ok!(self::reply(reply)).done()
}

/// The value of a [`Call::Get`], in the step's `reply`.
#[inline(never)]
pub(crate) fn value(reply: Option<Result<Reply>>) -> Result<Option<String>> {
    ok!(self::reply(reply)).value()
}

/// The count of a [`Call::Increment`], in the step's `reply`.
#[inline(never)]
pub(crate) fn count(reply: Option<Result<Reply>>) -> Result<i64> {
    ok!(self::reply(reply)).count()
}

/// The values of a [`Call::Read`], taken in the order of its keys (none by default).
#[derive(Default)]
pub(crate) struct Values(std::vec::IntoIter<Option<String>>);

impl Values {
    /// The next key's value (absent past the end). Not inlined: every machine reads its
    /// values through this one copy.
    #[inline(never)]
    pub(crate) fn take(&mut self) -> Option<String> {
        self.0.next().flatten()
    }
}

impl Reply {
    /// The values of a [`Call::Read`] of `len` keys.
    pub(crate) fn values(self, len: usize) -> Result<Vec<Option<String>>> {
        match self {
            Self::Values(values) if values.len() == len => Ok(values),
            Self::Values(_) => Err(store_corrupt("get_many answered a different number of values")),
            _ => Err(mismatch()),
        }
    }

    /// The value of a [`Call::Get`].
    pub(crate) fn value(self) -> Result<Option<String>> {
        if let Self::Value(value) = self { Ok(value) } else { Err(mismatch()) }
    }

    /// The page of a [`Call::List`].
    pub(crate) fn page(self) -> Result<ListPage> {
        if let Self::Page(page) = self { Ok(page) } else { Err(mismatch()) }
    }

    /// The count of a [`Call::Increment`].
    pub(crate) fn count(self) -> Result<i64> {
        if let Self::Count(count) = self { Ok(count) } else { Err(mismatch()) }
    }

    /// The acknowledgement of a [`Call::Put`] or [`Call::Delete`].
    pub(crate) fn done(self) -> Result<()> {
        if let Self::Done = self { Ok(()) } else { Err(mismatch()) }
    }
}

/// Writes made one after the other, each awaited before the next: a required one that fails
/// ends the sequence with its error; a best-effort one's failure is ignored (a key left behind
/// that nothing reads).
#[derive(Debug, Default)]
pub(crate) struct Writes {
    /// The writes not yet asked for, the next one last (popped).
    pending: Vec<(Call, bool)>,
    /// Whether the write in flight is required.
    required: bool,
    started: bool,
}

impl Writes {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A write that must succeed.
    pub(crate) fn then(self, call: Call) -> Self {
        self.push(call, true)
    }

    /// A write whose failure is ignored.
    pub(crate) fn then_try(self, call: Call) -> Self {
        self.push(call, false)
    }

    /// Not inlined: one copy for the many writes the machines list.
    #[inline(never)]
    fn push(mut self, call: Call, required: bool) -> Self {
        self.pending.insert(0, (call, required));
        self
    }
}

impl<S, C, R> Machine<S, C, R> for Writes {
    type Output = ();

    fn step(&mut self, _: &AppPasswords<S, C, R>, reply: Option<Result<Reply>>) -> Result<Step<()>> {
        if core::mem::replace(&mut self.started, true) {
            match done(reply) {
                Err(err) if self.required => return Err(err),
                _ => {}
            }
        }
        match self.pending.pop() {
            Some((call, required)) => {
                self.required = required;
                Ok(Step::Call(call))
            }
            None => Ok(Step::Done(())),
        }
    }
}

impl<S: Store, C: Clock, R: RandomSource> AppPasswords<S, C, R> {
    /// Runs `machine` to its end, performing its calls on this service's store.
    ///
    /// # Errors
    /// The machine's error (a failed store call among them, unless the machine ignores it).
    pub async fn drive<M: Machine<S, C, R>>(&self, mut machine: M) -> Result<M::Output> {
        let mut reply = None;
        loop {
            match machine.step(self, reply.take())? {
                Step::Done(output) => return Ok(output),
                Step::Call(call) => reply = Some(self.perform(call).await),
            }
        }
    }

    /// One call on the store.
    async fn perform(&self, call: Call) -> Result<Reply> {
        Ok(match call {
            Call::Read(keys) => Reply::Values(self.read_many(&keys).await?),
            Call::Get(key) => Reply::Value(self.store.get(&key).await?),
            Call::Put(key, value) => {
                self.store.put(&key, &value).await?;
                Reply::Done
            }
            Call::Delete(key) => {
                self.store.delete(&key).await?;
                Reply::Done
            }
            Call::List { prefix, cursor } => Reply::Page(self.store.list(&prefix, cursor.as_deref()).await?),
            Call::Increment(key, delta) => Reply::Count(self.store.increment(&key, delta).await?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Call, Machine, Reply, Step, Writes, reply};
    use crate::error::Error;
    use crate::service::{AppPasswords, Config};
    use crate::store::{ListPage, MemoryStore};

    fn service() -> AppPasswords<MemoryStore> {
        AppPasswords::new(MemoryStore::new(), Config::new().unwrap()).unwrap()
    }

    fn down() -> Error {
        Error::StoreUnavailable("down (test)".into())
    }

    fn put(key: &str) -> Call {
        Call::Put(key.into(), "v".into())
    }

    fn delete(key: &str) -> Call {
        Call::Delete(key.into())
    }

    /// The call a step asked for; fails the test on anything else.
    fn call(step: crate::error::Result<Step<()>>) -> Call {
        match step {
            Ok(Step::Call(call)) => call,
            other => panic!("expected a call, got {other:?}"),
        }
    }

    #[test]
    fn writes_ask_for_their_calls_in_the_order_they_were_added() {
        let service = service();
        let mut writes = Writes::new().then(put("a")).then_try(delete("b")).then(delete("c"));
        assert_eq!(call(writes.step(&service, None)), put("a"));
        assert_eq!(call(writes.step(&service, Some(Ok(Reply::Done)))), delete("b"));
        assert_eq!(call(writes.step(&service, Some(Ok(Reply::Done)))), delete("c"));
        assert!(matches!(writes.step(&service, Some(Ok(Reply::Done))), Ok(Step::Done(()))));
    }

    #[test]
    fn no_writes_is_done_at_once() {
        let service = service();
        assert!(matches!(Writes::new().step(&service, None), Ok(Step::Done(()))));
    }

    #[test]
    fn a_failed_required_write_ends_the_writes_with_its_error() {
        let service = service();
        let mut writes = Writes::new().then(put("a")).then(delete("b")).then_try(delete("c"));
        assert_eq!(call(writes.step(&service, None)), put("a"));
        // The error itself, not another call: the writes after it are never asked for.
        assert_eq!(writes.step(&service, Some(Err(down()))).unwrap_err(), down());
    }

    #[test]
    fn a_required_write_answered_with_the_wrong_reply_is_store_corrupt() {
        let service = service();
        let mut writes = Writes::new().then(put("a")).then(delete("b"));
        assert_eq!(call(writes.step(&service, None)), put("a"));
        let err = writes.step(&service, Some(Ok(Reply::Value(None)))).unwrap_err();
        assert_eq!(err.code(), "store_corrupt");
    }

    #[test]
    fn a_failed_best_effort_write_is_skipped() {
        let service = service();
        let mut writes = Writes::new().then_try(delete("a")).then_try(delete("b")).then(put("c"));
        assert_eq!(call(writes.step(&service, None)), delete("a"));
        assert_eq!(call(writes.step(&service, Some(Err(down())))), delete("b"));
        assert_eq!(call(writes.step(&service, Some(Ok(Reply::Count(3))))), put("c"));
        assert!(matches!(writes.step(&service, Some(Ok(Reply::Done))), Ok(Step::Done(()))));
        // The last one is best effort too: its failure still ends the writes well.
        let mut writes = Writes::new().then(put("a")).then_try(delete("b"));
        assert_eq!(call(writes.step(&service, None)), put("a"));
        assert_eq!(call(writes.step(&service, Some(Ok(Reply::Done)))), delete("b"));
        assert!(matches!(writes.step(&service, Some(Err(down()))), Ok(Step::Done(()))));
    }

    fn corrupt<T: core::fmt::Debug>(result: crate::error::Result<T>) {
        match result {
            Err(Error::StoreCorrupt(_)) => {}
            other => panic!("expected store_corrupt, got {other:?}"),
        }
    }

    #[test]
    fn reply_accessors_take_their_own_kind_only() {
        let values = || Reply::Values(vec![Some("a".into()), None]);
        let page = || Reply::Page(ListPage { keys: vec!["k".into()], cursor: None });
        assert_eq!(values().values(2).unwrap(), vec![Some("a".into()), None]);
        assert_eq!(Reply::Value(Some("a".into())).value().unwrap(), Some("a".into()));
        assert_eq!(page().page().unwrap().keys, vec!["k".to_owned()]);
        assert_eq!(Reply::Count(7).count().unwrap(), 7);
        Reply::Done.done().unwrap();
        for wrong in [Reply::Value(None), Reply::Done, page(), Reply::Count(1)] {
            corrupt(wrong.values(0));
        }
        for wrong in [values(), Reply::Done, page(), Reply::Count(1)] {
            corrupt(wrong.value());
        }
        for wrong in [values(), Reply::Value(None), Reply::Done, Reply::Count(1)] {
            corrupt(wrong.page());
        }
        for wrong in [values(), Reply::Value(None), Reply::Done, page()] {
            corrupt(wrong.count());
        }
        for wrong in [values(), Reply::Value(None), page(), Reply::Count(1)] {
            corrupt(wrong.done());
        }
    }

    #[test]
    fn values_of_the_wrong_length_are_store_corrupt() {
        let values = || Reply::Values(vec![None, None, None]);
        corrupt(values().values(2));
        corrupt(values().values(4));
        corrupt(values().values(0));
        corrupt(Reply::Values(Vec::new()).values(1));
        assert_eq!(Reply::Values(Vec::new()).values(0).unwrap(), Vec::new());
    }

    #[test]
    fn a_step_given_no_reply_where_one_was_due_is_store_corrupt() {
        corrupt(reply(None));
        assert_eq!(reply(Some(Err(down()))).unwrap_err(), down());
        assert_eq!(reply(Some(Ok(Reply::Done))).unwrap(), Reply::Done);
    }
}
