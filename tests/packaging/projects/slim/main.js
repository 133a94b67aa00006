// "app-passwords/slim" in a browser bundle (esbuild, defaults): nothing loads on import; the page
// fetches the .wasm it serves itself (copied from node_modules/app-passwords/) with initialize().
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

const out = document.getElementById("result");
let before = "nothing thrown";
try {
  new AppPasswords({ store: memoryStore() });
} catch (e) {
  before = isAppPasswordError(e) ? e.code : `not an AppPasswordError: ${e}`;
}
initialize(new URL("app_passwords_bg.wasm", document.baseURI))
  .then(() =>
    exercise({ AppPasswords, AppPasswordError, generatePassword, isAppPasswordError, looksLikeAppPassword, memoryStore }),
  )
  .then(
    (result) => (out.textContent = JSON.stringify({ before, ...result })),
    (error) => (out.textContent = JSON.stringify({ error: String((error && error.stack) || error) })),
  );
