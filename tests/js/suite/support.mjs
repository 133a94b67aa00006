// What the topic files of the shared suite (./*.mjs) have in common: fixtures and pure helpers
// (module exports), and `context(...)`, the per-run object every topic's `define(ctx)` receives:
// `t` (registers and counts a test), `api`, `runtime`, the vectors (PW, SC, PHC, REC) and the
// helpers that need the package (harness, faultyStore, countingStore, rejectsHost, ...).
// Only the language, the package and web-standard globals: no runtime-specific API.

import { deepEqual, equal, fail, ok, rejects, throws } from "../assert.mjs";
import { ALPHABET, withCheck } from "../checksum.mjs";

/** Argon2id parameters cheap enough to run hundreds of times. */
export const LIGHT = Object.freeze({ memoryKiB: 64, iterations: 1, parallelism: 1 });

export const KEY_ROOT = "app-passwords/v1/";
/** A fixed clock origin (2027-01-15): tests move `clock.t` instead of waiting. */
export const T0 = 1_800_000_000_000;

const encoder = new TextEncoder();
export const utf8 = (text) => encoder.encode(text);

export function hexToBytes(hex) {
  if (hex.length % 2) throw new Error(`odd hex length: ${hex}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function base64(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** An `Authorization: Basic` value for `user:password` (UTF-8, as curl -u sends it). */
export function basic(user, password) {
  return `Basic ${base64(utf8(`${user}:${password}`))}`;
}

/** A well-formed password (right checksum) for any prefix, id and secret. */
export function makePassword(prefix, id, secret) {
  const body = `${prefix}_${id}${secret}`;
  return withCheck(body);
}

/** The key segment of a username: everything but `A-Z a-z 0-9 - . _ ~` percent-encoded. */
export function userSegment(user) {
  let out = "";
  for (const b of utf8(user)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export const recordKey = (id) => `${KEY_ROOT}record/${id}`;
export const indexKey = (user, id) => `${KEY_ROOT}user/${userSegment(user)}/${id}`;
export const tombstoneKey = (id) => `${KEY_ROOT}revoked/${id}`;
export const INDEX_NEW = '{"v":1,"lastUsedAt":null}';

/** Changes the character at `pos` to another character of the alphabet. */
export function mistype(password, pos) {
  const c = password[pos];
  const replacement = ALPHABET[(ALPHABET.indexOf(c) + 1) % ALPHABET.length];
  return password.slice(0, pos) + replacement + password.slice(pos + 1);
}

/** `password` with one secret character changed and a valid checksum: wrong_secret. */
export function otherSecret(password) {
  const id = password.slice(4, 16);
  return makePassword("apw", id, mistype(password.slice(16, 48), 0));
}

/** Runs `fn` on every item, then fails once listing every item that failed. */
export async function each(items, describe, fn) {
  const failures = [];
  for (let i = 0; i < items.length; i++) {
    try {
      await fn(items[i], i);
    } catch (err) {
      failures.push(`#${i} ${describe(items[i])}: ${(err && err.message) || err}`);
    }
  }
  if (failures.length) fail(`${failures.length} of ${items.length} failed:\n    ${failures.join("\n    ")}`);
}

/** The cheapest Argon2id profile: these tests are about store calls. */
export const FAST = Object.freeze({ memoryKiB: 8, iterations: 1, parallelism: 1 });

export const refusal = (status, code, reason, missing) => {
  const r = { ok: false, status, code, reason };
  if (missing) r.missing = missing;
  return r;
};
export const invalid = (reason) => refusal(401, "invalid_credentials", reason);

/**
 * A verify result equals `expected`. A granted result may carry `cached` (a boolean, true
 * only when it came from the opt-in verified-credential cache); unless `expected` names it,
 * it must be false and is left out of the comparison (records.json predates the field).
 */
export function sameResult(actual, expected, message) {
  if (actual && actual.ok === true && Object.prototype.hasOwnProperty.call(actual, "cached") && !("cached" in expected)) {
    equal(typeof actual.cached, "boolean", `${message ?? "result"}: cached is a boolean`);
    equal(actual.cached, false, `${message ?? "result"}: no cache configured`);
    const { cached: _cached, ...rest } = actual;
    actual = rest;
  }
  deepEqual(actual, expected, message);
}

