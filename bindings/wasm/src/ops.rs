//! Empty: every operation of the class is now a machine run as an [`Operation`](crate::operation::Operation)
//! by the package's driver; this module goes with the async `JsStore` and wasm-bindgen-futures.
