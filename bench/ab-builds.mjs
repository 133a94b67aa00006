// A/B of package builds: node bench/ab-builds.mjs <pkg dir A> <pkg dir B> [more dirs] (ROUNDS=25).
// One OWASP Argon2id hash each, interleaved with hash-wasm in one process, the order rotated every
// round; per-round ratios. Each build prints its time ÷ hash-wasm's and ÷ the first build's.
import { dirUrl } from "./lib.mjs";

const dirs = process.argv.slice(2);
if (dirs.length < 2) throw new Error("usage: node bench/ab-builds.mjs <pkg dir A> <pkg dir B> [more]");
const P = { memoryKiB: 19456, iterations: 2, parallelism: 1 };
const builds = await Promise.all(dirs.map((dir) => import(dirUrl(dir, "node.js"))));
const hw = await import("hash-wasm");
const salt = new Uint8Array(16).fill(7);
const runs = builds.map((build) => () => build.hashPassword("correct horse battery staple", P));
// hash-wasm last: the yardstick that every build's time is divided by, round by round.
runs.push(() => hw.argon2id({ password: "correct horse battery staple", salt, parallelism: 1, iterations: 2, memorySize: 19456, hashLength: 32, outputType: "encoded" }));
for (const run of runs) { await run(); await run(); }
const times = runs.map(() => []);
for (let round = 0; round < +(process.env.ROUNDS || 25); round++) {
  for (let k = 0; k < runs.length; k++) {
    const which = (k + round) % runs.length;
    const start = performance.now(); await runs[which](); times[which].push(performance.now() - start);
  }
}
const median = (x) => [...x].sort((p, q) => p - q)[x.length >> 1];
const ratio = (a, b) => median(a.map((v, i) => v / b[i]));
const hashWasm = times[runs.length - 1];
dirs.forEach((dir, k) => {
  console.log(`${String.fromCharCode(97 + k)} ${dir}: ÷ hash-wasm ${ratio(times[k], hashWasm).toFixed(3)} (min-ratio ${(Math.min(...times[k]) / Math.min(...hashWasm)).toFixed(3)}); ÷ a ${ratio(times[k], times[0]).toFixed(3)}`);
});
