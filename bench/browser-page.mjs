// Runs inside headless Chromium (served by bench/browser.mjs): one OWASP Argon2id hash with
// the package's browser entry, interleaved with hash-wasm's browser build.
import { hashPassword, verifyPasswordHash } from "/pkg/web.js";
import { argon2id, argon2Verify } from "/hash-wasm/index.esm.js";

const OWASP = { memoryKiB: 19456, iterations: 2, parallelism: 1 };
const PASSWORD = "correct horse battery staple";
const salt = crypto.getRandomValues(new Uint8Array(16));
const hashWasm = () =>
  argon2id({ password: PASSWORD, salt, parallelism: 1, iterations: 2, memorySize: 19456, hashLength: 32, outputType: "encoded" });

window.runBench = async (rounds) => {
  const ours = hashPassword(PASSWORD, OWASP);
  const theirs = await hashWasm();
  const correct = verifyPasswordHash(PASSWORD, theirs) && (await argon2Verify({ password: PASSWORD, hash: ours }));
  const times = { ours: [], hashWasm: [] };
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? ["hashWasm", "ours"] : ["ours", "hashWasm"];
    const row = {};
    for (const name of order) {
      const t0 = performance.now();
      if (name === "ours") hashPassword(PASSWORD, OWASP);
      else await hashWasm();
      row[name] = performance.now() - t0;
      times[name].push(row[name]);
    }
    ratios.push(row.ours / row.hashWasm);
  }
  return { correct, times, ratios, userAgent: navigator.userAgent };
};
window.benchReady = true;
