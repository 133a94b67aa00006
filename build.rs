//! Embeds the default scope catalogue with the whitespace between JSON tokens removed, and
//! without the members written for people only (the top-level `notes` and `facts`, each scope's
//! `implied_by_observation`): the core reads neither, and both would be in every wasm download.
//! Also writes the copy that `Catalog::bitbucket` reads (`catalog.default.json`): the scopes
//! only, without the members that say what the reader assumes anyway (`"implies":[]`,
//! `"grantable":true`), a quarter fewer bytes, and with each scope's `group` before its `name`
//! (gzip then finds longer repeats).

use std::{env, fs, path::Path};

fn main() {
    let source = "scopes/bitbucket-app-password-scopes.json";
    println!("cargo:rerun-if-changed={source}");
    println!("cargo:rerun-if-changed=build.rs");
    let text = fs::read_to_string(source).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    let mut string = JsonString::default();
    for c in text.chars() {
        if string.inside_after(c) || !c.is_whitespace() {
            out.push(c);
        }
    }
    for member in ["\"notes\":", "\"facts\":", "\"implied_by_observation\":"] {
        out = without_member(&out, member);
    }
    // Only the `scopes` member: the reader ignores the others (`catalog`, `version`).
    let key = ",\"scopes\":";
    let scopes = out.find(key).and_then(|at| out.get(at + key.len()..)).unwrap_or_default();
    let defaults = ["{\"scopes\":", scopes.get(..value_len(scopes)).unwrap_or_default(), "}"]
        .concat()
        .replace(",\"implies\":[]", "")
        .replace(",\"grantable\":true", "");
    let defaults = group_first(&defaults);
    let out_dir = env::var("OUT_DIR").unwrap_or_default();
    for (name, text) in [("catalog.min.json", out), ("catalog.default.json", defaults)] {
        let dest = Path::new(&out_dir).join(name);
        if let Err(err) = fs::write(&dest, text) {
            println!("cargo:warning=could not write {}: {err}", dest.display());
        }
    }
}

/// Each scope's `group` moved before its `name` (the file writes `name` first): the reader
/// looks members up by name, and `{"group":"Repositories","name":"repository` repeats for
/// gzip where `{"name":"repository","group":"Repositories"` did not: 30 bytes less.
fn group_first(json: &str) -> String {
    let (name, group) = ("{\"name\":", ",\"group\":");
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(at) = rest.find(name) {
        out.push_str(&rest[..at]);
        let after_name = &rest[at + name.len()..];
        let name_value = &after_name[..value_len(after_name)];
        let Some(after_group) = after_name[name_value.len()..].strip_prefix(group) else {
            out.push_str(&rest[at..at + name.len()]);
            rest = after_name;
            continue;
        };
        let group_value = &after_group[..value_len(after_group)];
        out.push_str(&["{\"group\":", group_value, ",\"name\":", name_value].concat());
        rest = &after_group[group_value.len()..];
    }
    out.push_str(rest);
    out
}

/// `json` without every member named `key` (given with its quotes and colon) and the comma
/// before it. The file's members of that name are never first in their object.
fn without_member(json: &str, key: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(at) = rest.find(&[",", key].concat()) {
        out.push_str(&rest[..at]);
        let value = &rest[at + 1 + key.len()..];
        rest = &value[value_len(value)..];
    }
    out.push_str(rest);
    out
}

/// The length of the minified JSON value at the start of `text`.
fn value_len(text: &str) -> usize {
    let (mut depth, mut string) = (0usize, JsonString::default());
    for (i, c) in text.char_indices() {
        if string.inside_after(c) {
            if c == '"' && !string.open && depth == 0 {
                return i + 1;
            }
            continue;
        }
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' if depth == 0 => return i,
            ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            ',' if depth == 0 => return i,
            _ => {}
        }
    }
    text.len()
}

/// Where a scan of JSON text is with respect to string literals.
#[derive(Default)]
struct JsonString {
    open: bool,
    escaped: bool,
}

impl JsonString {
    /// Takes the next character; whether it belongs to a string literal (its quotes included).
    fn inside_after(&mut self, c: char) -> bool {
        if !self.open {
            self.open = c == '"';
            return self.open;
        }
        if self.escaped {
            self.escaped = false;
        } else if c == '\\' {
            self.escaped = true;
        } else if c == '"' {
            self.open = false;
        }
        true
    }
}
