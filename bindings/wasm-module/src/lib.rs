//! The npm package's `.wasm`: the bindings crate linked as a cdylib (see Cargo.toml for why
//! this is a crate of its own). Its exports are the bindings' `#[wasm_bindgen]` items.
#![cfg(target_arch = "wasm32")]

pub use app_passwords_bindings as bindings;

/// Talc in place of std's dlmalloc: 3.4 KB smaller, and cache hits, which allocate a few small
/// strings each, 15% faster (docs/BUILD-KNOBS.md, "Fifth round"). Argon2's one large block is
/// the same either way. The module has one thread, so the allocator needs no lock.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
