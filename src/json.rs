//! Strict reading and writing of our small JSON documents (records, index entries, the scope
//! catalogue).
//!
//! Why our own reader: the documents are a dozen fixed fields, and both serde_json (derive code,
//! float formatting) and miniserde (a `BTreeMap` per object, float printing, recursion-free
//! machinery) weighed more in the WebAssembly module than everything they parsed
//! (docs/BUILD-KNOBS.md). This reader is RFC 8259 JSON with three deliberate limits: nesting
//! is at most [`MAX_DEPTH`] deep (recursion is bounded, so no document can overflow the stack),
//! a key may not repeat in an object (a repeated key is a forged or corrupted value, not a
//! choice to make silently), and numbers are kept only as non-negative integers (every other
//! number parses but reads as no integer).
//!
//! This file holds the value model; the reader is `json/read.rs`, typed field access
//! `json/fields.rs`, the writer `json/write.rs`.

mod fields;
mod read;
mod write;

pub use fields::Fields;
pub use read::{MAX_DEPTH, parse};
pub(crate) use write::push_opt_u64;
pub use write::{opt_number, push_quoted, push_u64, quote};

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, keys in document order (no key twice).
    Object(Object),
}

/// A JSON number as far as we need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Number {
    /// A non-negative integer that fits in 64 bits.
    U64(u64),
    /// Any other number (negative, fraction, exponent, too large).
    Other,
}

/// The members of a JSON object, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Object(Vec<(String, Value)>);

impl Object {
    /// The value of a key.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Takes a key's value out.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let at = self.0.iter().position(|(k, _)| k == name)?;
        Some(self.0.swap_remove(at).1)
    }

    /// The keys, in document order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}
