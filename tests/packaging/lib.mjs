// The harness of tests/packaging/run.mjs: checks and their report, fresh projects with the packed
// tarball installed by name, commands and servers (each in its own process group, registered in
// a pid file that scripts/test-packaging.sh's trap reads), a static file server, Chromium.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { basename, dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, "../..");
export const PROJECTS = join(HERE, "projects");
/** The pinned tools (tests/packaging/package.json); never on PATH (node22/node24 both ship a `node`). */
export const TOOLS = join(HERE, "node_modules");

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through scripts/test-packaging.sh`);
  return value;
}
export const WORK = env("PACKAGING_WORK");
export const TARBALL = env("PACKAGING_TARBALL");
const PIDFILE = env("PACKAGING_PIDFILE");

// ------------------------------------------------------------------------------ checks

export const tally = { passed: 0, failed: 0, failures: [] };

function indent(text) {
  return String(text).trimEnd().split("\n").slice(0, 40).join("\n      ");
}

/** Runs one check; prints one line (and the error under it when it fails). */
export async function check(name, fn) {
  const started = Date.now();
  const took = () => `(${((Date.now() - started) / 1000).toFixed(1)} s)`;
  try {
    await fn();
    tally.passed++;
    console.log(`ok    ${name} ${took()}`);
    return true;
  } catch (error) {
    tally.failed++;
    tally.failures.push(name);
    console.log(`FAIL  ${name} ${took()}\n      ${indent((error && error.stack) || error)}`);
    return false;
  }
}

/** The same as `check`, but a failure stops the path (its later checks would only repeat it). */
export async function must(name, fn) {
  if (!(await check(name, fn))) throw new SkipRest();
}
export class SkipRest extends Error {}

// ---------------------------------------------------------------------------- processes

const live = new Map(); // pid -> child, every process group still running

function writePids() {
  writeFileSync(PIDFILE, [...live.keys()].map((pid) => `${pid}\n`).join(""));
}

function track(child) {
  live.set(child.pid, child);
  writePids();
  child.once("exit", () => {
    live.delete(child.pid);
    writePids();
  });
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Stops every process group this run started (servers, and commands cut short). */
export async function stopAll() {
  await Promise.all([...live.values()].map((child) => stopChild(child)));
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  killGroup(child.pid, "SIGTERM");
  const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
  killGroup(child.pid, "SIGKILL"); // anything the leader left behind in its group
}

/**
 * Runs a command to completion. Rejects with its output when it exits non-zero or outlives
 * `timeoutMs`. Resolves `{ stdout, stderr }`.
 */
export function run(cmd, args, { cwd, env: extraEnv = {}, timeoutMs = 120_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, ...extraEnv },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    track(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && !timedOut) return resolvePromise({ stdout, stderr });
      const why = timedOut ? `timed out after ${timeoutMs} ms` : `exited with ${code ?? signal}`;
      reject(new Error(`${[cmd, ...args].join(" ")}: ${why}\n${tail(stdout + stderr)}`));
    });
  });
}

export function tail(text, lines = 25) {
  return String(text).trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Starts a long-running command (a dev server) in its own process group, output to a log file.
 * `stop()` ends the whole group; `log()` reads what it printed.
 */
export function startServer(name, cmd, args, { cwd, env: extraEnv = {} } = {}) {
  mkdirSync(join(WORK, "logs"), { recursive: true });
  const logPath = join(WORK, "logs", `${name}.log`);
  const fd = openSync(logPath, "a");
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...extraEnv },
    detached: true,
    stdio: ["ignore", fd, fd],
  });
  track(child);
  return {
    child,
    log: () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : ""),
    stop: () => stopChild(child),
  };
}

/** Waits until `url` answers at all (any status), or throws with the server's log. */
export async function waitForHttp(url, server, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`the server exited (${server.child.exitCode ?? server.child.signalCode}) before answering\n${tail(server.log())}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`no answer from ${url} in ${timeoutMs} ms\n${tail(server.log())}`);
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolvePromise, reject) => {
    const srv = createNetServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePromise(port));
    });
  });
}

// ----------------------------------------------------------------------------- projects

/**
 * A fresh project in WORK/<name>: package.json (ESM), the listed files copied from
 * tests/packaging/projects (`{ "from": "to" }`, paths relative to projects/ and to the project),
 * then the packed tarball installed by name with npm, offline (it has no dependencies).
 */
export async function freshProject(name, files) {
  const dir = join(WORK, name);
  await must(`${name}: fresh project, npm install --offline ${basename(TARBALL)}`, () => install(dir, files));
  return dir;
}

async function install(dir, files) {
  const name = basename(dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: `packaging-${name}`, private: true, type: "module" }, null, 2)}\n`);
  for (const [from, to] of Object.entries(files)) {
    const target = join(dir, to);
    mkdirSync(dirname(target), { recursive: true });
    cpSync(join(PROJECTS, from), target, { recursive: true });
  }
  await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", TARBALL], {
    cwd: dir,
    timeoutMs: 60_000,
  });
  const installed = JSON.parse(readFileSync(join(dir, "node_modules/app-passwords/package.json"), "utf8"));
  assert.equal(installed.name, "app-passwords");
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  assert.match(manifest.dependencies["app-passwords"], /^file:.*\.tgz$/);
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
