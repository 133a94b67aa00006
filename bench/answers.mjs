// pkg/answers.js against a plain JSON.parse of the same verify answers, in one process:
//   node bench/answers.mjs [pkg dir]     (default pkg/; ROUNDS=7)
// "seen": 100 distinct answers again and again (a server's cache hits); "new": 5,000 distinct
// answers in turn, more than answers.js remembers, so each is parsed again. Medians of the
// per-round time ratios, answer ÷ JSON.parse.
import { dirUrl } from "./lib.mjs";

const dir = process.argv[2] ?? "pkg";
const { answer } = await import(dirUrl(dir, "answers.js"));
const texts = [];
for (let i = 0; i < 5000; i++) {
  texts.push(`{"ok":true,"user":"user${i}","id":"a${String(i).padStart(11, "0")}","label":"script","scopes":["repository"],"cached":true}`);
}
const time = (f) => {
  const t0 = performance.now();
  for (let k = 0; k < 20; k++) for (let i = 0; i < texts.length; i++) f(i);
  return performance.now() - t0;
};
const seen = [];
const fresh = [];
for (let r = 0; r < +(process.env.ROUNDS || 7); r++) {
  const parse = time((i) => JSON.parse(texts[i % 100]));
  seen.push(time((i) => answer(texts[i % 100])) / parse);
  fresh.push(time((i) => answer(texts[i])) / time((i) => JSON.parse(texts[i])));
}
const med = (x) => [...x].sort((p, q) => p - q)[x.length >> 1];
console.log(`answer ÷ JSON.parse, median of ${seen.length} rounds: seen ${med(seen).toFixed(2)}, new ${med(fresh).toFixed(2)}`);
