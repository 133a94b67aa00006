// Native verify throughput: the Rust example examples/parallel_verify.rs, 1 thread vs every
// core sharing one AppPasswords service. Writes bench/.results/native.json.
// Run alone: node bench/run.mjs native (or: cargo run --release --example parallel_verify)

import { spawnSync } from "node:child_process";
import { QUICK, root, writeResult } from "./lib.mjs";

const seconds = QUICK ? 1 : 3;
const command = ["cargo", "run", "--quiet", "--release", "--example", "parallel_verify", "--", String(seconds)];
const runs = [];
for (let i = 0; i < (QUICK ? 1 : 3); i++) {
  const res = spawnSync(command[0], command.slice(1), { cwd: root, encoding: "utf8" });
  if (res.status !== 0) {
    console.error(res.stderr);
    process.exit(1);
  }
  const text = res.stdout;
  process.stdout.write(text);
  const one = text.match(/^1 thread:\s+(\d+) verifies\/s \(([\d.]+) cores busy/m);
  const many = text.match(/^(\d+) threads:\s+(\d+) verifies\/s \(([\d.]+) cores busy/m);
  const profile = text.match(/^profile (.*?);/m)?.[1];
  runs.push({
    one: Number(one?.[1]),
    oneBusy: Number(one?.[2]),
    threads: Number(many?.[1]),
    many: Number(many?.[2]),
    manyBusy: Number(many?.[3]),
    ratio: Number(many?.[2]) / Number(one?.[1]),
    profile,
  });
}
const middle = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
writeResult("native", {
  command: command.join(" "),
  seconds,
  runs,
  medianRatio: middle(runs.map((r) => r.ratio)),
  medianBusy: middle(runs.map((r) => r.manyBusy)),
  threads: runs[0].threads,
  profile: runs[0].profile,
});
