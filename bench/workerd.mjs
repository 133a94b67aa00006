// CPU time per verify request inside workerd (Miniflare, a KV namespace, the package's
// workerd entry), at the default profile and at "owasp".
//
// Local workerd does not freeze timers during compute (production does), so the worker's own
// clock says nothing useful: we read the CPU time of the workerd process itself
// (utime + stime in /proc/<pid>/stat, in clock ticks of `getconf CLK_TCK`) around a batch of
// sequential requests, and subtract the CPU of as many requests to a trivial route. Rounds are
// interleaved (noop, kv, default, owasp in rotating order); the figure is the median per round.
//
//   node bench/workerd.mjs          (BENCH_QUICK=1 for fewer requests)

import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  benchDir, fmtMs, log, median, pkgDir, randomBase62, root, rotate, rounds, wellFormed, writeResult,
} from "./lib.mjs";

const { Miniflare, Log, LogLevel } = await import(join(root, "node_modules/miniflare/dist/src/index.js"));
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** The workerd child of this process (Miniflare spawns it directly). */
function findWorkerd() {
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && comm.includes("workerd")) found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  if (found.length !== 1) throw new Error(`expected one workerd child of ${process.pid}, found ${found.length}`);
  return found[0];
}

/** CPU seconds of the process: utime + stime (fields 14 and 15 of /proc/<pid>/stat). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** CPU seconds from the scheduler (ns resolution), summed over the process's threads: a cross-check. */
function schedSeconds(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // thread ended
    }
  }
  return ns / 1e9;
}

const dir = mkdtempSync(join(tmpdir(), "app-passwords-bench-workerd-"));
cpSync(pkgDir, join(dir, "pkg"), { recursive: true });
cpSync(join(benchDir, "workerd-worker.mjs"), join(dir, "worker.mjs"));

