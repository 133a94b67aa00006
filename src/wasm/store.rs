//! The host store: any JS object with `get`/`put`/`delete`/`list` returning Promises
//! (duck-typed). A method that throws or rejects becomes `store_unavailable`; a value of the
//! wrong type becomes `store_corrupt`. Never a success.

use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::error::{Error, Result};
use crate::store::{ListPage, Store};

#[wasm_bindgen]
extern "C" {
    /// Any object with the four store methods.
    pub type JsKeyValueStore;

    #[wasm_bindgen(method, catch, structural)]
    fn get(this: &JsKeyValueStore, key: &str) -> core::result::Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, structural)]
    fn put(this: &JsKeyValueStore, key: &str, value: &str) -> core::result::Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, structural)]
    fn delete(this: &JsKeyValueStore, key: &str) -> core::result::Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, structural)]
    fn list(
        this: &JsKeyValueStore,
        prefix: &str,
        cursor: JsValue,
    ) -> core::result::Result<JsValue, JsValue>;
}

/// The core's [`Store`] over a JS store object.
pub struct JsStore {
    inner: JsKeyValueStore,
}

impl JsStore {
    /// Wraps a JS object after checking it has the four methods.
    ///
    /// # Errors
    /// A message naming the missing method.
    pub fn new(object: JsValue) -> core::result::Result<Self, String> {
        for method in ["get", "put", "delete", "list"] {
            let f = Reflect::get(&object, &JsValue::from_str(method)).unwrap_or(JsValue::UNDEFINED);
            if !f.is_function() {
                return Err(format!("store must have a {method}() method returning a Promise"));
            }
        }
        Ok(Self { inner: object.unchecked_into() })
    }
}

/// A readable message from whatever JS threw.
fn describe(err: &JsValue) -> String {
    if let Some(e) = err.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    err.as_string().unwrap_or_else(|| "the store threw a non-Error value".into())
}

/// `store_timeout` when the shim's timeout wrapper gave up, else `store_unavailable`.
fn failure(err: &JsValue) -> Error {
    let code = Reflect::get(err, &JsValue::from_str("code")).ok().and_then(|c| c.as_string());
    if code.as_deref() == Some("store_timeout") {
        Error::StoreTimeout
    } else {
        Error::StoreUnavailable(describe(err))
    }
}

/// Awaits what a store method returned (a Promise or a plain value).
async fn settle(called: core::result::Result<JsValue, JsValue>) -> Result<JsValue> {
    let value = called.map_err(|e| failure(&e))?;
    match value.dyn_into::<Promise>() {
        Ok(promise) => JsFuture::from(promise).await.map_err(|e| failure(&e)),
        Err(plain) => Ok(plain),
    }
}

impl Store for JsStore {
    async fn get(&self, key: &str) -> Result<Option<String>> {
        let value = settle(self.inner.get(key)).await?;
        if value.is_null() || value.is_undefined() {
            return Ok(None);
        }
        value
            .as_string()
            .map(Some)
            .ok_or_else(|| Error::StoreCorrupt("get() resolved to something other than a string or null".into()))
    }

    async fn put(&self, key: &str, value: &str) -> Result<()> {
        settle(self.inner.put(key, value)).await.map(|_| ())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        settle(self.inner.delete(key)).await.map(|_| ())
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage> {
        let cursor = cursor.map_or(JsValue::UNDEFINED, JsValue::from_str);
        let value = settle(self.inner.list(prefix, cursor)).await?;
        let bad = || Error::StoreCorrupt("list() must resolve to { keys: string[], cursor?: string }".into());
        let keys = Reflect::get(&value, &JsValue::from_str("keys")).map_err(|_| bad())?;
        let keys: Array = keys.dyn_into().map_err(|_| bad())?;
        let keys = keys
            .iter()
            .map(|k| k.as_string().ok_or_else(bad))
            .collect::<Result<Vec<_>>>()?;
        let cursor = Reflect::get(&value, &JsValue::from_str("cursor")).map_err(|_| bad())?;
        let cursor = if cursor.is_null() || cursor.is_undefined() {
            None
        } else {
            Some(cursor.as_string().ok_or_else(bad)?).filter(|c| !c.is_empty())
        };
        Ok(ListPage { keys, cursor })
    }
}
