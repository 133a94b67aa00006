// Node (20.19+, 22.12+, 24) and Bun, CommonJS: `require()` the package by name (Node loads the
// ESM entry synchronously: it has no top-level await).
const {
  AppPasswords,
  AppPasswordError,
  generatePassword,
  isAppPasswordError,
  looksLikeAppPassword,
  memoryStore,
} = require("app-passwords");

import("./exercise.js")
  .then(({ exercise }) =>
    exercise({ AppPasswords, AppPasswordError, generatePassword, isAppPasswordError, looksLikeAppPassword, memoryStore }),
  )
  .then((result) => console.log(JSON.stringify(result)));
