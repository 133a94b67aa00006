//! JavaScript bindings of the `app-passwords` core (an unpublished crate, as lol-html's
//! `js-api/`): the `#[wasm_bindgen]` exports, the duck-typed JS store and the conversion of
//! errors. They translate JS values to core types and back; every rule lives in the core. The
//! npm package's shim (`pkg-template/`) picks the build for each runtime, adds HTTP glue and
//! store adapters, and re-exports these.
#![cfg(target_arch = "wasm32")]

mod answers;
mod args;
mod convert;
mod error;
mod functions;
mod operation;
mod scopes;
mod service;
mod store;
mod verify;
