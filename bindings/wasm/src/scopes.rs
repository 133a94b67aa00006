//! The `scopes.*` free functions over a catalogue (the embedded default unless one is given),
//! and reading a catalogue option.

use std::sync::OnceLock;

use wasm_bindgen::prelude::*;

use crate::answers::scopes_js;
use crate::convert::{self, string_array};
use crate::error::{OrJs, invalid_argument};
use app_passwords_core::scope::Catalog;

pub(crate) fn catalog_option(value: &JsValue) -> Result<Catalog, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Catalog::bitbucket().js();
    }
    let json = match value.as_string() {
        Some(text) => text,
        None => js_sys::JSON::stringify(value)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| invalid_argument("catalog must be a catalogue object or JSON text"))?,
    };
    Catalog::from_json(&json).js()
}

/// The embedded default, read once. A `static` rather than a thread-local: its `&'static` lets
/// [`scopes`] run straight through, without a closure over the catalogue (smaller wasm).
static DEFAULT_CATALOG: OnceLock<Option<Catalog>> = OnceLock::new();

/// The catalogue option, or the embedded default when absent; `owned` holds one read from the option.
fn catalog_or_default<'a>(catalog: &JsValue, owned: &'a mut Option<Catalog>) -> Result<&'a Catalog, JsValue> {
    if !(catalog.is_undefined() || catalog.is_null()) {
        return Ok(owned.insert(catalog_option(catalog)?));
    }
    match DEFAULT_CATALOG.get_or_init(|| Catalog::bitbucket().ok()) {
        Some(c) => Ok(c),
        None => Err(crate::error::to_js(app_passwords_core::Error::InvalidCatalog("embedded catalogue".into()))),
    }
}

fn names_arg(catalog: &Catalog, value: &JsValue, name: &str) -> Result<app_passwords_core::scope::ScopeSet, JsValue> {
    let names = convert::strings(value, name, false)?;
    catalog.parse_names(names.iter().map(String::as_str)).js()
}

/// The function [`scopes`] runs, by number (the package's `SCOPES` table in api.js).
const CATALOG: u32 = 0;
const NORMALIZE: u32 = 1;
const ENCODE: u32 = 2;
const DECODE: u32 = 3;
const SATISFIES: u32 = 4;
const MISSING: u32 = 5;

/// The package's six `scopes.*` functions in one export, the function chosen by `call`: each
/// export costs its own shim of argument and result glue, 350 to 450 bytes
/// (docs/BUILD-KNOBS.md, "Fifth round"). `first` and `second` are the arguments before the
/// catalogue:
/// - `catalog(catalog?)`;
/// - `normalize(names, catalog?)`: closed, catalogue order;
/// - `encode(names, catalog?)`: `v1.` compact form of the closed set;
/// - `decode(text, catalog?)`: names, catalogue order; strict;
/// - `satisfies(granted, required, catalog?)`;
/// - `missing(granted, required, catalog?)`.
#[wasm_bindgen]
pub fn scopes(call: u32, first: &JsValue, second: &JsValue, catalog: &JsValue) -> Result<JsValue, JsValue> {
    // decode's argument is checked before the catalogue is read, as its own function did.
    let encoded = match call {
        DECODE => Some(first.as_string().ok_or_else(|| invalid_argument("encoded must be a string"))?),
        _ => None,
    };
    let mut owned = None;
    let c = catalog_or_default(catalog, &mut owned)?;
    // The set each function answers with (as names, or encoded), computed in one place.
    let set = match call {
        CATALOG => return Ok(scopes_js(c)),
        NORMALIZE | ENCODE => c.close(&names_arg(c, first, "names")?),
        SATISFIES | MISSING => {
            let (granted, required) = (names_arg(c, first, "granted")?, names_arg(c, second, "required")?);
            if call == SATISFIES {
                return Ok(JsValue::from_bool(c.satisfies(&granted, &required)));
            }
            c.missing(&granted, &required)
        }
        _ => match &encoded {
            Some(text) => c.decode(text).js()?,
            None => return Err(invalid_argument("no such scopes function")),
        },
    };
    Ok(if call == ENCODE { JsValue::from_str(&c.encode(&set)) } else { string_array(&c.names(&set)) })
}
