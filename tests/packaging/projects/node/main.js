// Node (20, 22, 24) and Bun, ESM: `import` the package by name.
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
