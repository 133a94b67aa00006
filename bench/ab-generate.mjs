// generatePassword through two builds in one process, interleaved: 15 rounds of 20,000 calls a
// side, the median of the per-round time ratios (B ÷ A). Usage:
//   node bench/ab-generate.mjs <pkg dir A> <pkg dir B>
import { dirUrl } from "./lib.mjs";

const [a, b] = process.argv.slice(2);
if (!a || !b) throw new Error("usage: node bench/ab-generate.mjs <pkg dir A> <pkg dir B>");
const A = await import(dirUrl(a, "node.js")), B = await import(dirUrl(b, "node.js"));
const N = 20000, ratios = [];
const time = (m) => { const t = performance.now(); for (let i = 0; i < N; i++) m.generatePassword(); return performance.now() - t; };
time(A); time(B);
for (let r = 0; r < 15; r++) { const ta = time(A), tb = time(B); ratios.push(tb / ta); }
ratios.sort((x, y) => x - y);
console.log(`generatePassword b/a time, median of ${ratios.length} rounds: ${ratios[7].toFixed(3)}; a ${(N / (time(A) / 1000)).toFixed(0)}/s b ${(N / (time(B) / 1000)).toFixed(0)}/s`);
