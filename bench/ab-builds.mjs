// A/B of two package builds: node bench/ab-builds.mjs <pkg dir A> <pkg dir B> (ROUNDS=25).
// One OWASP Argon2id hash each, interleaved with hash-wasm in one process; per-round ratios.
const [a, b] = process.argv.slice(2);
const P = { memoryKiB: 19456, iterations: 2, parallelism: 1 };
const A = await import(a + "/node.js"), B = await import(b + "/node.js");
const hw = await import("hash-wasm");
const salt = new Uint8Array(16).fill(7);
const runs = {
  a: () => A.hashPassword("correct horse battery staple", P),
  b: () => B.hashPassword("correct horse battery staple", P),
  hw: () => hw.argon2id({ password: "correct horse battery staple", salt, parallelism: 1, iterations: 2, memorySize: 19456, hashLength: 32, outputType: "encoded" }),
};
for (const f of Object.values(runs)) { await f(); await f(); }
const t = { a: [], b: [], hw: [] };
for (let i = 0; i < +(process.env.ROUNDS || 25); i++) {
  for (const k of i % 2 ? ["a", "b", "hw"] : ["hw", "b", "a"]) {
    const s = performance.now(); await runs[k](); t[k].push(performance.now() - s);
  }
}
const med = (x) => [...x].sort((p, q) => p - q)[x.length >> 1];
const min = (x) => Math.min(...x);
const ratio = (k) => med(t[k].map((v, i) => v / t.hw[i]));
console.log(`a/hw median-of-ratios ${ratio("a").toFixed(3)} min-ratio ${(min(t.a) / min(t.hw)).toFixed(3)}; b/hw ${ratio("b").toFixed(3)} min-ratio ${(min(t.b) / min(t.hw)).toFixed(3)}; b/a ${med(t.b.map((v, i) => v / t.a[i])).toFixed(3)}`);
