// What the `app-passwords` command's commands share (cli.js, cli-commands.js): arguments, the
// password from stdin or APP_PASSWORD (never argv), the store behind --store, the service, and
// output. Not part of the package's API.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { AppPasswords, fileStore, looksLikeAppPassword, redisStore } from "./node.js";

/** Exit codes: 0 ok, 1 refused or not found, 2 usage, 3 store (or system) error. */
export const EXIT = { ok: 0, refused: 1, usage: 2, store: 3 };

/** An error the command line reports as it is: a message, an exit code, a stable code. */
export class CliError extends Error {
  constructor(exit, message, code) {
    super(message);
    this.exit = exit;
    this.code = code ?? (exit === EXIT.usage ? "usage" : "error");
  }
}
export const usage = (message) => new CliError(EXIT.usage, message, "usage");

// ------------------------------------------------------------------------------- arguments

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  store: { type: "string", value: "URL", help: "file:PATH (default file:./app-passwords.json, or $APP_PASSWORDS_STORE) or redis://HOST:PORT" },
  json: { type: "boolean", help: "print JSON (one document on stdout), for scripts" },
  prefix: { type: "string", value: "PREFIX", help: "password prefix of your service (default apw)" },
  catalog: { type: "string", value: "FILE", help: "your scope catalogue (JSON), if not Bitbucket's" },
  "max-per-user": { type: "string", value: "N", help: "most passwords one user may hold (default 100)" },
  help: { type: "boolean", help: "this help" },
};

const PASSWORD_FLAG = /^-{1,2}(p|pass|passwd|password|secret|token)(=|$)/i;
/** An app password's shape, checksum or not: a mistyped one still leaks most of its secret. */
const PASSWORD_SHAPE = /^[a-z][a-z0-9]{0,15}_[0-9A-Za-z]{50}$/;

/**
 * Refuses a password anywhere on the command line: every user of the machine can read it
 * (`ps`, /proc, shell history).
 */
export function refusePasswordsOnArgv(argv) {
  for (const arg of argv) {
    const value = arg.startsWith("-") && arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : arg;
    if (PASSWORD_FLAG.test(arg) || PASSWORD_SHAPE.test(value) || looksLikeAppPassword(value)) {
      throw usage(
        "a password on the command line can be read by every user of this machine (ps, shell history): " +
          "pipe it on stdin or set APP_PASSWORD instead",
      );
    }
  }
}

