// Browser, Deno and default entry. The wasm travels inside the JavaScript (wasm_inline.js, made
// by the build) so that every bundler serves it with zero configuration: Vite's dev server moves
// dependencies away from their files, esbuild copies no asset for `new URL(..., import.meta.url)`,
// and Deno then needs no read permission. The module is compiled synchronously (no top-level
// await, which esbuild's default iife output and older bundlers refuse); Chromium allows that on
// the main thread for modules up to 8 MB. Hosts that load the wasm themselves use
// "app-passwords/slim".
import { initSync } from "./app_passwords.js";
import { wasmBytes } from "./wasm_inline.js";
import { setup } from "./internal.js";

initSync({ module: wasmBytes() });
setup();

export * from "./api.js";
