// Checks of the packed tarball as a consumer sees it (scripts/test-node.sh runs this in the
// temporary project where the tarball is installed). APP_PASSWORDS_PACK_JSON names the file
// holding `npm pack --json` output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const pkgJsonPath = require.resolve("app-passwords/package.json");
const pkgDir = dirname(pkgJsonPath);
const pkg = JSON.parse(readFileSync(pkgJsonPath, "utf8"));
const packJson = process.env.APP_PASSWORDS_PACK_JSON;

test("package: tarball holds exactly the files allowlist (no src, no tests)", () => {
  assert.ok(packJson, "APP_PASSWORDS_PACK_JSON is set");
  const [info] = JSON.parse(readFileSync(packJson, "utf8"));
  const packed = info.files.map((f) => f.path).sort();
  // npm always adds package.json; README and LICENSE files are in the allowlist already.
  const expected = [...new Set([...pkg.files, "package.json"])].sort();
  assert.deepEqual(packed, expected);
  for (const path of packed) {
    assert.doesNotMatch(path, /^(src|tests?|target|node_modules|examples|scripts)\//, path);
    assert.doesNotMatch(path, /\.(rs|tgz|toml|lock|map)$/, path);
  }
  assert.equal(info.name, "app-passwords");
  assert.equal(info.version, pkg.version);
  for (const file of pkg.files) assert.ok(existsSync(join(pkgDir, file)), `${file} installed`);
});

test("package: manifest (ESM, no dependencies, no install scripts, types)", () => {
  assert.equal(pkg.name, "app-passwords");
  assert.equal(pkg.type, "module");
  assert.equal(pkg.dependencies, undefined, "no runtime dependencies");
  assert.equal(pkg.scripts, undefined, "no lifecycle scripts");
  assert.equal(pkg.types, "./index.d.ts");
  assert.ok(existsSync(join(pkgDir, "index.d.ts")), "index.d.ts present");
  const dot = pkg.exports["."];
  // Each condition names its types first (TypeScript reads in order): the node entry's types
  // (node.d.ts) add fileStore to index.d.ts.
  for (const [condition, target] of Object.entries(dot)) {
    assert.deepEqual(Object.keys(target), ["types", "default"], `exports["."].${condition} is { types, default }`);
    for (const file of Object.values(target)) assert.ok(existsSync(join(pkgDir, file)), `exports["."].${condition} → ${file} exists`);
  }
  assert.equal(dot.node.types, "./node.d.ts");
  assert.equal(dot.default.types, "./index.d.ts");
  assert.equal(pkg.exports["./package.json"], "./package.json");
});

function resolveWith(conditions) {
  const args = [...conditions.flatMap((c) => ["-C", c]), "--input-type=module", "-e", 'process.stdout.write(import.meta.resolve("app-passwords"))'];
  const url = execFileSync(process.execPath, args, { cwd: fileURLToPath(new URL(".", import.meta.url)), encoding: "utf8" });
  return fileURLToPath(url);
}

test("package: exports conditions resolve (node, browser, deno, workerd)", () => {
  const dot = pkg.exports["."];
  assert.equal(fileURLToPath(import.meta.resolve("app-passwords")), join(pkgDir, dot.node.default), "node");
  assert.equal(resolveWith([]), join(pkgDir, "node.js"), "plain node");
  assert.equal(resolveWith(["browser"]), join(pkgDir, "web.js"), "browser");
  assert.equal(resolveWith(["deno"]), join(pkgDir, "web.js"), "deno");
  assert.equal(resolveWith(["workerd"]), join(pkgDir, "workerd.js"), "workerd");
  assert.equal(require.resolve("app-passwords/package.json"), pkgJsonPath, "./package.json subpath");
});

test('package: import("app-passwords") works under the node condition', async () => {
  const api = await import("app-passwords");
  const g = api.generatePassword();
  assert.match(g.password, /^apw_[0-9A-Za-z]{50}$/);
  assert.equal(api.looksLikeAppPassword(g.password), true);
  const err = (() => {
    try {
      api.generatePassword({ prefix: "Bad" });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof api.AppPasswordError && err instanceof Error, "errors are AppPasswordError");
  assert.equal(err.code, "invalid_prefix");
  assert.equal(api.isAppPasswordError(err), true, "isAppPasswordError(thrown error)");
  assert.equal(api.isAppPasswordError(new Error("x")), false, "isAppPasswordError(plain Error)");
  assert.equal(api.isAppPasswordError({ name: "AppPasswordError", code: "x" }), false, "isAppPasswordError(plain object)");
});

test("package: no sideEffects flag (bundlers would drop the entries that initialise the wasm)", () => {
  assert.equal(pkg.sideEffects, undefined);
});

test("package: every relative module the JS names (imports and JSDoc import() types) is in the tarball", () => {
  // Deno type-checks JS it imports by path and resolves JSDoc `import("./x")` literally (no
  // .js → .d.ts mapping as in TypeScript): a missing file there fails `deno check` with TS2307.
  for (const file of pkg.files.filter((f) => f.endsWith(".js"))) {
    const text = readFileSync(join(pkgDir, file), "utf8");
    const names = [
      ...[...text.matchAll(/\bimport\(\s*["'](\.[^"']+)["']\s*\)/g)].map((m) => m[1]),
      ...[...text.matchAll(/\bfrom\s+["'](\.[^"']+)["']/g)].map((m) => m[1]),
      ...[...text.matchAll(/^\s*import\s+["'](\.[^"']+)["']/gm)].map((m) => m[1]),
    ];
    for (const name of names) {
      assert.ok(existsSync(join(pkgDir, name)), `${file} names ${name}, which the package does not contain`);
    }
  }
});

test("package: index.d.ts declares every runtime export", async () => {
  const api = await import("app-passwords");
  // The node entry's types: index.d.ts and node.d.ts (fileStore).
  const dts = readFileSync(join(pkgDir, "index.d.ts"), "utf8") + readFileSync(join(pkgDir, "node.d.ts"), "utf8");
  const declared = new Set([...dts.matchAll(/^export (?:declare )?(?:class|function|const|interface|type) (\w+)/gm)].map((m) => m[1]));
  const undeclared = Object.keys(api).filter((name) => !declared.has(name));
  assert.deepEqual(undeclared, [], "runtime exports missing from index.d.ts");
  for (const name of ["AppPasswords", "AppPasswordError", "KeyValueStore", "VerifyResult", "HashParams", "scopes"]) {
    assert.ok(declared.has(name), `${name} declared`);
  }
});
