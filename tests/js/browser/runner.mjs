// In-page runner of the shared suite: the package's browser entry (pkg/web.js, through the
// page's import map), the vectors fetched from /tests/vectors/, and a minimal sequential
// `test`. Results land in window.__results = { done, passed, failed, failures, tests }.
import * as api from "app-passwords";
import { defineSuite } from "../suite.mjs";

window.__started = true;
const TEST_TIMEOUT_MS = 60_000;
const log = document.getElementById("log");
const line = (text) => {
  log.textContent += `${text}\n`;
};

async function load(name) {
  const res = await fetch(`/tests/vectors/${name}.json`, { cache: "no-store" });
  if (!res.ok) throw new Error(`GET /tests/vectors/${name}.json: ${res.status}`);
  return res.json();
}

function withTimeout(promise, ms, name) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const results = { done: false, passed: 0, failed: 0, failures: [], tests: [], userAgent: navigator.userAgent };
try {
  const vectors = {
    passwords: await load("passwords"),
    scopes: await load("scopes"),
    phc: await load("phc"),
    records: await load("records"),
  };
  const registered = [];
  const count = defineSuite({ test: (name, fn) => registered.push({ name, fn }), api, vectors, runtime: "chromium" });
  if (!(count > 0) || registered.length !== count) {
    throw new Error(`defineSuite registered ${count} tests (${registered.length} received)`);
  }
  for (const { name, fn } of registered) {
    const started = performance.now();
    try {
      await withTimeout(Promise.resolve().then(fn), TEST_TIMEOUT_MS, name);
      const ms = Math.round(performance.now() - started);
      results.passed += 1;
      results.tests.push({ name, ok: true, ms });
      line(`ok ${name} (${ms} ms)`);
    } catch (err) {
      const ms = Math.round(performance.now() - started);
      const error = String((err && (err.stack || err.message)) || err);
      results.failed += 1;
      results.failures.push({ name, error });
      results.tests.push({ name, ok: false, ms, error });
      line(`FAIL ${name}\n  ${error}`);
    }
  }
} catch (err) {
  results.failed += 1;
  results.failures.push({ name: "runner setup", error: String((err && (err.stack || err.message)) || err) });
}
results.done = true;
document.getElementById("status").textContent = `${results.passed} passed, ${results.failed} failed`;
window.__results = results;