/** Parses `argv` against `spec` (name -> { type: "string" | "boolean" | "list" }). */
export function parseArgs(argv, spec) {
  const values = {};
  const positionals = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-h") {
      values.help = true;
      continue;
    }
    if (!arg.startsWith("--")) {
      if (arg.startsWith("-") && arg !== "-") throw usage(`unknown option ${arg}`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const opt = spec[name];
    if (!opt) throw usage(`unknown option --${name}`);
    if (opt.type === "boolean") {
      if (eq >= 0) throw usage(`--${name} takes no value`);
      values[name] = true;
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw usage(`--${name} needs a value`);
    if (opt.type === "list") {
      (values[name] ??= []).push(...value.split(",").map((s) => s.trim()).filter(Boolean));
    } else if (name in values) {
      throw usage(`--${name} given twice`);
    } else {
      values[name] = value;
    }
  }
  return { values, positionals };
}

/** `--name` as a positive integer, or undefined. */
export function integerOption(values, name) {
  if (values[name] === undefined) return undefined;
  const n = Number(values[name]);
  if (!/^\d+$/.test(values[name]) || !Number.isSafeInteger(n) || n < 1) throw usage(`--${name} takes a positive integer`);
  return n;
}

const UNITS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--expires`: 30d, 12h, 90m, 2w, 45s, or a date (2027-01-31, ISO 8601); epoch ms. */
export function parseExpiry(text, now = Date.now()) {
  if (text === undefined) return undefined;
  const rel = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  if (rel) return now + Number(rel[1]) * UNITS[rel[2]];
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) {
    const at = Date.parse(text.trim());
    if (Number.isFinite(at)) return at;
  }
  throw usage(`--expires takes a duration (30d, 12h, 90m, 2w) or a date (2027-01-31), not "${text}"`);
}

// ------------------------------------------------------------------------------ passwords

/** The password: APP_PASSWORD, else the first line of stdin (typed without echo on a terminal). */
export async function readPassword({ env, stdin, stderr }) {
  let value;
  if (env.APP_PASSWORD) value = env.APP_PASSWORD;
  else if (stdin.isTTY) value = await promptHidden(stdin, stderr, "Password: ");
  else {
    const chunks = [];
    for await (const chunk of stdin) chunks.push(chunk);
    value = Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0];
  }
  if (!value) throw usage("no password: pipe it on stdin or set APP_PASSWORD (never on the command line)");
  return value;
}

function promptHidden(stdin, stderr, prompt) {
  return new Promise((resolvePromise, reject) => {
    let value = "";
    const finish = (error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      stderr.write("\n");
      if (error) reject(error);
      else resolvePromise(value);
    };
    const onData = (chunk) => {
      for (const ch of String(chunk)) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return finish();
        if (ch === "\u0003") return finish(new CliError(130, "interrupted", "interrupted"));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stderr.write(prompt);
    stdin.setEncoding("utf8");
    stdin.setRawMode(true);
    stdin.on("data", onData);
    stdin.resume();
  });
}

// ---------------------------------------------------------------------------------- stores

const DEFAULT_STORE = "file:./app-passwords.json";

function redactUrl(text) {
  try {
    const url = new URL(text);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return text;
  }
}

/** node-redis from the package's own resolution, else from the working directory's project. */
async function importRedis(where) {
  try {
    return await import("redis");
  } catch (err) {
    if (err?.code !== "ERR_MODULE_NOT_FOUND" || !String(err.message).includes("'redis'")) throw err;
  }
  try {
    const path = createRequire(join(process.cwd(), "package.json")).resolve("redis");
    return await import(pathToFileURL(path).href);
  } catch {
    throw new CliError(
      EXIT.store,
      `the store ${where} needs node-redis, the package "redis" (an optional peer dependency of app-passwords): npm install redis`,
      "redis_missing",
    );
  }
}

/** Opens the store `--store` (or $APP_PASSWORDS_STORE) names: { store, close, name }. */
export async function openStore(values, env) {
  const spec = values.store ?? (env.APP_PASSWORDS_STORE || DEFAULT_STORE);
  if (spec.startsWith("file:")) {
    const path = spec.slice("file:".length);
    if (!path) throw usage("--store file:PATH needs a path");
    const timeout = env.APP_PASSWORDS_LOCK_TIMEOUT_MS;
    const lockTimeoutMs = timeout !== undefined && /^\d+$/.test(timeout) ? Number(timeout) : undefined;
    return { store: fileStore(path, { lockTimeoutMs }), close: async () => {}, name: spec };
  }
  if (/^rediss?:\/\//.test(spec)) {
    const name = redactUrl(spec);
    const mod = await importRedis(name);
    const createClient = mod.createClient ?? mod.default?.createClient;
    // No offline queue and no reconnect: a command fails at once, with exit 3, when Redis is down.
    const client = createClient({ url: spec, disableOfflineQueue: true, socket: { connectTimeout: 5000, reconnectStrategy: false } });
    client.on("error", () => {}); // reported through the command that failed
    try {
      await client.connect();
    } catch (err) {
      throw new CliError(EXIT.store, `cannot connect to ${name}: ${err?.message || err}`, "store_unavailable");
    }
    const close = async () => {
      try {
        await (typeof client.close === "function" ? client.close() : client.quit());
      } catch {
        client.destroy?.();
      }
    };
    return { store: redisStore(client), close, name, timeoutMs: 10_000 };
  }
  throw usage(`--store takes file:PATH or redis://HOST:PORT, not "${spec}"`);
}

/** The store with its last failure remembered: the service reports it as store_unavailable. */
export function remembering(store, seen) {
  const wrapped = { consistency: store.consistency };
  for (const name of ["get", "put", "delete", "list", "getMany", "increment"]) {
    if (typeof store[name] !== "function") continue;
    wrapped[name] = async (...args) => {
      try {
        return await store[name](...args);
      } catch (err) {
        seen.error = err;
        throw err;
      }
    };
  }
  return wrapped;
}

/** The service for a command: the store, and the options that must match the server's. */
export async function service(values, env) {
  const opened = await openStore(values, env);
  const seen = {};
  const pending = [];
  try {
    const ap = new AppPasswords({
      store: remembering(opened.store, seen),
      prefix: values.prefix,
      catalog: catalogOption(values),
      maxPerUser: integerOption(values, "max-per-user"),
      pepper: env.APP_PASSWORDS_PEPPER || undefined,
      storeTimeoutMs: opened.timeoutMs,
      waitUntil: (p) => pending.push(p),
    });
    // Background writes (lastUsedAt) finish before the store is closed.
    const close = async () => {
      await Promise.allSettled(pending);
      await opened.close();
    };
    return { ap, seen, close, name: opened.name };
  } catch (err) {
    await opened.close();
    throw err;
  }
}

/** --catalog FILE as the JSON text the service takes. */
export function catalogOption(values) {
  if (values.catalog === undefined) return undefined;
  try {
    return readFileSync(values.catalog, "utf8");
  } catch (err) {
    throw usage(`--catalog ${values.catalog}: ${err.message}`);
  }
}

// ---------------------------------------------------------------------------------- output

/** A time for people: 2026-03-01T09:30Z, or `none`. */
export const when = (ms, none = "-") => (ms == null ? none : new Date(ms).toISOString().slice(0, 16) + "Z");

/** Rows of strings as aligned columns under a header. */
export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
