// Start-up shared by the runtime entries; not part of the public API.
import { registerErrorClass } from "./app_passwords.js";
import { AppPasswordError } from "./api.js";

/** Called once by each runtime entry after the wasm module is instantiated. */
export function setup() {
  registerErrorClass(AppPasswordError);
}