export const request = (authorization) =>
  new Request("https://api.example.test/2.0/user", authorization === undefined ? {} : { headers: { authorization } });

/** The per-run context of the suite; `count()` is the number of tests registered so far. */
export function context({ test, api, vectors, runtime = "unknown" }) {
  if (typeof test !== "function") throw new TypeError("defineSuite needs test(name, fn)");
  if (!api || typeof api.AppPasswords !== "function") throw new TypeError("defineSuite needs the package module as api");
  for (const name of ["passwords", "scopes", "phc", "records"]) {
    if (!vectors || !vectors[name]) throw new TypeError(`defineSuite needs vectors.${name}`);
  }
  const { passwords: PW, scopes: SC, phc: PHC, records: REC } = vectors;
  const { AppPasswords, AppPasswordError } = api;

  let count = 0;
  const t = (name, fn) => {
    count += 1;
    test(`${name}`, fn);
  };

  /** A store failure: an AppPasswordError with `code`, a real Error, never a result. */
  const hostError = (code) => ({ code, name: "AppPasswordError", instanceOf: AppPasswordError });

  async function rejectsHost(promiseOrFn, code, message) {
    const err = await rejects(promiseOrFn, hostError(code), message);
    ok(err instanceof Error, "an AppPasswordError is an Error");
    equal(typeof err.message, "string");
    return err;
  }

  function throwsArg(fn, code, message) {
    return throws(fn, hostError(code), message);
  }

  /**
   * A service over a memoryStore on `map`, a movable clock, LIGHT hashing, and background
   * writes collected so a test can wait for them (`settle`).
   */
  function harness({ map = new Map(), store, config = {}, at = T0 } = {}) {
    const clock = { t: at };
    const pending = [];
    const errors = [];
    const ap = new AppPasswords({
      store: store ?? api.memoryStore(map),
      hashing: LIGHT,
      now: () => clock.t,
      waitUntil: (p) => pending.push(p),
      onError: (e) => errors.push(e),
      ...config,
    });
    return {
      ap,
      map,
      clock,
      pending,
      errors,
      async settle() {
        while (pending.length) await pending.shift();
      },
    };
  }

  /** A store over `map` whose methods can be replaced per test. */
  function faultyStore(map, overrides = {}) {
    const base = api.memoryStore(map);
    return {
      get: (k) => (overrides.get ? overrides.get(k, base) : base.get(k)),
      put: (k, v) => (overrides.put ? overrides.put(k, v, base) : base.put(k, v)),
      delete: (k) => (overrides.delete ? overrides.delete(k, base) : base.delete(k)),
      list: (p, c) => (overrides.list ? overrides.list(p, c, base) : base.list(p, c)),
    };
  }

  async function aliceWith(scopes = ["repository:write", "issue"], extra = {}) {
    const h = harness();
    const c = await h.ap.create({ user: "alice", label: "refusals", scopes, ...extra });
    return { h, ap: h.ap, c };
  }

  const figure = (text) => console.log(`budget [${runtime}]: ${text}`);

  /** A memoryStore over `map` that counts calls; getMany (<= 100 keys) counts as one. */
  function countingStore(map = new Map()) {
    const base = api.memoryStore(map);
    const c = { calls: 0, puts: [], bulkTooBig: 0 };
    const count = () => (c.calls += 1);
    return {
      c,
      map,
      reset() {
        c.calls = 0;
        c.puts = [];
      },
      store: {
        consistency: "strong",
        get: (k) => (count(), base.get(k)),
        getMany: (keys) => {
          count();
          if (keys.length > 100) c.bulkTooBig += 1;
          return base.getMany(keys);
        },
        put: (k, v) => (count(), c.puts.push(k), base.put(k, v)),
        delete: (k) => (count(), base.delete(k)),
        list: (p, cur) => (count(), base.list(p, cur)),
        increment: (k, d) => (count(), base.increment(k, d)),
      },
    };
  }

  return {
    t,
    count: () => count,
    runtime,
    api,
    PW,
    SC,
    PHC,
    REC,
    AppPasswords,
    AppPasswordError,
    hostError,
    rejectsHost,
    throwsArg,
    harness,
    faultyStore,
    aliceWith,
    figure,
    countingStore,
  };
}
