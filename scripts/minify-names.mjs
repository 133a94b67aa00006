// Renames the wasm-bindgen glue's imports and exports after binaryen's
// --minify-imports-and-exports-and-modules has renamed them in the .wasm (docs/BUILD-KNOBS.md,
// "Fifth round"): wasm-bindgen names every import `__wbg_<name>_<16 hex digits>`, and those
// names were 2.5 KB of the module, hashes that gzip cannot shrink.
//
// usage: node scripts/minify-names.mjs <package dir> <binaryen's map (JSON on its stdout)>
//
// The glue (`app_passwords.js`) reaches the module in two ways only, both rewritten here: the
// import object's keys (`__wbg_get_imports`), and `wasm.<export>`. Every name is checked: an
// import key must occur exactly once, and no old name may be left behind, so a wasm-bindgen
// that writes its glue another way fails the build instead of shipping a module that cannot load.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [dir, mapFile] = process.argv.slice(2);
if (!dir || !mapFile) throw new Error("usage: node scripts/minify-names.mjs <package dir> <map.json>");
const gluePath = join(dir, "app_passwords.js");
const wasmPath = join(dir, "app_passwords_bg.wasm");
const map = JSON.parse(readFileSync(mapFile, "utf8"));
let glue = readFileSync(gluePath, "utf8");

function fail(message) {
  console.error(`minify-names: ${message}; update scripts/minify-names.mjs for this wasm-bindgen`);
  process.exit(1);
}
const escape = (name) => name.replace(/[$]/g, "\\$");

// The one module every import now comes from.
const modules = new Set(WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasmPath))).map((i) => i.module));
if (modules.size !== 1) fail(`expected one import module, found ${[...modules].join(", ")}`);
const [module] = modules;
const oldModules = new Set(map.imports.map(([m]) => m));
for (const old of oldModules) {
  const key = `${JSON.stringify(old)}: import0`;
  if (glue.split(key).length !== 2) fail(`the import object for ${old} is not written as ${key}`);
  glue = glue.replace(key, `${JSON.stringify(module)}: import0`);
}

// Import functions: `        __wbg_name_hash: function(` in the import object.
for (const [, old, name] of map.imports) {
  const key = new RegExp(`(\\n\\s+)${escape(old)}(: function\\()`, "g");
  const found = glue.match(key)?.length ?? 0;
  if (found !== 1) fail(`import ${old} occurs ${found} times as a key of the import object`);
  glue = glue.replace(key, `$1${name}$2`);
}

// Exports: `wasm.name`, never followed by more of an identifier.
for (const [old, name] of map.exports) {
  glue = glue.replace(new RegExp(`\\bwasm\\.${escape(old)}(?![\\w$])`, "g"), `wasm.${name}`);
}
const left = [...map.imports.map(([, old]) => old), ...map.exports.map(([old]) => `wasm.${old}`)].filter((old) =>
  new RegExp(`${escape(old).replace(/\./g, "\\.")}(?![\\w$])`).test(glue),
);
if (left.length) fail(`the glue still names ${left.join(", ")}`);
writeFileSync(gluePath, glue);
