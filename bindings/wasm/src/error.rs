//! Errors to JavaScript: instances of the shim's `AppPasswordError` class (a real `Error`
//! subclass with a stable `code`), registered once at start-up by `registerErrorClass`.

use std::cell::RefCell;

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;

use app_passwords_core::Error;

thread_local! {
    static ERROR_CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Registers the class used for thrown errors: `new Class(message, code)`.
#[wasm_bindgen(js_name = registerErrorClass)]
pub fn register_error_class(class: Function) {
    ERROR_CLASS.with(|slot| *slot.borrow_mut() = Some(class));
}

/// A JS error with `code` and `message`. Falls back to a plain `Error` with `name` and
/// `code` set when no class was registered. Never panics.
pub fn js_error(code: &str, message: &str) -> JsValue {
    let registered = ERROR_CLASS.with(|slot| slot.borrow().clone());
    if let Some(class) = registered {
        let args = Array::of2(&JsValue::from_str(message), &JsValue::from_str(code));
        if let Ok(err) = Reflect::construct(&class, &args) {
            return err;
        }
    }
    let err = js_sys::Error::new(message);
    err.set_name("AppPasswordError");
    let _ = Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(code));
    err.into()
}

/// A core error as a JS error (a free function: the orphan rule forbids `From<Error> for JsValue`
/// outside the core, and the core knows nothing of JavaScript).
pub fn to_js(err: Error) -> JsValue {
    js_error(err.code(), &err.to_string())
}

/// `result.js()?`: a core result whose error becomes a JS error.
pub trait OrJs<T> {
    /// Converts the error with [`to_js`].
    ///
    /// # Errors
    /// The core's error, as a JS error.
    fn js(self) -> Result<T, JsValue>;
}

impl<T> OrJs<T> for Result<T, Error> {
    fn js(self) -> Result<T, JsValue> {
        self.map_err(to_js)
    }
}

/// A bad argument from JavaScript (wrong type, missing field).
pub fn invalid_argument(message: &str) -> JsValue {
    js_error("invalid_argument", message)
}
