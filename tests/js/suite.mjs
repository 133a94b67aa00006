// The one JS test body of the `app-passwords` package, shared by every runtime runner
// (Node, Deno, Chromium, workerd). It uses only the language, the package and web-standard
// globals (Request, Response, TextEncoder, TextDecoder, btoa): no runtime-specific API.
//
//   defineSuite({ test, api, vectors, runtime }) -> number of tests registered
//
// `test(name, asyncFn)` registers a test; `api` is the imported package (all its exports);
// `vectors` is `{ passwords, scopes, phc, records }`, the parsed tests/vectors/*.json files;
// `runtime` names the runner ("node", "deno", "chromium", "workerd", ...), used in names only.
//
// Costs: Argon2 runs with LIGHT parameters (m=64 KiB) everywhere except one OWASP hash pair
// (about 50-90 ms each in wasm) and the phc.json vectors (three of them use m=64 MiB).

import { deepEqual, equal, fail, match, notEqual, ok, rejects, throws } from "./assert.mjs";
import { ALPHABET, checkDigits, crc32, withCheck } from "./checksum.mjs";

/** Argon2id parameters cheap enough to run hundreds of times. */
export const LIGHT = Object.freeze({ memoryKiB: 64, iterations: 1, parallelism: 1 });

const KEY_ROOT = "app-passwords/v1/";
/** A fixed clock origin (2027-01-15): tests move `clock.t` instead of waiting. */
const T0 = 1_800_000_000_000;

const encoder = new TextEncoder();
const utf8 = (text) => encoder.encode(text);

