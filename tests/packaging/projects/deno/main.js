// Deno 2 from a local path: a project with package.json and node_modules (npm install), run with
// `deno run main.js` and no permission flags.
import {
  AppPasswords,
  AppPasswordError,
  generatePassword,
  isAppPasswordError,
  looksLikeAppPassword,
  memoryStore,
} from "app-passwords";
import { exercise } from "./exercise.js";

console.log(JSON.stringify(await exercise({ AppPasswords, AppPasswordError, generatePassword, isAppPasswordError, looksLikeAppPassword, memoryStore })));
