// Whether this machine is in its slow or fast mode right now: node bench/modes.mjs [pkg dir]
// Each round times, in one process, 20,000 cache hits (verify), 20,000 looksLikeAppPassword,
// 20,000 JSON.parse of one verify answer, and 10^7 steps of an integer loop. On the 2-core
// machines here the first three jump together between two speeds about 1.6-1.8x apart,
// within one process and between processes, while the integer loop (no memory traffic) holds:
// the jumps are the machine's, not the code's. Compare builds in one process
// (bench/ab-*.mjs), never across runs.
import { dirUrl } from "./lib.mjs";

const dir = process.argv[2] ?? "pkg";
const api = await import(dirUrl(dir, "node.js"));
const svc = new api.AppPasswords({ store: api.memoryStore(), cache: { ttlMs: 3_600_000, maxEntries: 1000 } });
const { password } = await svc.create({ user: "dave", label: "script", scopes: ["repository"] });
const creds = { username: "dave", password, require: ["repository"] };
await svc.verify(creds);
const text = JSON.stringify(await svc.verify(creds));
const N = 20_000;
const rate = (t0) => `${Math.round(N / (performance.now() - t0))}k`;
for (let r = 0; r < +(process.env.ROUNDS || 12); r++) {
  let t0 = performance.now();
  for (let i = 0; i < N; i++) if (!(await svc.verify(creds)).cached) throw new Error("a cache miss");
  const hits = rate(t0);
  t0 = performance.now();
  for (let i = 0; i < N; i++) api.looksLikeAppPassword(password);
  const looks = rate(t0);
  t0 = performance.now();
  for (let i = 0; i < N; i++) JSON.parse(text);
  const parse = rate(t0);
  t0 = performance.now();
  let x = 0;
  for (let i = 0; i < 1e7; i++) x = (x * 31 + i) | 0;
  const loop = Math.round(performance.now() - t0);
  globalThis.sink = x; // so the loop is not optimised away
  console.log(`cache hits ${hits}/s  looksLike ${looks}/s  JSON.parse ${parse}/s  integer loop ${loop} ms`);
}
