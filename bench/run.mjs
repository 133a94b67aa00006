// Runs the benchmark sections, each in its own process, then regenerates docs/BENCHMARKS.md
// from the measured numbers (bench/report.mjs).
//
//   node bench/run.mjs                 every section, then the document
//   node bench/run.mjs peers workerd   only these sections (printed; the document is left alone
//                                      unless --doc is given)
//   node bench/run.mjs --report-only   the document again from the last full run's results
//   BENCH_QUICK=1 node bench/run.mjs   fewer rounds everywhere (for iteration; the document
//                                      says so)
//
// The package is measured from a snapshot of pkg/ copied to a temporary directory first, so a
// rebuild of pkg/ during the run cannot change what is measured half-way.

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { QUICK, benchDir, resultsDir, root } from "./lib.mjs";
import { writeReport } from "./report.mjs";

export const SECTIONS = {
  startup: ["node.mjs", "startup"],
  peers: ["node.mjs", "peers"],
  app: ["node.mjs", "app"],
  memory: ["node.mjs", "memory"],
  timing: ["node.mjs", "timing"],
  workerd: ["workerd.mjs"],
  browser: ["browser.mjs"],
  storecalls: ["store-calls.mjs"],
  native: ["native.mjs"],
  caveats: ["node.mjs", "caveats"],
  canary: ["node.mjs", "canary"],
};

const args = process.argv.slice(2);
if (args.includes("--report-only")) {
  // Regenerates the document from the last run's results (after an edit of report.mjs).
  const meta = JSON.parse(readFileSync(join(resultsDir, "meta.json"), "utf8"));
  console.log(`wrote ${writeReport(meta).replace(root + "/", "")} from ${resultsDir.replace(root + "/", "")}`);
  process.exit(0);
}
const writeDoc = args.includes("--doc");
const chosen = args.filter((a) => !a.startsWith("--"));
for (const name of chosen) {
  if (!SECTIONS[name]) {
    console.error(`unknown section ${name}; sections: ${Object.keys(SECTIONS).join(" ")}`);
    process.exit(2);
  }
}
const all = chosen.length === 0;
const sections = all ? Object.keys(SECTIONS) : chosen;

const sh = (cmd, argv) => {
  try {
    return execFileSync(cmd, argv, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
};

// ---- snapshot of the package (waiting out a rebuild of pkg/ that another process may be doing)
const source = process.env.BENCH_PKG || join(root, "pkg");
const REQUIRED = ["app_passwords_bg.wasm", "app_passwords.js", "api.js", "stores.js", "node.js", "web.js", "workerd.js"];
const settled = () => {
  try {
    const newest = Math.max(...readdirSync(source).map((f) => statSync(join(source, f)).mtimeMs));
    return REQUIRED.every((f) => existsSync(join(source, f))) && Date.now() - newest > 3000;
  } catch {
    return false;
  }
};
for (let waited = 0; !settled(); waited += 2) {
  if (waited >= 180) {
    console.error(`${source} is incomplete (${REQUIRED.join(", ")}) or still changing: build it first (bash scripts/build-pkg.sh)`);
    process.exit(1);
  }
  if (waited === 0) console.log(`waiting for ${source} to be complete and unchanged for 3 s...`);
  await new Promise((r) => setTimeout(r, 2000));
}
const snapshotDir = mkdtempSync(join(tmpdir(), "app-passwords-bench-pkg-"));
const pkgSnapshot = join(snapshotDir, "pkg");
cpSync(source, pkgSnapshot, { recursive: true });
const wasmBytes = readFileSync(join(pkgSnapshot, "app_passwords_bg.wasm"));

const meta = {
  date: new Date().toISOString(),
  quick: QUICK,
  nproc: availableParallelism(),
  cpuModel: (readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? cpus()[0]?.model,
  node: process.version,
  kernel: release(),
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  loadBefore: loadavg(),
  commit: sh("git", ["rev-parse", "--short", "HEAD"]),
  dirty: (sh("git", ["status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock", "pkg-template", "build.rs"]) ?? "") !== "",
  wasmSha256: createHash("sha256").update(wasmBytes).digest("hex"),
  pkgBuilt: new Date(statSync(join(source, "app_passwords_bg.wasm")).mtimeMs).toISOString(),
  pkgSource: source,
  sections,
  failed: [],
};

if (all) rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });
const t0 = performance.now();
try {
  for (const name of sections) {
    const [file, ...rest] = SECTIONS[name];
    console.log(`\n== ${name}: node bench/${[file, ...rest].join(" ")}${QUICK ? " (BENCH_QUICK=1)" : ""}`);
    const s0 = performance.now();
    const res = spawnSync(process.execPath, [join(benchDir, file), ...rest], {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, BENCH_PKG: pkgSnapshot, BENCH_RESULTS: resultsDir },
    });
    const seconds = (performance.now() - s0) / 1000;
    if (res.status !== 0) {
      meta.failed.push(name);
      console.log(`!! ${name} failed (${res.signal ?? `exit ${res.status}`}) after ${seconds.toFixed(0)} s`);
    } else {
      console.log(`   (${seconds.toFixed(0)} s)`);
    }
  }
} finally {
  rmSync(snapshotDir, { recursive: true, force: true });
}
meta.seconds = (performance.now() - t0) / 1000;
meta.loadAfter = loadavg();

if (all) writeFileSync(join(resultsDir, "meta.json"), JSON.stringify(meta, null, 2) + "\n");
if (all || writeDoc) {
  const path = writeReport(meta);
  console.log(`\nwrote ${path.replace(root + "/", "")} (${meta.seconds.toFixed(0)} s in all)`);
}
if (meta.failed.length) {
  console.log(`failed sections: ${meta.failed.join(", ")}`);
  process.exit(1);
}
