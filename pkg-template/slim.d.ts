// Types of "app-passwords/slim": the same API as "app-passwords", with explicit initialisation.
export * from "./index.js";

/**
 * Instantiates the package's WebAssembly once; later calls return the same promise. Until it
 * resolves, every call into the package throws `AppPasswordError` with code `not_initialized`.
 *
 * @param source the wasm: a URL (fetched), a `Response`, its bytes, or a compiled `WebAssembly.Module`.
 * @returns a promise that resolves when the package is ready.
 * @throws {AppPasswordError} `invalid_argument` without a source; `wasm_load_failed` if it cannot be instantiated.
 * @example
 * import { initialize, generatePassword } from "app-passwords/slim";
 * await initialize(new URL("/assets/app_passwords_bg.wasm", location.href));
 * const { password } = generatePassword();
 */
export function initialize(
  source:
    | URL
    | string
    | Request
    | Response
    | BufferSource
    | WebAssembly.Module
    | Promise<Response | BufferSource | WebAssembly.Module>,
): Promise<void>;
