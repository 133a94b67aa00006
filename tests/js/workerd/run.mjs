// The package inside workerd, through Miniflare (no wrangler): a Worker (worker.mjs) imports
// pkg/workerd.js, gets the .wasm as a compiled module, and keeps app passwords in a real KV
// namespace binding through workersKvStore(env.APP_PASSWORDS). This script drives it over HTTP
// with mf.dispatchFetch, storms it with concurrent mixed requests (concurrency.mjs), then runs
// the shared JS suite (tests/js/suite.mjs) inside the Worker.
//
// Prints each test, ends with "N passed, M failed"; exits non-zero on any failure or when no
// test ran. Miniflare is always disposed.
//
// Usage: node tests/js/workerd/run.mjs [filter]   (run only tests whose name contains filter)

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare, Log, LogLevel } from "miniflare";
import { defineConcurrencyTests } from "./concurrency.mjs";
import { randomBase62, withCheck } from "../checksum.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const filter = process.argv[2] ?? "";

// ------------------------------------------------------------------------- tiny test runner

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
let passed = 0;
let failed = 0;
const failures = [];

function report(ok, name, error) {
  if (ok) {
    passed++;
    console.log(`ok    ${name}`);
  } else {
    failed++;
    failures.push(name);
    console.log(`FAIL  ${name}\n      ${String(error).split("\n").join("\n      ")}`);
  }
}

// ---------------------------------------------------------------------------- HTTP helpers

let mf;
const BASE = "http://app-passwords.test";

