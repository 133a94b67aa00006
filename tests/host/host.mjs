// Starts and stops the example host (examples/host/serve.mjs) for the tests: a real workerd
// through Miniflare, on a free port of 127.0.0.1 (PORT=0), over a temporary data folder.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const serve = join(root, "examples/host/serve.mjs");

const running = new Set();
// Last resort if a test run dies without its after() hooks: SIGTERM makes each launcher
// dispose of its workerd by itself.
process.on("exit", () => {
  for (const child of running) {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
  }
});

/** A fresh temporary data folder; remove it with removeDataDir. */
export function makeDataDir(name = "host") {
  return mkdtempSync(join(tmpdir(), `app-passwords-${name}-`));
}

export function removeDataDir(dir) {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts the launcher; resolves once it printed its URL.
 * @param {{ dataDir: string, env?: Record<string,string|undefined>, timeoutMs?: number }} options
 * @returns {Promise<{ url: string, origin: string, password: string|null, output: () => string, stop: () => Promise<number|null>, pid: number }>}
 */
export function startHost({ dataDir, env = {}, timeoutMs = 60_000 }) {
  const childEnv = { ...process.env, PORT: "0", DATA_DIR: dataDir };
  delete childEnv.DEMO_PASSWORD;
  delete childEnv.EXTRA_ACCOUNTS;
  delete childEnv.PEPPER;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const child = spawn(process.execPath, [serve], { cwd: root, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise((resolveExit) => {
    child.on("exit", (code, signal) => {
      running.delete(child);
      resolveExit(code ?? signal);
    });
  });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => {
      stop();
      rejectStart(new Error(`host did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = () => {
      if (!/Press Ctrl-C to stop\./.test(out)) return;
      child.stdout.off("data", onData);
      clearTimeout(timer);
      const url = /^\s*URL:\s+(\S+)/m.exec(out)?.[1];
      const pw = /^\s*Password:\s+(\S+)$/m.exec(out)?.[1];
      const password = pw && !pw.startsWith("(") ? pw : null;
      resolveStart({ url, origin: new URL(url).origin, password, output: () => out, stop, pid: child.pid });
    };
    child.stdout.on("data", onData);
    exited.then((code) => {
      clearTimeout(timer);
      rejectStart(new Error(`host exited (${code}) before it was ready:\n${out}`));
    });
  });
}

/** A tiny cookie jar over fetch (Node's fetch sends no Origin header, like curl). */
export class Client {
  constructor(base) {
    this.base = base;
    this.cookies = new Map();
  }

  async request(method, path, { json, body, headers = {}, auth } = {}) {
    const h = { accept: "application/json", ...headers };
    if (this.cookies.size) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (auth) h.authorization = `Basic ${Buffer.from(`${auth[0]}:${auth[1]}`).toString("base64")}`;
    let payload = body;
    if (json !== undefined) {
      h["content-type"] ??= "application/json";
      payload = JSON.stringify(json);
    }
    const res = await fetch(new URL(path, this.base), { method, headers: h, body: payload, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const maxAge = attrs.find((a) => /^\s*max-age=/i.test(a));
      if (value === "" || (maxAge && Number(maxAge.split("=")[1]) <= 0)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    return { status: res.status, headers: res.headers, data, text };
  }

  get(path, opts) {
    return this.request("GET", path, opts);
  }

  post(path, json, opts = {}) {
    return this.request("POST", path, { ...opts, json });
  }

  delete(path, opts) {
    return this.request("DELETE", path, opts);
  }
}

/** Retries `fn` until it resolves (an assertion about output that arrives after the answer). */
export async function eventually(fn, { timeoutMs = 5000, stepMs = 50 } = {}) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, stepMs));
    }
  }
}
