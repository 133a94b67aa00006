//! Errors to JavaScript: instances of the package's `AppPasswordError` class (a real `Error`
//! subclass with a stable `code`), imported by the glue from the package's own `errors.js`
//! (`raw_module`: the same module the public API re-exports, so `instanceof` holds), never
//! registered at run time.

use wasm_bindgen::prelude::*;

use app_passwords_core::Error;

#[wasm_bindgen(raw_module = "./errors.js")]
extern "C" {
    /// `pkg-template/errors.js`'s class.
    type AppPasswordError;

    /// `new AppPasswordError(message, code)`.
    #[wasm_bindgen(constructor)]
    fn new(message: &str, code: &str) -> AppPasswordError;
}

/// A JS `AppPasswordError` with `code` and `message`.
pub fn js_error(code: &str, message: &str) -> JsValue {
    AppPasswordError::new(message, code).into()
}

/// A core error as a JS error (a free function: the orphan rule forbids `From<Error> for JsValue`
/// outside the core, and the core knows nothing of JavaScript).
pub fn to_js(err: Error) -> JsValue {
    js_error(err.code(), &err.message())
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
