// Shared helpers of the benchmark suite: where things are, how many rounds, statistics,
// result files, and an independent implementation of the password format (to fabricate
// well-formed passwords the service never issued).

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const root = resolve(benchDir, "..");
/** The package under test: a snapshot of pkg/ made by run.mjs, or pkg/ itself. */
export const pkgDir = resolve(process.env.BENCH_PKG || join(root, "pkg"));
export const pkgUrl = (file) => pathToFileURL(join(pkgDir, file)).href;
/** A file of a package directory named on the command line (relative to the working directory), as an import URL. */
export const dirUrl = (dir, file) => pathToFileURL(resolve(dir, file)).href;
export const resultsDir = resolve(process.env.BENCH_RESULTS || join(benchDir, ".results"));
export const QUICK = process.env.BENCH_QUICK === "1";

/** `full` rounds normally, `quick` with BENCH_QUICK=1. */
export const rounds = (full, quick) => (QUICK ? quick : full);

/** Argon2id, OWASP: m=19456 KiB, t=2, p=1, 32-byte tag. */
export const OWASP = Object.freeze({ memoryKiB: 19456, iterations: 2, parallelism: 1 });
export const TAG_LEN = 32;
export const PASSWORD = "correct horse battery staple";
/** A fixed 16-byte salt for the peers (ours draws its own; the cost does not depend on it). */
export const SALT = Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff);

export function median(values) {
  const v = [...values].filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export const min = (values) => Math.min(...values);

export function quantile(values, q) {
  const v = [...values].sort((a, b) => a - b);
  if (!v.length) return NaN;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

/** `list` rotated left by `n`: round r runs the implementations starting at a different one. */
export const rotate = (list, n) => list.map((_, i) => list[(i + n) % list.length]);

export const round2 = (x, digits = 3) => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : null);

/** Writes this section's results (merged into docs/BENCHMARKS.md by report.mjs). */
export function writeResult(section, data) {
  mkdirSync(resultsDir, { recursive: true });
  const body = { section, quick: QUICK, measuredAt: new Date().toISOString(), ...data };
  writeFileSync(join(resultsDir, `${section}.json`), JSON.stringify(body, null, 2) + "\n");
  return body;
}

export function readResult(section) {
  try {
    return JSON.parse(readFileSync(join(resultsDir, `${section}.json`), "utf8"));
  } catch {
    return null;
  }
}

export function log(...args) {
  console.log(...args);
}

export const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));

// ---------------------------------------------------------------- the password format (docs/design.md#the-password)

export { ALPHABET, crc32, randomBase62, withCheck } from "../tests/js/checksum.mjs";
import { randomBase62, withCheck } from "../tests/js/checksum.mjs";

export const wellFormed = (id = randomBase62(12), secret = randomBase62(32), prefix = "apw") =>
  withCheck(`${prefix}_${id}${secret}`);

// ------------------------------------------------------------------------------ PHC strings

export const b64 = (bytes) => Buffer.from(bytes).toString("base64").replace(/=+$/, "");
export const unb64 = (text) => new Uint8Array(Buffer.from(text, "base64"));

/** The salt and tag of `$argon2id$v=19$m=..,t=..,p=..$salt$tag`. */
export function parsePhc(phc) {
  const parts = phc.split("$");
  if (parts.length !== 6) throw new Error(`not a PHC string: ${phc}`);
  const params = Object.fromEntries(parts[3].split(",").map((kv) => kv.split("=")));
  return { alg: parts[1], version: parts[2], params, salt: unb64(parts[4]), tag: unb64(parts[5]) };
}

export const phcOf = (salt, tag, { memoryKiB, iterations, parallelism } = OWASP) =>
  `$argon2id$v=19$m=${memoryKiB},t=${iterations},p=${parallelism}$${b64(salt)}$${b64(tag)}`;

export const hex = (bytes) => Buffer.from(bytes).toString("hex");
