//! The catalogue file: [`ScopeDef`], the definition of one scope as the JSON file writes it,
//! [`Catalog::from_json`] and the embedded default ([`Catalog::bitbucket`]).
//!
//! Apart from `scope.rs` because it is input handling, not the scope model: it turns an
//! untrusted document into definitions and explains what is wrong with a bad one; the
//! catalogue checks each definition as it is pushed and computes the closures (the steps of
//! [`Catalog::new`]).

use super::Catalog;
use crate::error::{Error, Result};
use crate::json::Value;

/// The default catalogue: Bitbucket Cloud's app-password scopes, the file
/// `scopes/bitbucket-app-password-scopes.json` minified, without its notes for people
/// (`notes`, `facts`, `implied_by_observation`: build.rs).
pub const DEFAULT_CATALOG_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/catalog.min.json"));

/// What [`Catalog::bitbucket`] reads: the `scopes` of [`DEFAULT_CATALOG_JSON`] (the other
/// members are never read) without the members that say what the reader assumes when they are
/// absent (`"implies":[]`, `"grantable":true`): build.rs. A quarter fewer bytes in the wasm,
/// which then holds only this copy.
const DEFAULT_CATALOG_READ: &str = include_str!(concat!(env!("OUT_DIR"), "/catalog.default.json"));

/// The definition of one scope, as a catalogue file writes it.
#[derive(Debug, Clone)]
pub struct ScopeDef {
    /// The scope's name.
    pub name: String,
    /// The group it is shown under.
    pub group: String,
    /// The access level label.
    pub level: String,
    /// Direct implications (names).
    pub implies: Vec<String>,
    /// Whether an app password may hold it (default true).
    pub grantable: bool,
}

impl ScopeDef {
    fn from_value(value: Value) -> Option<Self> {
        let fields = crate::json::Fields::from_value(value)?;
        Some(Self {
            name: fields.string("name")?,
            group: fields.string_or_empty("group")?,
            level: fields.string_or_empty("level")?,
            implies: fields.strings_or_empty("implies")?,
            grantable: fields.bool_or("grantable", true)?,
        })
    }
}

impl Catalog {
    /// The default catalogue (Bitbucket Cloud's app-password scopes).
    ///
    /// # Errors
    /// Never in practice: the embedded file is tested. Returns [`Error::InvalidCatalog`] if it
    /// were unreadable, rather than panicking.
    pub fn bitbucket() -> Result<Self> {
        Self::from_json(DEFAULT_CATALOG_READ)
    }

    /// Reads a catalogue in the shape of `scopes/bitbucket-app-password-scopes.json`:
    /// `{"scopes": [{"name", "implies"?, "grantable"?, "group"?, "level"?}, ...]}`.
    ///
    /// # Errors
    /// [`Error::InvalidCatalog`] for bad JSON, no scopes, more than [`MAX_SCOPES`](super::MAX_SCOPES), an empty or
    /// duplicate name, an unknown implication, or a grantable scope implying a non-grantable one.
    pub fn from_json(json: &str) -> Result<Self> {
        let bad = |why: &str| Error::InvalidCatalog(why.to_owned());
        let mut file = crate::json::Fields::from_value(crate::json::parse(json).ok_or_else(|| bad("not JSON"))?)
            .ok_or_else(|| bad("not a JSON object"))?;
        let Some(Value::Array(scopes)) = file.take("scopes") else {
            return Err(bad("needs a \"scopes\" array"));
        };
        let mut catalog = Self::for_len(scopes.len())?;
        for (i, value) in scopes.into_iter().enumerate() {
            let Some(def) = ScopeDef::from_value(value) else {
                let mut why = String::from("scope ");
                crate::json::push_u64(&mut why, i as u64);
                why.push_str(
                    " needs a string name, and strings, an array of names and a boolean for group, level, implies, grantable",
                );
                return Err(Error::InvalidCatalog(why));
            };
            catalog.push(def)?;
        }
        catalog.closed()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::{Catalog, DEFAULT_CATALOG_JSON, DEFAULT_CATALOG_READ};

    #[test]
    fn the_default_read_is_the_json_file() {
        let read = Catalog::bitbucket().unwrap();
        assert_eq!(read, Catalog::from_json(DEFAULT_CATALOG_JSON).unwrap());
        assert!(DEFAULT_CATALOG_READ.len() < DEFAULT_CATALOG_JSON.len() * 4 / 5);
    }
}
