//! The verify exports of `AppPasswordsCore`: `verify` (username and password) and, for an
//! `Authorization` header, `verifyHeaderNow` and `verifyHitNow` (the synchronous path) and
//! the `verifyHeader` operation (`start`'s last); each reads its arguments into a core
//! `VerifyRequest` and answers now or hands back an operation. Nothing here decides anything
//! about passwords.

use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::answers::answered;
use crate::args::ContextArgs;
use crate::convert::{self, Obj, ms, string_arg};
use crate::error::{OrJs, invalid_argument};
use crate::operation::Operation;
use crate::service::{AppPasswordsCore, Service};
use app_passwords_core::service::{FollowUp, Now, Purpose, VerifyRequest};
use app_passwords_core::verify::{Complete, Verify};

#[wasm_bindgen]
impl AppPasswordsCore {
    /// `verify(username, password, require?, purpose?, clientIp?, method?, path?)`: the answer
    /// now when it needs no store (a malformed password, or a fresh cache hit), else an
    /// operation answering `[result, followUp, canaryUse]`: one export for both paths, so the
    /// arguments are read and checked once. Plain arguments, not an options object: reading an
    /// object field by field costs more than a cache hit. A bad argument's `AppPasswordError`
    /// is returned, not thrown ([`error_as_value`]).
    #[allow(clippy::too_many_arguments)] // plain arguments on purpose: see above
    pub fn verify(
        &self,
        username: &JsValue,
        password: &JsValue,
        require: &JsValue,
        purpose: &JsValue,
        client_ip: &JsValue,
        method: &JsValue,
        path: &JsValue,
    ) -> JsValue {
        let read_and_verify = || -> Result<JsValue, JsValue> {
            let purpose = match convert::opt_string_value(purpose, "purpose")?.as_deref() {
                None | Some("api") => Purpose::Api,
                Some("login") => Purpose::Login,
                Some(_) => return Err(invalid_argument("purpose must be \"api\" or \"login\"")),
            };
            let username = string_arg(username, "username")?;
            let password = zeroize::Zeroizing::new(string_arg(password, "password")?);
            let require = convert::strings(require, "require", true)?;
            let require: Vec<&str> = require.iter().map(String::as_str).collect();
            let context = ContextArgs::read(client_ip, method, path)?;
            let request = VerifyRequest { purpose, ..VerifyRequest::password(&username, &password, &require) }
                .with_context(context.context());
            match self.inner.verify_now(&request).js()? {
                Some(result) => Ok(answered(Some(result))),
                None => Ok(verify_operation(&self.inner, &request)?.into()),
            }
        };
        error_as_value(read_and_verify())
    }

    /// `verifyHeaderNow(header, require?)`: `verify`'s synchronous path for an `Authorization` header value,
    /// before the request's client IP, method and path are read (passing three strings into the
    /// wasm on every request was a tenth of a cache hit). The answer, `undefined` (await
    /// `verifyHeader`), or for a cache hit of a password with caveats a ticket number: then
    /// `verifyHitNow(ticket, clientIp, method, path)`. A bad `require`'s `AppPasswordError` is
    /// returned, not thrown ([`error_as_value`]).
    #[wasm_bindgen(js_name = verifyHeaderNow)]
    pub fn verify_header_now(&self, header: &JsValue, require: &JsValue) -> JsValue {
        let read_and_verify = || -> Result<JsValue, JsValue> {
            let header = zeroize::Zeroizing::new(header.as_string());
            let require = convert::strings(require, "require", true)?;
            let require: Vec<&str> = require.iter().map(String::as_str).collect();
            match self.inner.verify_now_lazily(&VerifyRequest::basic(header.as_deref(), &require)).js()? {
                Now::Answered(result) => Ok(answered(Some(result))),
                Now::NeedsContext(hit) => {
                    let ticket = self.ticket.get().wrapping_add(1);
                    self.ticket.set(ticket);
                    self.waiting.set(Some(hit));
                    Ok(JsValue::from(ticket))
                }
                Now::Later => Ok(JsValue::UNDEFINED),
            }
        };
        error_as_value(read_and_verify())
    }

    /// `verifyHitNow(ticket, clientIp?, method?, path?)`: the answer to the cache hit
    /// `verifyHeaderNow` gave `ticket` for, with the request's details; `undefined` (await
    /// `verifyHeader`) when that hit is gone or cannot be answered now.
    #[wasm_bindgen(js_name = verifyHitNow)]
    pub fn verify_hit_now(
        &self,
        ticket: u32,
        client_ip: Option<String>,
        method: Option<String>,
        path: Option<String>,
    ) -> JsValue {
        let Some(hit) = self.waiting.take().filter(|_| ticket == self.ticket.get()) else {
            return JsValue::UNDEFINED;
        };
        let context = ContextArgs { client_ip, method, path };
        answered(self.inner.verify_hit(hit, context.context()))
    }
}

impl AppPasswordsCore {
    /// `verifyHeader(authorizationHeaderOrNull, require?, clientIp?, method?, path?)` → an
    /// operation answering `[result, followUp, canaryUse]`.
    pub(crate) fn verify_header(
        &self,
        header: &JsValue,
        require: &JsValue,
        client_ip: &JsValue,
        method: &JsValue,
        path: &JsValue,
    ) -> Result<Operation, JsValue> {
        let header = zeroize::Zeroizing::new(header.as_string());
        let require = convert::strings(require, "require", true)?;
        let require: Vec<&str> = require.iter().map(String::as_str).collect();
        let context = ContextArgs::read(client_ip, method, path)?;
        let request = VerifyRequest::basic(header.as_deref(), &require).with_context(context.context());
        verify_operation(&self.inner, &request)
    }
}

/// An export's error as its return value. The synchronous verify exports answer on every
/// request: a `Result` return makes wasm-bindgen's glue reserve a return area on the wasm stack
/// (two calls into the wasm) and read three words back, 3-6% of a cache hit
/// (bench/ab-verify.mjs). api.js throws an `AppPasswordError` it gets back.
fn error_as_value(result: Result<JsValue, JsValue>) -> JsValue {
    result.unwrap_or_else(|error| error)
}

/// A verify of `request` that needs the store (its machine built here, once for both callers),
/// as an operation answering `[result, followUp, canaryUse]`: `followUp` is the
/// operation of the follow-up writes, or `undefined` when there are none (a canary's use alone
/// writes nothing, so it answers in an unknown id's time); `canaryUse` is `{ id, user, label,
/// at }` when the verify saw a canary's right secret, else `undefined` (the package hands it to
/// its `onCanary` hook).
fn verify_operation(service: &Rc<Service>, request: &VerifyRequest<'_>) -> Result<Operation, JsValue> {
    let machine = Verify::new(service, request).js()?;
    let inner = Rc::clone(service);
    Ok(Operation::new(service, machine, move |(result, follow_up)| {
        let canary = match follow_up.as_ref().and_then(FollowUp::canary_use) {
            Some(used) => Obj::new()
                .set("id", used.id.as_str())
                .set("user", used.user.as_str())
                .set("label", used.label.as_str())
                .set("at", ms(used.at))
                .build(),
            None => JsValue::UNDEFINED,
        };
        let follow_up = match follow_up {
            Some(follow_up) if follow_up.has_writes() => {
                Operation::new(&inner, Complete::new(follow_up), |()| Ok(JsValue::UNDEFINED)).into()
            }
            _ => JsValue::UNDEFINED,
        };
        Ok(Array::of3(&answered(Some(result)), &follow_up, &canary).into())
    }))
}
