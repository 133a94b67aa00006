//! The host store: any JS object with `get`/`put`/`delete`/`list`/`getMany` returning Promises
//! (duck-typed; `getMany(keys)` is a bulk read answering a `Map` or a plain object, missing keys
//! `null`: the package gives a store without one a `getMany` of concurrent gets, `withBulkRead`
//! in stores.js), and optionally `increment(key, delta)` (an atomic add). A method that throws or
//! rejects becomes `store_unavailable`; a value of the wrong type becomes `store_corrupt`.
//! Never a success.

use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use app_passwords_core::store::{ListPage, Store};
use app_passwords_core::{Error, Result};

use crate::operation::{bulk_values, count, failure, page, value};

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

    /// Whether the store has an atomic `increment`.
    pub(crate) fn has_increment(&self) -> bool {
        self.has_increment
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
        value(settle(self.inner.get(key)).await?, "get()")
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<String>>> {
        let array: Array = keys.iter().map(|k| JsValue::from_str(k)).collect();
        let answer = settle(self.inner.get_many(&array)).await?;
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        bulk_values(&keys, &answer)
    }

    async fn increment(&self, key: &str, delta: i64) -> Result<i64> {
        if !self.has_increment {
            return Err(Error::StoreLacksAtomic);
        }
        #[allow(clippy::cast_precision_loss)] // |delta| is small
        let answer = settle(self.inner.increment(key, delta as f64)).await?;
        count(&answer)
    }

    async fn put(&self, key: &str, value: &str) -> Result<()> {
        settle(self.inner.put(key, value)).await.map(|_| ())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        settle(self.inner.delete(key)).await.map(|_| ())
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage> {
        let cursor = cursor.map_or(JsValue::UNDEFINED, JsValue::from_str);
        page(&settle(self.inner.list(prefix, cursor)).await?)
    }
}
