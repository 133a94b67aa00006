//! The error codes have one source, the Rust enum: `Error::ALL_CODES` lists what `Error::code`
//! returns (every variant: a unit test in src/error.rs matches them exhaustively), and the npm
//! package's TypeScript union in `pkg-template/index.d.ts` holds exactly those plus the codes
//! only the JavaScript side throws.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;

use app_passwords::Error;

/// Codes thrown by the package's JavaScript alone (no wasm, or no wasm yet).
const JS_ONLY: [&str; 2] = ["not_initialized", "wasm_load_failed"];

#[test]
fn the_typescript_union_is_the_rust_enum() {
    let dts = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/pkg-template/index.d.ts")).unwrap();
    let start = dts.find("readonly code:").expect("index.d.ts declares AppPasswordError's code union");
    let rest = &dts[start..];
    let end = rest.find(';').unwrap();
    let union: BTreeSet<String> = rest[..end]
        .split('|')
        .filter_map(|part| {
            let part = part.trim();
            part.strip_prefix('"').and_then(|p| p.strip_suffix('"')).map(str::to_owned)
        })
        .collect();
    let expected: BTreeSet<String> = Error::ALL_CODES.iter().chain(JS_ONLY.iter()).map(|c| (*c).to_owned()).collect();
    assert_eq!(union, expected, "pkg-template/index.d.ts's code union differs from Error::ALL_CODES + {JS_ONLY:?}");
}
