//! The exported class `Operation`: one core [`Machine`] that the package's JS driver
//! (`pkg-template/drive.js`) runs against the host store. Each `step` answers the next store
//! call as `[method, ...args]` (the driver calls `store[method](...args)` and awaits it), or
//! `[output]` once the operation is over; the driver passes back what the store answered, or
//! what it threw. So the store's promises are awaited in JavaScript and the
//! module holds no async code (docs/BUILD-KNOBS.md).

use std::rc::Rc;

use js_sys::{Array, Map, Reflect};
use wasm_bindgen::prelude::*;

use crate::convert::field;
use crate::error::to_js;
use crate::service::Service;
use app_passwords_core::io::{Call, Machine, Reply, Step};
use app_passwords_core::store::{ListPage, MAX_GET_MANY};
use app_passwords_core::{Error, Result};

/// `expr?`, without the `Try` conversions `?` leaves in the wasm (the core's `io::ok!`).
macro_rules! ok {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(err) => return Err(err),
        }
    };
}

/// A machine whose output becomes a JS value when it is done.
trait Stepper {
    fn step(&mut self, service: &Service, reply: Option<Result<Reply>>)
    -> core::result::Result<Step<JsValue>, JsValue>;
}

/// A machine and the conversion of its output. `Fn`, not an `FnOnce` taken out of an `Option`:
/// the conversion has no side effects, and the driver never steps an operation past its end
/// (most machines then answer `stepped_after_end` anyway), so it needs no guard of its own.
struct Answering<M, F> {
    machine: M,
    answer: F,
}

impl<M, F> Stepper for Answering<M, F>
where
    M: Machine<crate::store::JsStore, crate::service::JsClock, app_passwords_core::PooledOsRandom>,
    F: Fn(M::Output) -> core::result::Result<JsValue, JsValue>,
{
    fn step(
        &mut self,
        service: &Service,
        reply: Option<Result<Reply>>,
    ) -> core::result::Result<Step<JsValue>, JsValue> {
        match self.machine.step(service, reply) {
            Ok(Step::Call(call)) => Ok(Step::Call(call)),
            Ok(Step::Done(output)) => (self.answer)(output).map(Step::Done),
            Err(err) => Err(to_js(err)),
        }
    }
}

/// A running operation of the core (see the module docs).
#[wasm_bindgen]
pub struct Operation {
    service: Rc<Service>,
    machine: Box<dyn Stepper>,
    /// The call in flight, to read its reply.
    call: Option<Call>,
}

impl Operation {
    /// `machine`, whose output `answer` turns into the operation's JS output.
    pub(crate) fn new<M, F>(service: &Rc<Service>, machine: M, answer: F) -> Self
    where
        M: Machine<crate::store::JsStore, crate::service::JsClock, app_passwords_core::PooledOsRandom> + 'static,
        F: Fn(M::Output) -> core::result::Result<JsValue, JsValue> + 'static,
    {
        Self::boxed(service, Box::new(Answering { machine, answer }))
    }

    /// The rest of [`Operation::new`], once for every kind of machine.
    #[inline(never)]
    fn boxed(service: &Rc<Service>, machine: Box<dyn Stepper>) -> Self {
        Self { service: Rc::clone(service), machine, call: None }
    }
}

#[wasm_bindgen]
impl Operation {
    /// The next store call as `[method, ...args]` (two or three items), or `[output]` (one) when
    /// the operation is over: the output with the last step, not through an export of its own
    /// (each export costs its own shim of glue). `reply` is what the store answered to the
    /// previous call, or what it threw (`failed`).
    ///
    /// # Errors
    /// The operation's error (an `AppPasswordError`).
    pub fn step(&mut self, reply: JsValue, failed: bool) -> core::result::Result<JsValue, JsValue> {
        let mut reply =
            self.call.take().map(|call| if failed { Err(failure(&reply)) } else { read_reply(&call, reply) });
        loop {
            match self.machine.step(&self.service, reply.take())? {
                Step::Done(output) => return Ok(Array::of1(&output).into()),
                // A store without an atomic add: the call is answered here, never made.
                Step::Call(Call::Increment(..)) if !self.service.store().has_increment() => {
                    reply = Some(Err(Error::StoreLacksAtomic));
                }
                Step::Call(call) => {
                    let js = call_js(&call);
                    self.call = Some(call);
                    return Ok(js);
                }
            }
        }
    }
}

/// A call as the driver takes it: the store method's name, then its arguments. A bulk read
/// comes as its keys in batches of at most [`MAX_GET_MANY`] (the one place that limit is
/// applied): the driver makes one `getMany` call per batch, concurrently, and answers the array
/// of what each call resolved to.
fn call_js(call: &Call) -> JsValue {
    let s = |text: &str| JsValue::from_str(text);
    // The method, its first argument and its second, if any: one array built for every call.
    let (method, first, second) = match call {
        Call::Read(keys) => {
            let batches = Array::new();
            for batch in keys.chunks(MAX_GET_MANY) {
                let keys = Array::new();
                for key in batch {
                    keys.push(&s(key));
                }
                batches.push(&keys);
            }
            ("getMany", batches.into(), None)
        }
        Call::Get(key) => ("get", s(key), None),
        Call::Put(key, value) => ("put", s(key), Some(s(value))),
        Call::Delete(key) => ("delete", s(key), None),
        Call::List { prefix, cursor } => {
            ("list", s(prefix), Some(cursor.as_deref().map_or(JsValue::UNDEFINED, JsValue::from_str)))
        }
        #[allow(clippy::cast_precision_loss)] // the core adds 0 or 1
        Call::Increment(key, delta) => ("increment", s(key), Some(JsValue::from_f64(*delta as f64))),
    };
    let out = Array::of2(&s(method), &first);
    if let Some(second) = second {
        out.push(&second);
    }
    out.into()
}

