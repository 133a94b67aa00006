// Start-up shared by the runtime entries; not part of the public API.
import { AppPasswordError } from "./errors.js";

let ready = false;

/** Called once by each runtime entry after the wasm module is instantiated. */
export function setup() {
  ready = true;
}

/**
 * Throws `not_initialized` until an entry has instantiated the wasm. The full entries do it on
 * import, so only `app-passwords/slim` before `initialize()` resolves (or a bundler that dropped an
 * entry's start-up) can get here: a clear error instead of a TypeError from inside the glue.
 */
export function requireReady() {
  if (!ready) {
    throw new AppPasswordError(
      'app-passwords is not initialized: with "app-passwords/slim", await initialize(source) first; ' +
        "with the main entry, the bundler dropped the module that instantiates the wasm (a sideEffects setting?)",
      "not_initialized",
    );
  }
}
