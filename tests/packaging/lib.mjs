// The harness of tests/packaging/run.mjs: checks and their report, fresh projects with the packed
// tarball installed by name, commands and servers (each in its own process group, registered in
// a pid file that scripts/test-packaging.sh's trap reads), a static file server, Chromium. What it
// shares with tests/cli/lib.mjs is tests/lib/harness.mjs, set up here for PACKAGING_* and
// re-exported; its own are run's rejection on a non-zero exit, freshProject's manifest checks,
// staticServer and Chromium.
import assert from "node:assert/strict";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { createHarness, tail } from "../lib/harness.mjs";

export { SkipRest, check, freePort, must, tail, tally } from "../lib/harness.mjs";

const harness = createHarness({
  url: import.meta.url,
  envPrefix: "PACKAGING",
  script: "scripts/test-packaging.sh",
  packagePrefix: "packaging",
  installTitle: "npm install --offline",
});
export const { HERE, ROOT, PROJECTS, WORK, TARBALL, stopAll, waitForHttp } = harness;
/** The pinned tools (tests/packaging/package.json); never on PATH (node22/node24 both ship a `node`). */
export const TOOLS = join(HERE, "node_modules");

/**
 * Runs a command to completion. Rejects with its output when it exits non-zero or outlives
 * `timeoutMs`. Resolves `{ stdout, stderr }`.
 */
export async function run(cmd, args, { cwd, env = {}, timeoutMs = 120_000 } = {}) {
  const { code, signal, stdout, stderr, timedOut } = await harness.spawnCommand(cmd, args, { cwd, env, timeoutMs });
  if (code === 0 && !timedOut) return { stdout, stderr };
  const why = timedOut ? `timed out after ${timeoutMs} ms` : `exited with ${code ?? signal}`;
  throw new Error(`${[cmd, ...args].join(" ")}: ${why}\n${tail(stdout + stderr)}`);
}

/**
 * Starts a long-running command (a dev server) in its own process group, output to a log file.
 * `stop()` ends the whole group; `log()` reads what it printed.
 */
export const startServer = harness.startProcess;

/**
 * A fresh project in WORK/<name>: package.json (ESM), the listed files copied from
 * tests/packaging/projects (`{ "from": "to" }`, paths relative to projects/ and to the project),
 * then the packed tarball installed by name with npm, offline (it has no dependencies).
 */
export function freshProject(name, files) {
  return harness.freshProject(name, {
    files,
    after(dir) {
      const installed = JSON.parse(readFileSync(join(dir, "node_modules/app-passwords/package.json"), "utf8"));
      assert.equal(installed.name, "app-passwords");
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      assert.match(manifest.dependencies["app-passwords"], /^file:.*\.tgz$/);
    },
  });
}

// -------------------------------------------------------------------------- static server

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
};

/** Serves `dir` on 127.0.0.1 (a free port), as any static host would. Returns { url, close }. */
export async function staticServer(dir) {
  const base = resolve(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    let file = resolve(base, `.${path}`);
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () =>
      new Promise((r) => {
        server.close(r);
        server.closeAllConnections(); // Chromium keeps its connections open
      }),
  };
}

// ------------------------------------------------------------------------------ Chromium

let chromium;

/** Debian's Chromium through the root playwright-core (tests/chromium.mjs); launched once. */
async function browser() {
  if (!chromium) {
    const { launchChromium } = await import(join(ROOT, "tests/chromium.mjs"));
    chromium = await launchChromium();
  }
  return chromium.context;
}

export async function closeChromium() {
  if (chromium) await chromium.close();
  chromium = undefined;
}

/**
 * Opens `url`, waits for the page to write JSON into <pre id="result">, and returns it with
 * every page error, console error and failed request seen meanwhile.
 */
export async function pageResult(url, timeoutMs = 30_000) {
  const page = await (await browser()).newPage();
  const problems = [];
  let crashed;
  const crash = new Promise((_, reject) => (crashed = reject));
  crash.catch(() => {});
  page.on("pageerror", (err) => {
    problems.push(`page error: ${err.message}`);
    // An uncaught error at load means no result will come: give up after a grace second.
    setTimeout(() => crashed(new Error(`no result on ${url}:\n${problems.join("\n")}`)), 1000);
  });
  page.on("console", (msg) => {
    // Chromium asks every page for /favicon.ico; these pages have none.
    if (msg.type() === "error" && !msg.location()?.url?.endsWith("/favicon.ico")) {
      problems.push(`console error: ${msg.text()} ${msg.location()?.url ?? ""}`);
    }
  });
  page.on("requestfailed", (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on("response", (res) => {
    if (res.status() >= 400 && !res.url().endsWith("/favicon.ico")) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  try {
    await page.goto(url);
    const handle = await Promise.race([
      page
        .waitForFunction(() => document.getElementById("result")?.textContent || undefined, undefined, { timeout: timeoutMs })
        .catch((err) => {
          throw new Error(`no result on ${url}: ${err.message}\n${problems.join("\n")}`);
        }),
      crash,
    ]);
    const text = await handle.jsonValue();
    return { result: JSON.parse(text), problems };
  } finally {
    await page.close();
  }
}
