// One OWASP Argon2id hash in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core), the package's browser entry (pkg/web.js) against hash-wasm's browser
// build, interleaved; a static server on 127.0.0.1 (ephemeral port) serves both.
//
//   node bench/browser.mjs          (BENCH_QUICK=1 for fewer rounds)

import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { benchDir, fmtMs, log, median, min, pkgDir, quantile, rounds, writeResult } from "./lib.mjs";

import { CHROMIUM_PATH as CHROMIUM, launchChromium } from "../tests/chromium.mjs";

const TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };
const mounts = { "/pkg/": pkgDir, "/hash-wasm/": join(benchDir, "node_modules/hash-wasm/dist") };
const PAGE = `<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="/bench/browser-page.mjs"></script>`;

const server = createServer((req, res) => {
  const path = new URL(req.url, "http://127.0.0.1").pathname;
  if (path === "/") {
    res.writeHead(200, { "content-type": "text/html" });
    return res.end(PAGE);
  }
  if (path === "/bench/browser-page.mjs") {
    res.writeHead(200, { "content-type": "text/javascript", "cache-control": "no-store" });
    return res.end(readFileSync(join(benchDir, "browser-page.mjs")));
  }
  for (const [prefix, dir] of Object.entries(mounts)) {
    if (!path.startsWith(prefix)) continue;
    const file = normalize(join(dir, path.slice(prefix.length)));
    if (!file.startsWith(dir)) break;
    try {
      if (!statSync(file).isFile()) break;
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
      return res.end(readFileSync(file));
    } catch {
      break;
    }
  }
  res.writeHead(404);
  res.end("not found");
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/`;

let browser;
try {
  browser = await launchChromium();
  const { context } = browser;
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 60_000 }).catch(() => {
    throw new Error(`bench page did not load: ${errors.join("; ")}`);
  });
  const R = rounds(15, 4);
  const r = await page.evaluate((n) => window.runBench(n), R);
  const out = {
    chromium: execFileSync(CHROMIUM, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim(),
    userAgent: r.userAgent, rounds: R, correct: r.correct,
    oursMedianMs: median(r.times.ours), oursMinMs: min(r.times.ours),
    hashWasmMedianMs: median(r.times.hashWasm), hashWasmMinMs: min(r.times.hashWasm),
    ratio: median(r.ratios), ratioQ1: quantile(r.ratios, 0.25), ratioQ3: quantile(r.ratios, 0.75),
  };
  log(`chromium: correctness ${r.correct ? "OK" : "MISMATCH"}; one OWASP hash: ours ${fmtMs(out.oursMedianMs)} ms (min ${fmtMs(out.oursMinMs)}), hash-wasm ${fmtMs(out.hashWasmMedianMs)} ms (min ${fmtMs(out.hashWasmMinMs)}); ours/hash-wasm ${out.ratio.toFixed(2)} (n=${R})`);
  writeResult("browser", out);
} finally {
  await browser?.close();
  server.close();
}
