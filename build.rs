//! Embeds the default scope catalogue with the whitespace between JSON tokens removed: the
//! file is laid out for people, and its padding would be a few KiB of every wasm download.

use std::{env, fs, path::Path};

fn main() {
    let source = "scopes/bitbucket-app-password-scopes.json";
    println!("cargo:rerun-if-changed={source}");
    let text = fs::read_to_string(source).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    let dest = Path::new(&env::var("OUT_DIR").unwrap_or_default()).join("catalog.min.json");
    if let Err(err) = fs::write(&dest, out) {
        println!("cargo:warning=could not write {}: {err}", dest.display());
    }
}
