//! Every async operation of the class, run by the one `future_to_promise` in [`run`]: one
//! instance of the futures glue instead of one per exported method (docs/BUILD-KNOBS.md).

use std::rc::Rc;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::answers::verify_js;
use crate::args::{ContextArgs, VerifyArgs};
use crate::convert::{self, Obj, ms};
use crate::error::OrJs;
use crate::service::Service;
use app_passwords_core::service::{FollowUp, VerifyRequest, VerifyResult};

/// Runs the follow-up writes of a verify as their own Promise (or `undefined`).
fn follow_up_promise(service: &Rc<Service>, follow_up: Option<FollowUp>) -> JsValue {
    match follow_up {
        // A canary's use alone writes nothing: no promise, so it answers in an unknown id's time.
        Some(follow_up) if follow_up.has_writes() => run(Rc::clone(service), Op::Complete(Box::new(follow_up))).into(),
        _ => JsValue::UNDEFINED,
    }
}

/// `[result, pending, canaryUse]`: the third is `{ id, user, label, at }` when the verify saw a
/// canary's right secret, else `undefined` (the package hands it to its `onCanary` hook).
fn pair(result: &VerifyResult, follow_up: Option<FollowUp>, service: &Rc<Service>) -> Result<JsValue, JsValue> {
    let canary = match follow_up.as_ref().and_then(FollowUp::canary_use) {
        Some(used) => Obj::new()
            .set("id", used.id.as_str())
            .set("user", used.user.as_str())
            .set("label", used.label.as_str())
            .set("at", ms(used.at))
            .build(),
        None => JsValue::UNDEFINED,
    };
    Ok(Array::of3(&verify_js(result), &follow_up_promise(service, follow_up), &canary).into())
}

/// Every async operation of the bindings, run by the one `future_to_promise` in [`run`]: one
/// instance of the futures glue instead of one per exported method (docs/BUILD-KNOBS.md).
pub(crate) enum Op {
    Verify(JsValue),
    VerifyHeader(JsValue, JsValue, [JsValue; 3]),
    /// Boxed: the follow-up holds a whole record (for a re-hash), the other variants a few handles.
    Complete(Box<FollowUp>),
}

pub(crate) fn run(service: Rc<Service>, op: Op) -> Promise {
    future_to_promise(async move {
        match op {
            Op::Verify(options) => op_verify(&service, options).await,
            Op::VerifyHeader(header, require, context) => op_verify_header(&service, header, require, context).await,
            Op::Complete(follow_up) => service.complete(*follow_up).await.js().map(|()| JsValue::UNDEFINED),
        }
    })
}

async fn op_verify(service: &Rc<Service>, options: JsValue) -> Result<JsValue, JsValue> {
    let args = VerifyArgs::read(&options)?;
    let require = args.require_refs();
    let (result, follow_up) = service
        .verify_deferred(VerifyRequest {
            purpose: args.purpose,
            context: Some(args.context.context()),
            ..VerifyRequest::password(&args.username, &args.password, &require)
        })
        .await
        .js()?;
    pair(&result, follow_up, service)
}

async fn op_verify_header(
    service: &Rc<Service>,
    header: JsValue,
    require: JsValue,
    [client_ip, method, path]: [JsValue; 3],
) -> Result<JsValue, JsValue> {
    let header = zeroize::Zeroizing::new(header.as_string());
    let require = convert::strings(&require, "require", true)?;
    let require: Vec<&str> = require.iter().map(String::as_str).collect();
    let context = ContextArgs::read(&client_ip, &method, &path)?;
    let request = VerifyRequest::basic(header.as_deref(), &require).with_context(context.context());
    let (result, follow_up) = service.verify_deferred(request).await.js()?;
    pair(&result, follow_up, service)
}
