// The package as users build it: for each tool, a fresh project in tests/js/.tmp/ gets the packed
// tarball installed by name (npm install, offline), is built or run with the tool at its default
// settings, and its behaviour is asserted (generate, create, verify, refusals with their codes,
// revoke; in the Worker over HTTP with a KV binding and a restart). The tools are the pinned ones
// in tests/packaging/node_modules; the project files come from tests/packaging/projects/, which
// the package README's "Build tools" section shows.
//
// One line per check, each path's time, then "N passed, M failed"; exits non-zero on any failure
// or when nothing ran. Every server it starts is stopped (and registered in a pid file for
// scripts/test-packaging.sh's trap).
//
// Usage (through scripts/test-packaging.sh): node tests/packaging/run.mjs [path ...]
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { EXPECTED } from "./projects/shared/exercise.js";
import {
  ROOT,
  TARBALL,
  TOOLS,
  WORK,
  SkipRest,
  check,
  closeChromium,
  freePort,
  freshProject,
  must,
  pageResult,
  run,
  startServer,
  staticServer,
  stopAll,
  tally,
  waitForHttp,
} from "./lib.mjs";

const NODE20 = process.execPath; // the machine's node, which runs this file
const NODE22 = join(TOOLS, "node22/bin/node");
const NODE24 = join(TOOLS, "node24/bin/node");
const BUN = join(TOOLS, "@oven/bun-linux-x64/bin/bun");
const DENO = join(ROOT, "node_modules/@deno/linux-x64-glibc/deno");
const ESBUILD = join(TOOLS, "esbuild/bin/esbuild");
const VITE = join(TOOLS, "vite/bin/vite.js");
const WEBPACK = join(TOOLS, "webpack-cli/bin/cli.js");
const WRANGLER = join(TOOLS, "wrangler/bin/wrangler.js");
const PUBLINT = join(TOOLS, "publint/src/cli.js");
const ATTW = join(TOOLS, "@arethetypeswrong/cli/dist/index.js");
const TSC7 = join(TOOLS, "typescript/bin/tsc");
const TSC5 = join(TOOLS, "typescript5/bin/tsc");
const WASM_MAGIC = "0061736d";

// The commands the tests run, as the package README's "Build tools" section shows them (checked).
const ESBUILD_BROWSER = ["--bundle", "entry.js", "--outfile=out.js"];
const ESBUILD_WORKERD = ["src/index.js", "--bundle", "--format=esm", "--conditions=workerd,worker,browser", "--loader:.wasm=copy", "--outdir=dist"];
const WRANGLER_DRY_RUN = ["deploy", "--dry-run", "--outdir", "out"];
const README_COMMANDS = [
  `npx esbuild ${ESBUILD_BROWSER.join(" ")}`,
  `npx esbuild ${ESBUILD_WORKERD.join(" ")}`,
  `npx wrangler ${WRANGLER_DRY_RUN.join(" ")}`,
  "npx vite build",
  "npx webpack",
  "node main.cjs",
  "deno run main.js",
  "deno run --unstable-kv kv.js",
];

// -------------------------------------------------------------------------------- helpers

/** Runs a script and parses the JSON line it prints last. */
async function runJson(cmd, args, options) {
  const { stdout } = await run(cmd, args, options);
  const last = stdout.trim().split("\n").pop();
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`expected a JSON line, got:\n${stdout}`);
  }
}

function assertExercise(result, extra = {}) {
  assert.deepEqual(result, { ...extra, ...EXPECTED });
}

const EXERCISE = "generate, create, verify, 403 scope/login, 401 Basic, AppPasswordError, revoke";

/** A page that ran exercise.js: the expected result and nothing wrong on the way. */
async function checkPage(label, url, extra = {}) {
  await check(`${label}: in Chromium: ${EXERCISE}`, async () => {
    const { result, problems } = await pageResult(url);
    assertExercise(result, extra);
    assert.deepEqual(problems, [], "the page had errors or failed requests");
  });
}

