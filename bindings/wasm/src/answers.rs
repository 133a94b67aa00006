//! The core's answers as JS values: verify results (as JSON text, made objects by the
//! package's answers.js: one string across the boundary), created and listed passwords with their caveats, the catalogue.

use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::convert::{Obj, ms, opt_ms, string_array};
use app_passwords_core::caveat::{Caveats, IpRange};
use app_passwords_core::json::push_quoted;
use app_passwords_core::scope::Catalog;
use app_passwords_core::service::{Created, Listed, VerifyResult};

/// A verify answer as JSON text: `{ ok: true, user, id, label, scopes, cached }` or `{ ok:
/// false, status, code, reason, missing? }`.
fn verify_json(result: &VerifyResult) -> String {
    // Written by hand into one buffer: no core::fmt, no string per field (a cache hit's cost).
    let mut out = String::with_capacity(160);
    let names = |out: &mut String, names: &[String]| {
        out.push('[');
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_quoted(out, n);
        }
        out.push(']');
    };
    match result {
        VerifyResult::Granted(g) => {
            out.push_str("{\"ok\":true,\"user\":");
            push_quoted(&mut out, &g.user);
            out.push_str(",\"id\":");
            push_quoted(&mut out, &g.id);
            out.push_str(",\"label\":");
            push_quoted(&mut out, &g.label);
            out.push_str(",\"scopes\":");
            names(&mut out, &g.scopes);
            out.push_str(if g.cached { ",\"cached\":true}" } else { ",\"cached\":false}" });
        }
        VerifyResult::Refused(r) => {
            out.push_str(if r.status() == 401 {
                "{\"ok\":false,\"status\":401"
            } else {
                "{\"ok\":false,\"status\":403"
            });
            out.push_str(",\"code\":");
            push_quoted(&mut out, r.code.as_str());
            out.push_str(",\"reason\":");
            push_quoted(&mut out, r.reason.as_str());
            if !r.missing.is_empty() {
                out.push_str(",\"missing\":");
                names(&mut out, &r.missing);
            }
            out.push('}');
        }
    }
    out
}

pub(crate) fn scopes_js(catalog: &Catalog) -> JsValue {
    let list: Array = catalog
        .scopes()
        .iter()
        .enumerate()
        .map(|(pos, s)| {
            let mut itself = app_passwords_core::scope::ScopeSet::EMPTY;
            itself.insert(pos);
            Obj::new()
                .set("name", s.name.as_str())
                .set("group", s.group.as_str())
                .set("level", s.level.as_str())
                .set("implies", string_array(&s.implies))
                .set("grantable", s.grantable)
                // Everything it implies, transitively, excluding itself.
                .set("closure", string_array(&catalog.names(&s.closure.difference(&itself))))
                .build()
        })
        .collect();
    list.into()
}

/// Adds the caveats a password has (only those) to an answer object.
fn with_caveats(out: Obj, caveats: &Caveats) -> Obj {
    let ranges =
        |list: &[IpRange]| -> JsValue { list.iter().map(|r| JsValue::from_str(r.as_str())).collect::<Array>().into() };
    let mut out = out;
    if !caveats.allow_ips().is_empty() {
        out = out.set("allowIps", ranges(caveats.allow_ips()));
    }
    if !caveats.deny_ips().is_empty() {
        out = out.set("denyIps", ranges(caveats.deny_ips()));
    }
    if let Some(t) = caveats.not_before() {
        out = out.set("notBefore", ms(t));
    }
    if !caveats.methods().is_empty() {
        out = out.set("methods", string_array(caveats.methods()));
    }
    if !caveats.paths().is_empty() {
        out = out.set("paths", string_array(caveats.paths()));
    }
    if let Some(n) = caveats.max_uses() {
        out = out.set("maxUses", ms(n));
    }
    out
}

#[wasm_bindgen(raw_module = "./answers.js")]
extern "C" {
    /// `pkg-template/answers.js`: the object a verify answer's JSON text stands for, a copy of
    /// the one parsed before when the same text came before.
    fn answer(text: &str) -> JsValue;
}

/// The object of a synchronous answer, or `undefined`. Built as JSON text and made an object
/// by `answers.js`: one string across the boundary instead of a property set per field, which
/// dominated the cost of a cache hit.
pub(crate) fn answered(result: Option<VerifyResult>) -> JsValue {
    match result {
        Some(result) => answer(&verify_json(&result)),
        None => JsValue::UNDEFINED,
    }
}

/// A new password as `create` and `rotate` answer it: `{ id, password, label, scopes,
/// createdAt, expiresAt }`, then `replaces` for a replacement, then its caveats.
pub(crate) fn created_js(created: &Created, replaces: Option<&str>) -> JsValue {
    let out = Obj::new()
        .set("id", created.id.as_str())
        .set("password", created.password.expose())
        .set("label", created.label.as_str())
        .set("scopes", string_array(&created.scopes))
        .set("createdAt", ms(created.created_at))
        .set("expiresAt", opt_ms(created.expires_at));
    let out = match replaces {
        Some(old) => out.set("replaces", old),
        None => out,
    };
    with_caveats(out, &created.caveats).build()
}

fn opt_str(value: Option<&String>) -> JsValue {
    value.map_or(JsValue::NULL, |s| JsValue::from_str(s))
}

pub(crate) fn listed_js(l: &Listed) -> JsValue {
    let out = Obj::new()
        .set("id", l.id.as_str())
        .set("label", l.label.as_str())
        .set("scopes", string_array(&l.scopes))
        .set("createdAt", ms(l.created_at))
        .set("expiresAt", opt_ms(l.expires_at))
        .set("lastUsedAt", opt_ms(l.last_used_at))
        .set("enabled", l.enabled)
        .set("replaces", opt_str(l.replaces.as_ref()))
        .set("replacedBy", opt_str(l.replaced_by.as_ref()));
    with_caveats(out, &l.caveats).build()
}
