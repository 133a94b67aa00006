// Runs every fenced code block of the documentation (README.md, pkg-template/README.md,
// examples/host/README.md, SECURITY.md, docs/*.md) in the runtime its fence names, against the
// package packed with `npm pack` and installed by name in a temporary project
// (scripts/test-docs.sh prepares it). A sample that stops working fails this run.
//
// Each fence says what it is, after its language, in its info string:
//
//   ```js node              run as is with `node` (saved as an .mjs file in the project), on this
//                           Node and on Node 22 and 24 when tests/packaging has them: same output
//   ```js node redis        the same, with a Redis server of its own on a loopback port (REDIS_URL)
//   ```js deno              run with `deno run` and no permission flag at all
//   ```js deno file:main.js saved as main.js in the project; a later ```sh block must run it
//   ```js workerd           a module Worker, run in workerd through Miniflare with a KV binding
//                           APP_PASSWORDS; probed with no credentials (401) and a valid app password (200)
//   ```js browser           a module script in headless Chromium, `app-passwords` mapped to the
//                           package's `browser` entry
//   ```sh                   run with bash -e in the project (cwd:repo: at the repository root;
//                           cwd:new-project: in a new, empty project, which later samples then use)
//   ```rust                 copied into src/main.rs of a new crate whose [dependencies] are the
//                           document's ```toml fragment:cargo-deps block, and run
//   ```text output          the exact output of the runnable block before it
//   ```text                 not code (a diagram, a data layout): never run
//   ```LANG fragment:NAME   not complete on its own: tests/docs/harness/NAME.mjs wraps and runs it
//
// A fence without one of those is an error: every sample is run, wrapped, or plainly not code.
// A block identical to one that already ran (same fence, same text) is not run twice.
//
// Also checked: every link to docs/design.md#anchor points at a heading that exists, and no
// tracked file cites the old "SPEC section N" or rule ids (S1..S13).
//
// Usage: node tests/docs/run.mjs --project DIR --work DIR [filter]
// Prints one line per block and "N passed, M failed"; exits 1 on any failure or if none ran.

import { spawn, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createServer } from "node:net";

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, "../..");

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const [, value] = args.splice(i, 2);
  return value;
};
const baseProject = resolve(opt("--project") ?? "");
const work = resolve(opt("--work") ?? "");
const filter = args[0] ?? "";
if (!existsSync(join(baseProject, "node_modules/app-passwords/package.json"))) {
  console.error("run.mjs: --project must be a project with app-passwords installed (scripts/test-docs.sh)");
  process.exit(2);
}