function sizeOf(path) {
  return statSync(path).size;
}

/** The Worker's HTTP behaviour (projects/worker/src/index.js), through `fetchPath`. */
async function workerScenario(label, fetchPath, restart) {
  let id;
  let password;
  await must(`${label}: POST /passwords creates one (201)`, async () => {
    const res = await fetchPath("/passwords?user=alice&scope=repository:write", { method: "POST" });
    const text = await res.text();
    assert.equal(res.status, 201, text);
    ({ id, password } = JSON.parse(text));
    assert.match(password, /^apw_[A-Za-z0-9]{50}$/);
  });
  const basic = (user) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });
  const verifies = async () => {
    const res = await fetchPath("/api?need=repository", { headers: basic("alice") });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.deepEqual(JSON.parse(text), { user: "alice", scopes: ["repository", "repository:write"] });
  };
  await check(`${label}: Basic auth with the scope it needs (200)`, verifies);
  await check(`${label}: missing scope (403 insufficient_scope, missing: pullrequest)`, async () => {
    const res = await fetchPath("/api?need=pullrequest", { headers: basic("alice") });
    const body = await res.json();
    assert.equal(res.status, 403);
    assert.equal(body.error.code, "insufficient_scope");
    assert.deepEqual(body.error.missing, ["pullrequest"]);
  });
  await check(`${label}: another user (401, WWW-Authenticate: Basic)`, async () => {
    const res = await fetchPath("/api?need=repository", { headers: basic("bob") });
    await res.arrayBuffer();
    assert.equal(res.status, 401);
    assert.match(res.headers.get("www-authenticate") ?? "", /^Basic realm="/);
  });
  // Caveats and lifecycle (issues 12 and 13) through the same bundler path.
  const create = async (query) => {
    const res = await fetchPath(`/passwords?user=alice&scope=repository&${query}`, { method: "POST" });
    assert.equal(res.status, 201);
    return res.json();
  };
  const status = async (pw, method = "GET") => {
    const auth = `Basic ${Buffer.from(`alice:${pw}`).toString("base64")}`;
    const res = await fetchPath("/api?need=repository", { method, headers: { authorization: auth } });
    return [res.status, await res.text()];
  };
  await check(`${label}: a methods: ["GET"] caveat: GET 200, POST 403 request_not_allowed`, async () => {
    const { password: pw } = await create("method=GET");
    assert.equal((await status(pw))[0], 200);
    const [code, body] = await status(pw, "POST");
    assert.equal(code, 403, body);
    assert.equal(JSON.parse(body).error.code, "request_not_allowed");
  });
  await check(`${label}: allowIps against CF-Connecting-IP: inside 200, outside 403 request_not_allowed`, async () => {
    const { ip } = await (await fetchPath("/ip")).json();
    // wrangler dev sets the header as Cloudflare's edge does; a bare dispatchFetch may not.
    if (label === "wrangler") assert.ok(ip, "wrangler dev set no CF-Connecting-IP");
    console.log(`      ${label}: CF-Connecting-IP is ${ip ?? "absent"}`);
    const outside = await create("allow=192.0.2.0/24&allow=2001:db8::/32"); // documentation ranges
    const [code, body] = await status(outside.password);
    assert.equal(code, 403, body);
    assert.equal(JSON.parse(body).error.code, "request_not_allowed");
    const inside = await create(`allow=${encodeURIComponent(ip ? `${ip}/${ip.includes(":") ? 128 : 32}` : "127.0.0.1/32")}`);
    // No address known: refused as well (fail closed), never granted on a guess.
    assert.equal((await status(inside.password))[0], ip ? 200 : 403);
  });
  await check(`${label}: maxUses on Workers KV (no atomic increment): create answers store_lacks_atomic`, async () => {
    const res = await fetchPath("/passwords?user=alice&scope=repository&maxUses=1", { method: "POST" });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: { code: "store_lacks_atomic" } });
  });
  await check(`${label}: createFromHash of a password minted elsewhere verifies; a weak profile is invalid_hash`, async () => {
    const { mintAppPassword } = await import(pathToFileURL(join(ROOT, "pkg/node.js")).href);
    const minted = await mintAppPassword();
    const store = (body) =>
      fetchPath("/passwords-from-hash?user=alice&scope=repository", { method: "POST", body: JSON.stringify(body) });
    const res = await store({ id: minted.id, phc: minted.phc });
    assert.equal(res.status, 201, await res.clone().text());
    assert.deepEqual(await res.json(), { id: minted.id });
    assert.equal((await status(minted.password))[0], 200);
    const weak = await mintAppPassword({ hashing: { memoryKiB: 8, iterations: 1, parallelism: 1 } });
    const refused = await store({ id: weak.id, phc: weak.phc });
    assert.equal(refused.status, 400);
    assert.deepEqual(await refused.json(), { error: { code: "invalid_hash" } });
  });
  await check(`${label}: setEnabled off then on: 401, then 200`, async () => {
    const { id: other, password: pw } = await create("");
    const toggle = async (to) => (await fetchPath(`/enabled?user=alice&id=${other}&to=${to}`, { method: "POST" })).json();
    assert.deepEqual(await toggle("off"), { changed: true });
    assert.equal((await status(pw))[0], 401);
    assert.deepEqual(await toggle("on"), { changed: true });
    assert.equal((await status(pw))[0], 200);
  });
  await check(`${label}: rotate: old and new both verify until the new one is used, then the old is 401`, async () => {
    const { id: old, password: oldPw } = await create("");
    const fresh = await (await fetchPath(`/rotate?user=alice&id=${old}`, { method: "POST" })).json();
    assert.notEqual(fresh.password, oldPw);
    assert.equal((await status(oldPw))[0], 200);
    assert.equal((await status(fresh.password))[0], 200);
    assert.equal((await status(oldPw))[0], 401);
  });
  await check(`${label}: a canary answers byte for byte as a revoked (unknown) id (401)`, async () => {
    const { password: trap } = await create("canary=1");
    const [trapCode, trapBody] = await status(trap);
    const other = await create("");
    await fetchPath(`/passwords?user=alice&id=${other.id}`, { method: "DELETE" });
    const [goneCode, goneBody] = await status(other.password);
    assert.equal(trapCode, 401);
    assert.deepEqual([trapCode, trapBody], [goneCode, goneBody]);
  });
  await check(`${label}: reportLeaked revokes the password it finds (then 401); a second report finds it revoked`, async () => {
    const leaked = await create("");
    assert.equal((await status(leaked.password))[0], 200);
    const report = async () => (await fetchPath("/leaked", { method: "POST", body: leaked.password })).json();
    assert.deepEqual(await report(), { found: true, revoked: true, id: leaked.id, user: "alice" });
    assert.equal((await status(leaked.password))[0], 401);
    const again = await report();
    assert.equal(again.found, true);
    assert.equal(again.revoked, false);
  });
  await check(`${label}: restarted on the same KV state, still verifies (200)`, async () => {
    await restart();
    await verifies();
  });
  await check(`${label}: revoke, then 401`, async () => {
    const res = await fetchPath(`/passwords?user=alice&id=${id}`, { method: "DELETE" });
    assert.deepEqual(await res.json(), { revoked: true });
    const after = await fetchPath("/api?need=repository", { headers: basic("alice") });
    await after.arrayBuffer();
    assert.equal(after.status, 401);
  });
}

