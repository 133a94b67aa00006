// Node.js entry: instantiate from the bytes next to this file (Node's fetch has no file:).
import { readFileSync } from "node:fs";
import { initSync } from "./app_passwords.js";
import { setup } from "./internal.js";

initSync({ module: readFileSync(new URL("./app_passwords_bg.wasm", import.meta.url)) });
setup();

export * from "./api.js";
