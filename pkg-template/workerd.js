// Cloudflare Workers entry: the runtime hands us a compiled WebAssembly.Module
// (compiling from bytes at run time is not allowed on Workers).
import wasm from "./app_passwords_bg.wasm";
import { initSync } from "./app_passwords.js";
import { setup } from "./internal.js";

initSync({ module: wasm });
setup();

export * from "./api.js";
