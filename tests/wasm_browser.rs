//! The core compiled to wasm32 and tested in headless Chromium through
//! wasm-bindgen-test-runner and chromedriver:
//! `cargo test --target wasm32-unknown-unknown --test wasm_browser` (scripts/test-wasm.sh).
//! The test bodies are in `tests/wasm_common/mod.rs`, shared with `tests/wasm_node.rs`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod wasm_common;

use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// These tests must really run in a browser page, not in Node or a worker.
#[wasm_bindgen_test]
fn runs_in_a_browser() {
    let global = js_sys::global();
    let document = js_sys::Reflect::get(&global, &JsValue::from_str("document")).unwrap();
    assert!(document.is_object(), "no `document`: not a browser page");
    let navigator = js_sys::Reflect::get(&global, &JsValue::from_str("navigator")).unwrap();
    let agent = js_sys::Reflect::get(&navigator, &JsValue::from_str("userAgent")).unwrap();
    let agent = agent.as_string().unwrap_or_default();
    assert!(agent.contains("Chrome"), "user agent {agent:?}");
    let process = js_sys::Reflect::get(&global, &JsValue::from_str("process")).unwrap();
    assert!(process.is_undefined(), "`process` exists: not a browser");
}
