// The test Worker plus GET /suite: runs every test of the shared JS suite
// (tests/js/suite.mjs, the same bodies Node, Deno and Chromium run) inside workerd.
// run.mjs uses this entry when the shared suite exists, worker.mjs otherwise.

import { handle, json, pkg } from "./routes.mjs";
import { defineSuite } from "../suite.mjs";
import { raceOldAgainstFirstUse } from "../suite/lifecycle.mjs";

async function runSuite(env) {
  const tests = [];
  const test = (name, fn) => tests.push({ name, fn });
  defineSuite({ test, api: pkg, vectors: env.VECTORS ?? {}, runtime: "workerd" });
  const results = [];
  for (const t of tests) {
    try {
      await t.fn();
      results.push({ name: t.name, ok: true });
    } catch (err) {
      results.push({ name: t.name, ok: false, error: String((err && (err.stack || err.message)) || err) });
    }
  }
  const failures = results.filter((r) => !r.ok);
  return json({ passed: results.length - failures.length, failed: failures.length, failures, results });
}

/** POST /race-rotation: the rotation race of the shared suite on a Durable Object store. */
async function raceRotation(url, env) {
  const name = url.searchParams.get("name") || "race";
  const store = pkg.durableObjectStore(env.AP_STORE.get(env.AP_STORE.idFromName(name)));
  try {
    return json(await raceOldAgainstFirstUse(pkg, store));
  } catch (err) {
    return json({ error: String((err && err.message) || err) }, 500);
  }
}

const suiteRoute = (request, env) => {
  const url = new URL(request.url);
  if (url.pathname === "/race-rotation" && request.method === "POST") return raceRotation(url, env);
  return url.pathname === "/suite" && request.method === "GET" ? runSuite(env) : null;
};

export default {
  fetch: (request, env, ctx) => handle(request, env, ctx, suiteRoute),
};

// Durable Object classes (bound by run.mjs).
export { AppPasswordsDurableObject, ServiceObject } from "./objects.mjs";
