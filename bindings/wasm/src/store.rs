//! The host store: any JS object with `get`/`put`/`delete`/`list`/`getMany` returning Promises
//! (duck-typed; `getMany(keys)` is a bulk read answering a `Map` or a plain object, missing keys
//! `null`: the package gives a store without one a `getMany` of concurrent gets, `withBulkRead`
//! in stores.js), and optionally `increment(key, delta)` (an atomic add). The package's driver
//! (`pkg-template/drive.js`) calls its methods for the core's operations
//! ([`crate::operation`], which reads what they answer); the module only checks the object here.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

/// The host's store object, checked to have the five methods.
pub struct JsStore {
    has_increment: bool,
}

impl JsStore {
    /// Checks that a JS object has the five methods.
    ///
    /// # Errors
    /// A message naming the missing method.
    pub fn new(object: &JsValue) -> Result<Self, String> {
        for method in ["get", "put", "delete", "list", "getMany"] {
            let f = Reflect::get(object, &JsValue::from_str(method)).unwrap_or(JsValue::UNDEFINED);
            if !f.is_function() {
                return Err(["store must have a ", method, "() method returning a Promise"].concat());
            }
        }
        let has_increment = Reflect::get(object, &JsValue::from_str("increment")).is_ok_and(|f| f.is_function());
        Ok(Self { has_increment })
    }

    /// Whether the store has an atomic `increment`: without one, the core's call for it is
    /// answered `store_lacks_atomic` without reaching the store.
    pub(crate) fn has_increment(&self) -> bool {
        self.has_increment
    }
}
