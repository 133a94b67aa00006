// The Miniflare options of the example host, in one place: serve.mjs (`make demo`) uses them,
// and so do the tests that drive a host in-process (tests/host/worker.test.mjs), so both run
// the Worker exactly as configured here. The bindings mirror wrangler.toml.

import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, "../..");

/** The deployed Worker's compatibility date, read from wrangler.toml. */
export function compatibilityDate() {
  const wrangler = readFileSync(join(here, "wrangler.toml"), "utf8");
  return /^compatibility_date\s*=\s*"([0-9-]+)"/m.exec(wrangler)?.[1] ?? "2025-09-01";
}

/** The Worker: its modules, KV namespace, Durable Object class, the page and `bindings`. */
export function workerOptions({ bindings = {} } = {}) {
  return {
    name: "app-passwords-example",
    compatibilityDate: compatibilityDate(),
    modules: true,
    scriptPath: join(here, "worker.js"),
    modulesRoot: root,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    kvNamespaces: { APP_PASSWORDS: "app-passwords" },
    durableObjects: {
      LIMITS: { className: "AttemptCounter", useSQLite: true },
      APP_PASSWORDS_DO: { className: "AppPasswordsDurableObject", useSQLite: true },
    },
    assets: {
      directory: join(root, "www"),
      binding: "ASSETS",
      // wrangler.toml's run_worker_first = true: the Worker adds the security headers.
      routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
    },
    bindings,
  };
}

/** Where it listens (127.0.0.1 only) and where KV and the Durable Objects persist. */
export function sharedOptions({ port, dataDir, log }) {
  return {
    host: "127.0.0.1",
    port,
    log,
    kvPersist: join(dataDir, "kv"),
    durableObjectsPersist: join(dataDir, "do"),
    cf: false,
  };
}