async function call(method, path, { json, headers = {}, body } = {}) {
  const init = { method, headers: { ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["content-type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  const res = await mf.dispatchFetch(BASE + path, init);
  const text = await res.text();
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    data = text;
  }
  return { status: res.status, headers: res.headers, body: data };
}

const b64 = (s) => Buffer.from(s, "utf8").toString("base64");
const basic = (user, password) => ({ authorization: `Basic ${b64(`${user}:${password}`)}` });
const api = (headers, require = [], extra = {}) =>
  call("GET", `/api${require.length ? `?require=${encodeURIComponent(require.join(","))}` : ""}`, {
    headers: { ...headers, ...extra },
  });
const create = (user, label, scopes, extra = {}, headers = {}) =>
  call("POST", "/create", { json: { user, label, scopes, ...extra }, headers });
const list = (user, headers = {}) => call("GET", `/list?user=${encodeURIComponent(user)}`, { headers });
const revoke = (user, id, headers = {}) =>
  call("DELETE", `/revoke?user=${encodeURIComponent(user)}&id=${encodeURIComponent(id)}`, { headers });

// An independent implementation of the password format (docs/design.md#the-password), to build well-formed
// passwords the service never issued: unknown ids, right id with the wrong secret.
const wellFormed = (id = randomBase62(12), secret = randomBase62(32)) => withCheck(`apw_${id}${secret}`);

function expectRefused(res, status, code, reason) {
  assert.equal(res.status, status, `status (body ${JSON.stringify(res.body)}, reason ${res.headers.get("x-reason")})`);
  assert.equal(res.body.error.code, code);
  if (reason !== undefined) assert.equal(res.headers.get("x-reason"), reason);
  if (status === 401) {
    const challenge = res.headers.get("www-authenticate") ?? "";
    assert.match(challenge, /^Basic realm="app-passwords"/, `WWW-Authenticate was ${challenge}`);
  } else {
    assert.equal(res.headers.get("www-authenticate"), null);
  }
  assert.equal(JSON.stringify(res.body).includes("argon2"), false);
}

function expectStoreError(res, code) {
  assert.equal(res.status, 503, JSON.stringify(res.body));
  assert.equal(res.body.code, code);
  assert.equal(res.body.appPasswordError, true, "instanceof AppPasswordError inside the Worker");
  assert.equal(res.body.isError, true, "instanceof Error inside the Worker");
  assert.equal(res.body.name, "AppPasswordError");
}

// ------------------------------------------------------------------------------- the flow

const T0 = 1_800_000_000_000; // a fixed clock for the expiry and lastUsedAt tests
const state = {};

test("create returns the password once, in the spec format", async () => {
  const res = await create("alice", "ci-runner", ["repository:write"]);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const c = res.body;
  assert.match(c.password, /^apw_[0-9A-Za-z]{50}$/);
  assert.equal(c.password, withCheck(c.password.slice(0, -6)), "checksum is CRC32 base62");
  assert.equal(c.id, c.password.slice(4, 16));
  assert.equal(c.label, "ci-runner");
  assert.deepEqual(c.scopes, ["repository", "repository:write"]);
  assert.equal(typeof c.createdAt, "number");
  assert.ok(Math.abs(c.createdAt - Date.now()) < 60_000, "createdAt is the runtime's Date.now()");
  assert.equal(c.expiresAt ?? null, null);
  state.alice = c;
});

test("KV holds a record and an index entry, never the password (design.md#records)", async () => {
  const kv = await mf.getKVNamespace("APP_PASSWORDS");
  const { keys } = await kv.list({ prefix: "app-passwords/v1/" });
  const names = keys.map((k) => k.name);
  assert.ok(names.includes(`app-passwords/v1/record/${state.alice.id}`), names.join(" "));
  assert.ok(names.includes(`app-passwords/v1/user/alice/${state.alice.id}`), names.join(" "));
  const secret = state.alice.password.slice(16, 48);
  for (const name of names) {
    const value = await kv.get(name);
    assert.equal(value.includes(state.alice.password) || value.includes(secret), false, `${name} leaks the password`);
  }
  const record = JSON.parse(await kv.get(`app-passwords/v1/record/${state.alice.id}`));
  assert.equal(record.user, "alice");
  assert.match(record.hash, /^\$argon2id\$v=19\$m=256,t=1,p=1\$/);
});

test("create refuses bad arguments with AppPasswordError codes", async () => {
  const cases = [
    [["nonsense"], "x", "unknown_scope"],
    [["workspace:admin"], "x", "scope_not_grantable"],
    [[], "x", "no_scopes"],
    [["repository"], "", "invalid_label"],
    [["repository"], "y".repeat(256), "invalid_label"],
  ];
  for (const [scopes, label, code] of cases) {
    const res = await create("alice", label, scopes);
    assert.equal(res.status, 400, `${code}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.code, code);
    assert.equal(res.body.appPasswordError, true);
  }
  const past = await create("alice", "old", ["repository"], { expiresAt: T0 - 1 }, { "x-now": String(T0) });
  assert.equal(past.status, 400);
  assert.equal(past.body.code, "invalid_expiry");
});

test("verify over Basic: 200 with user, id, label, scopes", async () => {
  const { password, id } = state.alice;
  const res = await api(basic("alice", password), ["repository"]);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const { cached, ...granted } = res.body;
  assert.deepEqual(granted, { ok: true, user: "alice", id, label: "ci-runner", scopes: ["repository", "repository:write"] });
  assert.equal(cached ?? false, false, "no cache configured");
  const write = await api(basic("alice", password), ["repository:write"]);
  assert.equal(write.status, 200);
  const none = await api(basic("alice", password));
  assert.equal(none.status, 200);
});

test("wrong user: 401 with the Basic challenge", async () => {
  const res = await api(basic("mallory", state.alice.password));
  expectRefused(res, 401, "invalid_credentials", "wrong_user");
});

test("mistyped password: 401 (checksum), no store access needed", async () => {
  const p = state.alice.password;
  const i = 30;
  const typo = p.slice(0, i) + (p[i] === "a" ? "b" : "a") + p.slice(i + 1);
  expectRefused(await api(basic("alice", typo)), 401, "invalid_credentials", "bad_checksum");
  expectRefused(await api(basic("alice", p.slice(0, -1))), 401, "invalid_credentials", "wrong_length");
  expectRefused(await api(basic("alice", `xyz${p.slice(3)}`)), 401, "invalid_credentials", "wrong_prefix");
  expectRefused(await api(basic("alice", "hunter2")), 401, "invalid_credentials");
});

test("right id, wrong secret (valid checksum): 401 wrong_secret", async () => {
  const forged = wellFormed(state.alice.id);
  expectRefused(await api(basic("alice", forged)), 401, "invalid_credentials", "wrong_secret");
});

test("unknown id: 401 unknown_id", async () => {
  expectRefused(await api(basic("alice", wellFormed())), 401, "invalid_credentials", "unknown_id");
});

test("missing scope: 403 insufficient_scope with missing", async () => {
  const res = await api(basic("alice", state.alice.password), ["pullrequest:write"]);
  expectRefused(res, 403, "insufficient_scope", "missing_scopes");
  // missing = required minus granted (required is not closed: pullrequest:write is enough).
  assert.deepEqual(res.body.error.missing, ["pullrequest:write"]);
  const issue = await api(basic("alice", state.alice.password), ["repository", "issue"]);
  expectRefused(issue, 403, "insufficient_scope");
  assert.deepEqual(issue.body.error.missing, ["issue"]);
});

test("workspace admin required: 403 not_allowed_for_app_passwords (design.md#grantable-and-not-grantable)", async () => {
  const res = await api(basic("alice", state.alice.password), ["workspace:admin"]);
  expectRefused(res, 403, "not_allowed_for_app_passwords", "scope_not_grantable");
  assert.deepEqual(res.body.error.missing, ["workspace:admin"]);
});

test("an unknown required scope is a host error (400 unknown_scope), not a refusal", async () => {
  const res = await api(basic("alice", state.alice.password), ["no-such-scope"]);
  assert.equal(res.status, 400, JSON.stringify(res.body));
  assert.equal(res.body.code, "unknown_scope");
});

test("login purpose: 403 login_not_allowed (design.md#order-of-checks); bad login still 401", async () => {
  const res = await call("POST", "/login", { json: { username: "alice", password: state.alice.password } });
  expectRefused(res, 403, "login_not_allowed", "login_refused");
  const wrong = await call("POST", "/login", { json: { username: "bob", password: state.alice.password } });
  expectRefused(wrong, 401, "invalid_credentials", "wrong_user");
});

test("expiry follows the service clock (now option from x-now)", async () => {
  const at = (t) => ({ "x-now": String(t) });
  const res = await create("carol", "short-lived", ["email"], { expiresAt: T0 + 60_000 }, at(T0));
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.createdAt, T0);
  assert.equal(res.body.expiresAt, T0 + 60_000);
  const auth = basic("carol", res.body.password);
  assert.equal((await api(auth, ["email"], at(T0 + 1_000))).status, 200);
  assert.equal((await api(auth, [], at(T0 + 59_999))).status, 200);
  expectRefused(await api(auth, [], at(T0 + 60_000)), 401, "invalid_credentials", "expired");
  expectRefused(await api(auth, [], at(T0 + 3_600_000)), 401, "invalid_credentials", "expired");
  // Expiry comes before purpose and scopes: an expired password learns nothing more.
  expectRefused(await api(auth, ["workspace:admin"], at(T0 + 60_000)), 401, "invalid_credentials", "expired");
  const listed = await list("carol", at(T0 + 60_000));
  assert.equal(listed.body.length, 1, "an expired password is still listed (so it can be revoked)");
  assert.equal(listed.body[0].expiresAt, T0 + 60_000);
});

test("bad Authorization headers: missing, Bearer, bad base64, no colon, too long", async () => {
  const cases = [
    [{}, "missing_credentials"],
    [{ authorization: "" }, "missing_credentials"],
    [{ authorization: `Bearer ${state.alice.password}` }, "not_basic_auth"],
    [{ authorization: "Basic !!!not-base64!!!" }, "bad_base64"],
    [{ authorization: `Basic ${b64("alice" + state.alice.password)}` }, "missing_colon"],
    [{ authorization: `Basic ${b64(`alice:${"a".repeat(1100)}`)}` }, "header_too_long"],
    [{ authorization: `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString("base64")}` }, "bad_utf8"],
  ];
  for (const [headers, reason] of cases) {
    expectRefused(await api(headers), 401, "invalid_credentials", reason);
  }
  // Just under the bound is read (and refused for what it is, not for its size).
  const long = `Basic ${b64(`alice:${"a".repeat(700)}`)}`;
  assert.ok(long.length <= 1024);
  const underBound = await api({ authorization: long });
  expectRefused(underBound, 401, "invalid_credentials");
  assert.equal(underBound.headers.get("x-reason"), "wrong_prefix");
  // The scheme name is case-insensitive (RFC 7617 / 9110).
  const lower = await api({ authorization: `basic ${b64(`alice:${state.alice.password}`)}` });
  assert.equal(lower.status, 200, `lower-case scheme: ${lower.headers.get("x-reason")}`);
});

test("list shows lastUsedAt after a verify (written through ctx.waitUntil)", async () => {
  const made = await create("dave", "lastused", ["snippet"]);
  assert.equal(made.status, 201);
  const before = await list("dave");
  assert.equal(before.status, 200);
  assert.equal(before.body.length, 1);
  assert.equal(before.body[0].lastUsedAt ?? null, null);
  const used = T0 + 42;
  const wrong = await api(basic("dave", wellFormed(made.body.id)), ["snippet"], { "x-now": String(used - 1) });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get("x-background"), "0", "a refusal leaves no background write");
  const ok = await api(basic("dave", made.body.password), ["snippet"], { "x-now": String(used) });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("x-background"), "1", "the lastUsedAt write went to ctx.waitUntil");
  let seen = null;
  for (let i = 0; i < 40 && seen === null; i++) {
    const now = await list("dave");
    seen = now.body[0].lastUsedAt ?? null;
    if (seen === null) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(seen, used);
  const item = (await list("dave")).body[0];
  assert.deepEqual(Object.keys(item).sort(), ["createdAt", "enabled", "expiresAt", "id", "label", "lastUsedAt", "replacedBy", "replaces", "scopes"]);
  assert.equal(item.id, made.body.id);
  assert.deepEqual(item.scopes, ["snippet"]);
});

test("list pages through real KV cursors (binding limited to 5 keys a page)", async () => {
  const paged = { "x-page-size": "5" };
  const ids = [];
  for (let i = 0; i < 23; i++) {
    const res = await create("erin", `tool-${i}`, ["wiki"], {}, paged);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    ids.push(res.body.id);
  }
  // Another user's passwords share the key space but never show up.
  assert.equal((await create("erin2", "other", ["wiki"], {}, paged)).status, 201);
  const res = await list("erin", paged);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.length, 23);
  assert.deepEqual(new Set(res.body.map((p) => p.id)), new Set(ids));
  for (let i = 1; i < res.body.length; i++) assert.ok(res.body[i - 1].createdAt <= res.body[i].createdAt, "oldest first");
  const unpaged = await list("erin");
  assert.deepEqual(unpaged.body.map((p) => p.id), res.body.map((p) => p.id));
  assert.deepEqual((await list("nobody")).body, []);
});

test("workersKvStore.list maps KV cursors: 1005 keys -> 1000 + 5", async () => {
  const res = await call("GET", "/kv-pages?prefix=pagetest/&fill=1005");
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const { pages } = res.body;
  assert.equal(pages.length, 2, JSON.stringify(pages));
  assert.equal(pages[0].count, 1000);
  assert.equal(typeof pages[0].cursor, "string");
  assert.equal(pages[0].first, "pagetest/000000");
  assert.equal(pages[0].last, "pagetest/000999");
  assert.deepEqual(pages[1], { count: 5, first: "pagetest/001000", last: "pagetest/001004", cursor: null });
});

test("revoke: true once, then the password never verifies; other users cannot revoke", async () => {
  const made = await create("frank", "to-revoke", ["issue:write"]);
  assert.equal(made.status, 201);
  const { id, password } = made.body;
  assert.equal((await api(basic("frank", password), ["issue"])).status, 200);
  assert.deepEqual((await revoke("alice", id)).body, { revoked: false }, "not alice's");
  assert.equal((await api(basic("frank", password))).status, 200, "still valid after a refused revoke");
  assert.deepEqual((await revoke("frank", "not-an-id")).body, { revoked: false });
  assert.deepEqual((await revoke("frank", id)).body, { revoked: true });
  expectRefused(await api(basic("frank", password)), 401, "invalid_credentials", "unknown_id");
  expectRefused(await call("POST", "/login", { json: { username: "frank", password } }), 401, "invalid_credentials");
  assert.deepEqual((await revoke("frank", id)).body, { revoked: false });
  assert.deepEqual((await list("frank")).body, []);
  // alice's password is untouched.
  assert.equal((await api(basic("alice", state.alice.password))).status, 200);
});

test("verified-credential cache lives in the isolate across requests; revoke evicts", async () => {
  const cache = (t) => ({ "x-cache": "60000", "x-now": String(t) });
  const made = await create("gina", "cached", ["repository"]);
  assert.equal(made.status, 201);
  const auth = basic("gina", made.body.password);
  const first = await api(auth, ["repository"], cache(T0));
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.cached, false);
  const second = await api(auth, ["repository"], cache(T0 + 1));
  assert.equal(second.status, 200);
  assert.equal(second.body.cached, true, "the second request of the isolate is answered from the cache");
  // Scope and purpose checks still run on a cached credential.
  expectRefused(await api(auth, ["repository:write"], cache(T0 + 2)), 403, "insufficient_scope");
  expectRefused(await api(auth, ["workspace:admin"], cache(T0 + 2)), 403, "not_allowed_for_app_passwords");
  // Another secret for the same id is not a cache hit.
  expectRefused(await api(basic("gina", wellFormed(made.body.id)), [], cache(T0 + 2)), 401, "invalid_credentials", "wrong_secret");
  expectRefused(await api(basic("gino", made.body.password), [], cache(T0 + 2)), 401, "invalid_credentials", "wrong_user");

  // A revoke through another instance (another isolate, in production) is seen after the TTL.
  assert.deepEqual((await revoke("gina", made.body.id)).body, { revoked: true });
  const stale = await api(auth, [], cache(T0 + 59_999));
  assert.equal(stale.status, 200, "within the documented staleness bound");
  assert.equal(stale.body.cached, true);
  expectRefused(await api(auth, [], cache(T0 + 60_001)), 401, "invalid_credentials", "unknown_id");

  // A revoke through the caching instance itself is seen at once.
  const other = await create("gina", "cached-2", ["repository"]);
  const auth2 = basic("gina", other.body.password);
  assert.equal((await api(auth2, [], cache(T0 + 70_000))).status, 200);
  assert.equal((await api(auth2, [], cache(T0 + 70_001))).body.cached, true);
  assert.deepEqual((await revoke("gina", other.body.id, cache(T0 + 70_002))).body, { revoked: true });
  expectRefused(await api(auth2, [], cache(T0 + 70_003)), 401, "invalid_credentials", "unknown_id");

  // A cached credential still expires on time.
  const short = await create("gina", "cached-3", ["repository"], { expiresAt: T0 + 81_000 }, { "x-now": String(T0 + 80_000) });
  assert.equal(short.status, 201, JSON.stringify(short.body));
  const auth3 = basic("gina", short.body.password);
  assert.equal((await api(auth3, [], cache(T0 + 80_000))).status, 200);
  assert.equal((await api(auth3, [], cache(T0 + 80_999))).body.cached, true);
  expectRefused(await api(auth3, [], cache(T0 + 81_000)), 401, "invalid_credentials", "expired");
});

test("a failing KV: 503 store_unavailable, an AppPasswordError inside the Worker", async () => {
  const broken = { "x-store": "broken" };
  expectStoreError(await create("alice", "x", ["repository"], {}, broken), "store_unavailable");
  expectStoreError(await api(basic("alice", state.alice.password), [], broken), "store_unavailable");
  expectStoreError(await api(basic("alice", wellFormed()), [], broken), "store_unavailable");
  expectStoreError(await list("alice", broken), "store_unavailable");
  expectStoreError(await revoke("alice", state.alice.id, broken), "store_unavailable");
  expectStoreError(
    await call("POST", "/login", { json: { username: "alice", password: state.alice.password }, headers: broken }),
    "store_unavailable",
  );
  // Garbage is refused before the store is touched, so it is still a 401, not a 503.
  expectRefused(await api(basic("alice", "garbage"), [], broken), 401, "invalid_credentials", "wrong_prefix");
  expectRefused(await api(basic("alice", "apw_short"), [], broken), 401, "invalid_credentials", "wrong_length");
});

test("a corrupt record: 503 store_corrupt, never ok", async () => {
  const id = randomBase62(12);
  const put = await call("PUT", `/raw?key=${encodeURIComponent(`app-passwords/v1/record/${id}`)}`, { body: "{not json" });
  assert.equal(put.status, 200);
  expectStoreError(await api(basic("alice", wellFormed(id))), "store_corrupt");
  const copy = JSON.parse(
    (await (await mf.getKVNamespace("APP_PASSWORDS")).get(`app-passwords/v1/record/${state.alice.id}`)) ?? "null",
  );
  copy.scopes = "v1.%%%";
  const id2 = randomBase62(12);
  copy.id = id2;
  await call("PUT", `/raw?key=${encodeURIComponent(`app-passwords/v1/record/${id2}`)}`, { body: JSON.stringify(copy) });
  expectStoreError(await api(basic("alice", wellFormed(id2))), "store_corrupt");
});

// ------------------------------------ Durable Objects (durableObjectStore) and the budget table

const DO_KINDS = [
  ["do", "durableObjectStore(stub) of AppPasswordsDurableObject"],
  ["do-inside", "durableObjectStore(ctx.storage) inside a Durable Object"],
];

for (const [kind, label] of DO_KINDS) {
  test(`${label}: create, verify, list, revoke seen at once by every request, revokeAll`, async () => {
    const h = { "x-store": kind, "x-hashing": "light", "x-do-name": `flow-${kind}` };
    const a = await create("dora", "one", ["repository"], {}, h);
    assert.equal(a.status, 201, JSON.stringify(a.body));
    const b = await create("dora", "two", ["repository"], {}, h);
    assert.equal((await api({ ...basic("dora", a.body.password), ...h }, ["repository"])).status, 200);
    assert.deepEqual((await list("dora", h)).body.map((l) => l.id).sort(), [a.body.id, b.body.id].sort());
    // Nothing of it in the KV namespace: the Durable Object holds it.
    assert.equal((await call("GET", `/raw?key=${encodeURIComponent(`app-passwords/v1/record/${a.body.id}`)}`)).body.value, null);
    assert.deepEqual((await revoke("dora", a.body.id, h)).body, { revoked: true });
    // The very next request (any location: one object) refuses it.
    expectRefused(await api({ ...basic("dora", a.body.password), ...h }), 401, "invalid_credentials", "unknown_id");
    assert.deepEqual((await list("dora", h)).body.map((l) => l.id), [b.body.id]);
    const all = await call("DELETE", "/revoke-all?user=dora", { headers: h });
    assert.deepEqual(all.body, { revoked: 1 });
    assert.deepEqual((await list("dora", h)).body, []);
    // Another object is another store.
    assert.deepEqual((await list("dora", { ...h, "x-do-name": `other-${kind}` })).body, []);
  });

  test(`${label}: 50 concurrent increments in one request lose nothing`, async () => {
    const res = await call("POST", "/increment?key=hits&n=50", { headers: { "x-store": kind, "x-do-name": `inc-${kind}` } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([...res.body.values].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i + 1));
    assert.equal(res.body.final, 50);
  });
}

test("caveats: the Workers KV binding refuses maxUses at create with store_lacks_atomic; other caveats work", async () => {
  const refused = await create("kim", "counted", ["repository"], { maxUses: 3 });
  assert.equal(refused.status, 400, JSON.stringify(refused.body));
  assert.equal(refused.body.code, "store_lacks_atomic");
  assert.deepEqual((await list("kim")).body, [], "nothing stored");
  const c = await create("kim", "office", ["repository"], { allowIps: ["203.0.113.0/24"], methods: ["get"], paths: ["/api"] });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  assert.deepEqual([c.body.allowIps, c.body.methods, c.body.paths], [["203.0.113.0/24"], ["GET"], ["/api"]]);
  const listed = (await list("kim")).body;
  assert.deepEqual(listed[0].allowIps, ["203.0.113.0/24"], "list shows the caveats");
  // The Worker passes CF-Connecting-IP; method and path come from the Request.
  const ok = await api(basic("kim", c.body.password), [], { "cf-connecting-ip": "203.0.113.5" });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  expectRefused(await api(basic("kim", c.body.password), [], { "cf-connecting-ip": "198.51.100.5" }), 403, "request_not_allowed", "client_ip_not_allowed");
  // X-Forwarded-For is never read (Miniflare sets CF-Connecting-IP to its own loopback address, as
  // Cloudflare always sets it to the real client).
  expectRefused(await api(basic("kim", c.body.password), [], { "x-forwarded-for": "203.0.113.5" }), 403, "request_not_allowed", "client_ip_not_allowed");
  expectRefused(await api(basic("kim", c.body.password), [], { "cf-connecting-ip": "::ffff:198.51.100.5" }), 403, "request_not_allowed", "client_ip_not_allowed");
  assert.equal((await api(basic("kim", c.body.password), [], { "cf-connecting-ip": "::ffff:203.0.113.5" })).status, 200);
});

for (const [kind, label] of DO_KINDS) {
  test(`${label}: maxUses 1 with 100 parallel verifies: exactly 1 granted`, async () => {
    const h = { "x-store": kind, "x-hashing": "light", "x-do-name": `uses-${kind}` };
    const c = await create("una", "once", ["repository"], { maxUses: 1 }, h);
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal(c.body.maxUses, 1);
    const results = await Promise.all(Array.from({ length: 100 }, () => api({ ...basic("una", c.body.password), ...h })));
    assert.equal(results.filter((r) => r.status === 200).length, 1, JSON.stringify(results.map((r) => r.status)));
    for (const r of results.filter((x) => x.status !== 200)) expectRefused(r, 403, "request_not_allowed", "max_uses_reached");
  });
}

test("workersKvStore has no increment (Workers KV has no atomic add; the core would say store_lacks_atomic)", async () => {
  const res = await call("POST", "/increment?key=hits&n=1");
  assert.equal(res.status, 500, JSON.stringify(res.body)); // the adapter has no increment method at all
  assert.match(res.body.error, /increment is not a function/);
});

test("durableObjectStore(stub): 50 verifies of an old password racing its replacement's first verify: none granted after it", async () => {
  if (!hasSuite) throw new Error("needs tests/js/suite/lifecycle.mjs");
  for (const name of ["race-1", "race-2", "race-3"]) {
    const res = await call("POST", `/race-rotation?name=${name}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.body.after >= 5, JSON.stringify(res.body));
    console.log(`      rotation race on the Durable Object store (${name}): ${JSON.stringify(res.body)}`);
  }
});

/** The budget table through `headers`' store: creates in requests of 100, then one measuring request. */
async function budgetTable(headers, user, attempts) {
  let made = 0;
  let refused = 0;
  let createMost = 0;
  for (let done = 0; done < attempts; done += 100) {
    const res = await call("POST", `/budget/fill?user=${user}&n=${Math.min(100, attempts - done)}`, { headers });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    made += res.body.made;
    refused += res.body.refused;
    createMost = Math.max(createMost, res.body.createMost);
  }
  const m = await call("GET", `/budget/measure?user=${user}`, { headers });
  assert.equal(m.status, 200, JSON.stringify(m.body));
  return { made, refused, createMost, ...m.body };
}

for (const [kind, label, headers] of [
  ["kv", "the KV binding (bulk get)", {}],
  ["do", "durableObjectStore(stub)", { "x-store": "do", "x-do-name": "budget" }],
  ["do-inside", "durableObjectStore inside the object", { "x-store": "do-inside", "x-do-name": "budget" }],
]) {
  test(`budget on ${label}: 1,500 creates → 1,000 made, 500 too_many_passwords; list of 1,000 ≤ 40 calls; verify ≤ 2; create, revoke ≤ 6`, async () => {
    const r = await budgetTable(headers, `budget-${kind}`, 1500);
    console.log(`      budget [workerd, ${label}]: ${r.made} made, ${r.refused} refused; list of ${r.listed}: ${r.list} calls; verify incl. lastUsedAt: ${r.verify}; revoke: ${r.revoke}; create: most ${r.createMost}, at the cap: ${r.create}`);
    assert.deepEqual([r.made, r.refused, r.listed], [1000, 500, 1000]);
    assert.ok(r.list <= 40, `list ${r.list}`);
    assert.equal(r.bulkTooBig, 0);
    assert.ok(r.verified && r.verify <= 2, `verify ${r.verify}`);
    assert.ok(r.revoked && r.revoke <= 6, `revoke ${r.revoke}`);
    assert.ok(r.createMost <= 6, `create ${r.createMost}`);
    assert.equal(r.create, "refused after 1 calls");
  });
}

// --------------------------------------------- concurrency: >= 1,000 mixed requests in flight

defineConcurrencyTests({ test, call, basic, wrongSecret: (id) => wellFormed(id) });

// ------------------------------------------------------------------ the shared suite, in workerd

const suitePath = join(root, "tests/js/suite.mjs");
const hasSuite = existsSync(suitePath);

function loadVectors() {
  const dir = join(root, "tests/vectors");
  const out = {};
  for (const name of ["passwords", "phc", "records", "scopes"]) {
    const file = join(dir, `${name}.json`);
    if (existsSync(file)) out[name] = JSON.parse(readFileSync(file, "utf8"));
  }
  return out;
}

// ------------------------------------------------------------------------------------- main

async function main() {
  const pkgEntry = join(root, "pkg/workerd.js");
  if (!existsSync(pkgEntry)) {
    console.error("pkg/workerd.js is missing: run `bash scripts/build-pkg.sh` (make pkg) first");
    return 2;
  }
  mf = new Miniflare({
    log: new Log(process.env.MINIFLARE_LOG ? LogLevel.DEBUG : LogLevel.WARN),
    modules: true,
    scriptPath: join(here, hasSuite ? "suite-worker.mjs" : "worker.mjs"),
    modulesRoot: root,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2025-01-01",
    cf: false, // no network fetch of the Request.cf placeholder
    kvNamespaces: ["APP_PASSWORDS"],
    durableObjects: { AP_STORE: "AppPasswordsDurableObject", AP_SERVICE: "ServiceObject" },
    bindings: { VECTORS: loadVectors() },
  });
  try {
    await mf.ready;
    for (const t of tests) {
      if (filter && !t.name.includes(filter)) continue;
      try {
        await t.fn();
        report(true, t.name);
      } catch (err) {
        report(false, t.name, (err && err.stack) || err);
      }
    }
    if (!filter || "shared suite".includes(filter) || filter.startsWith("suite")) {
      await runSharedSuite();
    }
  } finally {
    await mf.dispose();
  }
  if (failures.length) console.log(`failed: ${failures.join("; ")}`);
  if (passed + failed === 0) console.log("no test ran");
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

async function runSharedSuite() {
  if (!hasSuite) {
    report(false, "shared suite (tests/js/suite.mjs)", "tests/js/suite.mjs is missing");
    return;
  }
  const res = await call("GET", "/suite");
  if (res.status !== 200 || typeof res.body !== "object" || !Array.isArray(res.body.results)) {
    report(false, "shared suite: load", `status ${res.status}: ${JSON.stringify(res.body)}`);
    return;
  }
  if (res.body.results.length === 0) report(false, "shared suite: tests registered", "the suite registered no test");
  for (const r of res.body.results) report(r.ok, `suite: ${r.name}`, r.error);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(1);
  },
);