/// `store_corrupt` with a fixed message: one shared copy of the error's construction.
#[inline(never)]
fn corrupt(message: &'static str) -> Error {
    Error::StoreCorrupt(message.into())
}

/// The store's answer to `call`, checked: a value of the wrong type is `store_corrupt`.
fn read_reply(call: &Call, answer: JsValue) -> Result<Reply> {
    Ok(match call {
        Call::Read(keys) => {
            let answers: Array = ok!(answer.dyn_into().map_err(|_| corrupt("getMany() answers are missing")));
            let mut values = Vec::with_capacity(keys.len());
            for (chunk, answer) in keys.chunks(MAX_GET_MANY).zip(answers.iter()) {
                ok!(bulk_values(chunk, &answer, &mut values));
            }
            Reply::Values(values)
        }
        Call::Get(_) => Reply::Value(ok!(value(answer, "get() resolved to something other than a string or null"))),
        Call::Put(..) | Call::Delete(_) => Reply::Done,
        Call::List { .. } => Reply::Page(ok!(page(&answer))),
        Call::Increment(..) => Reply::Count(ok!(count(&answer))),
    })
}

/// A value read from the store: a string, or absent (`null`/`undefined`); else `bad`.
fn value(value: JsValue, bad: &'static str) -> Result<Option<String>> {
    if value.is_null() || value.is_undefined() {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(|| corrupt(bad))
}

/// The values of `keys` in what one `getMany(keys)` resolved to, added to `values`. (Plain
/// loops here and below: the iterator adapters that collect into a `Result` cost the wasm more.)
fn bulk_values(keys: &[String], answer: &JsValue, values: &mut Vec<Option<String>>) -> Result<()> {
    let bad = || corrupt("getMany() must resolve to a Map or an object of strings or null");
    if answer.is_null() || !answer.is_object() {
        return Err(bad());
    }
    // A Map (Workers KV bulk get answers one) or a plain object; a key it lacks is absent.
    let map = answer.dyn_ref::<Map>();
    for key in keys {
        let k = JsValue::from_str(key);
        let v = match map {
            Some(map) => map.get(&k),
            None => ok!(Reflect::get(answer, &k).map_err(|_| bad())),
        };
        values.push(ok!(value(v, "getMany() resolved to something other than a string or null")));
    }
    Ok(())
}

/// What `list()` resolved to: `{ keys: string[], cursor?: string }`.
fn page(answer: &JsValue) -> Result<ListPage> {
    const BAD: &str = "list() must resolve to { keys: string[], cursor?: string }";
    // `keys` read as `undefined` when the answer is no object or reading it throws: no array either.
    let array: Array = ok!(field(answer, "keys").dyn_into().map_err(|_| corrupt(BAD)));
    let mut keys = Vec::new();
    for key in array.iter() {
        keys.push(ok!(key.as_string().ok_or_else(|| corrupt(BAD))));
    }
    let cursor = ok!(Reflect::get(answer, &JsValue::from_str("cursor")).map_err(|_| corrupt(BAD)));
    let cursor = ok!(value(cursor, BAD));
    Ok(ListPage { keys, cursor: cursor.filter(|c| !c.is_empty()) })
}

/// What `increment()` resolved to: an integer within 2^53, or its decimal text.
fn count(answer: &JsValue) -> Result<i64> {
    let bad = || corrupt("increment() must resolve to an integer");
    // A string (some clients answer INCRBY as text) is read as an integer: parsing it as a
    // float would bring the float parser and its tables into the wasm (+18 KB).
    if let Some(text) = answer.as_string() {
        return integer(&text).ok_or_else(bad);
    }
    let number = ok!(answer.as_f64().filter(|n| n.fract() == 0.0 && n.abs() <= MAX_SAFE as f64).ok_or_else(bad));
    #[allow(clippy::cast_possible_truncation)] // an integer within 2^53, checked above
    Ok(number as i64)
}

/// The largest integer a JS number holds exactly (2^53 - 1).
const MAX_SAFE: i64 = 9_007_199_254_740_991;

/// Decimal digits, with an optional `-`, of an integer within [`MAX_SAFE`]. Its own loop, not
/// `str::parse` (whose 128-bit overflow checks cost the wasm more): past `MAX_SAFE` it stops,
/// so `n * 10 + 9` never overflows.
fn integer(text: &str) -> Option<i64> {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(digits) => (-1, digits),
        None => (1, text),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: i64 = 0;
    for digit in digits.bytes() {
        if !digit.is_ascii_digit() || n > MAX_SAFE {
            return None;
        }
        n = n * 10 + i64::from(digit - b'0');
    }
    (n <= MAX_SAFE).then_some(sign * n)
}

/// A readable message from whatever JS threw.
fn describe(err: &JsValue) -> String {
    if let Some(e) = err.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    err.as_string().unwrap_or_else(|| "the store threw a non-Error value".into())
}

/// `store_timeout` when the package's timeout wrapper gave up, else `store_unavailable`.
fn failure(err: &JsValue) -> Error {
    let code = field(err, "code").as_string();
    if code.as_deref() == Some("store_timeout") { Error::StoreTimeout } else { Error::StoreUnavailable(describe(err)) }
}
