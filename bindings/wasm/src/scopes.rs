//! The `scopes.*` free functions over a catalogue (the embedded default unless one is given),
//! and reading a catalogue option.

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

thread_local! {
    static DEFAULT_CATALOG: Option<Catalog> = Catalog::bitbucket().ok();
}

fn with_catalog<T>(catalog: &JsValue, f: impl FnOnce(&Catalog) -> Result<T, JsValue>) -> Result<T, JsValue> {
    if catalog.is_undefined() || catalog.is_null() {
        DEFAULT_CATALOG.with(|c| match c {
            Some(c) => f(c),
            None => Err(crate::error::to_js(app_passwords_core::Error::InvalidCatalog("embedded catalogue".into()))),
        })
    } else {
        f(&catalog_option(catalog)?)
    }
}

fn names_arg(catalog: &Catalog, value: &JsValue, name: &str) -> Result<app_passwords_core::scope::ScopeSet, JsValue> {
    let names = convert::strings(value, name, false)?;
    catalog.parse_names(names.iter().map(String::as_str)).js()
}

/// `scopes.catalog(catalog?)`.
#[wasm_bindgen(js_name = scopesCatalog)]
pub fn scopes_catalog(catalog: JsValue) -> Result<JsValue, JsValue> {
    with_catalog(&catalog, |c| Ok(scopes_js(c)))
}

/// `scopes.normalize(names, catalog?)`: closed, catalogue order.
#[wasm_bindgen(js_name = scopesNormalize)]
pub fn scopes_normalize(names: JsValue, catalog: JsValue) -> Result<JsValue, JsValue> {
    with_catalog(&catalog, |c| Ok(string_array(&c.names(&c.close(&names_arg(c, &names, "names")?)))))
}

/// `scopes.encode(names, catalog?)`: `v1.` compact form of the closed set.
#[wasm_bindgen(js_name = scopesEncode)]
pub fn scopes_encode(names: JsValue, catalog: JsValue) -> Result<String, JsValue> {
    with_catalog(&catalog, |c| Ok(c.encode(&c.close(&names_arg(c, &names, "names")?))))
}

/// `scopes.decode(text, catalog?)`: names, catalogue order; strict.
#[wasm_bindgen(js_name = scopesDecode)]
pub fn scopes_decode(encoded: JsValue, catalog: JsValue) -> Result<JsValue, JsValue> {
    let text = encoded.as_string().ok_or_else(|| invalid_argument("encoded must be a string"))?;
    with_catalog(&catalog, |c| Ok(string_array(&c.names(&c.decode(&text).js()?))))
}

/// `scopes.satisfies(granted, required, catalog?)`.
#[wasm_bindgen(js_name = scopesSatisfies)]
pub fn scopes_satisfies(granted: JsValue, required: JsValue, catalog: JsValue) -> Result<bool, JsValue> {
    with_catalog(&catalog, |c| {
        Ok(c.satisfies(&names_arg(c, &granted, "granted")?, &names_arg(c, &required, "required")?))
    })
}

/// `scopes.missing(granted, required, catalog?)`.
#[wasm_bindgen(js_name = scopesMissing)]
pub fn scopes_missing(granted: JsValue, required: JsValue, catalog: JsValue) -> Result<JsValue, JsValue> {
    with_catalog(&catalog, |c| {
        Ok(string_array(
            &c.names(&c.missing(&names_arg(c, &granted, "granted")?, &names_arg(c, &required, "required")?)),
        ))
    })
}
