// The harness of tests/cli/run.mjs: checks and their report, fresh projects with the packed
// tarball installed by name (and this folder's node-redis / Hono linked in where a test needs
// them), commands run to completion with their exit code, servers in their own process groups
// (listed in a pid file that scripts/test-cli.sh's trap reads), free loopback ports. What it
// shares with tests/packaging/lib.mjs is tests/lib/harness.mjs, set up here for CLI_* and
// re-exported; its own are run's exit-code answer, the peers of freshProject, npx / cli, expectExit
// and json.
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { createHarness } from "../lib/harness.mjs";

export { SkipRest, check, freePort, must, tally } from "../lib/harness.mjs";

const harness = createHarness({
  url: import.meta.url,
  envPrefix: "CLI",
  script: "scripts/test-cli.sh",
  packagePrefix: "cli",
  logTail: (text) => text.slice(-3000),
  pollMs: 200,
});
export const { HERE, ROOT, PROJECTS, WORK, TARBALL, startProcess, stopAll, waitForHttp } = harness;
export const PEERS = join(HERE, "node_modules");
/** The pinned tools of tests/packaging (Bun, Node 22 for wrangler, wrangler, TypeScript). */
export const TOOLS = join(ROOT, "tests/packaging/node_modules");

/**
 * Runs a command to completion (its own process group, killed after `timeoutMs`); resolves
 * `{ code, signal, stdout, stderr }`, whatever the exit code.
 */
export async function run(cmd, args, { cwd, env = {}, input, timeoutMs = 60_000 } = {}) {
  const { code, signal, stdout, stderr, timedOut } = await harness.spawnCommand(cmd, args, { cwd, env, input: input ?? "", timeoutMs });
  return { code, signal, stdout, stderr: timedOut ? `${stderr}\n(killed after ${timeoutMs} ms)` : stderr };
}

/**
 * A fresh project WORK/<name>: package.json (ESM), files copied from tests/cli/projects
 * (`{ from: to }`), the packed tarball installed by name with npm (offline: it has no
 * dependencies), then `peers` (package names) linked from tests/cli/node_modules, as if the
 * user had run `npm install redis hono`.
 */
export function freshProject(name, { files = {}, peers = [] } = {}) {
  return harness.freshProject(name, {
    files,
    note: peers.length ? ` (+ ${peers.join(", ")})` : "",
    after(dir) {
      if (!existsSync(join(dir, "node_modules/.bin/app-passwords"))) throw new Error("npm installed no app-passwords bin");
      for (const peer of peers) {
        const target = join(dir, "node_modules", peer);
        mkdirSync(dirname(target), { recursive: true });
        symlinkSync(join(PEERS, peer), target, "dir");
      }
    },
  });
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
