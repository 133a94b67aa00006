// Browser and Deno entry: fetch and instantiate the .wasm next to this file.
import init from "./app_passwords.js";
import { setup } from "./internal.js";

await init({ module_or_path: new URL("./app_passwords_bg.wasm", import.meta.url) });
setup();

export * from "./api.js";
