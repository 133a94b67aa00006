// Drives the browser suite: a static server on 127.0.0.1 (ephemeral port; GET only; only
// /pkg/ and /tests/ of the repository), Debian's Chromium through playwright-core (never a
// downloaded browser) with a fresh profile, the page tests/js/browser/index.html, and
// window.__results printed test by test. Ends with the line "N passed, M failed"; exits 1 on
// any failure, on zero tests, or on a timeout. Server, browser and profile are removed in every
// case. Env: PKG_DIR (default pkg), CHROMIUM (default /usr/bin/chromium), BROWSER_TIMEOUT_MS.
import { createServer } from "node:http";
import { realpathSync, statSync, createReadStream } from "node:fs";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM_PATH, launchChromium } from "../../chromium.mjs";

const root = realpathSync(fileURLToPath(new URL("../../../", import.meta.url)));
const pkgDir = realpathSync(resolve(root, process.env.PKG_DIR || "pkg"));
const testsDir = realpathSync(join(root, "tests"));
const executablePath = CHROMIUM_PATH;
const timeoutMs = Number(process.env.BROWSER_TIMEOUT_MS || 180_000);

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
};

/** The file a URL path names, if it lies inside /pkg/ or /tests/ (after symlinks), else null. */
function fileFor(urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (path.includes("\0")) return null;
  const mounts = [
    ["/pkg/", pkgDir],
    ["/tests/", testsDir],
  ];
  for (const [mount, dir] of mounts) {
    if (!path.startsWith(mount)) continue;
    const candidate = resolve(dir, `.${path.slice(mount.length - 1)}`);
    if (!candidate.startsWith(dir + sep)) return null;
    try {
      const real = realpathSync(candidate);
      if (!real.startsWith(dir + sep) || !statSync(real).isFile()) return null;
      return real;
    } catch {
      return null;
    }
  }
  return null;
}

const requests = [];
const server = createServer((req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  if (req.method !== "GET") {
    res.writeHead(405, { allow: "GET" }).end();
    requests.push(`${req.method} ${url.pathname} 405`);
    return;
  }
  const file = fileFor(url.pathname);
  if (!file) {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    requests.push(`GET ${url.pathname} 404`);
    return;
  }
  res.writeHead(200, {
    "content-type": TYPES[extname(file)] || "application/octet-stream",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  createReadStream(file).pipe(res);
});

let browser;
let exitCode = 1;
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  if (browser) await browser.close();
  await new Promise((r) => server.close(() => r()));
  server.closeAllConnections?.();
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    cleanup().finally(() => process.exit(130));
  });
}

const started = Date.now();
try {
  await new Promise((r, j) => server.listen(0, "127.0.0.1", r).once("error", j));
  const { port } = server.address();
  const origin = `http://127.0.0.1:${port}`;
  browser = await launchChromium();
  const { context } = browser;
  // Nothing but our server: any other request is aborted (and reported).
  const blocked = [];
  await context.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if (u.origin === origin) return route.continue();
    blocked.push(u.href);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") consoleErrors.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`pageerror: ${e.stack || e.message}`));

  const version = context.browser()?.version() ?? "unknown version";
  console.log(`==> Chromium ${version} (${executablePath}), serving ${origin}/pkg/ from ${pkgDir}`);
  await page.goto(`${origin}/tests/js/browser/index.html`, { waitUntil: "load" });
  await page.waitForFunction(() => window.__results && window.__results.done, null, { timeout: timeoutMs, polling: 100 });
  const results = await page.evaluate(() => window.__results);

  for (const t of results.tests) {
    console.log(`${t.ok ? "ok  " : "FAIL"} ${t.name} (${t.ms} ms)`);
    if (!t.ok) console.log(`     ${t.error.split("\n").join("\n     ")}`);
  }
  const listed = new Set(results.tests.map((t) => t.name));
  for (const f of results.failures.filter((f) => !listed.has(f.name))) {
    console.log(`FAIL ${f.name}\n     ${f.error.split("\n").join("\n     ")}`);
  }
  if (results.failed && consoleErrors.length) console.log(consoleErrors.join("\n"));
  if (blocked.length) console.log(`blocked requests to other origins: ${blocked.join(", ")}`);
  const notFound = requests.filter((r) => / 40\d$/.test(r));
  if (notFound.length) console.log(`server refusals: ${notFound.join(", ")}`);
  if (results.passed === 0) console.log("browser: no tests ran");
  console.log(`chromium: ${Date.now() - started} ms`);
  console.log(`${results.passed} passed, ${results.failed} failed`);
  exitCode = results.failed === 0 && results.passed > 0 ? 0 : 1;
} catch (err) {
  console.error(`browser run failed: ${(err && (err.stack || err.message)) || err}`);
  if (requests.length) console.error(`requests: ${requests.join(", ")}`);
  console.log("0 passed, 1 failed");
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
