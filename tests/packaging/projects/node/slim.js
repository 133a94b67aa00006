// "app-passwords/slim" in Node: nothing is loaded until initialize(bytes); calls before it throw
// AppPasswordError "not_initialized".
import { readFile } from "node:fs/promises";
import {
  AppPasswords,
  AppPasswordError,
  generatePassword,
  initialize,
  isAppPasswordError,
  looksLikeAppPassword,
  memoryStore,
} from "app-passwords/slim";
import { exercise } from "./exercise.js";

let before = "nothing thrown";
try {
  generatePassword();
} catch (e) {
  before = isAppPasswordError(e) ? e.code : `not an AppPasswordError: ${e}`;
}
await initialize(await readFile(new URL(import.meta.resolve("app-passwords/app_passwords_bg.wasm"))));
const result = await exercise({ AppPasswords, AppPasswordError, generatePassword, isAppPasswordError, looksLikeAppPassword, memoryStore });
console.log(JSON.stringify({ before, ...result }));
