//! [`Fields`]: typed reads of a parsed JSON object's fields, `None` when a field has the
//! wrong type.
//!
//! Apart from the reader because it is the documents' schema side, not JSON's grammar: the
//! record, index, marker, caveat and catalogue readers ask for "a string", "an integer or
//! null", "these keys only" here, and never walk a [`Value`] themselves.

use super::read::parse_keeping;
use super::{Number, Object, Value, parse};

/// A parsed JSON object whose fields are read with type checks; `None` means "not valid".
pub struct Fields(Object);

impl Fields {
    /// Parses `text` as a JSON object whose keys are all in `allowed`.
    pub fn parse(text: &str, allowed: &[&str]) -> Option<Self> {
        match parse(text)? {
            Value::Object(object) if object.keys().all(|k| allowed.contains(&k)) => Some(Self(object)),
            _ => None,
        }
    }

    /// [`Fields::parse`], with the member `kept` (which `allowed` names) left out and its
    /// value's text returned, delimited but not checked: for a member whose reader keeps its own
    /// parse of it (the record's caveats).
    pub fn parse_keeping<'t>(text: &'t str, allowed: &[&str], kept: &str) -> Option<(Self, Option<&'t str>)> {
        match parse_keeping(text, Some(kept))? {
            (Value::Object(object), span) if object.keys().all(|k| allowed.contains(&k)) => Some((Self(object), span)),
            _ => None,
        }
    }

    /// Wraps an already parsed object (no key check).
    pub fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Object(object) => Some(Self(object)),
            _ => None,
        }
    }

    /// Whether every key is in `allowed`.
    pub fn keys_within(&self, allowed: &[&str]) -> bool {
        self.0.keys().all(|k| allowed.contains(&k))
    }

    /// Whether the field is present (even as `null`).
    pub fn has(&self, name: &str) -> bool {
        self.0.get(name).is_some()
    }

    /// A required string.
    pub fn string(&self, name: &str) -> Option<String> {
        self.str(name).map(str::to_owned)
    }

    /// A required string, borrowed.
    pub(crate) fn str(&self, name: &str) -> Option<&str> {
        match self.0.get(name)? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A required non-negative integer.
    pub fn u64(&self, name: &str) -> Option<u64> {
        match self.0.get(name)? {
            Value::Number(Number::U64(n)) => Some(*n),
            _ => None,
        }
    }

    /// A non-negative integer or `null` (absent counts as `null` only when `optional`).
    pub fn opt_u64(&self, name: &str) -> Option<Option<u64>> {
        match self.0.get(name)? {
            Value::Null => Some(None),
            Value::Number(Number::U64(n)) => Some(Some(*n)),
            _ => None,
        }
    }

    /// An optional string (absent or `null` is `""`).
    pub fn string_or_empty(&self, name: &str) -> Option<String> {
        match self.0.get(name) {
            None | Some(Value::Null) => Some(String::new()),
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => None,
        }
    }

    /// An optional boolean with a default.
    pub fn bool_or(&self, name: &str, default: bool) -> Option<bool> {
        match self.0.get(name) {
            None | Some(Value::Null) => Some(default),
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => None,
        }
    }

    /// An optional array of strings (absent or `null` is empty).
    pub fn strings_or_empty(&self, name: &str) -> Option<Vec<String>> {
        Some(self.strs(name)?.unwrap_or_default().into_iter().map(str::to_owned).collect())
    }

    /// An optional array of strings, borrowed: `Some(None)` when absent, `null` read as empty.
    pub(crate) fn strs(&self, name: &str) -> Option<Option<Vec<&str>>> {
        match self.0.get(name) {
            None => Some(None),
            Some(Value::Null) => Some(Some(Vec::new())),
            Some(Value::Array(items)) => {
                let mut strings = Vec::with_capacity(items.len());
                for item in items {
                    let Value::String(s) = item else { return None };
                    strings.push(s.as_str());
                }
                Some(Some(strings))
            }
            Some(_) => None,
        }
    }

    /// Takes out a field's raw value.
    pub fn take(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name)
    }
}