function hexToBytes(hex) {
  if (hex.length % 2) throw new Error(`odd hex length: ${hex}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function base64(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** An `Authorization: Basic` value for `user:password` (UTF-8, as curl -u sends it). */
function basic(user, password) {
  return `Basic ${base64(utf8(`${user}:${password}`))}`;
}

/** A well-formed password (right checksum) for any prefix, id and secret. */
function makePassword(prefix, id, secret) {
  const body = `${prefix}_${id}${secret}`;
  return withCheck(body);
}

/** The key segment of a username: everything but `A-Z a-z 0-9 - . _ ~` percent-encoded. */
function userSegment(user) {
  let out = "";
  for (const b of utf8(user)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const recordKey = (id) => `${KEY_ROOT}record/${id}`;
const indexKey = (user, id) => `${KEY_ROOT}user/${userSegment(user)}/${id}`;
const tombstoneKey = (id) => `${KEY_ROOT}revoked/${id}`;
const INDEX_NEW = '{"v":1,"lastUsedAt":null}';

/** Changes the character at `pos` to another character of the alphabet. */
function mistype(password, pos) {
  const c = password[pos];
  const replacement = ALPHABET[(ALPHABET.indexOf(c) + 1) % ALPHABET.length];
  return password.slice(0, pos) + replacement + password.slice(pos + 1);
}

/** Runs `fn` on every item, then fails once listing every item that failed. */
async function each(items, describe, fn) {
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

export function defineSuite({ test, api, vectors, runtime = "unknown" }) {
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

  const refusal = (status, code, reason, missing) => {
    const r = { ok: false, status, code, reason };
    if (missing) r.missing = missing;
    return r;
  };
  const invalid = (reason) => refusal(401, "invalid_credentials", reason);

  /**
   * A verify result equals `expected`. A granted result may carry `cached` (a boolean, true
   * only when it came from the opt-in verified-credential cache); unless `expected` names it,
   * it must be false and is left out of the comparison (records.json predates the field).
   */
  function sameResult(actual, expected, message) {
    if (actual && actual.ok === true && Object.prototype.hasOwnProperty.call(actual, "cached") && !("cached" in expected)) {
      equal(typeof actual.cached, "boolean", `${message ?? "result"}: cached is a boolean`);
      equal(actual.cached, false, `${message ?? "result"}: no cache configured`);
      const { cached: _cached, ...rest } = actual;
      actual = rest;
    }
    deepEqual(actual, expected, message);
  }

  const request = (authorization) =>
    new Request("https://api.example.test/2.0/user", authorization === undefined ? {} : { headers: { authorization } });

  // ---------------------------------------------------------------------------------------
  // The package's surface.

  t(`[${runtime}] exports: the documented API is there`, async () => {
    for (const name of ["AppPasswords", "AppPasswordError", "memoryStore", "workersKvStore", "denoKvStore", "redisStore", "durableObjectStore", "serveDurableObjectStore", "AppPasswordsDurableObject", "withTimeout", "generatePassword", "looksLikeAppPassword", "hashPassword", "verifyPasswordHash"]) {
      equal(typeof api[name], "function", `export ${name}`);
    }
    equal(typeof api.scopes, "object", "export scopes");
    for (const name of ["catalog", "normalize", "encode", "decode", "satisfies", "missing"]) {
      equal(typeof api.scopes[name], "function", `scopes.${name}`);
    }
    ok(Object.isFrozen(api.scopes), "scopes is frozen");
    const { ap } = harness();
    for (const name of ["create", "list", "revoke", "revokeAll", "verify", "verifyRequest", "unauthorized", "catalog"]) {
      equal(typeof ap[name], "function", `AppPasswords#${name}`);
    }
    // Permissions cannot be adjusted after creation: there is no update (design.md#scopes-are-fixed-at-creation).
    equal(ap.update, undefined, "no update method");
    equal(ap.prefix, "apw", "default prefix");
    const err = new AppPasswordError("m", "c");
    ok(err instanceof Error);
    equal(err.name, "AppPasswordError");
    equal(err.code, "c");
    equal(err.message, "m");
  });

  // ---------------------------------------------------------------------------------------
  // Round trip through memoryStore().

  t(`[${runtime}] round trip: create, list, verify, revoke, verify refused (memoryStore)`, async () => {
    const h = harness();
    const { ap, map } = h;
    const created = await ap.create({ user: "alice", label: "CI deploy", scopes: ["pullrequest:write"] });
    deepEqual(Object.keys(created).sort(), ["createdAt", "expiresAt", "id", "label", "password", "scopes"]);
    match(created.id, /^[0-9A-Za-z]{12}$/, "id");
    match(created.password, /^apw_[0-9A-Za-z]{50}$/, "password format");
    equal(created.password.length, 54);
    equal(created.password.slice(4, 16), created.id, "the id is the selector after the prefix");
    equal(created.password, makePassword("apw", created.id, created.password.slice(16, 48)), "CRC-32 check digits");
    ok(api.looksLikeAppPassword(created.password));
    equal(created.label, "CI deploy");
    deepEqual(created.scopes, ["repository", "repository:write", "pullrequest", "pullrequest:write"], "closed scopes, catalogue order");
    equal(created.createdAt, T0);
    equal(created.expiresAt, null);

    const listed = await ap.list("alice");
    deepEqual(listed, [{ id: created.id, label: "CI deploy", scopes: created.scopes, createdAt: T0, expiresAt: null, lastUsedAt: null }]);
    deepEqual(await ap.list("bob"), [], "per user");

    h.clock.t = T0 + 5000;
    const granted = await ap.verify({ username: "alice", password: created.password, require: ["repository:write", "pullrequest"] });
    sameResult(granted, { ok: true, user: "alice", id: created.id, label: "CI deploy", scopes: created.scopes });
    await h.settle();
    equal((await ap.list("alice"))[0].lastUsedAt, T0 + 5000, "lastUsedAt written after a verify");

    equal(await ap.revoke("alice", created.id), true, "revoke");
    equal(await ap.revoke("alice", created.id), false, "revoke twice");
    sameResult(await ap.verify({ username: "alice", password: created.password }), invalid("unknown_id"), "revoked never verifies");
    deepEqual(await ap.list("alice"), []);
    sameResult(await ap.verifyRequest(request(basic("alice", created.password))), invalid("unknown_id"));
    deepEqual(h.errors, [], "no background errors");
    ok(!map.has(recordKey(created.id)) && !map.has(indexKey("alice", created.id)), "record and index entry deleted");
    ok(map.has(tombstoneKey(created.id)), "tombstone written");
  });

  t(`[${runtime}] storage: only a salted Argon2id hash is stored, under the documented keys (design.md#records)`, async () => {
    const { ap, map } = harness();
    const a = await ap.create({ user: "alice", label: "one", scopes: ["repository"] });
    const b = await ap.create({ user: "alice", label: "one", scopes: ["repository"] });
    deepEqual([...map.keys()].sort(), [recordKey(a.id), recordKey(b.id), indexKey("alice", a.id), indexKey("alice", b.id)].sort());
    equal(map.get(indexKey("alice", a.id)), INDEX_NEW, "index entry");
    const record = JSON.parse(map.get(recordKey(a.id)));
    deepEqual(Object.keys(record).sort(), ["createdAt", "expiresAt", "hash", "id", "label", "scopes", "user", "v"]);
    equal(record.v, 1);
    equal(record.id, a.id);
    equal(record.user, "alice");
    equal(record.scopes, "v1.gA");
    equal(record.createdAt, T0);
    equal(record.expiresAt, null);
    match(record.hash, /^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/, "PHC string, configured profile");
    const recordB = JSON.parse(map.get(recordKey(b.id)));
    notEqual(record.hash.split("$")[4], recordB.hash.split("$")[4], "salts differ");
    for (const [key, value] of map) {
      for (const c of [a, b]) {
        ok(!value.includes(c.password) && !value.includes(c.password.slice(16, 48)), `${key} holds no password or secret`);
      }
    }
    ok(verifyHash(a.password, record.hash), "the stored hash is of the whole password");
    for (const entry of await ap.list("alice")) {
      ok(!("password" in entry) && !("hash" in entry), "list never returns the password or hash");
    }
    const v = await ap.verify({ username: "alice", password: a.password });
    ok(!("password" in v) && !("hash" in v), "verify never returns the password or hash");
  });

  function verifyHash(password, phc) {
    return api.verifyPasswordHash(password, phc);
  }

  t(`[${runtime}] storage: default profile is the light one; "owasp" selects m=19456,t=2,p=1`, async () => {
    const map = new Map();
    const plain = new AppPasswords({ store: api.memoryStore(map) });
    const c = await plain.create({ user: "u", label: "l", scopes: ["email"] });
    match(JSON.parse(map.get(recordKey(c.id))).hash, /^\$argon2id\$v=19\$m=256,t=1,p=1\$/, "default app-password profile");
    const { ap, map: map2 } = harness({ config: { hashing: "owasp" } });
    const o = await ap.create({ user: "u", label: "l", scopes: ["email"] });
    match(JSON.parse(map2.get(recordKey(o.id))).hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, "owasp profile");
    equal((await ap.verify({ username: "u", password: o.password })).ok, true);
  });

  t(`[${runtime}] storage: keys follow records.json "keys" (percent-encoded users, tombstone)`, async () => {
    await each(REC.keys, (k) => `${k.kind} ${JSON.stringify(k.user ?? k.id)}`, async (k) => {
      if (k.kind === "record") equal(recordKey(k.id), k.key);
      else if (k.kind === "tombstone") equal(tombstoneKey(k.id), k.key);
      else if (k.kind === "index") {
        equal(indexKey(k.user, k.id), k.key, "helper");
        equal(`${KEY_ROOT}user/${userSegment(k.user)}/`, k.user_prefix);
        // The package writes the same key for this user.
        const { ap, map } = harness();
        const c = await ap.create({ user: k.user, label: "keys", scopes: ["email"] });
        ok(map.has(k.user_prefix + c.id), `index key ${k.user_prefix}${c.id} in ${JSON.stringify([...map.keys()])}`);
        deepEqual((await ap.list(k.user)).map((l) => l.id), [c.id]);
        equal(await ap.revoke(k.user, c.id), true);
        ok(map.has(tombstoneKey(c.id)), "tombstone");
        deepEqual([...map.keys()], [tombstoneKey(c.id)], "only the tombstone is left");
      } else fail(`unknown kind ${k.kind}`);
    });
  });

  t(`[${runtime}] round trip: lastUsedAt is throttled (touchIntervalMs) and never delays the answer`, async () => {
    // Index writes wait for a gate the test opens: the answer must come without them.
    let open;
    const gate = new Promise((resolve) => (open = resolve));
    const map = new Map();
    const store = faultyStore(map, { put: async (k, v, base) => (k.includes("/user/") && map.has(k) ? gate.then(() => base.put(k, v)) : base.put(k, v)) });
    const h = harness({ map, store, config: { touchIntervalMs: 1000 } });
    const c = await h.ap.create({ user: "alice", label: "t", scopes: ["email"] });
    equal((await h.ap.verify({ username: "alice", password: c.password })).ok, true, "answered while the write is blocked");
    equal(h.pending.length, 1, "first verify leaves one background write");
    equal(h.map.get(indexKey("alice", c.id)), INDEX_NEW, "not written yet");
    open();
    await h.settle();
    equal(h.map.get(indexKey("alice", c.id)), `{"v":1,"lastUsedAt":${T0}}`);
    h.clock.t = T0 + 999;
    equal((await h.ap.verify({ username: "alice", password: c.password })).ok, true);
    equal(h.pending.length, 0, "no write within the interval");
    h.clock.t = T0 + 1000;
    equal((await h.ap.verify({ username: "alice", password: c.password })).ok, true);
    equal(h.pending.length, 1, "a write once the interval has passed");
    await h.settle();
    equal((await h.ap.list("alice"))[0].lastUsedAt, T0 + 1000);
    // A refusal never writes.
    h.clock.t = T0 + 5000;
    await h.ap.verify({ username: "bob", password: c.password });
    equal(h.pending.length, 0, "a refused verify writes nothing");
  });

  t(`[${runtime}] round trip: expiresAt (number or Date) and a moving clock`, async () => {
    const h = harness();
    const c = await h.ap.create({ user: "alice", label: "short", scopes: ["issue"], expiresAt: T0 + 60_000 });
    equal(c.expiresAt, T0 + 60_000);
    const d = await h.ap.create({ user: "alice", label: "date", scopes: ["issue"], expiresAt: new Date(T0 + 120_000) });
    equal(d.expiresAt, T0 + 120_000, "a Date becomes epoch ms");
    deepEqual((await h.ap.list("alice")).map((l) => l.expiresAt).sort(), [T0 + 60_000, T0 + 120_000]);
    h.clock.t = T0 + 59_999;
    equal((await h.ap.verify({ username: "alice", password: c.password })).ok, true, "just before expiry");
    h.clock.t = T0 + 60_000;
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), invalid("expired"), "at expiry");
    sameResult(await h.ap.verify({ username: "alice", password: c.password, purpose: "login" }), invalid("expired"), "expiry comes before purpose");
    equal((await h.ap.verify({ username: "alice", password: d.password })).ok, true, "the other one still works");
    h.clock.t = T0 + 10 * 365 * 86_400_000;
    sameResult(await h.ap.verify({ username: "alice", password: d.password }), invalid("expired"));
    equal((await h.ap.list("alice")).length, 2, "expired passwords are still listed (until revoked)");
  });

  t(`[${runtime}] round trip: list is per user, oldest first; revoke only by the owner`, async () => {
    const h = harness();
    const a1 = await h.ap.create({ user: "alice", label: "a1", scopes: ["email"] });
    h.clock.t = T0 + 1;
    const b1 = await h.ap.create({ user: "bob", label: "b1", scopes: ["email"] });
    h.clock.t = T0 + 2;
    const a2 = await h.ap.create({ user: "alice", label: "a2", scopes: ["wiki"] });
    deepEqual((await h.ap.list("alice")).map((l) => l.label), ["a1", "a2"]);
    deepEqual((await h.ap.list("bob")).map((l) => l.label), ["b1"]);
    deepEqual(await h.ap.list("alice2"), []);
    equal(await h.ap.revoke("bob", a1.id), false, "bob cannot revoke alice's password");
    equal((await h.ap.verify({ username: "alice", password: a1.password })).ok, true, "still valid");
    equal(await h.ap.revoke("alice", "not-an-id"), false);
    equal(await h.ap.revoke("alice", api.generatePassword().id), false, "an id never created");
    equal(await h.ap.revoke("alice", a2.id), true);
    deepEqual((await h.ap.list("alice")).map((l) => l.id), [a1.id]);
    equal((await h.ap.verify({ username: "bob", password: b1.password })).ok, true);
  });

  t(`[${runtime}] round trip: concurrent creates get distinct ids and all are listed`, async () => {
    const h = harness();
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) => h.ap.create({ user: "carol", label: `n${i}`, scopes: ["snippet"] })));
    const ids = made.map((m) => m.id);
    equal(new Set(ids).size, ids.length, "distinct ids");
    equal(new Set(made.map((m) => m.password)).size, ids.length, "distinct passwords");
    deepEqual((await h.ap.list("carol")).map((l) => l.id), [...ids].sort(), "same createdAt: ordered by id");
    const results = await Promise.all(made.map((m) => h.ap.verify({ username: "carol", password: m.password, require: ["snippet"] })));
    ok(results.every((r) => r.ok), "each verifies");
  });

  t(`[${runtime}] round trip: unicode user and label survive`, async () => {
    const h = harness();
    const user = "jürgen@例え.jp";
    const label = "été 🔑 build";
    const c = await h.ap.create({ user, label, scopes: ["repository"] });
    equal(c.label, label);
    deepEqual((await h.ap.list(user)).map((l) => l.label), [label]);
    sameResult(await h.ap.verifyRequest(request(basic(user, c.password))), { ok: true, user, id: c.id, label, scopes: ["repository"] });
  });

  t(`[${runtime}] round trip: custom prefix`, async () => {
    const h = harness({ config: { prefix: "acme" } });
    equal(h.ap.prefix, "acme");
    const c = await h.ap.create({ user: "alice", label: "p", scopes: ["email"] });
    match(c.password, /^acme_[0-9A-Za-z]{50}$/);
    ok(api.looksLikeAppPassword(c.password));
    equal((await h.ap.verify({ username: "alice", password: c.password })).ok, true);
    sameResult(await h.ap.verify({ username: "alice", password: api.generatePassword().password }), invalid("wrong_prefix"));
  });

  t(`[${runtime}] round trip: pepper (string or bytes) is needed to verify`, async () => {
    const map = new Map();
    const pepper = "host secret, not in the store";
    const withString = harness({ map, config: { pepper } });
    const c = await withString.ap.create({ user: "dave", label: "peppered", scopes: ["email"] });
    equal((await withString.ap.verify({ username: "dave", password: c.password })).ok, true);
    const withBytes = harness({ map, config: { pepper: utf8(pepper) } });
    equal((await withBytes.ap.verify({ username: "dave", password: c.password })).ok, true, "string pepper = its UTF-8 bytes");
    const without = harness({ map });
    sameResult(await without.ap.verify({ username: "dave", password: c.password }), invalid("wrong_secret"), "no pepper");
    const other = harness({ map, config: { pepper: pepper + "!" } });
    sameResult(await other.ap.verify({ username: "dave", password: c.password }), invalid("wrong_secret"), "another pepper");
  });

  t(`[${runtime}] round trip: a record under an older profile is re-hashed after a verify`, async () => {
    const map = new Map();
    const old = harness({ map });
    const c = await old.ap.create({ user: "erin", label: "old", scopes: ["email"] });
    const before = JSON.parse(map.get(recordKey(c.id)));
    const next = harness({ map, config: { hashing: { memoryKiB: 128, iterations: 1, parallelism: 1 } } });
    equal((await next.ap.verify({ username: "erin", password: c.password })).ok, true);
    await next.settle();
    const after = JSON.parse(map.get(recordKey(c.id)));
    match(after.hash, /^\$argon2id\$v=19\$m=128,t=1,p=1\$/, "upgraded to the current profile");
    deepEqual({ ...after, hash: null }, { ...before, hash: null }, "nothing else changed");
    equal((await next.ap.verify({ username: "erin", password: c.password })).ok, true, "still verifies");
    equal((await old.ap.verify({ username: "erin", password: c.password })).ok, true, "and under the old profile too");
  });

  t(`[${runtime}] round trip: a custom scope catalogue`, async () => {
    const catalog = { scopes: [{ name: "read" }, { name: "write", implies: ["read"] }, { name: "admin", grantable: false }] };
    const h = harness({ config: { catalog } });
    deepEqual(h.ap.catalog().map((s) => [s.name, s.grantable, s.closure]), [["read", true, []], ["write", true, ["read"]], ["admin", false, []]]);
    const c = await h.ap.create({ user: "u", label: "l", scopes: ["write"] });
    deepEqual(c.scopes, ["read", "write"]);
    sameResult(await h.ap.verify({ username: "u", password: c.password, require: ["admin"] }), refusal(403, "not_allowed_for_app_passwords", "scope_not_grantable", ["admin"]));
    await rejectsHost(() => h.ap.create({ user: "u", label: "l", scopes: ["repository"] }), "unknown_scope");
    throwsArg(() => new AppPasswords({ store: api.memoryStore(), catalog: { scopes: [{ name: "a", implies: ["b"] }] } }), "invalid_catalog");
    deepEqual(api.scopes.normalize(["write"], catalog), ["read", "write"], "helpers take a catalogue too");
    deepEqual(api.scopes.normalize(["write"], JSON.stringify(catalog)), ["read", "write"], "as JSON text too");
  });

  t(`[${runtime}] cache (opt-in): repeats skip the store, refusals and expiry still apply, revoke evicts`, async () => {
    const map = new Map();
    let gets = 0;
    const store = faultyStore(map, { get: (k, base) => ((gets += 1), base.get(k)) });
    const h = harness({ map, store, config: { cache: { ttlMs: 10_000, maxEntries: 100 } } });
    const c = await h.ap.create({ user: "alice", label: "cached", scopes: ["repository"], expiresAt: T0 + 5000 });
    const good = { ok: true, user: "alice", id: c.id, label: "cached", scopes: ["repository"] };
    gets = 0;
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), { ...good, cached: false }, "first verify");
    equal(gets, 2, "first verify reads the record and its tombstone");
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), { ...good, cached: true }, "second verify");
    equal(gets, 2, "a cached verify reads nothing");
    // Every rule after the secret is still applied to a cached credential.
    sameResult(await h.ap.verify({ username: "bob", password: c.password }), invalid("wrong_user"));
    sameResult(await h.ap.verify({ username: "alice", password: c.password, purpose: "login" }), refusal(403, "login_not_allowed", "login_refused"));
    sameResult(await h.ap.verify({ username: "alice", password: c.password, require: ["issue"] }), refusal(403, "insufficient_scope", "missing_scopes", ["issue"]));
    sameResult(await h.ap.verify({ username: "alice", password: c.password, require: ["workspace:admin"] }), refusal(403, "not_allowed_for_app_passwords", "scope_not_grantable", ["workspace:admin"]));
    sameResult(await h.ap.verify({ username: "alice", password: mistype(c.password, 30) }), invalid("bad_checksum"));
    sameResult(await h.ap.verify({ username: "alice", password: makePassword("apw", c.id, "B".repeat(32)) }), invalid("wrong_secret"), "same id, other secret: never a cache hit");
    h.clock.t = T0 + 5000;
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), invalid("expired"), "expiry applies to a cached credential");
    h.clock.t = T0 + 1000;
    equal((await h.ap.verify({ username: "alice", password: c.password })).ok, true);
    equal(await h.ap.revoke("alice", c.id), true);
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), invalid("unknown_id"), "revoke through this instance evicts at once");
    throwsArg(() => new AppPasswords({ store: api.memoryStore(), cache: { ttlMs: -1, maxEntries: 1 } }), "invalid_argument");
    throwsArg(() => new AppPasswords({ store: api.memoryStore(), cache: { ttlMs: 5 } }), "invalid_argument");
  });

  t(`[${runtime}] cache (opt-in): entries live ttlMs on the service clock`, async () => {
    const map = new Map();
    let gets = 0;
    const store = faultyStore(map, { get: (k, base) => ((gets += 1), base.get(k)) });
    const h = harness({ map, store, config: { cache: { ttlMs: 1000, maxEntries: 100 } } });
    const c = await h.ap.create({ user: "alice", label: "ttl", scopes: ["email"] });
    equal((await h.ap.verify({ username: "alice", password: c.password })).cached, false);
    h.clock.t = T0 + 999;
    equal((await h.ap.verify({ username: "alice", password: c.password })).cached, true, "within ttlMs");
    h.clock.t = T0 + 1000;
    gets = 0;
    equal((await h.ap.verify({ username: "alice", password: c.password })).cached, false, "after ttlMs");
    equal(gets, 2, "the record (and its tombstone) are read again");
    // A revoke elsewhere (another instance on the same store) is seen once the entry expires.
    const other = harness({ map });
    equal(await other.ap.revoke("alice", c.id), true);
    h.clock.t = T0 + 1500;
    equal((await h.ap.verify({ username: "alice", password: c.password })).cached, true, "still cached here (documented)");
    h.clock.t = T0 + 2000;
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), invalid("unknown_id"), "gone after ttlMs");
  });

  t(`[${runtime}] storeTimeoutMs / withTimeout: a store that never answers fails closed with store_timeout`, async () => {
    const hang = faultyStore(new Map(), { get: () => new Promise(() => {}) });
    const h = harness({ store: hang, config: { storeTimeoutMs: 30 } });
    await rejectsHost(() => h.ap.verify({ username: "alice", password: api.generatePassword().password }), "store_timeout");
    await rejectsHost(() => h.ap.verifyRequest(request(basic("alice", api.generatePassword().password))), "store_timeout");
    equal(typeof api.withTimeout, "function");
    const wrapped = api.withTimeout(hang, 20);
    const err = await rejects(() => wrapped.get("k"), { code: "store_timeout" });
    ok(err instanceof Error);
    const quick = api.withTimeout(api.memoryStore(new Map([["k", "v"]])), 1000);
    equal(await quick.get("k"), "v", "a store that answers in time is unchanged");
    throws(() => api.withTimeout(api.memoryStore(), 0), TypeError);
    // A store that answers in time keeps working under the option.
    const fine = harness({ config: { storeTimeoutMs: 5000 } });
    const c = await fine.ap.create({ user: "alice", label: "t", scopes: ["email"] });
    equal((await fine.ap.verify({ username: "alice", password: c.password })).ok, true);
  });

  // ---------------------------------------------------------------------------------------
  // Every refusal the spec names: ok, status, code, reason (and missing).

  async function aliceWith(scopes = ["repository:write", "issue"], extra = {}) {
    const h = harness();
    const c = await h.ap.create({ user: "alice", label: "refusals", scopes, ...extra });
    return { h, ap: h.ap, c };
  }

  t(`[${runtime}] refusal: wrong user → 401 invalid_credentials (wrong_user)`, async () => {
    const { ap, c } = await aliceWith();
    sameResult(await ap.verify({ username: "bob", password: c.password }), invalid("wrong_user"));
    sameResult(await ap.verify({ username: "Alice", password: c.password }), invalid("wrong_user"), "usernames are case-sensitive");
    sameResult(await ap.verify({ username: "", password: c.password }), invalid("wrong_user"));
    sameResult(await ap.verifyRequest(request(basic("bob", c.password))), invalid("wrong_user"));
  });

  t(`[${runtime}] refusal: mistyped password (one char changed) → 401 (bad_checksum)`, async () => {
    const { ap, c } = await aliceWith();
    for (const pos of [4, 10, 16, 30, 47, 48, 53]) {
      const typo = mistype(c.password, pos);
      equal(api.looksLikeAppPassword(typo), false, `looksLike after a typo at ${pos}`);
      sameResult(await ap.verify({ username: "alice", password: typo }), invalid("bad_checksum"), `typo at ${pos}`);
    }
    sameResult(await ap.verify({ username: "alice", password: c.password.slice(0, -1) }), invalid("wrong_length"));
    sameResult(await ap.verify({ username: "alice", password: `${c.password} ` }), invalid("wrong_length"));
    sameResult(await ap.verify({ username: "alice", password: c.password.toUpperCase() }), invalid("wrong_prefix"));
  });

  t(`[${runtime}] refusal: right id, other secret with a valid checksum → 401 (wrong_secret)`, async () => {
    const { ap, c } = await aliceWith();
    const forged = makePassword("apw", c.id, "A".repeat(32));
    ok(api.looksLikeAppPassword(forged));
    sameResult(await ap.verify({ username: "alice", password: forged }), invalid("wrong_secret"));
  });

  t(`[${runtime}] refusal: unknown id (valid format, never created) → 401 (unknown_id)`, async () => {
    const { ap } = await aliceWith();
    const never = api.generatePassword();
    ok(api.looksLikeAppPassword(never.password));
    sameResult(await ap.verify({ username: "alice", password: never.password }), invalid("unknown_id"));
    sameResult(await ap.verifyRequest(request(basic("alice", never.password))), invalid("unknown_id"));
  });

  t(`[${runtime}] refusal: missing scope → 403 insufficient_scope with missing`, async () => {
    const { ap, c } = await aliceWith(["repository"]);
    sameResult(
      await ap.verify({ username: "alice", password: c.password, require: ["repository", "repository:write"] }),
      refusal(403, "insufficient_scope", "missing_scopes", ["repository:write"]),
    );
    sameResult(
      await ap.verify({ username: "alice", password: c.password, require: ["pipeline:variable", "email", "repository"] }),
      refusal(403, "insufficient_scope", "missing_scopes", ["email", "pipeline:variable"]),
      "missing in catalogue order",
    );
    // Implied scopes count: repository:admin does not imply write, but pullrequest:write implies repository:write.
    const { ap: ap2, c: c2 } = await aliceWith(["pullrequest:write"]);
    equal((await ap2.verify({ username: "alice", password: c2.password, require: ["repository:write"] })).ok, true, "implied scope");
    sameResult(await ap2.verify({ username: "alice", password: c2.password, require: ["repository:admin"] }), refusal(403, "insufficient_scope", "missing_scopes", ["repository:admin"]));
  });

  t(`[${runtime}] refusal: purpose "login" → 403 login_not_allowed (design.md#order-of-checks)`, async () => {
    const { ap, c } = await aliceWith();
    sameResult(await ap.verify({ username: "alice", password: c.password, purpose: "login" }), refusal(403, "login_not_allowed", "login_refused"));
    sameResult(await ap.verify({ username: "alice", password: c.password, purpose: "api" }), { ok: true, user: "alice", id: c.id, label: "refusals", scopes: c.scopes });
    // A wrong password for login is still a 401: nothing about the account is revealed.
    sameResult(await ap.verify({ username: "alice", password: mistype(c.password, 20), purpose: "login" }), invalid("bad_checksum"));
    sameResult(await ap.verify({ username: "bob", password: c.password, purpose: "login" }), invalid("wrong_user"));
  });

  t(`[${runtime}] refusal: workspace management (workspace:admin) → 403 not_allowed_for_app_passwords (design.md#grantable-and-not-grantable)`, async () => {
    const every = api.scopes.catalog().filter((s) => s.grantable).map((s) => s.name);
    const { ap, c } = await aliceWith(every);
    sameResult(
      await ap.verify({ username: "alice", password: c.password, require: ["workspace:admin"] }),
      refusal(403, "not_allowed_for_app_passwords", "scope_not_grantable", ["workspace:admin"]),
      "even a password holding every grantable scope",
    );
    sameResult(
      await ap.verify({ username: "alice", password: c.password, require: ["repository", "account:login", "workspace:admin"] }),
      refusal(403, "not_allowed_for_app_passwords", "scope_not_grantable", ["workspace:admin", "account:login"]),
    );
    sameResult(
      await ap.verifyRequest(request(basic("alice", c.password)), { require: ["workspace:admin"] }),
      refusal(403, "not_allowed_for_app_passwords", "scope_not_grantable", ["workspace:admin"]),
    );
  });

  t(`[${runtime}] refusal: revoked → 401 invalid_credentials`, async () => {
    const { ap, c } = await aliceWith();
    equal((await ap.verify({ username: "alice", password: c.password })).ok, true);
    equal(await ap.revoke("alice", c.id), true);
    sameResult(await ap.verify({ username: "alice", password: c.password }), invalid("unknown_id"));
    sameResult(await ap.verify({ username: "alice", password: c.password, purpose: "login" }), invalid("unknown_id"));
  });

  t(`[${runtime}] refusal: expired → 401 invalid_credentials (expired)`, async () => {
    const { h, ap, c } = await aliceWith(["email"], { expiresAt: T0 + 1000 });
    h.clock.t = T0 + 1000;
    sameResult(await ap.verify({ username: "alice", password: c.password }), invalid("expired"));
    sameResult(await ap.verifyRequest(request(basic("alice", c.password))), invalid("expired"));
  });

  t(`[${runtime}] refusal: garbage credentials are refused, never thrown`, async () => {
    const { ap } = await aliceWith();
    for (const password of ["", "password", "apw_", "apw_" + "x".repeat(50), "😀".repeat(27), "\u0000".repeat(54), "a".repeat(100_000)]) {
      const r = await ap.verify({ username: "alice", password });
      equal(r.ok, false, JSON.stringify(password.slice(0, 20)));
      equal(r.status, 401);
      equal(r.code, "invalid_credentials");
    }
  });

  t(`[${runtime}] refusal: require names an unknown scope → throws unknown_scope (a host bug)`, async () => {
    const { ap, c } = await aliceWith();
    await rejectsHost(() => ap.verify({ username: "alice", password: c.password, require: ["repository:read"] }), "unknown_scope");
    await rejectsHost(() => ap.verifyRequest(request(undefined), { require: ["nope"] }), "unknown_scope", "checked before the header");
  });

  // ---------------------------------------------------------------------------------------
  // verifyRequest: HTTP Basic headers.

  t(`[${runtime}] verifyRequest: good Basic header (any scheme case, Request or plain headers)`, async () => {
    const { ap, c } = await aliceWith(["repository"]);
    const good = { ok: true, user: "alice", id: c.id, label: "refusals", scopes: ["repository"] };
    sameResult(await ap.verifyRequest(request(basic("alice", c.password))), good);
    sameResult(await ap.verifyRequest(request(basic("alice", c.password)), { require: ["repository"] }), good);
    sameResult(await ap.verifyRequest(request(basic("alice", c.password).replace("Basic", "basic"))), good);
    sameResult(await ap.verifyRequest(request(basic("alice", c.password).replace("Basic", "BASIC"))), good);
    sameResult(await ap.verifyRequest({ headers: { authorization: basic("alice", c.password) } }), good, "plain object headers");
    sameResult(await ap.verifyRequest({ headers: { Authorization: basic("alice", c.password) } }), good, "capitalised key");
    sameResult(await ap.verifyRequest({ headers: new Headers({ Authorization: basic("alice", c.password) }) }), good, "Headers");
    sameResult(
      await ap.verifyRequest(request(basic("alice", c.password)), { require: ["repository:write"] }),
      refusal(403, "insufficient_scope", "missing_scopes", ["repository:write"]),
    );
    await rejectsHost(() => ap.verifyRequest({}), "invalid_argument", "not a request");
  });

  t(`[${runtime}] verifyRequest: bad Basic headers → 401 invalid_credentials`, async () => {
    const { ap, c } = await aliceWith();
    const cases = [
      [undefined, "missing_credentials", "missing header"],
      ["", "missing_credentials", "empty header"],
      ["   ", "missing_credentials", "blank header"],
      [`Bearer ${c.password}`, "not_basic_auth", "Bearer"],
      ["Digest username=\"alice\"", "not_basic_auth", "Digest"],
      ["Basic", "not_basic_auth", "scheme only"],
      ["Basic !!!not-base64!!!", "bad_base64", "bad base64"],
      [`Basic ${base64(utf8(`alice:${c.password}`)).replace(/=+$/, "")}x`, "bad_base64", "truncated base64"],
      [`Basic ${base64(utf8(`alice${c.password}`))}`, "missing_colon", "no colon"],
      [`Basic ${base64(new Uint8Array([0xff, 0xfe, 0x3a, 0x61]))}`, "bad_utf8", "not UTF-8"],
      [`Basic ${"A".repeat(1100)}`, "header_too_long", "longer than 1024"],
      [basic("alice", c.password + "x".repeat(800)), "header_too_long", "credentials that encode over 1024"],
    ];
    await each(cases, ([, , why]) => why, async ([header, reason]) => {
      sameResult(await ap.verifyRequest(request(header)), invalid(reason));
    });
    // 1024 is the bound: a header of exactly 1024 characters is read (and then refused for
    // what it contains, not for its size).
    const pad = 1024 - basic("alice", "").length;
    let filler = "p".repeat(Math.floor((pad * 3) / 4));
    while (basic("alice", filler).length > 1024) filler = filler.slice(1);
    const atBound = basic("alice", filler);
    ok(atBound.length <= 1024 && atBound.length > 1000, `header of ${atBound.length}`);
    sameResult(await ap.verifyRequest(request(atBound)), invalid("wrong_prefix"));
  });

  // ---------------------------------------------------------------------------------------
  // unauthorized(result): the response a host sends.

  t(`[${runtime}] unauthorized: 401 with WWW-Authenticate Basic, 403 without; never the reason`, async () => {
    const { ap, c } = await aliceWith(["repository"]);
    const results = {
      unknown: await ap.verify({ username: "alice", password: api.generatePassword().password }),
      wrongUser: await ap.verify({ username: "bob", password: c.password }),
      header: await ap.verifyRequest(request("Bearer x")),
      login: await ap.verify({ username: "alice", password: c.password, purpose: "login" }),
      scope: await ap.verify({ username: "alice", password: c.password, require: ["issue:write"] }),
      admin: await ap.verify({ username: "alice", password: c.password, require: ["workspace:admin"] }),
    };
    for (const [name, result] of Object.entries(results)) {
      equal(result.ok, false, name);
      const res = ap.unauthorized(result);
      ok(res instanceof Response, "a Response");
      equal(res.status, result.status, `${name} status`);
      match(res.headers.get("content-type") ?? "", /^application\/json/, `${name} content-type`);
      equal(res.headers.get("cache-control"), "no-store", `${name} cache-control`);
      const challenge = res.headers.get("www-authenticate");
      if (result.status === 401) {
        match(challenge ?? "", /^Basic realm="app-passwords"/, `${name} challenge`);
      } else {
        equal(challenge, null, `${name}: a 403 has no challenge`);
      }
      const text = await res.text();
      ok(!text.includes("reason") && !text.includes(result.reason), `${name}: body ${text} leaks the reason ${result.reason}`);
      const body = JSON.parse(text);
      deepEqual(Object.keys(body), ["error"]);
      equal(body.error.code, result.code, `${name} code`);
      equal(typeof body.error.message, "string");
      ok(body.error.message.length > 0);
      if (result.missing) deepEqual(body.error.missing, result.missing, `${name} missing`);
      else equal(body.error.missing, undefined, `${name} has no missing`);
      deepEqual(Object.keys(body.error).sort(), result.missing ? ["code", "message", "missing"] : ["code", "message"]);
    }
    equal(results.unknown.status, 401);
    equal(results.login.status, 403);
    deepEqual(results.scope.missing, ["issue:write"], "missing lists what was required, not its closure");
    const custom = new AppPasswords({ store: api.memoryStore(), realm: "my api" });
    match(custom.unauthorized(results.unknown).headers.get("www-authenticate"), /^Basic realm="my api"/, "custom realm");
    equal(ap.unauthorized(undefined).status, 401, "no result: 401");
  });

  // ---------------------------------------------------------------------------------------
  // A failing host store: AppPasswordError, fail closed, never ok: true.

  t(`[${runtime}] store fault: get rejects → verify rejects store_unavailable`, async () => {
    const map = new Map();
    const seed = harness({ map });
    const c = await seed.ap.create({ user: "alice", label: "x", scopes: ["email"] });
    const boom = () => Promise.reject(new Error("connection reset"));
    const h = harness({ store: faultyStore(map, { get: boom }) });
    const err = await rejectsHost(() => h.ap.verify({ username: "alice", password: c.password }), "store_unavailable");
    ok(err instanceof api.AppPasswordError && err instanceof Error, "instanceof AppPasswordError and Error");
    ok(typeof err.stack === "string" || err.stack === undefined);
    await rejectsHost(() => h.ap.verifyRequest(request(basic("alice", c.password))), "store_unavailable", "verifyRequest");
    await rejectsHost(() => h.ap.verify({ username: "alice", password: api.generatePassword().password }), "store_unavailable", "unknown id");
    await rejectsHost(() => h.ap.revoke("alice", c.id), "store_unavailable", "revoke");
    await rejectsHost(() => h.ap.list("alice"), "store_unavailable", "list reads records");
    await rejectsHost(() => h.ap.create({ user: "alice", label: "y", scopes: ["email"] }), "store_unavailable", "create checks for a free id");
    // A malformed password is refused before any store access: no error.
    sameResult(await h.ap.verify({ username: "alice", password: "nope" }), invalid("wrong_prefix"));
  });

  t(`[${runtime}] store fault: get throws synchronously or rejects with a non-Error → store_unavailable`, async () => {
    const pw = api.generatePassword().password;
    const sync = harness({ store: faultyStore(new Map(), { get: () => { throw new Error("sync"); } }) });
    await rejectsHost(() => sync.ap.verify({ username: "alice", password: pw }), "store_unavailable");
    const str = harness({ store: faultyStore(new Map(), { get: () => Promise.reject("a string") }) });
    await rejectsHost(() => str.ap.verify({ username: "alice", password: pw }), "store_unavailable");
    const undef = harness({ store: faultyStore(new Map(), { get: () => Promise.reject(undefined) }) });
    await rejectsHost(() => undef.ap.verify({ username: "alice", password: pw }), "store_unavailable");
  });

  t(`[${runtime}] store fault: get resolves a non-string → store_corrupt`, async () => {
    const pw = api.generatePassword().password;
    for (const value of [42, true, {}, [], { v: 1 }, new Uint8Array(3)]) {
      const h = harness({ store: faultyStore(new Map(), { get: async () => value }) });
      await rejectsHost(() => h.ap.verify({ username: "alice", password: pw }), "store_corrupt", `get → ${JSON.stringify(value)}`);
    }
    // null and undefined mean "absent".
    for (const value of [null, undefined]) {
      const h = harness({ store: faultyStore(new Map(), { get: async () => value }) });
      sameResult(await h.ap.verify({ username: "alice", password: pw }), invalid("unknown_id"), `get → ${value}`);
    }
    // A plain (non-Promise) return is accepted too.
    const plain = harness({ store: faultyStore(new Map(), { get: () => 7 }) });
    await rejectsHost(() => plain.ap.verify({ username: "alice", password: pw }), "store_corrupt", "plain 7");
  });

  t(`[${runtime}] store fault: list returns garbage → store_corrupt; list rejects → store_unavailable`, async () => {
    for (const value of [null, undefined, 5, "keys", {}, { keys: "a" }, { keys: [1] }, { keys: [null] }, { keys: [], cursor: 5 }, { keys: [], cursor: {} }]) {
      const h = harness({ store: faultyStore(new Map(), { list: async () => value }) });
      await rejectsHost(() => h.ap.list("alice"), "store_corrupt", `list → ${JSON.stringify(value)}`);
    }
    const h = harness({ store: faultyStore(new Map(), { list: () => Promise.reject(new Error("down")) }) });
    await rejectsHost(() => h.ap.list("alice"), "store_unavailable");
    // Keys outside the user's prefix or not shaped like ids are ignored, not trusted.
    const odd = harness({ store: faultyStore(new Map(), { list: async () => ({ keys: ["elsewhere/abc", `${KEY_ROOT}user/alice/short`] }) }) });
    deepEqual(await odd.ap.list("alice"), []);
  });

  t(`[${runtime}] store fault: list follows cursors, and a store that repeats its cursor ends`, async () => {
    const map = new Map();
    const seed = harness({ map });
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await seed.ap.create({ user: "alice", label: `p${i}`, scopes: ["email"] }));
    const keys = made.map((m) => indexKey("alice", m.id));
    const calls = [];
    const paged = harness({
      store: faultyStore(map, {
        list: async (prefix, cursor) => {
          calls.push(cursor);
          const i = cursor === undefined ? 0 : Number(cursor);
          return i + 1 < keys.length ? { keys: [keys[i]], cursor: String(i + 1) } : { keys: [keys[i]] };
        },
      }),
    });
    deepEqual((await paged.ap.list("alice")).map((l) => l.id).sort(), made.map((m) => m.id).sort());
    deepEqual(calls, [undefined, "1", "2"]);
    let loops = 0;
    const stuck = harness({ store: faultyStore(map, { list: async () => { loops += 1; return { keys: [keys[0]], cursor: "same" }; } }) });
    deepEqual([...new Set((await stuck.ap.list("alice")).map((l) => l.id))], [made[0].id]);
    ok(loops <= 2, `a repeated cursor stops the walk (${loops} calls)`);
  });

  t(`[${runtime}] store fault: a key listed twice (Redis SCAN may) is listed once`, async () => {
    const map = new Map();
    const seed = harness({ map });
    const c = await seed.ap.create({ user: "alice", label: "once", scopes: ["email"] });
    const key = indexKey("alice", c.id);
    const samePage = harness({ store: faultyStore(map, { list: async () => ({ keys: [key, key] }) }) });
    deepEqual((await samePage.ap.list("alice")).map((l) => l.id), [c.id], "twice in one page");
    const twoPages = harness({ store: faultyStore(map, { list: async (p, cursor) => (cursor === undefined ? { keys: [key], cursor: "1" } : { keys: [key] }) }) });
    deepEqual((await twoPages.ap.list("alice")).map((l) => l.id), [c.id], "once in each of two pages");
  });

  t(`[${runtime}] store fault: create fails cleanly when a write fails`, async () => {
    const map = new Map();
    const first = harness({ store: faultyStore(map, { put: () => Promise.reject(new Error("read-only")) }) });
    await rejectsHost(() => first.ap.create({ user: "alice", label: "x", scopes: ["email"] }), "store_unavailable");
    equal(map.size, 0, "nothing written");
    const second = harness({
      store: faultyStore(map, { put: (k, v, base) => (k.includes("/user/") ? Promise.reject(new Error("index down")) : base.put(k, v)) }),
    });
    await rejectsHost(() => second.ap.create({ user: "alice", label: "x", scopes: ["email"] }), "store_unavailable");
    deepEqual([...map.keys()], [], "the record written first was removed");
  });

  t(`[${runtime}] store fault: a failing lastUsedAt write never changes the answer (onError gets it)`, async () => {
    const map = new Map();
    const seed = harness({ map });
    const c = await seed.ap.create({ user: "alice", label: "x", scopes: ["email"] });
    const h = harness({ store: faultyStore(map, { put: () => Promise.reject(new Error("write quota")) }) });
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), { ok: true, user: "alice", id: c.id, label: "x", scopes: ["email"] });
    await h.settle();
    equal(h.errors.length, 1, "onError called once");
    ok(h.errors[0] instanceof AppPasswordError, "with an AppPasswordError");
    equal(h.errors[0].code, "store_unavailable");
  });

  t(`[${runtime}] store fault: a store object without the four methods is refused`, async () => {
    throwsArg(() => new AppPasswords({}), "invalid_argument");
    throwsArg(() => new AppPasswords({ store: { get() {}, put() {}, delete() {} } }), "invalid_argument");
    throwsArg(() => new AppPasswords({ store: new Map() }), "invalid_argument");
    throws(() => api.workersKvStore({}), TypeError);
    throws(() => api.denoKvStore({}), TypeError);
    throws(() => api.redisStore({}), TypeError);
  });

  // ---------------------------------------------------------------------------------------
  // The fault matrix (tests/FAULTS.md): each kind of failing store × each operation. In
  // every cell: a revoked or wrong password is never ok: true; an error is an
  // AppPasswordError with a documented code; and no half-created password (a password the
  // test holds is listed if and only if it verifies, unless the store lied about a write).

  const STORE_ERRORS = ["store_unavailable", "store_corrupt", "store_timeout"];

  /**
   * A memoryStore over `map` that misbehaves while armed with `fault`:
   *   "throw"    every method throws synchronously
   *   "reject"   every method returns a rejected promise
   *   "ackLost"  a write is applied, then its promise rejects (reads work)
   *   "hang"     every promise stays pending forever (use with storeTimeoutMs)
   *   "number" | "object" | "badJson"   get resolves 42 / { v: 1 } / invalid JSON, for any key
   *   "listKeys" list resolves { keys: "x" } (the rest works)
   *   "drop"     put and delete resolve and do nothing
   *   "late"     put and delete resolve at once; applied at flush(), newest first
   */
  function chaosStore(map) {
    const base = api.memoryStore(map);
    let fault = null;
    const late = [];
    const hang = () => new Promise(() => {});
    const failing = () => {
      if (fault === "throw") throw new Error("store down (thrown)");
      if (fault === "reject") return Promise.reject(new Error("store down"));
      if (fault === "hang") return hang();
      return null;
    };
    const write = (apply) => {
      const failed = failing();
      if (failed) return failed;
      if (fault === "ackLost") return apply().then(() => Promise.reject(new Error("connection reset after the write")));
      if (fault === "drop") return Promise.resolve();
      if (fault === "late") {
        late.push(apply);
        return Promise.resolve();
      }
      return apply();
    };
    const GARBAGE = { number: 42, object: { v: 1 }, badJson: '{"v":1,"id":' };
    return {
      store: {
        get(key) {
          const failed = failing();
          if (failed) return failed;
          if (fault in GARBAGE) return Promise.resolve(GARBAGE[fault]);
          return base.get(key);
        },
        put: (key, value) => write(() => base.put(key, value)),
        delete: (key) => write(() => base.delete(key)),
        list(prefix, cursor) {
          const failed = failing();
          if (failed) return failed;
          if (fault === "listKeys") return Promise.resolve({ keys: "x" });
          return base.list(prefix, cursor);
        },
      },
      arm: (f) => (fault = f),
      disarm: () => (fault = null),
      pendingWrites: () => late.length,
      async flush() {
        while (late.length) await late.pop()();
      },
    };
  }

  /** `password` with one secret character changed and a valid checksum: wrong_secret. */
  function otherSecret(password) {
    const id = password.slice(4, 16);
    return makePassword("apw", id, mistype(password.slice(16, 48), 0));
  }

  /** How the store changed, by kind of key: "+rec +idx", "~idx", "−rec", or "·". */
  function storeChange(before, after) {
    const kind = (k) => (k.includes("/record/") ? "rec" : k.includes("/revoked/") ? "tomb" : "idx");
    const out = [];
    for (const k of [...after.keys()].sort()) {
      if (!before.has(k)) out.push(`+${kind(k)}`);
      else if (before.get(k) !== after.get(k)) out.push(`~${kind(k)}`);
    }
    for (const k of [...before.keys()].sort()) if (!after.has(k)) out.push(`−${kind(k)}`);
    return out.length ? out.join(" ") : "·";
  }

  const verdict = (r) => (r.ok === true ? "granted" : `refused (${r.reason})`);

  const MATRIX_OPS = ["create", "verify valid", "verify revoked", "verify wrong secret", "list", "revoke"];
  const NONE = "— (no password returned)";
  const KEPT = "granted, listed";
  const FAILS = (code) => [
    [`Err(${code})`, NONE, "·"],
    [`Err(${code})`, KEPT, "·"],
    [`Err(${code})`, "refused (unknown_id)", "·"],
    [`Err(${code})`, "refused (wrong_secret)", "·"],
    [`Err(${code})`, KEPT, "·"],
    [`Err(${code})`, KEPT, "·"],
  ];
  // [result, the subject after the store heals, store change] per operation, in MATRIX_OPS
  // order. The subject is the created password (create), the valid one (verify valid, list,
  // revoke), or the one verified. Same notation as the Rust table in tests/FAULTS.md.
  const FAULT_MATRIX = {
    throw: FAILS("store_unavailable"),
    reject: FAILS("store_unavailable"),
    ackLost: [
      ["Err(store_unavailable)", NONE, "+rec"],
      ["granted", KEPT, "~idx"],
      ["refused (unknown_id)", "refused (unknown_id)", "·"],
      ["refused (wrong_secret)", "refused (wrong_secret)", "·"],
      ["Ok: 1 listed", KEPT, "·"],
      // Told it failed, but the tombstone is written: already refused and not listed.
      ["Err(store_unavailable)", "refused (unknown_id), not listed", "+tomb"],
    ],
    hang: FAILS("store_timeout"),
    number: FAILS("store_corrupt"),
    object: FAILS("store_corrupt"),
    badJson: [["Err(id_collision)", NONE, "·"], ...FAILS("store_corrupt").slice(1)],
    listKeys: [
      // create counts the user's passwords (maxPerUser) through list: it fails closed.
      ["Err(store_corrupt)", NONE, "·"],
      ["granted", KEPT, "~idx"],
      ["refused (unknown_id)", "refused (unknown_id)", "·"],
      ["refused (wrong_secret)", "refused (wrong_secret)", "·"],
      ["Err(store_corrupt)", KEPT, "·"],
      ["Ok(true)", "refused (unknown_id), not listed", "+tomb −rec −idx"],
    ],
    drop: [
      ["Ok: password returned", "refused (unknown_id), not listed", "·"],
      ["granted", KEPT, "·"],
      ["refused (unknown_id)", "refused (unknown_id)", "·"],
      ["refused (wrong_secret)", "refused (wrong_secret)", "·"],
      ["Ok: 1 listed", KEPT, "·"],
      // The store lied (said Ok, wrote nothing): still listed; this instance, which the revoke
      // went through, refuses it (another instance would still grant it).
      ["Ok(true)", "refused (unknown_id), listed", "·"],
    ],
    late: [
      ["Ok: password returned", "granted, listed (before flush: refused (unknown_id))", "+rec +idx"],
      ["granted", KEPT, "~idx"],
      ["refused (unknown_id)", "refused (unknown_id)", "·"],
      ["refused (wrong_secret)", "refused (wrong_secret)", "·"],
      ["Ok: 1 listed", KEPT, "·"],
      // No read-your-writes until the flush, like an eventually consistent store; this
      // instance refuses it at once (the revoke went through it).
      ["Ok(true)", "refused (unknown_id), not listed", "+tomb −rec −idx"],
    ],
  };

  /** One cell: alice holds a valid, a revoked and a wrong password; `op` runs under `fault`. */
  async function faultCell(fault, op) {
    const map = new Map();
    const chaos = chaosStore(map);
    // storeTimeoutMs only where needed: its wrapper turns a synchronous throw into a rejection.
    const h = harness({ map, store: chaos.store, config: fault === "hang" ? { storeTimeoutMs: 50 } : {} });
    const { ap } = h;
    const valid = await ap.create({ user: "alice", label: "tool", scopes: ["repository"] });
    const revoked = await ap.create({ user: "alice", label: "old", scopes: ["repository"] });
    equal(await ap.revoke("alice", revoked.id), true);
    const wrong = otherSecret(valid.password);
    const verifyNow = async (password) => verdict(await ap.verify({ username: "alice", password }));
    const before = new Map(map);

    chaos.arm(fault);
    let result;
    let created = null;
    try {
      if (op === "create") {
        created = await ap.create({ user: "alice", label: "new", scopes: ["email"] });
        result = "Ok: password returned";
      } else if (op === "list") {
        result = `Ok: ${(await ap.list("alice")).length} listed`;
      } else if (op === "revoke") {
        result = `Ok(${await ap.revoke("alice", valid.id)})`;
      } else {
        const password = { "verify valid": valid.password, "verify revoked": revoked.password, "verify wrong secret": wrong }[op];
        const r = await ap.verify({ username: "alice", password });
        if (op !== "verify valid") equal(r.ok, false, `${op}: never ok under ${fault}`);
        result = verdict(r);
      }
    } catch (err) {
      ok(err instanceof AppPasswordError && err instanceof Error, `${fault}/${op}: an AppPasswordError, got ${err}`);
      const documented = STORE_ERRORS.includes(err.code) || (op === "create" && err.code === "id_collision");
      ok(documented, `${fault}/${op}: undocumented code ${err.code}`);
      for (const pw of [valid.password, revoked.password, wrong]) ok(!String(err.message).includes(pw), "no password in the message");
      result = `Err(${err.code})`;
    }
    await h.settle(); // background lastUsedAt writes (their failures go to onError)
    for (const e of h.errors) ok(e instanceof AppPasswordError && STORE_ERRORS.includes(e.code), `background error ${e && e.code}`);
    chaos.disarm();

    const subjectPassword = op === "create" ? created?.password : op === "verify revoked" ? revoked.password : op === "verify wrong secret" ? wrong : valid.password;
    const beforeFlush = subjectPassword && chaos.pendingWrites() ? await verifyNow(subjectPassword) : null;
    await chaos.flush();
    const after = new Map(map);

    // After healing: the revoked and the wrong password never verify.
    match(await verifyNow(revoked.password), /^refused/, `${fault}/${op}: revoked, healed`);
    match(await verifyNow(wrong), /^refused/, `${fault}/${op}: wrong, healed`);
    const listed = (await ap.list("alice")).map((l) => l.id);
    // No half-created password: listed ⟺ verifies, for every password the test holds.
    for (const held of [valid, created].filter(Boolean)) {
      const verifies = (await verifyNow(held.password)) === "granted";
      if (verifies !== listed.includes(held.id)) {
        ok(fault === "drop", `${fault}/${op}: ${held.id} listed=${listed.includes(held.id)} verifies=${verifies}`);
      }
    }
    if (op === "revoke" && result === "Ok(true)" && fault !== "drop") {
      equal(await verifyNow(valid.password), "refused (unknown_id)", `${fault}: a revoke that said true is final`);
    }
    if (op !== "revoke") equal(await verifyNow(valid.password), "granted", `${fault}/${op}: the valid password still works`);

    let subject = NONE;
    if (subjectPassword) {
      subject = await verifyNow(subjectPassword);
      if (["create", "verify valid", "list", "revoke"].includes(op)) {
        subject += listed.includes(subjectPassword.slice(4, 16)) ? ", listed" : ", not listed";
      }
      if (beforeFlush && !subject.startsWith(beforeFlush)) subject += ` (before flush: ${beforeFlush})`;
    }
    return [result, subject, storeChange(before, after)];
  }

  for (const [fault, expected] of Object.entries(FAULT_MATRIX)) {
    t(`[${runtime}] fault matrix: ${fault} × create, verify (valid, revoked, wrong), list, revoke`, async () => {
      const diffs = [];
      for (const [i, op] of MATRIX_OPS.entries()) {
        const got = await faultCell(fault, op);
        if (JSON.stringify(got) !== JSON.stringify(expected[i])) diffs.push(`${op}: got ${JSON.stringify(got)}, expected ${JSON.stringify(expected[i])}`);
      }
      if (diffs.length) fail(`${fault}:\n    ${diffs.join("\n    ")}`);
    });
  }

  t(`[${runtime}] fault matrix: a create whose index write hangs leaves nothing; a dropped one fails closed`, async () => {
    // Record first, then the index entry. (A rejected index write: "store fault: create fails
    // cleanly" above.) Index write hangs past storeTimeoutMs: store_timeout, record removed.
    const map = new Map();
    const onIndex = (answer) => faultyStore(map, { put: (k, v, base) => (k.includes("/user/") ? answer() : base.put(k, v)) });
    const hung = harness({ map, store: onIndex(() => new Promise(() => {})), config: { storeTimeoutMs: 50 } });
    await rejectsHost(() => hung.ap.create({ user: "alice", label: "x", scopes: ["email"] }), "store_timeout");
    equal(map.size, 0, "cleaned up after the timeout");
    // Index write dropped (the store said Ok): the password works but is not listed until its
    // first verify writes lastUsedAt, which puts the index entry back. Revocable by id.
    const dropped = harness({ map, store: onIndex(() => Promise.resolve()) });
    const c = await dropped.ap.create({ user: "alice", label: "x", scopes: ["email"] });
    const h = harness({ map });
    deepEqual(await h.ap.list("alice"), [], "not listed");
    equal((await h.ap.verify({ username: "alice", password: c.password })).ok, true);
    await h.settle();
    deepEqual((await h.ap.list("alice")).map((l) => l.id), [c.id], "listed after its first verify");
    equal(await h.ap.revoke("alice", c.id), true);
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), invalid("unknown_id"));
    // Record write dropped: a dangling index entry, never listed; fails closed. List leaves it
    // (a missing record may be a stale read); a revoke of the id create returned removes it.
    const map2 = new Map();
    const noRecord = harness({ map: map2, store: faultyStore(map2, { put: (k, v, base) => (k.includes("/record/") ? Promise.resolve() : base.put(k, v)) }) });
    const d = await noRecord.ap.create({ user: "alice", label: "x", scopes: ["email"] });
    sameResult(await noRecord.ap.verify({ username: "alice", password: d.password }), invalid("unknown_id"));
    deepEqual(await noRecord.ap.list("alice"), []);
    ok(map2.has(indexKey("alice", d.id)), "list leaves the entry");
    equal(await harness({ map: map2 }).ap.revoke("alice", d.id), true);
    deepEqual([...map2.keys()], [tombstoneKey(d.id)], "revoked behind a tombstone");
  });

  t(`[${runtime}] fault matrix: a revoke whose record delete is dropped still revokes (the tombstone is read)`, async () => {
    // Tombstone, then record delete, then index delete. If the store answers Ok to the record
    // delete and keeps the record, the password is still refused and not listed: verify and
    // list read the tombstone with the record (tests/FAULTS.md). A revoke on a healthy store
    // then tidies the record away.
    const map = new Map();
    const h = harness({ map });
    const c = await h.ap.create({ user: "alice", label: "x", scopes: ["email"] });
    const liar = harness({ map, store: faultyStore(map, { delete: (k, base) => (k.includes("/record/") ? Promise.resolve() : base.delete(k)) }) });
    equal(await liar.ap.revoke("alice", c.id), true);
    ok(map.has(tombstoneKey(c.id)) && map.has(recordKey(c.id)), "tombstone written, record kept");
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), invalid("unknown_id"), "refused through the tombstone");
    deepEqual(await h.ap.list("alice"), [], "not listed");
    equal(await h.ap.revoke("alice", c.id), true);
    ok(!map.has(recordKey(c.id)), "a second revoke removes the record");
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), invalid("unknown_id"));
  });

  t(`[${runtime}] id collisions: create retries an id that is taken, and gives up after four`, async () => {
    for (const taken of [0, 1, 3, 4]) {
      const map = new Map();
      const asked = []; // distinct ids, in the order create looked them up
      // The first `taken` ids looked up are reported as revoked (their tombstone exists).
      const store = faultyStore(map, {
        get: (k, base) => {
          if (k.includes("/revoked/")) {
            const id = k.slice(k.lastIndexOf("/") + 1);
            if (!asked.includes(id)) asked.push(id);
            if (asked.indexOf(id) < taken) return Promise.resolve('{"v":1,"revokedAt":1}');
          }
          return base.get(k);
        },
      });
      const h = harness({ map, store });
      if (taken < 4) {
        const c = await h.ap.create({ user: "alice", label: "x", scopes: ["email"] });
        equal(asked.length, taken + 1, `${taken} taken: one draw more`);
        equal(asked[taken], c.id, "the free id is the one used");
        deepEqual((await h.ap.list("alice")).map((l) => l.id), [c.id]);
        equal((await h.ap.verify({ username: "alice", password: c.password })).ok, true);
      } else {
        await rejectsHost(() => h.ap.create({ user: "alice", label: "x", scopes: ["email"] }), "id_collision");
        equal(asked.length, 4, "four draws");
        equal(map.size, 0, "nothing written");
      }
    }
  });

  /**
   * A strongly consistent store that answers out of order: a call takes effect when it is
   * made ("early") or when it is answered ("late"), and is answered on a later tick, every
   * call waiting in that tick answered newest first.
   */
  function reorderingStore(map, mode) {
    const base = api.memoryStore(map);
    let queue = [];
    let scheduled = false;
    const stats = { calls: 0, ticks: 0 };
    const pump = () => {
      scheduled = false;
      stats.ticks += 1;
      const batch = queue.reverse();
      queue = [];
      for (const answer of batch) answer();
    };
    const call = (apply) =>
      new Promise((resolve, reject) => {
        stats.calls += 1;
        const early = mode === "early" ? apply() : null;
        queue.push(() => (early ?? apply()).then(resolve, reject));
        if (!scheduled) {
          scheduled = true;
          setTimeout(pump, 0);
        }
      });
    return {
      stats,
      store: {
        get: (k) => call(() => base.get(k)),
        put: (k, v) => call(() => base.put(k, v)),
        delete: (k) => call(() => base.delete(k)),
        list: (p, c) => call(() => base.list(p, c)),
      },
    };
  }

  t(`[${runtime}] out of order: a consistent store answering newest first keeps every guarantee`, async () => {
    for (const mode of ["early", "late"]) {
      const map = new Map();
      const seed = harness({ map });
      const users = ["ann", "ben", "cat"];
      const pre = [];
      for (let i = 0; i < 9; i++) {
        const user = users[i % 3];
        pre.push({ user, ...(await seed.ap.create({ user, label: `p${i}`, scopes: ["repository"] })) });
      }
      const { store, stats } = reorderingStore(map, mode);
      // Two instances on one store (two isolates), same profile (no re-hash upgrades: see
      // the known issue in tests/FAULTS.md, covered in Rust).
      const a = harness({ map, store });
      const b = harness({ map, store });
      const doomed = new Set(pre.filter((_, i) => i % 3 !== 1).map((p) => p.id));
      const alive = new Map(users.map((u) => [u, new Set(pre.filter((p) => p.user === u && !doomed.has(p.id)).map((p) => p.id))]));
      const jobs = [];
      let afterRevoke = 0;
      for (const [i, p] of pre.entries()) {
        const [one, two] = i % 2 ? [a, b] : [b, a];
        const login = (svc, password = p.password) => svc.ap.verify({ username: p.user, password });
        jobs.push(login(one, otherSecret(p.password)).then((r) => equal(r.ok, false, "wrong secret")));
        if (doomed.has(p.id)) {
          jobs.push(login(two)); // races the revoke: either answer, never an error
          jobs.push(
            one.ap.revoke(p.user, p.id).then(async (revoked) => {
              equal(revoked, true);
              afterRevoke += 2;
              sameResult(await login(two), invalid("unknown_id"), `${mode}: verify sent after the revoke resolved (other instance)`);
              sameResult(await login(one), invalid("unknown_id"), `${mode}: verify sent after the revoke resolved`);
            }),
          );
        } else {
          jobs.push(login(one).then((r) => equal(r.ok, true, `${mode}: #${i} lost`)));
          jobs.push(login(two).then((r) => equal(r.ok, true, `${mode}: #${i} lost (other instance)`)));
        }
      }
      for (let c = 0; c < 6; c++) {
        const user = users[c % 3];
        jobs.push(
          (async () => {
            const made = await a.ap.create({ user, label: `storm${c}`, scopes: ["email"] });
            equal((await b.ap.verify({ username: user, password: made.password })).ok, true, `${mode}: fresh password verifies`);
            if (c % 2) {
              equal(await b.ap.revoke(user, made.id), true);
              sameResult(await a.ap.verify({ username: user, password: made.password }), invalid("unknown_id"), `${mode}: fresh, revoked`);
            } else {
              alive.get(user).add(made.id);
            }
          })(),
        );
      }
      for (const user of users) {
        jobs.push(
          b.ap.list(user).then((listed) => {
            const ids = listed.map((l) => l.id);
            for (const p of pre) {
              if (p.user !== user) ok(!ids.includes(p.id), "another user's password listed");
              else if (!doomed.has(p.id)) ok(ids.includes(p.id), `${mode}: ${p.id} missing from a list during the storm`);
            }
          }),
        );
      }
      await Promise.all(jobs);
      await a.settle();
      await b.settle();
      ok(afterRevoke === 12, `verifies after revokes: ${afterRevoke}`);
      ok(stats.ticks > 5 && stats.calls > 100, `the store was exercised (${stats.calls} calls, ${stats.ticks} ticks)`);
      // At rest: exactly the live passwords verify and are listed; revoked records stay gone.
      for (const p of pre) {
        equal((await a.ap.verify({ username: p.user, password: p.password })).ok, !doomed.has(p.id), `${mode}: #${p.id} at rest`);
        if (doomed.has(p.id)) ok(map.has(tombstoneKey(p.id)) && !map.has(recordKey(p.id)), "revoked for good");
      }
      for (const user of users) {
        deepEqual((await a.ap.list(user)).map((l) => l.id).sort(), [...alive.get(user)].sort(), `${mode}: list of ${user} at rest`);
      }
    }
  });

  // ---------------------------------------------------------------------------------------
  // Bad arguments: AppPasswordError with a stable code.

  t(`[${runtime}] arguments: create refuses bad input with the right code`, async () => {
    const { ap, map } = harness();
    const ok1 = { user: "alice", label: "x", scopes: ["repository"] };
    const cases = [
      [{ ...ok1, label: "" }, "invalid_label", "empty label"],
      [{ ...ok1, label: "x".repeat(256) }, "invalid_label", "label of 256 chars"],
      [{ ...ok1, label: "a\nb" }, "invalid_label", "control character in label"],
      [{ ...ok1, scopes: ["repository:read"] }, "unknown_scope", "unknown scope"],
      [{ ...ok1, scopes: ["repository", "Repository"] }, "unknown_scope", "case matters"],
      [{ ...ok1, scopes: ["workspace:admin"] }, "scope_not_grantable", "workspace:admin"],
      [{ ...ok1, scopes: ["repository", "account:login"] }, "scope_not_grantable", "account:login"],
      [{ ...ok1, scopes: [] }, "no_scopes", "empty scopes"],
      [{ ...ok1, expiresAt: T0 - 1 }, "invalid_expiry", "expiresAt in the past"],
      [{ ...ok1, expiresAt: T0 }, "invalid_expiry", "expiresAt now"],
      [{ ...ok1, expiresAt: new Date(T0 - 86_400_000) }, "invalid_expiry", "a Date in the past"],
      [{ ...ok1, expiresAt: -5 }, "invalid_expiry", "negative"],
      [{ ...ok1, expiresAt: Number.NaN }, "invalid_expiry", "NaN"],
      [{ ...ok1, expiresAt: "2030-01-01" }, "invalid_argument", "a string"],
      [{ ...ok1, user: 42 }, "invalid_argument", "non-string user"],
      [{ ...ok1, user: undefined }, "invalid_argument", "no user"],
      [{ ...ok1, user: "" }, "invalid_user", "empty user"],
      [{ ...ok1, user: "a:b" }, "invalid_user", "colon in user (Basic could not carry it)"],
      [{ ...ok1, user: "u".repeat(129) }, "invalid_user", "user over 128 bytes"],
      [{ ...ok1, user: "a\u0000b" }, "invalid_user", "control character in user"],
      [{ ...ok1, label: 7 }, "invalid_argument", "non-string label"],
      [{ ...ok1, scopes: "repository" }, "invalid_argument", "scopes not an array"],
      [{ ...ok1, scopes: [1] }, "invalid_argument", "scope not a string"],
      [{ ...ok1, scopes: undefined }, "invalid_argument", "no scopes"],
      [{ ...ok1, scopes: Array(1025).fill("repository") }, "too_many_scopes", "1025 scopes"],
      [undefined, "invalid_argument", "no options"],
    ];
    await each(cases, ([, , why]) => why, async ([options, code]) => {
      await rejectsHost(() => ap.create(options), code);
    });
    equal(map.size, 0, "nothing was written");
    const longest = await ap.create({ ...ok1, label: "é".repeat(255) });
    equal(longest.label.length, 255, "255 characters is fine");
    const longUser = await ap.create({ ...ok1, user: "u".repeat(128) });
    equal((await ap.list("u".repeat(128)))[0].id, longUser.id, "128 bytes is fine");
  });

  t(`[${runtime}] arguments: constructor, verify, list, revoke, helpers`, async () => {
    const store = api.memoryStore();
    const cases = [
      [() => new AppPasswords({ store, prefix: "Bad" }), "invalid_prefix", "uppercase prefix"],
      [() => new AppPasswords({ store, prefix: "1abc" }), "invalid_prefix", "digit first"],
      [() => new AppPasswords({ store, prefix: "" }), "invalid_prefix", "empty prefix"],
      [() => new AppPasswords({ store, prefix: "a".repeat(17) }), "invalid_prefix", "17 chars"],
      [() => new AppPasswords({ store, prefix: "a_b" }), "invalid_prefix", "underscore"],
      [() => new AppPasswords({ store, prefix: 5 }), "invalid_argument", "non-string prefix"],
      [() => new AppPasswords({ store, hashing: { memoryKiB: 4, iterations: 1, parallelism: 1 } }), "invalid_hash_params", "m < 8p"],
      [() => new AppPasswords({ store, hashing: { memoryKiB: 64, iterations: 65, parallelism: 1 } }), "invalid_hash_params", "t > 64"],
      [() => new AppPasswords({ store, hashing: { memoryKiB: 0, iterations: 1, parallelism: 1 } }), "invalid_argument", "m = 0"],
      [() => new AppPasswords({ store, hashing: "fast" }), "invalid_argument", "unknown profile name"],
      [() => new AppPasswords({ store, pepper: 5 }), "invalid_argument", "pepper type"],
      [() => new AppPasswords({ store, pepper: new Uint8Array(65) }), "invalid_hash_params", "pepper over 64 bytes"],
      [() => new AppPasswords({ store, now: 5 }), "invalid_argument", "now not a function"],
      [() => new AppPasswords({ store, touchIntervalMs: -1 }), "invalid_argument", "negative touchIntervalMs"],
      [() => api.generatePassword({ prefix: "Bad" }), "invalid_prefix", "generatePassword bad prefix"],
      [() => api.generatePassword({ prefix: "a-b" }), "invalid_prefix", "generatePassword hyphen"],
      [() => api.hashPassword(5), "invalid_argument", "hashPassword non-string"],
      [() => api.hashPassword("x", { memoryKiB: 64, iterations: 0, parallelism: 1 }), "invalid_argument", "t = 0"],
      [() => api.hashPassword("x", { memoryKiB: 262_145, iterations: 1, parallelism: 1 }), "invalid_hash_params", "m over 256 MiB"],
      [() => api.verifyPasswordHash("x", 5), "invalid_argument", "phc non-string"],
      [() => api.verifyPasswordHash(5, "$argon2id$"), "invalid_argument", "password non-string"],
      [() => api.scopes.encode("repository"), "invalid_argument", "encode a string"],
      [() => api.scopes.decode(5), "invalid_argument", "decode a number"],
    ];
    await each(cases, ([, , why]) => why, async ([fn, code]) => {
      throwsArg(fn, code);
    });
    const { ap } = harness();
    const async = [
      [() => ap.verify({ username: 5, password: "x" }), "invalid_argument", "non-string username"],
      [() => ap.verify({ username: "a", password: 5 }), "invalid_argument", "non-string password"],
      [() => ap.verify({ username: "a", password: "x", purpose: "admin" }), "invalid_argument", "unknown purpose"],
      [() => ap.verify({ username: "a", password: "x", require: "repository" }), "invalid_argument", "require not an array"],
      [() => ap.verify(), "invalid_argument", "no options"],
      [() => ap.list(5), "invalid_argument", "list non-string"],
      [() => ap.list(""), "invalid_user", "list empty user"],
      [() => ap.revoke(5, "x"), "invalid_argument", "revoke non-string user"],
      [() => ap.revoke("alice", 5), "invalid_argument", "revoke non-string id"],
    ];
    await each(async, ([, , why]) => why, async ([fn, code]) => {
      await rejectsHost(fn, code);
    });
  });

  // ---------------------------------------------------------------------------------------
  // Lower-level functions.

  t(`[${runtime}] generatePassword: format, prefix, checksum, uniqueness`, async () => {
    const seen = new Set();
    for (let i = 0; i < 50; i++) {
      const g = api.generatePassword();
      deepEqual(Object.keys(g).sort(), ["id", "password"]);
      match(g.password, /^apw_[0-9A-Za-z]{50}$/);
      equal(g.password.slice(4, 16), g.id);
      equal(g.password, makePassword("apw", g.id, g.password.slice(16, 48)), "check digits");
      ok(api.looksLikeAppPassword(g.password));
      seen.add(g.password);
      seen.add(g.id);
    }
    equal(seen.size, 100, "no repeats");
    for (const prefix of ["x", "acme", "k8s2", "abcdefghijklmnop"]) {
      const g = api.generatePassword({ prefix });
      equal(g.password.length, prefix.length + 51, prefix);
      ok(g.password.startsWith(`${prefix}_${g.id}`), prefix);
      equal(g.password, makePassword(prefix, g.id, g.password.slice(prefix.length + 13, prefix.length + 45)));
      ok(api.looksLikeAppPassword(g.password));
    }
    equal(api.generatePassword({}).password.slice(0, 4), "apw_");
    // Every character of the alphabet turns up, in the id and secret (rejection sampling over 62).
    const chars = new Set(Array.from({ length: 40 }, () => api.generatePassword().password.slice(4, 48)).join(""));
    equal(chars.size, 62, "the whole base62 alphabet is used");
  });

  t(`[${runtime}] looksLikeAppPassword: non-strings are false`, async () => {
    for (const value of [undefined, null, 5, {}, [], new String("apw_x")]) {
      equal(api.looksLikeAppPassword(value), false, String(value));
    }
  });

  t(`[${runtime}] hashPassword/verifyPasswordHash: round trip with light params`, async () => {
    const phc = api.hashPassword("correct horse battery staple", LIGHT);
    match(phc, /^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    equal(api.verifyPasswordHash("correct horse battery staple", phc), true);
    equal(api.verifyPasswordHash("correct horse battery staple ", phc), false);
    equal(api.verifyPasswordHash("", phc), false);
    notEqual(api.hashPassword("correct horse battery staple", LIGHT), phc, "fresh salt each time");
    const unicode = api.hashPassword("pässwörd ☃ 🔑", { memoryKiB: 32, iterations: 2, parallelism: 2 });
    match(unicode, /^\$argon2id\$v=19\$m=32,t=2,p=2\$/);
    equal(api.verifyPasswordHash("pässwörd ☃ 🔑", unicode), true);
    equal(api.verifyPasswordHash("passwörd ☃ 🔑", unicode), false);
    const empty = api.hashPassword("", LIGHT);
    equal(api.verifyPasswordHash("", empty), true, "the empty password hashes too");
  });

  t(`[${runtime}] hashPassword/verifyPasswordHash: "owasp" and the default are m=19456,t=2,p=1`, async () => {
    const phc = api.hashPassword("account password", "owasp");
    match(phc, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    equal(api.verifyPasswordHash("account password", phc), true);
    const byDefault = api.hashPassword("account password");
    match(byDefault, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, "default is OWASP");
    equal(api.verifyPasswordHash("Account password", byDefault), false);
  });

  t(`[${runtime}] scopes.catalog(): 26 entries with closure arrays`, async () => {
    const cat = api.scopes.catalog();
    equal(cat.length, 26);
    equal(cat.length, SC.catalog_size);
    const all = SC.sets[SC.sets.length - 1];
    deepEqual(cat.map((s) => s.name), all.names, "catalogue order (scopes.json)");
    for (const s of cat) {
      deepEqual(Object.keys(s).sort(), ["closure", "grantable", "group", "implies", "level", "name"], s.name);
      equal(typeof s.name, "string");
      equal(typeof s.group, "string");
      equal(typeof s.level, "string");
      equal(typeof s.grantable, "boolean");
      ok(Array.isArray(s.implies) && s.implies.every((n) => typeof n === "string"), `${s.name} implies`);
      ok(Array.isArray(s.closure) && s.closure.every((n) => typeof n === "string"), `${s.name} closure`);
      ok(!s.closure.includes(s.name), `${s.name}: closure excludes itself`);
      for (const n of s.implies) ok(s.closure.includes(n), `${s.name}: closure includes what it implies`);
      deepEqual(api.scopes.normalize([s.name]), cat.map((x) => x.name).filter((n) => n === s.name || s.closure.includes(n)), `${s.name}: normalize = itself + closure`);
    }
    deepEqual(cat.filter((s) => !s.grantable).map((s) => s.name), ["workspace:admin", "account:login"]);
    for (const set of SC.sets.filter((x) => x.names.length === 1)) {
      const entry = cat.find((s) => s.name === set.names[0]);
      deepEqual([...entry.closure, entry.name].sort(), set.closure.split(" ").sort(), `${entry.name} closure per scopes.json`);
      equal(entry.grantable, set.grantable, `${entry.name} grantable`);
    }
    const { ap } = harness();
    deepEqual(ap.catalog(), cat, "AppPasswords#catalog() is the same default catalogue");
  });

  t(`[${runtime}] scopes: satisfies and missing`, async () => {
    equal(api.scopes.satisfies(["pullrequest:write"], ["repository", "repository:write"]), true);
    equal(api.scopes.satisfies(["repository"], ["repository:write"]), false);
    equal(api.scopes.satisfies(["email"], []), true);
    deepEqual(api.scopes.missing(["repository"], ["issue", "pullrequest", "repository"]), ["pullrequest", "issue"]);
    deepEqual(api.scopes.missing(["project"], ["repository"]), [], "project implies repository");
    throwsArg(() => api.scopes.satisfies(["nope"], []), "unknown_scope");
    throwsArg(() => api.scopes.missing([], ["nope"]), "unknown_scope");
  });

  // ---------------------------------------------------------------------------------------
  // Shared vectors (tests/vectors/*.json), written independently of the Rust crate.

  t(`[${runtime}] vectors/passwords: the JS CRC-32 check helper agrees with the vectors`, async () => {
    await each(PW.valid, (v) => v.password, async (v) => {
      equal(crc32(utf8(`${v.prefix}_${v.id}${v.secret}`)), v.crc32, "crc32");
      equal(checkDigits(v.crc32), v.check, "check digits");
      equal(makePassword(v.prefix, v.id, v.secret), v.password);
    });
  });

  t(`[${runtime}] vectors/passwords: every valid password looks like one`, async () => {
    ok(PW.valid.length > 0);
    await each(PW.valid, (v) => v.password, async (v) => {
      equal(api.looksLikeAppPassword(v.password), true);
    });
  });

  t(`[${runtime}] vectors/passwords: every malformed one per its looks_like`, async () => {
    ok(PW.malformed.length > 0);
    await each(PW.malformed, (m) => `${m.why} ${JSON.stringify(m.password)}`, async (m) => {
      equal(api.looksLikeAppPassword(m.password), m.looks_like);
    });
  });

  t(`[${runtime}] vectors/passwords: verify refuses malformed ones with their reason, before the store`, async () => {
    await each(PW.malformed, (m) => `${m.why} (prefix ${m.prefix})`, async (m) => {
      const h = harness({ store: faultyStore(new Map(), { get: () => fail("the store must not be read") }), config: { prefix: m.prefix } });
      sameResult(await h.ap.verify({ username: "alice", password: m.password }), invalid(m.reason));
    });
    // Well-formed ones reach the store and are unknown there.
    await each(PW.valid, (v) => v.password, async (v) => {
      const h = harness({ config: { prefix: v.prefix } });
      sameResult(await h.ap.verify({ username: "alice", password: v.password }), invalid("unknown_id"));
    });
  });

  t(`[${runtime}] vectors/scopes: every set encodes to "encoded" and decodes to its closure`, async () => {
    ok(SC.sets.length > 0);
    await each(SC.sets, (s) => JSON.stringify(s.names), async (s) => {
      const closure = s.closure === "" ? [] : s.closure.split(" ");
      equal(api.scopes.encode(s.names), s.encoded, "encode");
      deepEqual(api.scopes.decode(s.encoded), closure, "decode");
      deepEqual(api.scopes.normalize(s.names), closure, "normalize");
      equal(api.scopes.encode(closure), s.encoded, "encode(closure)");
      equal(closure.join(" "), s.closure, "text form");
      equal(api.scopes.satisfies(s.names, closure), true, "names satisfy their closure");
      deepEqual(api.scopes.missing(s.names, closure), []);
    });
    equal(api.scopes.encode([]), SC.empty_set.encoded, "empty set");
    deepEqual(api.scopes.decode(SC.empty_set.encoded), []);
  });

  t(`[${runtime}] vectors/scopes: every invalid encoding throws invalid_scope_encoding`, async () => {
    ok(SC.invalid_encodings.length > 0);
    await each(SC.invalid_encodings, (v) => `${v.why} ${JSON.stringify(v.encoded)}`, async (v) => {
      throwsArg(() => api.scopes.decode(v.encoded), v.error);
    });
  });

  t(`[${runtime}] vectors/scopes: unknown names throw unknown_scope`, async () => {
    ok(SC.unknown_names.length > 0);
    await each(SC.unknown_names, (v) => JSON.stringify(v.names), async (v) => {
      throwsArg(() => api.scopes.encode(v.names), v.error, "encode");
      throwsArg(() => api.scopes.normalize(v.names), v.error, "normalize");
      throwsArg(() => api.scopes.satisfies(v.names, []), v.error, "satisfies");
      const { ap } = harness();
      await rejectsHost(() => ap.create({ user: "u", label: "l", scopes: v.names }), v.error, "create");
    });
  });

  // phc.json: verifyPasswordHash has no pepper parameter, so only the vectors without
  // `pepper_hex` run here. The peppered ones (RFC 9106's secret K, and argon2-cffi's
  // "peppered") cannot go through AppPasswords either: its verify only accepts passwords in
  // the app-password format, which those vectors' passwords are not. The pepper path is
  // covered instead by the records.json `verifiable` entries whose config has `pepper_hex`
  // (libargon2 hashes with secret K, verified through AppPasswords' `pepper` option), and by
  // "round trip: pepper" above.
  t(`[${runtime}] vectors/phc: every vector without a pepper verifies per "expect"`, async () => {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    const runnable = PHC.vectors.filter((v) => v.pepper_hex === undefined);
    ok(runnable.length >= 20, `${runnable.length} vectors without a pepper`);
    await each(runnable, (v) => v.source, async (v) => {
      // verifyPasswordHash takes text: password_hex vectors must be valid UTF-8 (they are).
      const password = v.password ?? decoder.decode(hexToBytes(v.password_hex));
      equal(api.verifyPasswordHash(password, v.phc), v.expect);
    });
  });

  t(`[${runtime}] vectors/phc: every invalid PHC string throws invalid_hash`, async () => {
    ok(PHC.invalid.length > 0);
    await each(PHC.invalid, (v) => v.why, async (v) => {
      throwsArg(() => api.verifyPasswordHash("password", v.phc), v.error);
    });
  });

  /** A memoryStore Map holding one record (and its index entry) as records.json lays it out. */
  function storeWith(recordJson, id, user, indexJson = INDEX_NEW) {
    const map = new Map();
    map.set(recordKey(id), recordJson);
    if (user !== undefined) map.set(indexKey(user, id), indexJson);
    return map;
  }

  function configOf(config) {
    const out = {};
    if (config.hashing !== undefined) out.hashing = config.hashing;
    if (config.pepper_hex !== undefined) out.pepper = hexToBytes(config.pepper_hex);
    return out;
  }

  for (const [i, entry] of REC.verifiable.entries()) {
    t(`[${runtime}] vectors/records verifiable #${i}: ${entry.why}`, async () => {
      const record = JSON.parse(entry.record);
      const map = storeWith(entry.record, record.id, record.user);
      const h = harness({ map, config: configOf(entry.config), at: entry.checks[0].now });
      let firstOk = null;
      await each(entry.checks, (c) => `${c.username} ${c.purpose} require ${JSON.stringify(c.require)} at ${c.now} → ${c.expect.reason ?? "ok"}`, async (c) => {
        h.clock.t = c.now;
        const result = await h.ap.verify({ username: c.username, password: c.password, require: c.require, purpose: c.purpose });
        sameResult(result, c.expect);
        await h.settle();
        if (result.ok && firstOk === null) {
          firstOk = c.now;
          const stored = JSON.parse(map.get(recordKey(record.id)));
          if (entry.upgrades) {
            notEqual(stored.hash, record.hash, "re-hashed after the first success");
            match(stored.hash, /^\$argon2id\$v=19\$m=64,t=1,p=1\$/, "to the service's profile");
            deepEqual({ ...stored, hash: null }, { ...record, hash: null }, "nothing else changed");
          }
        }
      });
      if (!entry.upgrades) equal(map.get(recordKey(record.id)), entry.record, "record never rewritten");
      deepEqual(JSON.parse(map.get(indexKey(record.user, record.id))), { v: 1, lastUsedAt: firstOk }, "lastUsedAt of the first success");
      deepEqual(h.errors, []);
    });
  }

  /** Passwords of the records.json ids (a record check reads the record before hashing). */
  const passwordOf = new Map();
  for (const e of [...REC.verifiable, ...REC.corrupt_at_use]) passwordOf.set(e.password.slice(4, 16), e.password);
  const anyPasswordFor = (id) => passwordOf.get(id) ?? makePassword("apw", id, "A".repeat(32));

  t(`[${runtime}] vectors/records: corrupt_at_use → verify rejects store_corrupt`, async () => {
    ok(REC.corrupt_at_use.length > 0);
    await each(REC.corrupt_at_use, (e) => e.why, async (e) => {
      const h = harness({ map: storeWith(e.json, e.id, e.user), config: configOf(e.config), at: 1_700_000_000_001 });
      await rejectsHost(() => h.ap.verify({ username: e.user, password: e.password }), e.error);
      await rejectsHost(() => h.ap.verifyRequest(request(basic(e.user, e.password))), e.error, "verifyRequest");
    });
  });

  t(`[${runtime}] vectors/records: invalid records → verify and list reject store_corrupt`, async () => {
    ok(REC.invalid.length > 0);
    await each(REC.invalid, (e) => e.why, async (e) => {
      const h = harness({ map: storeWith(e.json, e.id, "alice"), at: 1_700_000_000_001 });
      await rejectsHost(() => h.ap.verify({ username: "alice", password: anyPasswordFor(e.id) }), e.error, "verify");
      await rejectsHost(() => h.ap.list("alice"), e.error, "list");
    });
  });

  t(`[${runtime}] vectors/records: valid records (canonical or not) verify and list`, async () => {
    ok(REC.valid.length > 0);
    await each(REC.valid, (e) => e.why, async (e) => {
      const r = e.expect;
      const h = harness({ map: storeWith(e.json, e.id, r.user), at: 1_700_000_000_001 });
      const scopes = api.scopes.decode(r.scopes);
      deepEqual(await h.ap.list(r.user), [{ id: r.id, label: r.label, scopes, createdAt: r.createdAt, expiresAt: r.expiresAt, lastUsedAt: null }]);
      const password = passwordOf.get(e.id);
      ok(password, `a password for ${e.id}`);
      sameResult(await h.ap.verify({ username: r.user, password }), { ok: true, user: r.user, id: r.id, label: r.label, scopes });
    });
  });

  t(`[${runtime}] vectors/records: index entries (valid → lastUsedAt, invalid → store_corrupt)`, async () => {
    const base = REC.valid[0];
    const r = base.expect;
    await each(REC.index_entries.valid, (x) => x.json, async (x) => {
      const h = harness({ map: storeWith(base.json, base.id, r.user, x.json) });
      equal((await h.ap.list(r.user))[0].lastUsedAt, x.lastUsedAt);
    });
    await each(REC.index_entries.invalid, (x) => x.json, async (x) => {
      const h = harness({ map: storeWith(base.json, base.id, r.user, x.json) });
      await rejectsHost(() => h.ap.list(r.user), x.error);
    });
  });

  // ---------------------------------------------------------------------------------------
  // Store adapters that need no runtime: memoryStore paging, workersKvStore over a fake.

  t(`[${runtime}] adapters: memoryStore get/put/delete/list with 1000-key pages`, async () => {
    const map = new Map();
    const s = api.memoryStore(map);
    equal(s.consistency, "strong");
    equal(await s.get("a"), null);
    await s.put("a", "1");
    equal(await s.get("a"), "1");
    equal(map.get("a"), "1", "uses the Map it was given");
    await s.delete("a");
    equal(await s.get("a"), null);
    for (let i = 0; i < 1001; i++) map.set(`p/${String(i).padStart(4, "0")}`, "x");
    map.set("q/0", "x");
    const first = await s.list("p/");
    equal(first.keys.length, 1000);
    equal(typeof first.cursor, "string");
    const second = await s.list("p/", first.cursor);
    deepEqual(second, { keys: ["p/1000"] });
    deepEqual(await s.list("q/"), { keys: ["q/0"] });
  });

  t(`[${runtime}] adapters: workersKvStore maps the KV namespace API (fake binding)`, async () => {
    const data = new Map();
    const calls = [];
    let bulk = 0;
    const namespace = {
      async get(key, type) {
        if (Array.isArray(key)) {
          // KV bulk get: up to 100 keys, a Map of every key asked (null when absent).
          bulk++;
          ok(key.length <= 100 && type === "text", `bulk get of ${key.length} keys as ${type}`);
          return new Map(key.map((k) => [k, data.has(k) ? data.get(k) : null]));
        }
        return data.has(key) ? data.get(key) : null;
      },
      async put(key, value) {
        data.set(key, value);
      },
      async delete(key) {
        data.delete(key);
      },
      async list({ prefix, cursor, limit }) {
        calls.push({ prefix, cursor, limit });
        const all = [...data.keys()].filter((k) => k.startsWith(prefix)).sort();
        const start = cursor ? Number(cursor) : 0;
        const page = all.slice(start, start + 2); // tiny pages to exercise cursors
        const done = start + 2 >= all.length;
        return done ? { keys: page.map((name) => ({ name })), list_complete: true } : { keys: page.map((name) => ({ name })), list_complete: false, cursor: String(start + 2) };
      },
    };
    const store = api.workersKvStore(namespace);
    equal(store.consistency, "eventual");
    equal(typeof store.propagationDelayMs, "number");
    const h = harness({ store });
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await h.ap.create({ user: "kv user", label: `k${i}`, scopes: ["webhook"] }));
    deepEqual((await h.ap.list("kv user")).map((l) => l.id), made.map((m) => m.id).sort());
    ok(calls.length >= 3 && calls.every((c) => c.limit === 1000 && c.prefix === `${KEY_ROOT}user/kv%20user/`), JSON.stringify(calls));
    const bulkBefore = bulk;
    sameResult(await h.ap.verifyRequest(request(basic("kv user", made[0].password))), { ok: true, user: "kv user", id: made[0].id, label: "k0", scopes: ["webhook"] });
    equal(bulk - bulkBefore, 1, "verify reads record and tombstone in one bulk get");
    equal(await h.ap.revoke("kv user", made[0].id), true);
    sameResult(await h.ap.verify({ username: "kv user", password: made[0].password }), invalid("unknown_id"));
    const failing = harness({ store: api.workersKvStore({ ...namespace, get: () => Promise.reject(new Error("KV GET failed: 503")) }) });
    await rejectsHost(() => failing.ap.verify({ username: "kv user", password: made[1].password }), "store_unavailable");
  });


  // ---------------------------------------------------------------------------------------
  // Scale and consistency (issue #10): the store-call budget through a counting store (a bulk
  // read of up to 100 keys counts as one, as Workers KV bills it), the per-user cap, stale
  // reads, a revoke racing a verify, the lastUsedAt write budget. Figures are in the test
  // names (every runner prints those) and asserted exactly; they are also logged.

  /** The cheapest Argon2id profile: these tests are about store calls. */
  const FAST = Object.freeze({ memoryKiB: 8, iterations: 1, parallelism: 1 });
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

  t(`[${runtime}] budget: 1,500 creates at maxPerUser 1000 → 1,000 made, 500 too_many_passwords; list of 1,000 = 31 store calls (≤ 40); verify incl. lastUsedAt = 2 (≤ 2); create = 4, revoke = 4 (≤ 6)`, async () => {
    const counting = countingStore();
    const h = harness({ store: counting.store, config: { hashing: FAST, maxPerUser: 1000 } });
    const made = [];
    let refused = 0;
    let createMost = 0;
    for (let i = 0; i < 1500; i++) {
      counting.reset();
      try {
        made.push(await h.ap.create({ user: "alice", label: `p${i}`, scopes: ["repository"] }));
      } catch (err) {
        equal(err.code, "too_many_passwords");
        ok(err instanceof AppPasswordError);
        refused += 1;
      }
      createMost = Math.max(createMost, counting.c.calls);
    }
    figure(`1,500 creates at maxPerUser 1000: ${made.length} made, ${refused} refused too_many_passwords; most store calls of a create: ${createMost}`);
    deepEqual([made.length, refused], [1000, 500]);
    equal(createMost, 4);

    counting.reset();
    const listed = await h.ap.list("alice");
    figure(`list of ${listed.length} passwords: ${counting.c.calls} store calls (budget 40)`);
    equal(listed.length, 1000, "every password listed");
    deepEqual(listed.map((l) => l.id).sort(), made.map((m) => m.id).sort());
    equal(counting.c.calls, 31);
    equal(counting.c.bulkTooBig, 0, "no bulk read over 100 keys");

    counting.reset();
    const r = await h.ap.verify({ username: "alice", password: made[0].password });
    await h.settle(); // the lastUsedAt write, after the answer
    figure(`verify incl. its lastUsedAt write: ${counting.c.calls} store calls (budget 2)`);
    equal(r.ok, true);
    equal(counting.c.calls, 2);
    deepEqual(counting.c.puts, [indexKey("alice", made[0].id)]);

    counting.reset();
    equal(await h.ap.revoke("alice", made[0].id), true);
    figure(`revoke: ${counting.c.calls} store calls (budget 6)`);
    equal(counting.c.calls, 4);
    counting.reset();
    await h.ap.create({ user: "alice", label: "one more", scopes: ["repository"] });
    figure(`create at 999 passwords: ${counting.c.calls} store calls (budget 6)`);
    equal(counting.c.calls, 4);
  });

  t(`[${runtime}] budget: one password used every minute for a day → 144 lastUsedAt writes (≤ 144, default touchIntervalMs)`, async () => {
    const counting = countingStore();
    const h = harness({ store: counting.store, config: { hashing: FAST } });
    const c = await h.ap.create({ user: "alice", label: "cron", scopes: ["repository"] });
    counting.reset();
    for (let minute = 0; minute < 24 * 60; minute++) {
      h.clock.t = T0 + minute * 60_000;
      equal((await h.ap.verify({ username: "alice", password: c.password })).ok, true);
      await h.settle();
    }
    figure(`one password used every minute for a day: ${counting.c.puts.length} lastUsedAt writes (budget 144)`);
    equal(counting.c.puts.length, 144);
    ok(counting.c.puts.every((k) => k === indexKey("alice", c.id)));
  });

  t(`[${runtime}] cap: maxPerUser defaults to 100, accepts 1 to 1000, and list is never truncated`, async () => {
    const map = new Map();
    const h = harness({ map, config: { hashing: FAST } });
    for (let i = 0; i < 100; i++) await h.ap.create({ user: "bob", label: `b${i}`, scopes: ["email"] });
    await rejectsHost(() => h.ap.create({ user: "bob", label: "101st", scopes: ["email"] }), "too_many_passwords");
    await h.ap.create({ user: "carol", label: "other user", scopes: ["email"] });
    // Past the cap (a cap raised elsewhere, or creates racing): every one is still listed.
    const wider = harness({ map, config: { hashing: FAST, maxPerUser: 110 } });
    for (let i = 0; i < 10; i++) await wider.ap.create({ user: "bob", label: `w${i}`, scopes: ["email"] });
    equal((await h.ap.list("bob")).length, 110);
    for (const bad of [0, 1001, 1.5, -1, "100", NaN, null]) {
      throwsArg(() => new AppPasswords({ store: api.memoryStore(), maxPerUser: bad }), "invalid_argument", `maxPerUser ${bad}`);
    }
    const one = harness({ config: { hashing: FAST, maxPerUser: 1 } });
    await one.ap.create({ user: "d", label: "x", scopes: ["email"] });
    await rejectsHost(() => one.ap.create({ user: "d", label: "y", scopes: ["email"] }), "too_many_passwords");
  });

  t(`[${runtime}] revokeAll: every password of one user, counted; other users untouched`, async () => {
    const counting = countingStore();
    const h = harness({ store: counting.store, config: { hashing: FAST, maxPerUser: 1000 } });
    const mine = [];
    for (let i = 0; i < 120; i++) mine.push(await h.ap.create({ user: "alice", label: `a${i}`, scopes: ["email"] }));
    const theirs = await h.ap.create({ user: "bob", label: "b", scopes: ["email"] });
    equal(typeof h.ap.revokeAll, "function");
    counting.reset();
    equal(await h.ap.revokeAll("alice"), 120);
    figure(`revokeAll of 120 passwords: ${counting.c.calls} store calls`);
    deepEqual(await h.ap.list("alice"), []);
    for (const c of mine.slice(0, 5)) sameResult(await h.ap.verify({ username: "alice", password: c.password }), invalid("unknown_id"));
    equal((await h.ap.verify({ username: "bob", password: theirs.password })).ok, true);
    equal(await h.ap.revokeAll("alice"), 0);
    await rejectsHost(() => h.ap.revokeAll("a:b"), "invalid_user");
    await rejectsHost(() => h.ap.revokeAll(42), "invalid_argument");
  });

  /** A view of `map` whose reads of the hidden keys answer "missing" (a stale KV miss). */
  function staleStore(map) {
    const base = api.memoryStore(map);
    const hidden = new Set();
    return {
      hide: (k) => hidden.add(k),
      store: {
        get: (k) => (hidden.has(k) ? Promise.resolve(null) : base.get(k)),
        getMany: async (keys) => new Map(keys.map((k) => [k, hidden.has(k) ? null : map.get(k) ?? null])),
        put: (k, v) => base.put(k, v),
        delete: (k) => base.delete(k),
        list: async (p, c) => {
          const page = await base.list(p, c);
          return { ...page, keys: page.keys.filter((k) => !hidden.has(k)) };
        },
      },
    };
  }

  t(`[${runtime}] stale reads: a stale "not found" never makes a live password vanish (listed ⟺ verifies)`, async () => {
    const map = new Map();
    const writer = harness({ map, config: { hashing: FAST } });
    const [a, b, c] = [];
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await writer.ap.create({ user: "alice", label: `s${i}`, scopes: ["email"] }));
    const stale = staleStore(map);
    const there = harness({ map, store: stale.store, config: { hashing: FAST } });
    const agree = async () => {
      const fresh = harness({ map, config: { hashing: FAST } });
      const listed = (await fresh.ap.list("alice")).map((l) => l.id);
      for (const p of made) {
        const verifies = (await fresh.ap.verify({ username: "alice", password: p.password })).ok;
        equal(listed.includes(p.id), verifies, `${p.id}: listed ${listed.includes(p.id)}, verifies ${verifies}`);
      }
    };
    // Record read stale, index entry seen: the revoke writes the tombstone anyway.
    stale.hide(recordKey(made[0].id));
    equal(await there.ap.revoke("alice", made[0].id), true);
    ok(map.has(tombstoneKey(made[0].id)), "tombstone written");
    await agree();
    // Record and entry read stale: nothing of alice's known there; nothing deleted (false).
    stale.hide(recordKey(made[1].id));
    stale.hide(indexKey("alice", made[1].id));
    equal(await there.ap.revoke("alice", made[1].id), false);
    ok(map.has(indexKey("alice", made[1].id)) && map.has(recordKey(made[1].id)), "nothing deleted");
    await agree();
    // A list there with a stale record: not listed there (verify there refuses it too), and
    // the entry stays, so it is listed again once the read is fresh.
    stale.hide(recordKey(made[2].id));
    ok(!(await there.ap.list("alice")).some((l) => l.id === made[2].id));
    equal((await there.ap.verify({ username: "alice", password: made[2].password })).ok, false);
    ok(map.has(indexKey("alice", made[2].id)), "entry kept");
    await agree();
    void [a, b, c];
  });

  /** A memoryStore whose next getMany, once armed, takes its answer and waits to be released. */
  function stallingStore(map) {
    const base = api.memoryStore(map);
    let armed = false;
    let stalled = false;
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    return {
      arm: () => (armed = true),
      release: () => release(),
      isStalled: () => stalled,
      store: {
        get: (k) => base.get(k),
        getMany: async (keys) => {
          const answer = await base.getMany(keys);
          if (!armed) return answer;
          armed = false;
          stalled = true;
          await gate;
          return answer;
        },
        put: (k, v) => base.put(k, v),
        delete: (k) => base.delete(k),
        list: (p, c) => base.list(p, c),
      },
    };
  }

  t(`[${runtime}] cache race: a revoke wins over a verify in flight, and the cache never answers for it after`, async () => {
    for (const elsewhereFirst of [false, true]) {
      const map = new Map();
      const stalling = stallingStore(map);
      const h = harness({ map, store: stalling.store, config: { hashing: FAST, cache: { ttlMs: 3_600_000, maxEntries: 100 } } });
      const c = await h.ap.create({ user: "alice", label: "race", scopes: ["email"] });
      const creds = { username: "alice", password: c.password };
      stalling.arm();
      const inFlight = h.ap.verify(creds); // reads the record (still there), then stalls
      for (let i = 0; i < 100 && !stalling.isStalled(); i++) await Promise.resolve();
      ok(stalling.isStalled(), "the verify reached its store read");
      if (elsewhereFirst) equal(await harness({ map, config: { hashing: FAST } }).ap.revoke("alice", c.id), true);
      equal(await h.ap.revoke("alice", c.id), !elsewhereFirst, "the revoke through this instance completes");
      stalling.release();
      sameResult(await inFlight, invalid("unknown_id"), `the verify completing after the revoke (elsewhere first: ${elsewhereFirst})`);
      const again = await h.ap.verify(creds);
      equal(again.ok, false, "never granted again");
      ok(!again.cached, "never from the cache");
    }
  });

  t(`[${runtime}] cache: a revoke evicts a cached credential even when the record was already gone`, async () => {
    const map = new Map();
    const h = harness({ map, config: { hashing: FAST, cache: { ttlMs: 3_600_000, maxEntries: 100 } } });
    const c = await h.ap.create({ user: "alice", label: "x", scopes: ["email"] });
    const creds = { username: "alice", password: c.password };
    equal((await h.ap.verify(creds)).ok, true);
    equal((await h.ap.verify(creds)).cached, true);
    equal(await harness({ map }).ap.revoke("alice", c.id), true); // revoked elsewhere
    equal(await h.ap.revoke("alice", c.id), false); // nothing left here...
    sameResult(await h.ap.verify(creds), invalid("unknown_id"), "...and the cached credential is gone");
  });

  // ------------------------------------------------------------- getMany and increment

  t(`[${runtime}] getMany: a Map or a plain object (missing = null or absent); garbage is store_corrupt`, async () => {
    const map = new Map();
    const maker = harness({ map, config: { hashing: FAST } });
    const c = await maker.ap.create({ user: "alice", label: "x", scopes: ["email"] });
    const creds = { username: "alice", password: c.password };
    const base = api.memoryStore(map);
    const withGetMany = (getMany) => harness({ map, config: { hashing: FAST }, store: { ...base, getMany } });
    let gets = 0;
    const counted = { ...base, get: (k) => (gets++, base.get(k)) };
    // A plain object, the absent keys left out: verify and list work, no single get.
    const asObject = harness({ map, config: { hashing: FAST }, store: { ...counted, getMany: async (keys) => Object.fromEntries(keys.filter((k) => map.has(k)).map((k) => [k, map.get(k)])) } });
    equal((await asObject.ap.verify(creds)).ok, true);
    equal((await asObject.ap.list("alice")).length, 1);
    equal(gets, 0, "every read went through getMany");
    // Without getMany: one get after another, same answers.
    const plain = harness({ map, config: { hashing: FAST }, store: { get: base.get, put: base.put, delete: base.delete, list: base.list } });
    equal((await plain.ap.verify(creds)).ok, true);
    for (const [what, answer] of [["null", null], ["a number", 42], ["a string", "x"], ["a non-string value", new Map([[recordKey(c.id), 7]])]]) {
      await rejectsHost(() => withGetMany(async () => answer).ap.verify(creds), "store_corrupt", `getMany resolving ${what}`);
    }
    await rejectsHost(() => withGetMany(async () => { throw new Error("bulk read failed"); }).ap.verify(creds), "store_unavailable");
    await rejectsHost(() => withGetMany(() => { throw new Error("sync throw"); }).ap.list("alice"), "store_unavailable");
    const hung = harness({ map, config: { hashing: FAST, storeTimeoutMs: 50 }, store: { ...base, getMany: () => new Promise(() => {}) } });
    await rejectsHost(() => hung.ap.verify(creds), "store_timeout");
    const wrapped = api.withTimeout(base, 1000);
    equal(typeof wrapped.getMany, "function");
    equal(typeof wrapped.increment, "function");
    equal(api.withTimeout({ get: base.get, put: base.put, delete: base.delete, list: base.list }, 1000).getMany, undefined, "absent stays absent");
  });

  t(`[${runtime}] increment: memoryStore and durableObjectStore add atomically; non-integers are refused`, async () => {
    for (const store of [api.memoryStore(), api.durableObjectStore(fakeDurableStorage())]) {
      equal(await store.increment("n", 5), 5);
      equal(await store.increment("n", -2), 3);
      equal(await store.get("n"), "3");
      const all = await Promise.all(Array.from({ length: 50 }, () => store.increment("hits", 1)));
      equal(await store.get("hits"), "50");
      equal(Math.max(...all), 50);
      await store.put("x", "not a number");
      await rejects(() => store.increment("x", 1), {});
      await rejects(() => store.increment("n", 0.5), {});
    }
  });

  /** A stand-in for Durable Object storage: get (one key or many), put, delete, list options. */
  function fakeDurableStorage(map = new Map()) {
    const calls = { get: 0, getMany: 0, list: [] };
    return {
      calls,
      map,
      async get(key) {
        if (Array.isArray(key)) {
          calls.getMany += 1;
          if (key.length > 128) throw new Error("at most 128 keys");
          return new Map(key.filter((k) => map.has(k)).map((k) => [k, map.get(k)]));
        }
        calls.get += 1;
        return map.get(key);
      },
      async put(key, value) {
        map.set(key, value);
      },
      async delete(key) {
        return map.delete(key);
      },
      async list({ prefix = "", start, startAfter, limit = Infinity } = {}) {
        calls.list.push({ prefix, start, startAfter, limit });
        const keys = [...map.keys()].filter((k) => k.startsWith(prefix) && (start === undefined || k >= start) && (startAfter === undefined || k > startAfter)).sort();
        return new Map(keys.slice(0, limit).map((k) => [k, map.get(k)]));
      },
      async transaction() {},
      async deleteAll() {},
      async getAlarm() {
        return null;
      },
    };
  }

  t(`[${runtime}] adapters: durableObjectStore over storage and over a stub (serveDurableObjectStore)`, async () => {
    const storage = fakeDurableStorage();
    const direct = api.durableObjectStore(storage);
    equal(direct.consistency, "strong");
    const h = harness({ store: direct, config: { hashing: FAST, maxPerUser: 1000 } });
    const made = [];
    for (let i = 0; i < 1005; i++) storage.map.set(`filler/${i}`, "x");
    for (let i = 0; i < 30; i++) made.push(await h.ap.create({ user: "do user", label: `d${i}`, scopes: ["webhook"] }));
    deepEqual((await h.ap.list("do user")).map((l) => l.id).sort(), made.map((m) => m.id).sort());
    storage.calls.getMany = 0;
    equal((await h.ap.verify({ username: "do user", password: made[0].password })).ok, true);
    equal(storage.calls.getMany, 1, "record and tombstone in one storage.get([...])");
    // Pages of 1000 with startAfter.
    const pages = [];
    let cursor;
    do {
      const page = await direct.list("filler/", cursor);
      pages.push(page.keys.length);
      cursor = page.cursor;
    } while (cursor);
    deepEqual(pages, [1000, 5]);
    ok(storage.calls.list.some((o) => typeof o.startAfter === "string"), "continues with startAfter");
    // Through a stub: each store call is one request to the object.
    let requests = 0;
    const stub = {
      id: { toString: () => "fake-id" },
      fetch: async (url, init) => {
        requests += 1;
        const object = new api.AppPasswordsDurableObject({ storage });
        return object.fetch(new Request(url, init));
      },
    };
    const viaStub = harness({ store: api.durableObjectStore(stub), config: { hashing: FAST, maxPerUser: 1000 } });
    requests = 0;
    equal((await viaStub.ap.verify({ username: "do user", password: made[1].password })).ok, true);
    await viaStub.settle();
    equal(requests, 2, "getMany + the lastUsedAt put");
    equal(await viaStub.ap.revoke("do user", made[1].id), true);
    sameResult(await h.ap.verify({ username: "do user", password: made[1].password }), invalid("unknown_id"), "seen at once through the storage");
    equal(await api.durableObjectStore(stub).increment("count", 2), 2);
    equal((await viaStub.ap.list("do user")).length, 29);
    // The object refuses bad requests; the adapter reports them as store_unavailable.
    const res = await api.serveDurableObjectStore(storage, new Request("https://x/", { method: "POST", body: JSON.stringify({ op: "drop" }) }));
    equal(res.status, 400);
    const broken = harness({ store: api.durableObjectStore({ fetch: async () => new Response("nope", { status: 500 }) }), config: { hashing: FAST } });
    await rejectsHost(() => broken.ap.verify({ username: "do user", password: made[2].password }), "store_unavailable");
    throws(() => api.durableObjectStore({}), {});
  });

  t(`[${runtime}] adapters: redisStore speaks node-redis (mGet, incrBy, scan → {cursor, keys}) and ioredis (mget, incrby, scan → [cursor, keys]); SCAN's empty pages and repeats`, async () => {
    /** A Redis stand-in: SCAN returns 7 slots a call, some empty, some repeated. */
    function fakeRedis(flavour) {
      const data = new Map();
      const calls = { scan: 0, mget: 0 };
      const glob = (pattern) => new RegExp(`^${pattern.replace(/\\(.)/g, "$1").replace(/[.+^${}()|[\]]/g, "\\$&").replace(/\*/g, ".*")}$`);
      const scanPage = (cursor, pattern) => {
        calls.scan += 1;
        const keys = [...data.keys()].sort();
        const at = Number(cursor);
        const slice = keys.slice(at, at + 7).filter((k) => glob(pattern).test(k));
        if (at > 0 && keys[at - 1] && glob(pattern).test(keys[at - 1])) slice.push(keys[at - 1]); // a repeat
        const next = at + 7 >= keys.length ? "0" : String(at + 7);
        return [next, slice];
      };
      const common = {
        get: async (k) => data.get(k) ?? null,
        set: async (k, v) => void data.set(k, v),
        del: async (k) => void data.delete(k),
      };
      if (flavour === "node-redis") {
        return { data, calls, client: { ...common, mGet: async (keys) => (calls.mget++, keys.map((k) => data.get(k) ?? null)), incrBy: async (k, d) => { const n = Number(data.get(k) ?? 0) + d; data.set(k, String(n)); return n; }, scan: async (cursor, { MATCH }) => { const [next, keys] = scanPage(cursor, MATCH); return { cursor: next, keys }; } } };
      }
      return { data, calls, client: { ...common, mget: async (keys) => (calls.mget++, keys.map((k) => data.get(k) ?? null)), incrby: async (k, d) => { const n = Number(data.get(k) ?? 0) + d; data.set(k, String(n)); return n; }, scan: async (cursor, _m, pattern) => scanPage(cursor, pattern) } };
    }
    for (const flavour of ["node-redis", "ioredis"]) {
      const fake = fakeRedis(flavour);
      for (let i = 0; i < 40; i++) fake.data.set(`other/${i}`, "x");
      const store = api.redisStore(fake.client);
      const h = harness({ store, config: { hashing: FAST } });
      const made = [];
      for (let i = 0; i < 25; i++) made.push(await h.ap.create({ user: "r*user", label: `r${i}`, scopes: ["email"] }));
      const listed = await h.ap.list("r*user");
      deepEqual(listed.map((l) => l.id).sort(), made.map((m) => m.id).sort(), `${flavour}: every password, each once`);
      fake.calls.mget = 0;
      equal((await h.ap.verify({ username: "r*user", password: made[0].password })).ok, true);
      equal(fake.calls.mget, 1, `${flavour}: one MGET per verify`);
      equal(await store.increment("n", 3), 3);
      equal(await store.increment("n", 4), 7);
      const page = await store.list("other/");
      equal(new Set(page.keys).size, page.keys.length, "a page has no repeats");
      equal(page.keys.length, 40);
    }
    throws(() => api.redisStore({ get() {}, scan() {} }), {});
  });

  return count;
}
