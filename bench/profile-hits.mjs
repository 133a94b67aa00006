// Where a cache hit's time goes: bash bench/profile-hits.sh [verify|verifyRequest] builds a copy
// of pkg/ whose wasm keeps its function names and runs this under `node --cpu-prof`; then
// this prints the functions with the most self time. Two modes:
//   node bench/profile-hits.mjs loop <pkg dir> <verify|verifyRequest>   240,000 cache hits
//   node bench/profile-hits.mjs summary <file.cpuprofile> [rows]       self time, largest first
// A `wasm-to-js:<signature>-<import>` row is V8's wrapper for every import of that signature,
// named after one of them (a getrandom row in a cache hit is the string reader's wrapper).
import { readFileSync } from "node:fs";
import { dirUrl } from "./lib.mjs";

const [mode, target, arg] = process.argv.slice(2);
if (mode === "loop") {
  const api = await import(dirUrl(target, "node.js"));
  const svc = new api.AppPasswords({ store: api.memoryStore(), cache: { ttlMs: 3_600_000, maxEntries: 1000 } });
  const { password } = await svc.create({ user: "dave", label: "script", scopes: ["repository"] });
  const request = new Request("https://api.example.com/api", { headers: { authorization: `Basic ${btoa(`dave:${password}`)}` } });
  const hit =
    arg === "verifyRequest"
      ? () => svc.verifyRequest(request, { require: ["repository"] })
      : () => svc.verify({ username: "dave", password, require: ["repository"] });
  await hit();
  const rates = [];
  for (let round = 0; round < 12; round++) {
    const t0 = performance.now();
    for (let i = 0; i < 20_000; i++) if (!(await hit()).cached) throw new Error("a cache miss");
    rates.push(Math.round(20_000 / ((performance.now() - t0) / 1000)));
  }
  console.log(`${arg ?? "verify"} cache hits per second, by round: ${rates.join(" ")}`);
} else if (mode === "summary") {
  const profile = JSON.parse(readFileSync(target, "utf8"));
  const spent = new Map();
  profile.samples.forEach((node, i) => spent.set(node, (spent.get(node) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const self = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const us = spent.get(node.id) ?? 0;
    total += us;
    const { functionName, url } = node.callFrame;
    const name = `${functionName || "(anonymous)"} ${url.split("/").pop()}`;
    self.set(name, (self.get(name) ?? 0) + us);
  }
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, +(arg ?? 30))) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${name.slice(0, 160)}`);
  }
} else {
  throw new Error("usage: bash bench/profile-hits.sh [verify|verifyRequest] (see this file)");
}
