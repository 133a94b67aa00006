//! JavaScript bindings, compiled only for `wasm32`. They translate JS values to core types
//! and back; every rule lives in the core. The npm package's shim (`pkg-template/`) picks the
//! build for each runtime, adds HTTP glue and store adapters, and re-exports these.

mod convert;
mod error;
mod service;
mod store;
