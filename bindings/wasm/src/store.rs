//! The host store: any JS object with `get`/`put`/`delete`/`list`/`getMany` returning Promises
//! (duck-typed; `getMany(keys)` is a bulk read answering a `Map` or a plain object, missing keys
//! `null`: the package gives a store without one a `getMany` of concurrent gets, `withBulkRead`
//! in stores.js), and optionally `increment(key, delta)` (an atomic add). A method that throws or
//! rejects becomes `store_unavailable`; a value of the wrong type becomes `store_corrupt`.
//! Never a success.

use js_sys::{Array, Map, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use app_passwords_core::store::{ListPage, Store};
use app_passwords_core::{Error, Result};

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
    fn list(this: &JsKeyValueStore, prefix: &str, cursor: JsValue) -> core::result::Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, structural, js_name = getMany)]
    fn get_many(this: &JsKeyValueStore, keys: &Array) -> core::result::Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, structural)]
    fn increment(this: &JsKeyValueStore, key: &str, delta: f64) -> core::result::Result<JsValue, JsValue>;
}

/// The core's [`Store`] over a JS store object.
pub struct JsStore {
    inner: JsKeyValueStore,
    has_increment: bool,
}

impl JsStore {
    /// Wraps a JS object after checking it has the five methods.
    ///
    /// # Errors
    /// A message naming the missing method.
    pub fn new(object: JsValue) -> core::result::Result<Self, String> {
        for method in ["get", "put", "delete", "list", "getMany"] {
            let f = Reflect::get(&object, &JsValue::from_str(method)).unwrap_or(JsValue::UNDEFINED);
            if !f.is_function() {
                return Err(["store must have a ", method, "() method returning a Promise"].concat());
            }
        }
        let has_increment = Reflect::get(&object, &JsValue::from_str("increment")).is_ok_and(|f| f.is_function());
        Ok(Self { inner: object.unchecked_into(), has_increment })
    }
}

/// A value read from the store: a string, or absent (`null`/`undefined`).
fn value(value: JsValue, what: &str) -> Result<Option<String>> {
    if value.is_null() || value.is_undefined() {
        return Ok(None);
    }
    value
        .as_string()
        .map(Some)
        .ok_or_else(|| Error::StoreCorrupt([what, " resolved to something other than a string or null"].concat()))
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
    if code.as_deref() == Some("store_timeout") { Error::StoreTimeout } else { Error::StoreUnavailable(describe(err)) }
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
        value(settle(self.inner.get(key)).await?, "get()")
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>> {
        let array: Array = keys.iter().map(|k| JsValue::from_str(k)).collect();
        let answer = settle(self.inner.get_many(&array)).await?;
        let bad = || Error::StoreCorrupt("getMany() must resolve to a Map or an object of strings or null".into());
        if answer.is_null() || !answer.is_object() {
            return Err(bad());
        }
        // A Map (Workers KV bulk get answers one) or a plain object; a key it lacks is absent.
        let map = answer.dyn_ref::<Map>();
        keys.iter()
            .map(|key| {
                let k = JsValue::from_str(key);
                let v = match map {
                    Some(map) => map.get(&k),
                    None => Reflect::get(&answer, &k).map_err(|_| bad())?,
                };
                value(v, "getMany()")
            })
            .collect()
    }

    async fn increment(&self, key: &str, delta: i64) -> Result<i64> {
        if !self.has_increment {
            return Err(Error::StoreLacksAtomic);
        }
        #[allow(clippy::cast_precision_loss)] // |delta| is small; checked below
        let delta_f = delta as f64;
        let answer = settle(self.inner.increment(key, delta_f)).await?;
        let bad = || Error::StoreCorrupt("increment() must resolve to an integer".into());
        // A string (some clients answer INCRBY as text) is read as an integer: parsing it as a
        // float would bring the float parser and its tables into the wasm (+18 KB).
        if let Some(text) = answer.as_string() {
            return text.parse::<i64>().ok().filter(|n| n.unsigned_abs() <= 9_007_199_254_740_991).ok_or_else(bad);
        }
        let number =
            answer.as_f64().filter(|n| n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0).ok_or_else(bad)?;
        #[allow(clippy::cast_possible_truncation)] // an integer within 2^53, checked above
        Ok(number as i64)
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
        let keys = keys.iter().map(|k| k.as_string().ok_or_else(bad)).collect::<Result<Vec<_>>>()?;
        let cursor = Reflect::get(&value, &JsValue::from_str("cursor")).map_err(|_| bad())?;
        let cursor = if cursor.is_null() || cursor.is_undefined() {
            None
        } else {
            Some(cursor.as_string().ok_or_else(bad)?).filter(|c| !c.is_empty())
        };
        Ok(ListPage { keys, cursor })
    }
}
