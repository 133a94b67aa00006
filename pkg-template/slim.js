// Explicit initialisation, for hosts that load the wasm themselves (a CDN URL, bytes they already
// have, a compiled WebAssembly.Module) and do not want it inside the JavaScript. Nothing runs on
// import; every call before `initialize` resolves throws AppPasswordError "not_initialized".
import init from "./app_passwords.js";
import { AppPasswordError } from "./errors.js";
import { setup } from "./internal.js";

export * from "./api.js";

let started;

/**
 * Instantiates the wasm once; later calls return the same promise.
 * @param {URL | string | Request | Response | BufferSource | WebAssembly.Module | Promise<Response | BufferSource | WebAssembly.Module>} source
 * @returns {Promise<void>}
 */
export function initialize(source) {
  if (source === undefined || source === null) {
    return Promise.reject(
      new AppPasswordError(
        "initialize(source) needs the wasm: a URL, a Response, bytes or a WebAssembly.Module",
        "invalid_argument",
      ),
    );
  }
  started ??= init({ module_or_path: source }).then(
    () => setup(),
    (err) => {
      started = undefined; // a failed load may be retried with another source
      throw new AppPasswordError(`could not instantiate the app-passwords wasm: ${err && err.message}`, "wasm_load_failed");
    },
  );
  return started;
}
