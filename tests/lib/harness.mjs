// The harness shared by tests/cli/lib.mjs and tests/packaging/lib.mjs: checks and their tally
// (each runner ends with "N passed, M failed"), commands and long-running processes each in their
// own process group (listed in a pid file that the calling script's trap reads), stopAll,
// waitForHttp, freePort, and fresh projects with the packed tarball installed by name.
//
// Checks are module-wide (one runner per process). What depends on the script that started the
// runner (its WORK / TARBALL / pid file variables, the projects folder, the package name prefix)
// comes from `createHarness`.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// ------------------------------------------------------------------------------ checks

export const tally = { passed: 0, failed: 0, failures: [] };

/** The first 40 lines of `text`, indented under a FAIL line. */
export function indent(text) {
  return String(text).trimEnd().split("\n").slice(0, 40).join("\n      ");
}

/** The last `lines` lines of `text`. */
export function tail(text, lines = 25) {
  return String(text).trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Runs one check; prints one line (and the error under it when it fails). A string the check
 * returns is printed after its name.
 */
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
    console.log(`FAIL  ${name} ${took()}\n      ${indent((error && error.stack) || error)}`);
    return false;
  }
}

/** The same as `check`, but a failure stops the section (its later checks would only repeat it). */
export async function must(name, fn) {
  if (!(await check(name, fn))) throw new SkipRest();
}
export class SkipRest extends Error {}

// ----------------------------------------------------------------------------- processes

export function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Ends `child`'s process group: `signal`, SIGKILL after 5 s, then SIGKILL for what the leader left. */
async function stopChild(child, signal = "SIGTERM") {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  killGroup(child.pid, signal);
  const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
  killGroup(child.pid, "SIGKILL"); // anything the leader left behind in its group
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

/**
 * The harness of one runner:
 * - `url`: the runner's lib.mjs (`import.meta.url`): HERE is its folder, ROOT the repository,
 *   PROJECTS its projects/ folder (where freshProject copies files from);
 * - `envPrefix`: its variables are `${envPrefix}_WORK`, `_TARBALL` and `_PIDFILE`;
 * - `script`: the script that sets them (named when one is missing);
 * - `packagePrefix`: a fresh project's package.json name is `${packagePrefix}-${name}`;
 * - `installTitle`: the words before the tarball's name in freshProject's check;
 * - `logTail(text)`: what of a server's log waitForHttp shows when it gives up;
 * - `pollMs`: waitForHttp's interval between attempts.
 */
export function createHarness({ url, envPrefix, script, packagePrefix, installTitle = "npm install", logTail = tail, pollMs = 250 }) {
  const HERE = dirname(fileURLToPath(url));
  const ROOT = resolve(HERE, "../..");
  const PROJECTS = join(HERE, "projects");
  function env(name) {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run this through ${script}`);
    return value;
  }
  const WORK = env(`${envPrefix}_WORK`);
  const TARBALL = env(`${envPrefix}_TARBALL`);
  const PIDFILE = env(`${envPrefix}_PIDFILE`);

  const live = new Map(); // pid -> child: every process group still running

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

  /**
   * Runs a command to completion in its own process group, SIGKILLed after `timeoutMs`; resolves
   * `{ code, signal, stdout, stderr, timedOut }` whatever the exit code. `input` is written to its
   * stdin (`null`: no stdin at all).
   */
  function spawnCommand(cmd, args, { cwd, env: extra = {}, input = null, timeoutMs }) {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(cmd, args, {
        cwd,
        env: { ...process.env, ...extra },
        detached: true,
        stdio: [input === null ? "ignore" : "pipe", "pipe", "pipe"],
      });
      track(child);
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
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
        resolvePromise({ code, signal, stdout, stderr, timedOut });
      });
      if (input !== null) {
        child.stdin.on("error", () => {}); // a command may exit without reading its input
        child.stdin.end(input);
      }
    });
  }

  /** Starts a long-running process, output to WORK/logs/<name>.log; `stop()` ends its whole group. */
  function startProcess(name, cmd, args, { cwd, env: extra = {} } = {}) {
    mkdirSync(join(WORK, "logs"), { recursive: true });
    const logPath = join(WORK, "logs", `${name}.log`);
    const fd = openSync(logPath, "a");
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...extra }, detached: true, stdio: ["ignore", fd, fd] });
    track(child);
    return {
      child,
      log: () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : ""),
      stop: (signal = "SIGTERM") => stopChild(child, signal),
    };
  }

  /** Stops every process group this run started (servers, and commands cut short). */
  async function stopAll() {
    await Promise.all([...live.values()].map((child) => stopChild(child)));
  }

  /** Waits until `url` answers at all (any status), or throws with the server's log. */
  async function waitForHttp(url, server, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        throw new Error(`the server exited (${server.child.exitCode ?? server.child.signalCode}) before answering\n${logTail(server.log())}`);
      }
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, pollMs));
      }
    }
    throw new Error(`no answer from ${url} in ${timeoutMs} ms\n${logTail(server.log())}`);
  }

  /**
   * A fresh project WORK/<name>, as one `must` check: package.json (ESM), files copied from
   * PROJECTS (`{ from: to }`, paths relative to it and to the project), the packed tarball
   * installed by name with npm, offline (it has no dependencies), then `after(dir)` (the runner's
   * own checks and additions). `note` ends the check's name.
   */
  async function freshProject(name, { files = {}, note = "", after } = {}) {
    const dir = join(WORK, name);
    await must(`${name}: fresh project, ${installTitle} ${basename(TARBALL)}${note}`, async () => {
      mkdirSync(dir, { recursive: true });
      const manifest = { name: `${packagePrefix}-${basename(dir)}`, private: true, type: "module" };
      writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
      for (const [from, to] of Object.entries(files)) {
        const target = join(dir, to);
        mkdirSync(dirname(target), { recursive: true });
        cpSync(join(PROJECTS, from), target, { recursive: true });
      }
      const args = ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", TARBALL];
      const npm = await spawnCommand("npm", args, { cwd: dir, timeoutMs: 60_000 });
      if (npm.code !== 0 || npm.timedOut) {
        const why = npm.timedOut ? "timed out after 60000 ms" : `exited with ${npm.code ?? npm.signal}`;
        throw new Error(`npm ${args.join(" ")}: ${why}\n${tail(npm.stdout + npm.stderr)}`);
      }
      if (after) await after(dir);
    });
    return dir;
  }

  return { HERE, ROOT, PROJECTS, WORK, TARBALL, spawnCommand, startProcess, stopAll, waitForHttp, freshProject };
}