const mf = new Miniflare({
  log: new Log(process.env.MINIFLARE_LOG ? LogLevel.DEBUG : LogLevel.WARN),
  host: "127.0.0.1",
  modules: true,
  scriptPath: join(dir, "worker.mjs"),
  modulesRoot: dir,
  modulesRules: [
    { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
    { type: "CompiledWasm", include: ["**/*.wasm"] },
  ],
  compatibilityDate: "2025-01-01",
  cf: false,
  kvNamespaces: ["APP_PASSWORDS"],
});

const BASE = "http://bench.test";
async function call(path, init) {
  const res = await mf.dispatchFetch(BASE + path, init);
  const body = await res.text();
  return { status: res.status, body };
}
const basic = (user, password) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

try {
  await mf.ready;
  const pid = findWorkerd();
  const workerdVersion = (() => {
    try {
      return JSON.parse(readFileSync(join(root, "node_modules/workerd/package.json"), "utf8")).version;
    } catch {
      return "unknown";
    }
  })();
  const created = {};
  for (const profile of ["default", "owasp"]) {
    const res = await call(`/create?profile=${profile}`, { method: "POST" });
    if (res.status !== 200) throw new Error(`create ${profile}: ${res.status} ${res.body}`);
    created[profile] = JSON.parse(res.body);
  }
  const kvKey = `app-passwords/v1/record/${created.default.id}`;
  const mtp = (phc) => phc.split("$")[3].replace(/,/g, "&");
  const kinds = {
    noop: () => call("/noop"),
    kv: () => call(`/kv?key=${encodeURIComponent(kvKey)}`),
    default: () => call("/verify?profile=default", { headers: basic("bench", created.default.password) }),
    owasp: () => call("/verify?profile=owasp", { headers: basic("bench", created.owasp.password) }),
    hashDefault: () => call(`/hash?${mtp(created.default.params)}`),
    hashOwasp: () => call(`/hash?${mtp(created.owasp.params)}`),
  };
  // Each verify must succeed, and a wrong password must be refused (a sanity check).
  for (const kind of ["default", "owasp"]) {
    const ok = await kinds[kind]();
    if (ok.status !== 200) throw new Error(`verify ${kind}: ${ok.status} ${ok.body}`);
  }
  const wrong = wellFormed(created.default.id, randomBase62(32)); // the right id, a wrong secret
  const refused = await call("/verify?profile=default", { headers: basic("bench", wrong) });
  if (refused.status !== 401) throw new Error(`a wrong password was not refused: ${refused.status}`);

  const N = rounds(200, 50);
  const counts = { noop: N, kv: N, default: N, owasp: rounds(20, 5), hashDefault: N, hashOwasp: rounds(20, 5) };
  const R = rounds(7, 2);
  // warm-up: JIT, the first-use lastUsedAt writes, KV caches
  for (const kind of Object.keys(kinds)) for (let i = 0; i < 5; i++) await kinds[kind]();

  const kvBefore = JSON.parse((await call("/kv-calls")).body);
  const cpu = Object.fromEntries(Object.keys(kinds).map((k) => [k, []])); // CPU ms per request, per round
  const sched = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  const wall = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  for (let r = 0; r < R; r++) {
    for (const kind of rotate(Object.keys(kinds), r)) {
      const n = counts[kind];
      const c0 = cpuSeconds(pid);
      const s0 = schedSeconds(pid);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const res = await kinds[kind]();
        if (res.status !== 200) throw new Error(`${kind}: ${res.status} ${res.body}`);
      }
      wall[kind].push((performance.now() - t0) / n);
      sched[kind].push(((schedSeconds(pid) - s0) * 1000) / n);
      cpu[kind].push(((cpuSeconds(pid) - c0) * 1000) / n);
    }
    log(`  round ${r + 1}/${R}: CPU ms/request ${Object.keys(kinds).map((k) => `${k} ${fmtMs(cpu[k][r])}`).join(", ")}`);
  }
  const kvAfter = JSON.parse((await call("/kv-calls")).body);
  const verifies = R * (counts.default + counts.owasp);
  const kvCallsPerVerify = Object.fromEntries(Object.keys(kvAfter).map((k) => [k, (kvAfter[k] - kvBefore[k]) / verifies]));
  const net = (kind, series) => median(series[kind].map((v, r) => v - series.noop[r]));
  const out = {
    miniflare: JSON.parse(readFileSync(join(root, "node_modules/miniflare/package.json"), "utf8")).version,
    workerd: workerdVersion, clockTicksPerSecond: CLK_TCK, rounds: R, requests: counts,
    profiles: { default: created.default.params, owasp: created.owasp.params },
    perRequestCpuMs: Object.fromEntries(Object.keys(kinds).map((k) => [k, median(cpu[k])])),
    perRequestWallMs: Object.fromEntries(Object.keys(kinds).map((k) => [k, median(wall[k])])),
    netCpuMs: Object.fromEntries(Object.keys(kinds).filter((k) => k !== "noop").map((k) => [k, net(k, cpu)])),
    kvCallsPerVerify,
    // Miniflare simulates KV inside the same workerd process, so a local KV read costs CPU there
    // that a production KV read (I/O) does not: this is the verify without the store read.
    // Net of the trivial baseline and of every KV read the verify made (record + tombstone).
    defaultMinusKvMs: median(cpu.default.map((v, r) => v - cpu.noop[r] - (kvCallsPerVerify.get ?? 1) * (cpu.kv[r] - cpu.noop[r]))),
    owaspMinusKvMs: median(cpu.owasp.map((v, r) => v - cpu.noop[r] - (kvCallsPerVerify.get ?? 1) * (cpu.kv[r] - cpu.noop[r]))),
    netSchedMs: Object.fromEntries(Object.keys(kinds).filter((k) => k !== "noop").map((k) => [k, net(k, sched)])),
  };
  // Both services share the namespace: make sure no verify re-hashed a record to the other profile.
  for (const profile of ["default", "owasp"]) {
    const now = (await call(`/params?id=${created[profile].id}`)).body;
    if (now !== created[profile].params) throw new Error(`${profile} record changed from ${created[profile].params} to ${now}`);
  }
  log(`workerd ${out.workerd}: CPU per verify request minus a trivial request: default (${out.profiles.default}) ${fmtMs(out.netCpuMs.default)} ms, owasp ${fmtMs(out.netCpuMs.owasp)} ms; one KV read ${fmtMs(out.netCpuMs.kv)} ms (default verify minus its KV reads ${fmtMs(out.defaultMinusKvMs)} ms); trivial request itself ${fmtMs(out.perRequestCpuMs.noop)} ms; hashPassword alone: default params ${fmtMs(out.netCpuMs.hashDefault)} ms, OWASP ${fmtMs(out.netCpuMs.hashOwasp)} ms; KV calls per verify ${JSON.stringify(kvCallsPerVerify)} (schedstat: default ${fmtMs(out.netSchedMs.default)}, owasp ${fmtMs(out.netSchedMs.owasp)})`);
  writeResult("workerd", out);
} finally {
  await mf.dispose();
  rmSync(dir, { recursive: true, force: true });
}
