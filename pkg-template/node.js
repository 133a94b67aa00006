// Node.js and Bun entry: instantiate from the bytes next to this file (Node's fetch has no
// file:). No top-level await, so `require("app-passwords")` works where Node can require ESM
// (20.19+, 22.12+, 24).
import { readFileSync } from "node:fs";
import { initSync } from "./app_passwords.js";
import { setup } from "./internal.js";

initSync({ module: readFileSync(new URL("./app_passwords_bg.wasm", import.meta.url)) });
setup();

export * from "./api.js";
// The store kept in one JSON file (node:fs): Node and Bun only, so only this entry has it.
export { fileStore } from "./file-store.js";
