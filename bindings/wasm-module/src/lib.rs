//! The npm package's `.wasm`: the bindings crate linked as a cdylib (see Cargo.toml for why
//! this is a crate of its own). Its exports are the bindings' `#[wasm_bindgen]` items.
#![cfg(target_arch = "wasm32")]

pub use app_passwords_bindings as bindings;
