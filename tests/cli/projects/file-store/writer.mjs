// A writer for tests/cli's fileStore checks, run in a fresh project as `node writer.mjs FILE MODE
// FROM COUNT`. It prints each index once its write is acknowledged (the promise resolved):
//   puts   put k/FROM .. k/FROM+COUNT-1 (value v<i>), one after the other
//   mixed  for each i: put <pid>/<i>, then increment "shared" by 1
import { fileStore } from "app-passwords";

const [file, mode, from, count] = process.argv.slice(2);
const store = fileStore(file, { lockTimeoutMs: 30_000 });
const first = Number(from);
for (let i = first; i < first + Number(count); i++) {
  if (mode === "puts") {
    await store.put(`k/${i}`, `v${i}`);
  } else if (mode === "mixed") {
    await store.put(`${process.pid}/${i}`, `v${i}`);
    await store.increment("shared", 1);
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  process.stdout.write(`${i}\n`);
}
