// verify() with a username and password through two builds in one process, interleaved: a
// cache hit and a malformed password's refusal, 21 rounds of 5,000 verifies a side each, the
// median of the per-round time ratios (B ÷ A). Usage:
//   node bench/ab-verify.mjs <pkg dir A> <pkg dir B>
import { dirUrl } from "./lib.mjs";

const [a, b] = process.argv.slice(2);
if (!a || !b) throw new Error("usage: node bench/ab-verify.mjs <pkg dir A> <pkg dir B>");
async function setup(dir) {
  const api = await import(dirUrl(dir, "node.js"));
  const ap = new api.AppPasswords({ store: api.memoryStore(), cache: { ttlMs: 3_600_000, maxEntries: 1000 } });
  const c = await ap.create({ user: "alice", label: "x", scopes: ["repository"] });
  await ap.verify({ username: "alice", password: c.password, require: ["repository"] });
  return { ap, pw: c.password };
}
const A = await setup(a), B = await setup(b);
const N = 5000;
async function time(s, bad) { const t = performance.now(); for (let i = 0; i < N; i++) await s.ap.verify({ username: "alice", password: bad ? "garbage" : s.pw, require: ["repository"] }); return performance.now() - t; }
for (const bad of [false, true]) {
  await time(A, bad); await time(B, bad);
  const r = []; for (let i = 0; i < 21; i++) { const ta = await time(A, bad), tb = await time(B, bad); r.push(tb / ta); }
  r.sort((x, y) => x - y);
  console.log(bad ? "refusal" : "cache hit", "b/a", r[10].toFixed(3), "a", (N / (await time(A, bad)) * 1000).toFixed(0), "b", (N / (await time(B, bad)) * 1000).toFixed(0));
}