// ---------------------------------------------------------------------------------- paths

/** The fenced blocks of the package README's "Build tools" section. */
function buildToolsBlocks() {
  const text = readFileSync(join(ROOT, "pkg-template/README.md"), "utf8");
  const start = text.indexOf("\n## Build tools\n");
  assert.ok(start >= 0, 'pkg-template/README.md has no "## Build tools" section');
  const end = text.indexOf("\n## ", start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```(.*)\n([\s\S]*?)^```$/gm)].map(([, info, code]) => ({ info, code }));
}

async function lint() {
  await check("lint: README \"Build tools\": its file: blocks are the test's project files", () => {
    const blocks = buildToolsBlocks().filter((b) => /\bfile:/.test(b.info));
    assert.ok(blocks.length > 0, "no file: block");
    for (const { info, code } of blocks) {
      const file = info.match(/\bfile:(\S+)/)[1];
      assert.equal(code, readFileSync(join(ROOT, file), "utf8"), `${file} differs from its README block`);
    }
  });
  await check("lint: README \"Build tools\": shows the commands the tests run", () => {
    const shell = buildToolsBlocks()
      .filter((b) => b.info.startsWith("sh"))
      .flatMap((b) => b.code.split("\n").map((line) => line.replace(/\s+#.*$/, "").trim()));
    for (const command of README_COMMANDS) assert.ok(shell.includes(command), `missing: ${command}`);
  });
  await check("lint: publint --strict on the tarball (no error, no warning)", async () => {
    const { stdout } = await run(NODE20, [PUBLINT, "run", TARBALL, "--strict"]);
    assert.doesNotMatch(stdout, /^(Errors|Warnings):/m, stdout);
  });
  // attw: the package is ESM; require() of it works where Node can require ESM (20.19+, 22.12+,
  // tested in node20/22/24), which attw's TypeScript 5.6 predates, so its CJS note is ignored.
  // The .wasm subpath is an asset, not a module with types.
  await check("lint: attw on the tarball (cjs-resolves-to-esm ignored, .wasm asset excluded)", async () => {
    await run(NODE20, [
      ATTW, TARBALL, "--no-definitely-typed", "--format", "ascii", "--no-emoji", "--no-color",
      "--ignore-rules", "cjs-resolves-to-esm", "--exclude-entrypoints", "./app_passwords_bg.wasm",
    ]);
  });
}

async function types() {
  const dir = await freshProject("types", { "types/consumer.ts": "consumer.ts" });
  const resolutions = { bundler: "esnext", node16: "node16", nodenext: "nodenext" };
  // All six at once (two cores; TypeScript 5.9 spends most of its time loading); reported in order.
  const runs = [];
  for (const [name, tsc, viaNode] of [["typescript 7", TSC7, false], ["typescript 5.9", TSC5, true]]) {
    for (const [resolution, module] of Object.entries(resolutions)) {
      const args = ["--strict", "--noEmit", "--target", "es2022", "--module", module, "--moduleResolution", resolution, "consumer.ts"];
      const done = run(viaNode ? NODE20 : tsc, viaNode ? [tsc, ...args] : args, { cwd: dir });
      done.catch(() => {});
      runs.push([`types: ${name}: tsc --strict --noEmit, moduleResolution ${resolution}`, done]);
    }
  }
  for (const [label, done] of runs) await check(label, () => done);
}

/** Node (or Bun): import, require and slim, from one fresh project. */
function runtimePath(label, bin, { version, args = [] }) {
  return async () => {
    const dir = await freshProject(label, {
      "node/main.js": "main.js",
      "node/main.cjs": "main.cjs",
      "node/slim.js": "slim.js",
      "shared/exercise.js": "exercise.js",
    });
    const env = { XDG_CACHE_HOME: join(WORK, "cache") };
    await must(`${label}: version ${version}`, async () => {
      const { stdout } = await run(bin, ["--version"]);
      assert.match(stdout.trim(), version);
    });
    await check(`${label}: import "app-passwords": ${EXERCISE}`, async () => {
      assertExercise(await runJson(bin, [...args, "main.js"], { cwd: dir, env }));
    });
    await check(`${label}: require("app-passwords") from a .cjs file: the same`, async () => {
      assertExercise(await runJson(bin, [...args, "main.cjs"], { cwd: dir, env }));
    });
    await check(`${label}: "app-passwords/slim": not_initialized before initialize(bytes), then works`, async () => {
      assertExercise(await runJson(bin, [...args, "slim.js"], { cwd: dir, env }), { before: "not_initialized" });
    });
  };
}

async function deno() {
  const dir = await freshProject("deno", {
    "deno/main.js": "main.js",
    "deno/kv.js": "kv.js",
    "shared/exercise.js": "exercise.js",
  });
  // DENO_NO_PROMPT: a permission the code asks for fails instead of prompting.
  const env = { DENO_DIR: join(WORK, "deno-dir"), DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" };
  await must("deno: version 2.x", async () => {
    const { stdout } = await run(DENO, ["--version"]);
    assert.match(stdout, /^deno 2\./);
  });
  await check(`deno: deno run main.js (no permission flags): ${EXERCISE}`, async () => {
    assertExercise(await runJson(DENO, ["run", "main.js"], { cwd: dir, env }));
  });
  await check("deno: deno run --unstable-kv kv.js: denoKvStore create, verify, list, revoke", async () => {
    const result = await runJson(DENO, ["run", "--unstable-kv", "kv.js"], { cwd: dir, env });
    assert.deepEqual(result, { granted: true, listed: true, revoked: "invalid_credentials" });
  });
}

async function esbuildWorkerd() {
  const dir = await freshProject("esbuild-workerd", { "worker/src/index.js": "src/index.js" });
  await must(`esbuild-workerd: esbuild ${ESBUILD_WORKERD.join(" ")}`, async () => {
    await run(ESBUILD, ESBUILD_WORKERD, { cwd: dir });
  });
  let wasm;
  await must("esbuild-workerd: dist/index.js imports the copied .wasm (workerd entry, no inline copy)", async () => {
    wasm = readdirSync(join(dir, "dist")).find((f) => f.endsWith(".wasm"));
    assert.ok(wasm, "no .wasm in dist/");
    const js = readFileSync(join(dir, "dist/index.js"), "utf8");
    assert.match(js, new RegExp(`^import \\w+ from "\\./${wasm.replace(".", "\\.")}";$`, "m"));
    assert.ok(sizeOf(join(dir, "dist/index.js")) < 100_000, "the bundle carries the inline wasm (not the workerd entry)");
  });
  // Root node_modules/miniflare (the project's own, Node 20), not the one wrangler brings.
  const require = createRequire(join(ROOT, "package.json"));
  const { Miniflare, Log, LogLevel } = await import(pathToFileURL(require.resolve("miniflare")).href);
  const options = {
    log: new Log(LogLevel.WARN),
    modules: true,
    scriptPath: join(dir, "dist/index.js"),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-04-01",
    cf: false,
    kvNamespaces: ["APP_PASSWORDS"],
    kvPersist: join(dir, "kv"),
  };
  let mf = new Miniflare(options);
  try {
    await must("esbuild-workerd: Miniflare starts the bundle (CompiledWasm rule, KV binding)", () => mf.ready);
    const fetchPath = (path, init) => mf.dispatchFetch(`http://localhost${path}`, init);
    await workerScenario("esbuild-workerd", fetchPath, async () => {
      await mf.dispose();
      mf = new Miniflare(options);
      await mf.ready;
    });
  } finally {
    await mf.dispose().catch(() => {});
  }
}

async function wrangler() {
  const dir = await freshProject("wrangler", {
    "worker/wrangler.toml": "wrangler.toml",
    "worker/src/index.js": "src/index.js",
  });
  // wrangler 4 needs Node 22.12+: the node22 binary, first on PATH, for these commands only.
  const env = {
    PATH: `${dirname(NODE22)}:${process.env.PATH}`,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false", // no fetch of the Request.cf placeholder (offline)
    WRANGLER_HIDE_BANNER: "true", // and no npm update check behind the banner
    XDG_CONFIG_HOME: join(WORK, "wrangler-config"),
    WRANGLER_LOG_PATH: join(WORK, "logs"),
  };
  const persist = join(dir, ".state");
  let server;
  let base;
  let starts = 0;
  const start = async () => {
    const port = await freePort();
    const inspector = await freePort();
    server = startServer(`wrangler-dev-${++starts}`, NODE22, [
      WRANGLER, "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector),
      "--persist-to", persist,
    ], { cwd: dir, env });
    base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/`, server, 90_000);
  };
  try {
    await must("wrangler: wrangler dev --ip 127.0.0.1 --port P --persist-to DIR answers", start);
    const fetchPath = (path, init) => fetch(base + path, { ...init, signal: AbortSignal.timeout(20_000) });
    await workerScenario("wrangler", fetchPath, async () => {
      await server.stop();
      await start();
    });
  } finally {
    if (server) await server.stop();
  }
  await check("wrangler: wrangler deploy --dry-run --outdir out: the bundle and the .wasm module", async () => {
    await run(NODE22, [WRANGLER, ...WRANGLER_DRY_RUN], { cwd: dir, env });
    const out = join(dir, "out");
    const wasm = readdirSync(out).find((f) => f.endsWith(".wasm"));
    assert.ok(wasm, `no .wasm module in out/: ${readdirSync(out)}`);
    assert.equal(readFileSync(join(out, wasm)).subarray(0, 4).toString("hex"), WASM_MAGIC);
    const js = readFileSync(join(out, "index.js"), "utf8");
    assert.ok(js.includes(wasm), "out/index.js does not import the .wasm module");
    assert.ok(js.length < 100_000, "the bundle carries the inline wasm (not the workerd entry)");
  });
}

async function esbuildBrowser() {
  const dir = await freshProject("esbuild-browser", {
    "esbuild/index.html": "index.html",
    "browser/main.js": "entry.js",
    "shared/exercise.js": "exercise.js",
  });
  await must(`esbuild-browser: esbuild ${ESBUILD_BROWSER.join(" ")} (defaults: iife, browser)`, async () => {
    await run(ESBUILD, ESBUILD_BROWSER, { cwd: dir });
  });
  const server = await staticServer(dir);
  try {
    await checkPage("esbuild-browser", server.url);
  } finally {
    await server.close();
  }
}

async function slimBrowser() {
  const dir = await freshProject("slim-browser", {
    "slim/index.html": "index.html",
    "slim/main.js": "main.js",
    "shared/exercise.js": "exercise.js",
  });
  await must("slim-browser: esbuild --bundle main.js --outfile=out.js", async () => {
    await run(ESBUILD, ["--bundle", "main.js", "--outfile=out.js"], { cwd: dir });
  });
  await check("slim-browser: the bundle carries no wasm", async () => {
    assert.ok(sizeOf(join(dir, "out.js")) < 100_000, `out.js is ${sizeOf(join(dir, "out.js"))} bytes`);
  });
  copyFileSync(join(dir, "node_modules/app-passwords/app_passwords_bg.wasm"), join(dir, "app_passwords_bg.wasm"));
  const server = await staticServer(dir);
  try {
    await checkPage("slim-browser: not_initialized before initialize(URL), then", server.url, { before: "not_initialized" });
  } finally {
    await server.close();
  }
}

async function viteBuild() {
  const dir = await freshProject("vite-build", {
    "vite/index.html": "index.html",
    "browser/main.js": "src/main.js",
    "shared/exercise.js": "src/exercise.js",
  });
  await must("vite-build: vite build (no config)", async () => {
    await run(NODE20, [VITE, "build"], { cwd: dir });
  });
  await check("vite-build: dist/ holds the page and its JS only (the wasm is inside the JS; no unused asset)", async () => {
    assert.deepEqual(readdirSync(join(dir, "dist/assets")).map((f) => f.replace(/-[\w-]{8}\./, ".")), ["index.js"]);
  });
  const server = await staticServer(join(dir, "dist"));
  try {
    await checkPage("vite-build: dist/ on a static server", server.url);
  } finally {
    await server.close();
  }
}

async function viteDev() {
  const dir = await freshProject("vite-dev", {
    "vite/index.html": "index.html",
    "browser/main.js": "src/main.js",
    "shared/exercise.js": "src/exercise.js",
  });
  const { createServer } = await import("vite"); // tests/packaging/node_modules/vite
  const port = await freePort();
  // The same as `vite --host 127.0.0.1 --port P --strictPort` run in the project (no config file).
  const server = await createServer({
    root: dir,
    server: { host: "127.0.0.1", port, strictPort: true },
    logLevel: "warn",
    clearScreen: false,
  });
  try {
    await must("vite-dev: vite dev server (createServer, no config) listens", () => server.listen());
    await checkPage("vite-dev", `http://127.0.0.1:${port}/`);
    await check("vite-dev: the package was pre-bundled (node_modules/.vite/deps), and still found its wasm", async () => {
      assert.ok(existsSync(join(dir, "node_modules/.vite/deps/app-passwords.js")), "no pre-bundled app-passwords.js");
    });
  } finally {
    await server.close();
  }
}

async function webpack() {
  const dir = await freshProject("webpack", {
    "webpack/index.html": "dist/index.html",
    "browser/main.js": "src/index.js",
    "shared/exercise.js": "src/exercise.js",
  });
  await must("webpack: webpack (no config: src/index.js -> dist/main.js)", async () => {
    await run(NODE20, [WEBPACK], { cwd: dir });
  });
  await check("webpack: dist/ holds index.html and main.js only (the wasm is inside main.js)", async () => {
    assert.deepEqual(readdirSync(join(dir, "dist")).sort(), ["index.html", "main.js"]);
  });
  const server = await staticServer(join(dir, "dist"));
  try {
    await checkPage("webpack: dist/ on a static server", server.url);
  } finally {
    await server.close();
  }
}

const PATHS = {
  lint,
  types,
  node20: runtimePath("node20", NODE20, { version: /^v20\.(19|[2-9]\d)\./ }),
  node22: runtimePath("node22", NODE22, { version: /^v22\./ }),
  node24: runtimePath("node24", NODE24, { version: /^v24\./ }),
  bun: runtimePath("bun", BUN, { version: /^1\./, args: ["--no-install"] }),
  deno,
  "esbuild-workerd": esbuildWorkerd,
  wrangler,
  "esbuild-browser": esbuildBrowser,
  "slim-browser": slimBrowser,
  "vite-build": viteBuild,
  "vite-dev": viteDev,
  webpack,
};

// ----------------------------------------------------------------------------------- main

async function cleanup() {
  await closeChromium().catch(() => {});
  await stopAll();
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    console.log(`\n${signal}: stopping every server`);
    cleanup().finally(() => process.exit(130));
  });
}

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in PATHS)) {
    console.error(`unknown path "${name}"; paths: ${Object.keys(PATHS).join(" ")}`);
    process.exit(2);
  }
}
if (!existsSync(TARBALL)) throw new Error(`no tarball at ${TARBALL}`);

const times = [];
try {
  for (const [name, fn] of Object.entries(PATHS)) {
    if (wanted.length && !wanted.includes(name)) continue;
    console.log(`== ${name}`);
    const started = Date.now();
    const before = tally.passed + tally.failed;
    try {
      await fn();
    } catch (error) {
      if (!(error instanceof SkipRest)) await check(`${name}: setup`, () => Promise.reject(error));
    }
    if (tally.passed + tally.failed === before) await check(`${name}: ran no check`, () => assert.fail("no check ran"));
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    times.push(`${name} ${secs} s`);
    console.log(`-- ${name}: ${secs} s`);
  }
} finally {
  await cleanup();
}

console.log(`times: ${times.join(", ")}`);
const since = Number(process.env.PACKAGING_START_MS || 0);
if (since) console.log(`total (with setup): ${((Date.now() - since) / 1000).toFixed(1)} s`);
if (tally.failures.length) console.log(`failed: ${tally.failures.join("; ")}`);
console.log(`${tally.passed} passed, ${tally.failed} failed`);
process.exitCode = tally.failed > 0 || tally.passed === 0 ? 1 : 0;
