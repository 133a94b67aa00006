#!/usr/bin/env node
// The example host's launcher (`make demo`): runs examples/host/worker.js in a local workerd
// through Miniflare, with its KV namespace persisted to disk, on 127.0.0.1.
//
// Environment
//   PORT             port on 127.0.0.1 (default 8787; 0 picks a free one)
//   DATA_DIR         where state is kept (default .data at the repo root): KV in DATA_DIR/kv,
//                    the rate-limit Durable Objects in DATA_DIR/do
//   DEMO_PASSWORD    password of the account `demo`; when unset one is generated for this run
//                    and printed once
//   EXTRA_ACCOUNTS   optional JSON {"username": "password", ...}: more accounts
//   PEPPER           optional Argon2 secret input for app-password hashes (keep it stable:
//                    records hashed with one pepper only verify with it)
//
// The Worker hashes each account password with hashPassword (OWASP profile) and keeps the PHC
// in KV; when the password given here differs from the stored hash it re-hashes, so a restart
// with a new generated password signs in with the new one, and every app password is kept.

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Log, LogLevel, Miniflare } from "miniflare";

import { root, sharedOptions, workerOptions } from "./miniflare.mjs";
import { vendorPackage } from "./vendor.mjs";

function fail(message) {
  console.error(`serve: ${message}`);
  process.exit(1);
}

if (!existsSync(join(root, "pkg", "workerd.js")) || !existsSync(join(root, "pkg", "app_passwords_bg.wasm"))) {
  fail("pkg/ is not built: run `bash scripts/build-pkg.sh` (or `make demo`, which builds it).");
}

// The page mints in the browser from these copies of the package (www/vendor/, gitignored).
vendorPackage();

const portText = process.env.PORT ?? "8787";
const port = Number(portText);
if (!/^\d+$/.test(portText) || port > 65535) fail(`PORT must be a port number, not ${JSON.stringify(portText)}`);

// A clear message (instead of workerd's stack trace) when the port is taken.
if (port !== 0) {
  const free = await new Promise((done) => {
    const probe = createServer();
    probe.once("error", () => done(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => done(true)));
  });
  if (!free) fail(`port ${port} on 127.0.0.1 is in use: set PORT to another one (PORT=0 picks a free one)`);
}

const dataDir = resolve(process.env.DATA_DIR || join(root, ".data"));
const kvDir = join(dataDir, "kv");
mkdirSync(kvDir, { recursive: true });
mkdirSync(join(dataDir, "do"), { recursive: true });

const generated = !process.env.DEMO_PASSWORD;
// 144 bits from the OS CSPRNG, base64url: 24 characters, never shaped like an app password.
const demoPassword = process.env.DEMO_PASSWORD || randomBytes(18).toString("base64url");

const { looksLikeAppPassword } = await import(pathToFileURL(join(root, "pkg", "node.js")).href);
if (looksLikeAppPassword(demoPassword)) {
  fail("DEMO_PASSWORD is shaped like an app password, and app passwords can never sign in: choose another.");
}

const bindings = { DEMO_PASSWORD: demoPassword };
if (process.env.EXTRA_ACCOUNTS) {
  try {
    const extra = JSON.parse(process.env.EXTRA_ACCOUNTS);
    if (!extra || typeof extra !== "object" || Array.isArray(extra)) throw new Error("not an object");
    bindings.EXTRA_ACCOUNTS = JSON.stringify(extra);
  } catch (err) {
    fail(`EXTRA_ACCOUNTS must be a JSON object {"user": "password"}: ${err.message}`);
  }
}
if (process.env.PEPPER) bindings.PEPPER = process.env.PEPPER;
// The record store (README "Record store"): "kv" (default) or "durable-object".
if (process.env.APP_PASSWORDS_STORE) bindings.APP_PASSWORDS_STORE = process.env.APP_PASSWORDS_STORE;
if (process.env.SECRET_SCANNING_PUBLIC_KEYS) bindings.SECRET_SCANNING_PUBLIC_KEYS = process.env.SECRET_SCANNING_PUBLIC_KEYS;

const signals = ["SIGINT", "SIGTERM"];
const listenersBefore = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));

// The same Worker, bindings and Durable Object class as wrangler.toml (examples/host/miniflare.mjs).
const mf = new Miniflare({
  ...sharedOptions({
    port,
    dataDir,
    log: new Log(process.env.MINIFLARE_LOG === "debug" ? LogLevel.DEBUG : LogLevel.WARN),
  }),
  ...workerOptions({ bindings }),
});

// Miniflare's own exit hook answers SIGINT/SIGTERM by killing workerd and exiting at once;
// take those two signals over so that Ctrl-C awaits mf.dispose() (its `exit` hook stays, as a
// safety net that still kills workerd if this process dies another way).
for (const s of signals) {
  for (const listener of process.listeners(s)) {
    if (!listenersBefore.get(s).has(listener)) process.removeListener(s, listener);
  }
}

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the example host…`);
  const timer = setTimeout(() => {
    console.error("serve: workerd did not stop in 10 s; exiting");
    process.exit(1);
  }, 10_000);
  timer.unref();
  try {
    await mf.dispose();
  } catch (err) {
    console.error(`serve: dispose failed: ${err.message}`);
    process.exit(1);
  }
  console.log("stopped.");
  // Exit when the event loop drains (Miniflare removes its temp folder in the background);
  // exit anyway if something is still holding it after 3 s.
  process.exitCode = 0;
  setTimeout(() => process.exit(0), 3000).unref();
}
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));

let url;
try {
  url = await mf.ready;
} catch (err) {
  const busy = /EADDRINUSE|address already in use/i.test(String(err && (err.stack || err.message)));
  await mf.dispose().catch(() => {});
  fail(busy ? `port ${port} on 127.0.0.1 is in use: set PORT to another one` : `workerd did not start: ${err.stack || err}`);
}

const shown = relative(process.cwd(), kvDir) || kvDir;
const lines = [
  "app-passwords example host (workerd via Miniflare, KV persisted on disk)",
  `  URL:      ${url.href}`,
  "  Account:  demo",
  generated
    ? `  Password: ${demoPassword}`
    : "  Password: (from DEMO_PASSWORD)",
  `  Data:     ${shown.startsWith("..") ? kvDir : shown}`,
];
if (generated) lines.push("  (generated for this run and shown only here; set DEMO_PASSWORD to choose one)");
lines.push("Press Ctrl-C to stop.");
console.log(lines.join("\n"));
