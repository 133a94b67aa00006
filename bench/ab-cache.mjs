// A/B of cached verifies between two package builds: node bench/ab-cache.mjs <pkg dir A> <pkg dir B>
// (ROUNDS=30, N=5000). One password each, verifyRequest on the same Request (a cache hit after
// the first), 30 interleaved rounds of N verifies a side in one process; per-round time ratios.
import { dirUrl } from "./lib.mjs";

const [a, b] = process.argv.slice(2);
if (!a || !b) throw new Error("usage: node bench/ab-cache.mjs <pkg dir A> <pkg dir B>");
const sides = {};
for (const [name, dir] of [["a", a], ["b", b]]) {
  const pkg = await import(dirUrl(dir, "node.js"));
  const svc = new pkg.AppPasswords({ store: pkg.memoryStore(), cache: { ttlMs: 3_600_000, maxEntries: 100 } });
  const { password } = await svc.create({ user: "alice", label: "x", scopes: ["repository"] });
  const request = new Request("https://api.example.com/api", { headers: { authorization: `Basic ${btoa(`alice:${password}`)}` } });
  sides[name] = async () => {
    const r = await svc.verifyRequest(request, { require: ["repository"] });
    if (!r.ok) throw new Error(`refused: ${JSON.stringify(r)}`);
  };
  for (let i = 0; i < 1000; i++) await sides[name]();
}
const N = +(process.env.N || 5000);
const t = { a: [], b: [] };
for (let i = 0; i < +(process.env.ROUNDS || 30); i++) {
  for (const k of i % 2 ? ["a", "b"] : ["b", "a"]) {
    const s = performance.now();
    for (let j = 0; j < N; j++) await sides[k]();
    t[k].push((performance.now() - s) / N);
  }
}
const med = (x) => [...x].sort((p, q) => p - q)[x.length >> 1];
console.log(`a ${(1000 / med(t.a)).toFixed(0)}/s, b ${(1000 / med(t.b)).toFixed(0)}/s; b/a time, median of per-round ratios ${med(t.b.map((v, i) => v / t.a[i])).toFixed(3)}`);
