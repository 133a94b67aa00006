// The harness of tests/cli/run.mjs: checks and their report, fresh projects with the packed
// tarball installed by name (and this folder's node-redis / Hono linked in where a test needs
// them), commands run to completion with their exit code, servers in their own process groups
// (listed in a pid file that scripts/test-cli.sh's trap reads), free loopback ports.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, "../..");
export const PROJECTS = join(HERE, "projects");
export const PEERS = join(HERE, "node_modules");
/** The pinned tools of tests/packaging (Bun, Node 22 for wrangler, wrangler, TypeScript). */
export const TOOLS = join(ROOT, "tests/packaging/node_modules");

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through scripts/test-cli.sh`);
  return value;
}
export const WORK = env("CLI_WORK");
export const TARBALL = env("CLI_TARBALL");
const PIDFILE = env("CLI_PIDFILE");

// ------------------------------------------------------------------------------ checks

export const tally = { passed: 0, failed: 0, failures: [] };

/** Runs one check; prints one line (and the error under it when it fails). */
export async function check(name, fn) {
  const started = Date.now();
  const took = () => `(${((Date.now() - started) / 1000).toFixed(1)} s)`;
  try {
    const note = await fn();
    tally.passed++;
    console.log(`ok    ${name}${typeof note === "string" ? `: ${note}` : ""} ${took()}`);
    return true;
  } catch (error) {
    tally.failed++;
    tally.failures.push(name);
    const text = String((error && error.stack) || error).trimEnd().split("\n").slice(0, 40).join("\n      ");
    console.log(`FAIL  ${name} ${took()}\n      ${text}`);
    return false;
  }
}

/** The same as `check`, but a failure stops the section (its later checks would only repeat it). */
export async function must(name, fn) {
  if (!(await check(name, fn))) throw new SkipRest();
}
export class SkipRest extends Error {}

// ---------------------------------------------------------------------------- processes

const live = new Map(); // pid -> child: every process group still running

function track(child) {
  live.set(child.pid, child);
  writeFileSync(PIDFILE, [...live.keys()].map((p) => `${p}\n`).join(""));
  child.once("exit", () => {
    live.delete(child.pid);
    writeFileSync(PIDFILE, [...live.keys()].map((p) => `${p}\n`).join(""));
  });
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // gone already
  }
}

/**
 * Runs a command to completion (its own process group, killed after `timeoutMs`); resolves
 * `{ code, signal, stdout, stderr }`, whatever the exit code.
 */
export function run(cmd, args, { cwd, env: extra = {}, input, timeoutMs = 60_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...extra }, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    track(child);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      killGroup(child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.on("error", () => {}); // a command may exit without reading its input
    child.stdin.end(input ?? "");
  });
}

/** Starts a long-running process, output to a log file; `stop()` ends its whole group. */
export function startProcess(name, cmd, args, { cwd, env: extra = {} } = {}) {
  mkdirSync(join(WORK, "logs"), { recursive: true });
  const logPath = join(WORK, "logs", `${name}.log`);
  const fd = openSync(logPath, "a");
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...extra }, detached: true, stdio: ["ignore", fd, fd] });
  track(child);
  const exited = new Promise((r) => child.once("exit", r));
  return {
    child,
    log: () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : ""),
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child.pid, signal);
      const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
      killGroup(child.pid, "SIGKILL"); // anything left in its group
    },
  };
}

/** Stops every process group this run started. */
export async function stopAll() {
  await Promise.all(
    [...live.values()].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      killGroup(child.pid, "SIGTERM");
      const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

/** Waits until `url` answers at all, or throws with the server's log. */
export async function waitForHttp(url, server, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`the server exited (${server.child.exitCode ?? server.child.signalCode}) before answering\n${server.log().slice(-3000)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`no answer from ${url} in ${timeoutMs} ms\n${server.log().slice(-3000)}`);
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePromise(port));
    });
  });
}

// ----------------------------------------------------------------------------- projects

/**
 * A fresh project WORK/<name>: package.json (ESM), files copied from tests/cli/projects
 * (`{ from: to }`), the packed tarball installed by name with npm (offline: it has no
 * dependencies), then `peers` (package names) linked from tests/cli/node_modules, as if the
 * user had run `npm install redis hono`.
 */
export async function freshProject(name, { files = {}, peers = [] } = {}) {
  const dir = join(WORK, name);
  await must(`${name}: fresh project, npm install ${basename(TARBALL)}${peers.length ? ` (+ ${peers.join(", ")})` : ""}`, async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: `cli-${name}`, private: true, type: "module" }, null, 2)}\n`);
    for (const [from, to] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, to)), { recursive: true });
      cpSync(join(PROJECTS, from), join(dir, to), { recursive: true });
    }
    const npm = await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", TARBALL], { cwd: dir });
    if (npm.code !== 0) throw new Error(`npm install failed:\n${npm.stdout}${npm.stderr}`);
    if (!existsSync(join(dir, "node_modules/.bin/app-passwords"))) throw new Error("npm installed no app-passwords bin");
    for (const peer of peers) {
      const target = join(dir, "node_modules", peer);
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(join(PEERS, peer), target, "dir");
    }
  });
  return dir;
}

// No password or store from the caller's environment; npm offline (the bin is installed).
const CLI_ENV = { APP_PASSWORD: "", APP_PASSWORDS_STORE: "", npm_config_offline: "true", npm_config_update_notifier: "false" };

/** The CLI in `cwd` as a user runs it: `npx app-passwords ...` (npm's start-up adds about 1 s). */
export function npx(cwd, args, { input, env: extra = {}, timeoutMs = 30_000 } = {}) {
  return run("npx", ["--no-install", "app-passwords", ...args], { cwd, input, timeoutMs, env: { ...CLI_ENV, ...extra } });
}

/**
 * The same program without npm in front: node_modules/.bin/app-passwords, the link npm made and
 * npx runs, executed through its #! line. Most checks use it; `npx` checks every command once.
 */
export function cli(cwd, args, { input, env: extra = {}, timeoutMs = 30_000 } = {}) {
  return run(join(cwd, "node_modules/.bin/app-passwords"), args, { cwd, input, timeoutMs, env: { ...CLI_ENV, ...extra } });
}

/** Throws unless `result` exited with `code`; shows its output. */
export function expectExit(result, code, what = "") {
  if (result.code !== code) {
    throw new Error(`${what}expected exit ${code}, got ${result.code ?? result.signal}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`);
  }
  return result;
}

/** The JSON document a command printed on stdout. */
export function json(result) {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`stdout is not one JSON document:\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }
}
