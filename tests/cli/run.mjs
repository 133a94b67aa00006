// tests/cli: the package's command line, fileStore and app-passwords/hono as users get them: the
// packed tarball installed by name in fresh projects (tests/cli/lib.mjs), node-redis and Hono
// from this folder's lockfile linked in where a test needs them, every process a child of this
// one. Sections (all by default; names on the command line pick some):
//
//   cli-file      every command on the file store: exit codes, --json shapes, help, argv refusals, store errors
//   cli-redis     the store commands on a real redis-server (loopback port), and with it stopped
//   file-store    the store interface, kill -9 loop, two writers, store_locked, store_corrupt, 10,000 keys
//   hono-types    tsc (7 and 5.9) on typed consumers: bundler, nodenext, node16
//   hono-unit     the middleware's edges through app.request, and the app in Deno 2
//   hono-node     the app on @hono/node-server over the CLI's file store
//   hono-bun      the same on Bun
//   hono-wrangler the Worker (Hono + KV) on wrangler dev
//
// One line per check, each section's time, then "N passed, M failed"; exits non-zero on any
// failure or when nothing ran.
import { cliFile, cliRedis } from "./cli.mjs";
import { fileStoreSection } from "./file-store.mjs";
import { honoBun, honoInProcess, honoNode, honoTypes, honoWrangler } from "./hono.mjs";
import { SkipRest, check, stopAll, tally } from "./lib.mjs";

const SECTIONS = {
  "cli-file": cliFile,
  "cli-redis": cliRedis,
  "file-store": fileStoreSection,
  "hono-types": honoTypes,
  "hono-unit": honoInProcess,
  "hono-node": honoNode,
  "hono-bun": honoBun,
  "hono-wrangler": honoWrangler,
};

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    console.log(`\n${signal}: stopping every process`);
    stopAll().finally(() => process.exit(130));
  });
}

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in SECTIONS)) {
    console.error(`unknown section "${name}"; sections: ${Object.keys(SECTIONS).join(" ")}`);
    process.exit(2);
  }
}

const started = Date.now();
const times = [];
try {
  for (const [name, fn] of Object.entries(SECTIONS)) {
    if (wanted.length && !wanted.includes(name)) continue;
    console.log(`== ${name}`);
    const t = Date.now();
    const before = tally.passed + tally.failed;
    try {
      await fn();
    } catch (error) {
      if (!(error instanceof SkipRest)) await check(`${name}: setup`, () => Promise.reject(error));
    }
    if (tally.passed + tally.failed === before) await check(`${name}: ran no check`, () => Promise.reject(new Error("no check ran")));
    times.push(`${name} ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
} finally {
  await stopAll();
}
console.log(`times: ${times.join(", ")}`);
console.log(`cli: ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (tally.failures.length) console.log(`failed: ${tally.failures.join("; ")}`);
console.log(`${tally.passed} passed, ${tally.failed} failed`);
process.exitCode = tally.failed > 0 || tally.passed === 0 ? 1 : 0;
