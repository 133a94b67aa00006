//! Reading JS option objects and writing plain JS objects. Wrong types are
//! `AppPasswordError` `invalid_argument`, never a panic.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::error::{OrJs, invalid_argument};
use app_passwords_core::hash::HashParams;

/// `object[name]`, or `undefined`.
pub fn field(object: &JsValue, name: &str) -> JsValue {
    if object.is_object() {
        Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

fn absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// A positional argument that must be a string.
///
/// # Errors
/// `invalid_argument` naming it.
pub fn string_arg(value: &JsValue, name: &str) -> Result<String, JsValue> {
    value.as_string().ok_or_else(|| invalid_argument(&[name, " must be a string"].concat()))
}

/// A required string field.
pub fn string(object: &JsValue, name: &str) -> Result<String, JsValue> {
    string_arg(&field(object, name), name)
}

/// An optional string field.
pub fn opt_string(object: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    opt_string_value(&field(object, name), name)
}

/// An optional boolean field.
pub fn opt_bool(object: &JsValue, name: &str) -> Result<Option<bool>, JsValue> {
    let value = field(object, name);
    if absent(&value) {
        return Ok(None);
    }
    value.as_bool().map(Some).ok_or_else(|| invalid_argument(&[name, " must be a boolean"].concat()))
}

/// An array of strings (`undefined`/`null` is an empty list when `optional`).
pub fn strings(value: &JsValue, name: &str, optional: bool) -> Result<Vec<String>, JsValue> {
    if optional && absent(value) {
        return Ok(Vec::new());
    }
    string_list(value, name, " must be an array of scope names", 1024, app_passwords_core::Error::TooManyScopes)
}

/// The strings of an array of at most `limit` of them (more is `too_many`, refused before they
/// are copied); anything else is `invalid_argument` (`name` then `what`). One loop for scope
/// and caveat lists: a plain loop, as the iterator adapters that collect into a `Result` cost
/// the wasm more.
fn string_list(
    value: &JsValue,
    name: &str,
    what: &str,
    limit: u32,
    too_many: app_passwords_core::Error,
) -> Result<Vec<String>, JsValue> {
    let err = || invalid_argument(&[name, what].concat());
    if !Array::is_array(value) {
        return Err(err());
    }
    let array = Array::from(value);
    if array.length() > limit {
        return Err(crate::error::to_js(too_many));
    }
    let mut out = Vec::new();
    for item in array.iter() {
        out.push(item.as_string().ok_or_else(err)?);
    }
    Ok(out)
}

/// An optional time: epoch milliseconds (a non-negative finite number) or a `Date`.
pub fn opt_time(object: &JsValue, name: &str) -> Result<Option<u64>, JsValue> {
    time_or(object, name, app_passwords_core::Error::InvalidExpiry)
}

/// As [`opt_time`], with the error for a number out of range.
pub fn time_or(object: &JsValue, name: &str, out_of_range: app_passwords_core::Error) -> Result<Option<u64>, JsValue> {
    let value = field(object, name);
    if absent(&value) {
        return Ok(None);
    }
    let ms = if let Some(date) = value.dyn_ref::<js_sys::Date>() {
        date.get_time()
    } else {
        value.as_f64().ok_or_else(|| invalid_argument(&[name, " must be epoch milliseconds or a Date"].concat()))?
    };
    millis(ms).map(Some).ok_or_else(|| crate::error::to_js(out_of_range))
}

/// An optional array of strings for a caveat (`undefined`/`null`: absent). The core checks
/// what is in it; a very long array is refused here before it is copied.
pub fn opt_caveat_list(object: &JsValue, name: &str) -> Result<Option<Vec<String>>, JsValue> {
    let value = field(object, name);
    if absent(&value) {
        return Ok(None);
    }
    let too_many = app_passwords_core::Error::InvalidCaveat("too many entries in a caveat list");
    string_list(&value, name, " must be an array of strings", 64, too_many).map(Some)
}

/// An optional positive whole number (`maxUses`): the core checks its range.
pub fn opt_count(object: &JsValue, name: &str) -> Result<Option<u64>, JsValue> {
    let value = field(object, name);
    if absent(&value) {
        return Ok(None);
    }
    value
        .as_f64()
        .filter(|n| n.fract() == 0.0)
        .and_then(millis)
        .map(Some)
        .ok_or_else(|| crate::error::to_js(app_passwords_core::Error::InvalidCaveat("maxUses must be a whole number")))
}

/// An optional string argument: `undefined`/`null` is absent, another type is an error.
pub fn opt_string_value(value: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    if absent(value) {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or_else(|| invalid_argument(&[name, " must be a string"].concat()))
}

/// A JS number of milliseconds as `u64`, if finite, non-negative and below 2^53.
pub fn millis(ms: f64) -> Option<u64> {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    if ms.is_finite() && (0.0..=MAX_SAFE).contains(&ms) {
        // In range and finite, so the conversion is exact up to the fraction dropped.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(ms.trunc() as u64)
    } else {
        None
    }
}

fn u32_field(object: &JsValue, name: &str) -> Result<u32, JsValue> {
    let value = field(object, name).as_f64().unwrap_or(f64::NAN);
    if value.is_finite() && value.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&value) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(value as u32)
    } else {
        Err(invalid_argument(&[name, " must be a positive integer"].concat()))
    }
}

/// `"owasp"`, `"default"`, `{ memoryKiB, iterations, parallelism }`, or absent (`default`).
pub fn hash_params(value: &JsValue, default: HashParams) -> Result<HashParams, JsValue> {
    if absent(value) {
        return Ok(default);
    }
    if let Some(name) = value.as_string() {
        return match name.as_str() {
            "owasp" => Ok(HashParams::OWASP),
            "default" => Ok(default),
            _ => Err(invalid_argument("hashing must be \"owasp\", \"default\" or HashParams")),
        };
    }
    let params = HashParams {
        memory_kib: u32_field(value, "memoryKiB")?,
        iterations: u32_field(value, "iterations")?,
        parallelism: u32_field(value, "parallelism")?,
    };
    params.validate().js()?;
    Ok(params)
}

/// A pepper: a string (its UTF-8 bytes) or a `Uint8Array`.
pub fn bytes(value: &JsValue, name: &str) -> Result<Option<Vec<u8>>, JsValue> {
    if absent(value) {
        return Ok(None);
    }
    if let Some(text) = value.as_string() {
        return Ok(Some(text.into_bytes()));
    }
    if let Some(array) = value.dyn_ref::<Uint8Array>() {
        return Ok(Some(array.to_vec()));
    }
    Err(invalid_argument(&[name, " must be a string or a Uint8Array"].concat()))
}

/// Builds a plain JS object field by field.
pub struct Obj(Object);

impl Obj {
    /// An empty object.
    pub fn new() -> Self {
        Self(Object::new())
    }

    /// Sets a field (setting a property on a fresh plain object cannot fail).
    #[inline]
    pub fn set(self, name: &str, value: impl Into<JsValue>) -> Self {
        self.put(name, value.into());
        self
    }

    /// [`Obj::set`]'s work, apart and not inlined: that one is built once per value type, and
    /// each copy is now only the conversion.
    #[inline(never)]
    fn put(&self, name: &str, value: JsValue) {
        let _ = Reflect::set(&self.0, &JsValue::from_str(name), &value);
    }

    /// The object.
    pub fn build(self) -> JsValue {
        self.0.into()
    }
}

/// An array of strings.
pub fn string_array(items: &[String]) -> JsValue {
    items.iter().map(|s| JsValue::from_str(s)).collect::<Array>().into()
}

/// Epoch milliseconds as a JS number, or `null`.
pub fn opt_ms(t: Option<u64>) -> JsValue {
    t.map_or(JsValue::NULL, ms)
}

/// Epoch milliseconds as a JS number (exact below 2^53).
#[allow(clippy::cast_precision_loss)]
pub fn ms(t: u64) -> JsValue {
    JsValue::from_f64(t as f64)
}
