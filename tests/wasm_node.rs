//! The core compiled to wasm32 and tested in Node through wasm-bindgen-test-runner:
//! `cargo test --target wasm32-unknown-unknown --test wasm_node` (scripts/test-wasm.sh).
//! The test bodies are in `tests/wasm_common/mod.rs`, shared with `tests/wasm_browser.rs`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod wasm_common;

use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

/// These tests must really run in Node, not in a browser.
#[wasm_bindgen_test]
fn runs_in_node() {
    let global = js_sys::global();
    let process = js_sys::Reflect::get(&global, &JsValue::from_str("process")).unwrap();
    assert!(process.is_object(), "no `process`: not Node");
    let window = js_sys::Reflect::get(&global, &JsValue::from_str("window")).unwrap();
    assert!(window.is_undefined(), "`window` exists: not Node");
}