export const DOCS = [
  "README.md",
  "pkg-template/README.md",
  "examples/host/README.md",
  "SECURITY.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];

// Sections tested elsewhere: pkg-template/README.md's "Build tools" by tests/packaging.
const SKIP_SECTIONS = { "pkg-template/README.md": ["Build tools"] };

const RUNTIMES = ["node", "deno", "workerd", "browser", "sh", "python"];

// ------------------------------------------------------------------------------ the parser

/** The fenced blocks of a Markdown text, with their line, info string and section. */
export function parseBlocks(text) {
  const lines = text.split("\n");
  const blocks = [];
  const headings = [];
  let open = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (open) {
      const close = line.match(/^( {0,3})(`{3,}|~{3,})\s*$/);
      if (close && close[2][0] === open.fence[0] && close[2].length >= open.fence.length) {
        blocks.push({ ...open, code: open.body.join("\n") + "\n" });
        open = null;
      } else {
        open.body.push(line.startsWith(" ".repeat(open.indent)) ? line.slice(open.indent) : line.trimStart());
      }
      continue;
    }
    const fence = line.match(/^( {0,3})(`{3,}|~{3,})(.*)$/);
    if (fence) {
      const info = fence[3].trim();
      const [lang = "", ...rest] = info.split(/\s+/).filter(Boolean);
      const words = {};
      for (const word of rest) {
        const eq = word.indexOf(":"); // key:value (rustdoc warns about "=" in a README fence)
        if (eq > 0) words[word.slice(0, eq)] = word.slice(eq + 1);
        else words[word] = true;
      }
      open = { line: i + 1, indent: fence[1].length, fence: fence[2], info, lang, words, body: [], section: headings.map((h) => h.text) };
      continue;
    }
    const heading = line.match(/^(#{1,6})\s+(.*?)\s*#*\s*$/);
    if (heading) {
      const level = heading[1].length;
      while (headings.length && headings[headings.length - 1].level >= level) headings.pop();
      headings.push({ level, text: heading[2] });
    }
  }
  if (open) blocks.push({ ...open, code: open.body.join("\n") + "\n", unclosed: true });
  return blocks;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading) {
  return heading
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .trim()
    .replace(/\s/g, "-");
}

// ------------------------------------------------------------------------------ processes

/** Runs a command; resolves { code, stdout, stderr } (never rejects; code null on timeout). */
export function run(cmd, argv, { cwd = root, env = {}, input, timeoutMs = 120_000 } = {}) {
  return new Promise((done) => {
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(timed out after ${timeoutMs} ms)`;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      done({ code: -1, stdout, stderr: stderr + String(err) });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    child.stdin.on("error", () => {}); // a command that never reads its input may exit first
    child.stdin.end(input ?? "");
  });
}

export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

const deno = join(root, "node_modules/@deno/linux-x64-glibc/deno");
const shims = join(work, "bin");
mkdirSync(shims, { recursive: true });
// `deno` on PATH for the shell samples: the binary the npm package "deno" ships.
writeFileSync(join(shims, "deno"), `#!/bin/sh\nexec "${deno}" "$@"\n`, { mode: 0o755 });

/** Environment of every sample: offline npm, a private Deno cache, the shims first on PATH. */
export const sampleEnv = {
  PATH: `${shims}:${process.env.PATH}`,
  DENO_DIR: join(work, "deno-dir"),
  DENO_NO_UPDATE_CHECK: "1",
  DENO_NO_PROMPT: "1",
  NO_COLOR: "1",
  npm_config_offline: "true",
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
  npm_config_cache: join(work, "npm-cache"),
};

function failure(what, result) {
  return new Error(`${what} (exit ${result.code})\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`);
}

/** Compares output with an ```text output block: exact, after trimming line ends. */
export function compareOutput(actual, expected) {
  const norm = (s) => s.replace(/\r/g, "").split("\n").map((l) => l.trimEnd()).join("\n").trim();
  if (norm(actual) !== norm(expected)) {
    throw new Error(`output differs from the documented output\n--- documented\n${norm(expected)}\n--- actual\n${norm(actual)}`);
  }
}

// ------------------------------------------------------------------------------ runtimes

// Node samples run on this Node (20, what the repository's tools use) and, when the packaging
// tests have installed them (scripts/tools.sh packaging), on Node 22 and 24 too: same output.
const otherNodes = ["node22", "node24"]
  .map((name) => join(root, "tests/packaging/node_modules", name, "bin/node"))
  .filter((path) => existsSync(path));
export const nodeVersions = [process.version];

async function runNode(block, ctx) {
  const file = join(ctx.project, `sample-${ctx.slug}-${block.line}.mjs`);
  writeFileSync(file, block.code);
  const env = { ...sampleEnv };
  if (block.words.redis) env.REDIS_URL = await ctx.redisUrl();
  const result = await run(process.execPath, [file], { cwd: ctx.project, env, timeoutMs: 60_000 });
  if (result.code !== 0) throw failure(`node ${process.version}`, result);
  for (const node of otherNodes) {
    const other = await run(node, [file], { cwd: ctx.project, env, timeoutMs: 60_000 });
    const version = (await run(node, ["--version"])).stdout.trim();
    if (!nodeVersions.includes(version)) nodeVersions.push(version);
    if (other.code !== 0) throw failure(`node ${version}`, other);
    if (other.stdout !== result.stdout) {
      throw new Error(`node ${version} printed something else:\n${other.stdout}--- node ${process.version}:\n${result.stdout}`);
    }
  }
  return result.stdout;
}

async function runDeno(block, ctx) {
  const file = join(ctx.project, `sample-${ctx.slug}-${block.line}.js`);
  writeFileSync(file, block.code);
  // No permission flag: the sample must need none.
  const result = await run(deno, ["run", "--cached-only", file], { cwd: ctx.project, env: sampleEnv, timeoutMs: 60_000 });
  if (result.code !== 0) throw failure("deno run", result);
  return result.stdout;
}

let packed = null; // the tarball the documented `npm pack` made, for the documented install

async function runSh(block, ctx) {
  let cwd = ctx.project;
  if (block.words.cwd === "repo") cwd = root;
  if (block.words.cwd === "new-project") {
    cwd = join(work, `${ctx.slug}-new-project`);
    mkdirSync(cwd, { recursive: true });
    // "Copy the tarball into your project": the one the previous cwd:repo block packed.
    if (packed) cpSync(packed, join(cwd, "app-passwords-0.1.0.tgz"));
  }
  const file = join(work, `sample-${ctx.slug}-${block.line}.sh`);
  writeFileSync(file, block.code);
  const env = { ...sampleEnv };
  if (/redis/i.test(block.code)) env.REDIS_URL = await ctx.redisUrl();
  const result = await run("bash", ["-e", "-o", "pipefail", file], { cwd, env, timeoutMs: 600_000 });
  if (result.code !== 0) throw failure("bash", result);
  if (block.words.cwd === "repo") {
    // A tarball packed at the root is handed to the next cwd:new-project block, and removed here.
    const tgz = join(root, "app-passwords-0.1.0.tgz");
    if (existsSync(tgz)) {
      packed = join(work, "app-passwords-0.1.0.tgz");
      cpSync(tgz, packed);
      execFileSync("rm", ["-f", tgz]);
    }
  }
  if (block.words.cwd === "new-project") {
    if (!existsSync(join(cwd, "node_modules/app-passwords/package.json"))) {
      throw new Error("the install commands did not install app-passwords into the project");
    }
    ctx.project = cwd; // the document's next samples run in the project its install made
  }
  for (const [name, pending] of ctx.files) {
    if (block.code.includes(name)) {
      pending.ran = true;
      ctx.files.delete(name);
    }
  }
  return result.stdout;
}

async function runWorkerd(block, ctx) {
  const { Miniflare, Log, LogLevel } = await import("miniflare");
  const pkgDir = join(ctx.project, "node_modules/app-passwords");
  const manifest = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  const entry = manifest.exports["."].workerd.default; // each condition is { types, default }
  const dir = join(work, `workerd-${ctx.slug}-${block.line}`);
  mkdirSync(dir, { recursive: true });
  // workerd resolves the bare specifier "app-passwords" to a module of that name; the package's
  // own relative imports then resolve beside it. The entry is the one its `workerd` condition names.
  const modules = [{ type: "ESModule", path: join(dir, "worker.mjs"), contents: block.code }];
  for (const f of readdirSync(pkgDir)) {
    if (f.endsWith(".js")) {
      modules.push({ type: "ESModule", path: join(dir, f), contents: readFileSync(join(pkgDir, f), "utf8") });
    } else if (f.endsWith(".wasm")) {
      modules.push({ type: "CompiledWasm", path: join(dir, f), contents: readFileSync(join(pkgDir, f)) });
    }
  }
  modules.push({ type: "ESModule", path: join(dir, "app-passwords"), contents: readFileSync(join(pkgDir, entry), "utf8") });
  const mf = new Miniflare({
    log: new Log(LogLevel.WARN),
    modules,
    modulesRoot: dir,
    compatibilityDate: "2025-09-01",
    kvNamespaces: ["APP_PASSWORDS"],
    cf: false,
  });
  try {
    await mf.ready;
    // A password in the same KV namespace, made by the package in Node.
    const api = await importPackage(ctx.project);
    const store = api.workersKvStore(await mf.getKVNamespace("APP_PASSWORDS"));
    const ap = new api.AppPasswords({ store });
    const all = ap.catalog().filter((s) => s.grantable).map((s) => s.name);
    const { password } = await ap.create({ user: "alice", label: "docs", scopes: all });
    const url = "http://docs.test/api";
    const none = await mf.dispatchFetch(url);
    const noneBody = await none.text();
    if (none.status !== 401 || !/^Basic /.test(none.headers.get("www-authenticate") ?? "")) {
      throw new Error(`without credentials: ${none.status} ${noneBody}`);
    }
    const auth = `Basic ${Buffer.from(`alice:${password}`).toString("base64")}`;
    const good = await mf.dispatchFetch(url, { headers: { authorization: auth } });
    const body = await good.text();
    if (good.status !== 200) throw new Error(`with a valid app password: ${good.status} ${body}`);
    return `${none.status}\n${good.status} ${body}\n`;
  } finally {
    await mf.dispose();
  }
}

async function runBrowser(block, ctx) {
  const { createServer: createHttp } = await import("node:http");
  const { launchChromium } = await import(pathToFileURL(join(root, "tests/chromium.mjs")).href);
  const pkgDir = join(ctx.project, "node_modules/app-passwords");
  const manifest = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  const entry = manifest.exports["."].browser.default.replace(/^\.\//, "");
  const page = `<!doctype html><meta charset="utf-8"><title>sample</title><link rel="icon" href="data:,">
<script type="importmap">{ "imports": { "app-passwords": "/node_modules/app-passwords/${entry}", "app-passwords/": "/node_modules/app-passwords/" } }</script>
<script type="module">import("/sample.mjs").then(() => { window.__done = "ok"; }, (e) => { window.__done = String(e && e.stack || e); });</script>`;
  const types = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };
  const server = createHttp((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    let body;
    let file = path;
    if (path === "/") body = page;
    else if (path === "/sample.mjs") body = block.code;
    else {
      const full = resolve(ctx.project, "." + path);
      if (!full.startsWith(ctx.project) || !existsSync(full)) {
        res.writeHead(404).end();
        return;
      }
      body = readFileSync(full);
    }
    if (path === "/") file = "/index.html";
    const ext = file.slice(file.lastIndexOf("."));
    res.writeHead(200, { "content-type": types[ext] ?? "application/octet-stream" }).end(body);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const browser = await launchChromium();
  try {
    const tab = await browser.context.newPage();
    const lines = [];
    tab.on("console", (m) => lines.push(m.text()));
    tab.on("pageerror", (e) => lines.push(`pageerror: ${e.message}`));
    await tab.goto(`http://127.0.0.1:${server.address().port}/`);
    await tab.waitForFunction(() => window.__done !== undefined, null, { timeout: 30_000 });
    const done = await tab.evaluate(() => window.__done);
    if (done !== "ok") throw new Error(`the sample threw in Chromium: ${done}\n${lines.join("\n")}`);
    return lines.join("\n") + "\n";
  } finally {
    await browser.close();
    server.close();
  }
}

async function runPython(block) {
  const result = await run("python3", ["-"], { input: block.code, env: sampleEnv, timeoutMs: 60_000 });
  if (result.code !== 0) throw failure("python3", result);
  return result.stdout;
}

async function runRust(block, ctx) {
  const deps = ctx.state.cargoDeps;
  if (!deps) throw new Error("no ```toml fragment:cargo-deps block before this Rust sample: its dependencies are not named");
  // The documented layout: the crate is a clone at ../app-passwords, beside the user's crate.
  const dir = join(work, `rust-${ctx.slug}-${block.line}`);
  mkdirSync(join(dir, "my-app/src"), { recursive: true });
  execFileSync("ln", ["-sfn", root, join(dir, "app-passwords")]);
  // The scratch folder sits inside this repository, whose Cargo.toml is a workspace: an empty
  // [workspace] table keeps the user's crate on its own, as it is on the user's machine.
  const manifest = `[package]\nname = "my-app"\nversion = "0.1.0"\nedition = "2021"\n\n${deps}\n[workspace]\n`;
  writeFileSync(join(dir, "my-app/Cargo.toml"), manifest);
  writeFileSync(join(dir, "my-app/src/main.rs"), block.code);
  cpSync(join(root, "Cargo.lock"), join(dir, "my-app/Cargo.lock")); // the same versions, nothing to resolve
  const env = { CARGO_TARGET_DIR: join(root, "target/docs-samples"), CARGO_TERM_COLOR: "never" };
  const result = await run("cargo", ["run", "--quiet"], { cwd: join(dir, "my-app"), env, timeoutMs: 600_000 });
  if (result.code !== 0) throw failure("cargo run", result);
  return result.stdout;
}

export async function importPackage(project) {
  const { createRequire } = await import("node:module");
  const resolved = createRequire(join(project, "package.json")).resolve("app-passwords");
  return import(pathToFileURL(resolved).href);
}

// ------------------------------------------------------------------------------ the run

const results = [];
const counts = {};
function report(name, ok, error, kind) {
  results.push({ name, ok, kind });
  if (ok) counts[kind] = (counts[kind] ?? 0) + 1;
  console.log(`${ok ? "ok  " : "FAIL"}  ${name}`);
  if (!ok) console.log(`      ${String(error && error.stack ? error.message : error).split("\n").join("\n      ")}`);
}

let redis = null;
async function redisUrl() {
  if (redis) return redis.url;
  const port = await freePort();
  const dir = join(work, "redis");
  mkdirSync(dir, { recursive: true });
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`redis-server did not start:\n${out}`)), 10_000);
    const check = () => {
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout.on("data", check);
    child.on("exit", (code) => fail(new Error(`redis-server exited (${code}):\n${out}`)));
  });
  redis = { child, url: `redis://127.0.0.1:${port}` };
  return redis.url;
}

const ran = new Map(); // fence + text of every block that passed -> where
const started = Date.now();

for (const doc of DOCS) {
  const text = readFileSync(join(root, doc), "utf8");
  const blocks = parseBlocks(text).filter((b) => !(SKIP_SECTIONS[doc] ?? []).some((s) => b.section.includes(s)));
  const docSlug = doc.replace(/[^A-Za-z0-9]+/g, "-").replace(/-md$/, "");
  const project = join(work, docSlug);
  cpSync(baseProject, project, { recursive: true });
  const ctx = { doc, slug: docSlug, project, state: {}, files: new Map(), cleanups: [], redisUrl };
  let previous = null; // the last runnable block and its output, for ```text output
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i];
    const name = `${doc}:${block.line} ${block.info || "(no info string)"}`;
    if (filter && !name.includes(filter) && !doc.includes(filter)) continue;
    const { lang, words } = block;
    const kind = words.fragment ? `fragment ${lang}` : lang === "rust" ? "rust" : RUNTIMES.find((r) => words[r]) ?? lang;
    try {
      if (block.unclosed) throw new Error("the fence is never closed");
      if (lang === "text" && words.output) {
        if (!previous) throw new Error("an output block must follow the block that prints it");
        if (previous.output instanceof Error) throw new Error("its block failed");
        (previous.compare ?? compareOutput)(previous.output, block.code);
        report(name, true, null, "output");
        previous = null;
        continue;
      }
      if (lang === "text" && Object.keys(words).length === 0) {
        counts.text = (counts.text ?? 0) + 1; // not code: a diagram, a data layout
        continue;
      }
      const key = `${block.info}\n${block.code}`;
      if (ran.has(key) && words.cwd !== "new-project") {
        report(`${name} (same as ${ran.get(key)})`, true, null, "same");
        previous = null;
        continue;
      }
      let output;
      let compare;
      if (words.fragment) {
        const harness = join(here, "harness", `${words.fragment}.mjs`);
        if (!existsSync(harness)) throw new Error(`no harness tests/docs/harness/${words.fragment}.mjs`);
        const mod = await import(pathToFileURL(harness).href);
        const answer = await mod.default(block, ctx, { run, sampleEnv, compareOutput, importPackage, root, work, deno, freePort });
        output = answer?.output ?? "";
        compare = answer?.compare;
      } else if (lang === "rust") {
        output = await runRust(block, ctx);
      } else if (words.file) {
        if (!/^[\w.-]+$/.test(words.file)) throw new Error("file: takes a plain file name");
        writeFileSync(join(ctx.project, words.file), block.code);
        ctx.files.set(words.file, { name, ran: false });
        report(`${name} (saved; run by a later block)`, true, null, kind);
        previous = null;
        continue;
      } else if (words.node) output = await runNode(block, ctx);
      else if (words.deno) output = await runDeno(block, ctx);
      else if (words.workerd) output = await runWorkerd(block, ctx);
      else if (words.browser) output = await runBrowser(block, ctx);
      else if (words.sh) output = await runSh(block, ctx);
      else if (lang === "sh" && Object.keys(words).every((w) => w === "cwd")) output = await runSh(block, ctx);
      else if (words.python) output = await runPython(block, ctx);
      else {
        throw new Error(
          `not annotated: give the fence a runtime (${RUNTIMES.join(", ")}), fragment:NAME with a harness, or make it \`\`\`text if it is not code`,
        );
      }
      previous = { output, compare };
      ran.set(key, `${doc}:${block.line}`);
      report(name, true, null, kind);
    } catch (err) {
      previous = { output: err };
      report(name, false, err, kind);
    }
  }
  for (const [file, pending] of ctx.files) {
    report(`${pending.name}: a later block runs ${file}`, false, new Error(`no later block of ${doc} runs ${file}`), "file");
  }
  for (const cleanup of ctx.cleanups.reverse()) {
    try {
      await cleanup();
    } catch (err) {
      report(`${doc}: cleanup`, false, err, "cleanup");
    }
  }
}

// ------------------------------------------------------------------------------ references

if (!filter || "references".includes(filter)) {
  const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" })
    .split("\0")
    .filter((f) => f && /\.(md|rs|js|mjs|ts|sh|py|toml|json|html|css)$/.test(f) && !f.startsWith("fuzz/corpus/"))
    .filter((f) => f !== "tests/docs/run.mjs") // this file names what it looks for
    .filter((f) => existsSync(join(root, f)));
  const design = readFileSync(join(root, "docs/design.md"), "utf8");
  const anchors = new Set(parseBlocksHeadings(design).map(slug));
  const broken = [];
  const spec = [];
  for (const f of [...new Set([...tracked, "docs/design.md"])]) {
    const text = readFileSync(join(root, f), "utf8");
    for (const m of text.matchAll(/design\.md#([\w-]+)/g)) {
      if (!anchors.has(m[1])) broken.push(`${f}: #${m[1]}`);
    }
    const lines = text.split("\n");
    lines.forEach((line, n) => {
      if (/\bSPEC\b(?! ?=)|\((?:S\d{1,2}(?:, ?)?)+\)|\bS(?:[1-9]|1[0-3]):/.test(line)) spec.push(`${f}:${n + 1}: ${line.trim()}`);
    });
  }
  report("references: every docs/design.md#anchor exists", broken.length === 0, `broken anchors:\n${broken.join("\n")}`, "references");
  report("references: no \"SPEC\" or rule ids (S1..S13) cited", spec.length === 0, `still cited:\n${spec.join("\n")}`, "references");
}

function parseBlocksHeadings(text) {
  const out = [];
  let fenced = false;
  for (const line of text.split("\n")) {
    if (/^ {0,3}(`{3,}|~{3,})/.test(line)) fenced = !fenced;
    const m = !fenced && line.match(/^#{1,6}\s+(.*?)\s*#*\s*$/);
    if (m) out.push(m[1]);
  }
  return out;
}

if (redis) {
  redis.child.kill("SIGTERM");
  await new Promise((ok) => redis.child.once("exit", ok));
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
const secs = ((Date.now() - started) / 1000).toFixed(1);
console.log(`\nper runtime: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
console.log(`node samples ran on: ${nodeVersions.join(", ")}`);
console.log(`docs: ${secs} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || passed === 0 ? 1 : 0);
