// The page of every browser build in tests/packaging (Vite, webpack, esbuild): it imports the
// package by name, uses it (exercise.js) and writes the outcome into <pre id="result">.
import {
  AppPasswords,
  AppPasswordError,
  generatePassword,
  isAppPasswordError,
  looksLikeAppPassword,
  memoryStore,
} from "app-passwords";
import { exercise } from "./exercise.js";

const out = document.getElementById("result");
exercise({ AppPasswords, AppPasswordError, generatePassword, isAppPasswordError, looksLikeAppPassword, memoryStore }).then(
  (result) => (out.textContent = JSON.stringify(result)),
  (error) => (out.textContent = JSON.stringify({ error: String((error && error.stack) || error) })),
);
