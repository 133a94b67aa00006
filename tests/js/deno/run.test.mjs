// Deno runner of the shared suite (`deno test`), plus Deno KV tests through denoKvStore.
// `app-passwords` comes from the import map (tests/js/deno/import_map.json → pkg/web.js, the
// package's `deno` export). Run by scripts/test-deno.sh with --allow-read only.
import * as api from "app-passwords";
import { defineSuite, LIGHT } from "../suite.mjs";
import { raceOldAgainstFirstUse } from "../suite/lifecycle.mjs";
import { deepEqual, equal, ok, rejects } from "../assert.mjs";

const load = async (name) => JSON.parse(await Deno.readTextFile(new URL(`../../vectors/${name}.json`, import.meta.url)));
const vectors = {
  passwords: await load("passwords"),
  scopes: await load("scopes"),
  phc: await load("phc"),
  records: await load("records"),
};

const count = defineSuite({ test: (name, fn) => Deno.test(name, fn), api, vectors, runtime: "deno" });
if (!(count > 0)) {
  Deno.test("the shared suite registered tests", () => {
    throw new Error(`defineSuite registered ${count} tests`);
  });
}

// ---------------------------------------------------------------------------------------------
// Deno KV (Deno.openKv(":memory:")) through the package's denoKvStore adapter.

const BASE = "app-passwords";
const basic = (user, password) => `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)))}`;
const request = (authorization) => new Request("https://api.example.test/2.0/user", { headers: { authorization } });
const storeError = (code) => ({ code, name: "AppPasswordError", instanceOf: api.AppPasswordError });

async function withKv(fn) {
  const kv = await Deno.openKv(":memory:");
  try {
    return await fn(kv);
  } finally {
    kv.close();
  }
}

function service(store, extra = {}) {
  const pending = [];
  const ap = new api.AppPasswords({ store, hashing: LIGHT, waitUntil: (p) => pending.push(p), ...extra });
  return { ap, settle: () => Promise.all(pending.splice(0)) };
}

Deno.test("[deno] denoKvStore: create, list, verify over Basic, revoke, verify refused", () =>
  withKv(async (kv) => {
    const store = api.denoKvStore(kv);
    equal(store.consistency, "strong");
    const { ap, settle } = service(store);
    const a = await ap.create({ user: "alice", label: "ci", scopes: ["repository:write"] });
    const b = await ap.create({ user: "alice", label: "deploy", scopes: ["pipeline"] });
    const c = await ap.create({ user: "bob@example.com", label: "bob's", scopes: ["issue"] });
    deepEqual((await ap.list("alice")).map((l) => l.id).sort(), [a.id, b.id].sort());
    deepEqual((await ap.list("bob@example.com")).map((l) => l.id), [c.id]);

    const record = await kv.get([BASE, `app-passwords/v1/record/${a.id}`]);
    equal(typeof record.value, "string", "record stored as a JSON string under [base, key]");
    equal(JSON.parse(record.value).user, "alice");
    ok(!record.value.includes(a.password), "no password in the store");
    equal((await kv.get([BASE, `app-passwords/v1/user/bob%40example.com/${c.id}`])).value, '{"v":1,"lastUsedAt":null}');

    const granted = await ap.verifyRequest(request(basic("alice", a.password)), { require: ["repository"] });
    const { cached = false, ...rest } = granted;
    equal(cached, false, "no cache configured");
    deepEqual(rest, { ok: true, user: "alice", id: a.id, label: "ci", scopes: ["repository", "repository:write"] });
    await settle();
    equal(typeof (await ap.list("alice")).find((l) => l.id === a.id).lastUsedAt, "number", "lastUsedAt written to KV");
    deepEqual(await ap.verifyRequest(request(basic("bob@example.com", a.password))), { ok: false, status: 401, code: "invalid_credentials", reason: "wrong_user" });

    equal(await ap.revoke("bob@example.com", a.id), false, "not bob's");
    equal(await ap.revoke("alice", a.id), true);
    deepEqual(await ap.verifyRequest(request(basic("alice", a.password))), { ok: false, status: 401, code: "invalid_credentials", reason: "unknown_id" });
    equal((await kv.get([BASE, `app-passwords/v1/record/${a.id}`])).value, null, "record deleted");
    equal(typeof (await kv.get([BASE, `app-passwords/v1/revoked/${a.id}`])).value, "string", "tombstone written");
    deepEqual((await ap.list("alice")).map((l) => l.id), [b.id]);
    equal((await ap.verify({ username: "alice", password: b.password, require: ["pipeline"] })).ok, true, "the other one still works");

    // A second service over the same KV (another isolate) sees the same state at once.
    const other = service(api.denoKvStore(kv));
    deepEqual((await other.ap.verify({ username: "alice", password: a.password })).reason, "unknown_id");
    equal((await other.ap.verify({ username: "bob@example.com", password: c.password })).ok, true);
    await settle();
    await other.settle();
  }));

Deno.test("[deno] denoKvStore: list pages through more than 1000 keys; base separates namespaces", () =>
  withKv(async (kv) => {
    const store = api.denoKvStore(kv);
    const prefix = "app-passwords/v1/user/many/";
    for (let i = 0; i < 1001; i += 1) await store.put(`${prefix}${String(i).padStart(12, "0")}`, "{}");
    await store.put("app-passwords/v1/user/manyother/x", "{}");
    const first = await store.list(prefix);
    equal(first.keys.length, 1000, "first page is 1000 keys");
    equal(typeof first.cursor, "string", "with a cursor");
    const second = await store.list(prefix, first.cursor);
    deepEqual(second.keys, [`${prefix}000000001000`], "second page has the rest");
    equal(second.cursor, undefined, "and no cursor");
    deepEqual(new Set([...first.keys, ...second.keys]).size, 1001);

    const elsewhere = api.denoKvStore(kv, { base: "tenant-b" });
    deepEqual(await elsewhere.list(prefix), { keys: [] }, "another base sees nothing");
    await elsewhere.put("k", "v");
    equal(await elsewhere.get("k"), "v");
    equal(await store.get("k"), null);
    await elsewhere.delete("k");
    equal(await elsewhere.get("k"), null);
  }));

Deno.test("[deno] denoKvStore: a KV that throws → store_unavailable; a non-string value → store_corrupt", async () => {
  const password = api.generatePassword().password;
  const broken = {
    get: () => Promise.reject(new Error("KV unavailable")),
    set: () => Promise.reject(new Error("KV unavailable")),
    delete: () => Promise.reject(new Error("KV unavailable")),
    list: () => {
      throw new Error("KV unavailable");
    },
  };
  const { ap } = service(api.denoKvStore(broken));
  await rejects(() => ap.verify({ username: "alice", password }), storeError("store_unavailable"), "verify");
  await rejects(() => ap.verifyRequest(request(basic("alice", password))), storeError("store_unavailable"), "verifyRequest");
  await rejects(() => ap.list("alice"), storeError("store_unavailable"), "list");
  await rejects(() => ap.create({ user: "alice", label: "x", scopes: ["email"] }), storeError("store_unavailable"), "create");

  // A real KV, closed under the service.
  const kv = await Deno.openKv(":memory:");
  const closed = service(api.denoKvStore(kv));
  const made = await closed.ap.create({ user: "alice", label: "x", scopes: ["email"] });
  kv.close();
  await rejects(() => closed.ap.verify({ username: "alice", password: made.password }), storeError("store_unavailable"), "closed KV");

  // A value that is not a JSON string.
  await withKv(async (kv2) => {
    const { ap: ap2 } = service(api.denoKvStore(kv2));
    const c = await ap2.create({ user: "alice", label: "y", scopes: ["email"] });
    await kv2.set([BASE, `app-passwords/v1/record/${c.id}`], 42);
    await rejects(() => ap2.verify({ username: "alice", password: c.password }), storeError("store_corrupt"), "number in KV");
    await kv2.set([BASE, `app-passwords/v1/record/${c.id}`], { v: 1 });
    await rejects(() => ap2.verify({ username: "alice", password: c.password }), storeError("store_corrupt"), "object in KV");
  });
});

// ---------------------------------------------------------------------------------------------
// Bulk reads and increment on a real Deno KV, and the store-call budget through it.

const FAST = { memoryKiB: 8, iterations: 1, parallelism: 1 };

/** Counts the calls the core makes to `store` (getMany = one call, whatever Deno KV does). */
function counted(store) {
  const c = { calls: 0 };
  const wrap = (name) => (...args) => ((c.calls += 1), store[name](...args));
  return { c, store: { consistency: store.consistency, get: wrap("get"), getMany: wrap("getMany"), put: wrap("put"), delete: wrap("delete"), list: wrap("list"), increment: wrap("increment") } };
}

Deno.test("[deno] denoKvStore: getMany reads 10 keys per kv.getMany, missing keys null", () =>
  withKv(async (kv) => {
    const store = api.denoKvStore(kv);
    for (let i = 0; i < 95; i += 2) await store.put(`k/${i}`, `v${i}`);
    let bulk = 0;
    const spy = new Proxy(kv, { get: (t, p) => (p === "getMany" ? (...a) => ((bulk += 1), ok(a[0].length <= 10), t.getMany(...a)) : typeof t[p] === "function" ? t[p].bind(t) : t[p]) });
    const keys = Array.from({ length: 100 }, (_, i) => `k/${i}`);
    const values = await api.denoKvStore(spy).getMany(keys);
    equal(bulk, 10, "100 keys: 10 kv.getMany calls");
    for (let i = 0; i < 100; i++) equal(values.get(`k/${i}`), i % 2 === 0 && i < 95 ? `v${i}` : null, `k/${i}`);
  }));

Deno.test("[deno] denoKvStore: increment is a check-and-set loop over a string value; concurrent adds lose nothing", () =>
  withKv(async (kv) => {
    const store = api.denoKvStore(kv);
    equal(await store.increment("n", 5), 5);
    equal(await store.increment("n", -1), 4);
    equal((await kv.get([BASE, "n"])).value, "4", "stays a string-valued store");
    const results = await Promise.all(Array.from({ length: 40 }, () => store.increment("hits", 1)));
    equal(await store.get("hits"), "40");
    deepEqual([...results].sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i + 1), "every add seen once");
    await store.put("x", "not a number");
    await rejects(() => store.increment("x", 1), {});
  }));

Deno.test("[deno] denoKvStore: maxUses 1 with 100 parallel verifies grants exactly 1 (increment under contention)", () =>
  withKv(async (kv) => {
    const { ap } = service(api.denoKvStore(kv));
    const c = await ap.create({ user: "alice", label: "once", scopes: ["repository"], maxUses: 1 });
    const results = await Promise.all(Array.from({ length: 100 }, () => ap.verify({ username: "alice", password: c.password })));
    equal(results.filter((r) => r.ok).length, 1, "exactly one granted");
    for (const r of results.filter((x) => !x.ok)) deepEqual(r, { ok: false, status: 403, code: "request_not_allowed", reason: "max_uses_reached" });
    equal((await kv.get([BASE, `app-passwords/v1/uses/${c.id}`])).value, "100", "every verify counted once");
    // A second instance over the same KV (another isolate) shares the count.
    const other = service(api.denoKvStore(kv));
    equal((await other.ap.verify({ username: "alice", password: c.password })).reason, "max_uses_reached");
  }));

Deno.test("[deno] denoKvStore: 1,500 creates at maxPerUser 1000, all listed in ≤ 40 calls; verify ≤ 2; create, revoke ≤ 6", () =>
  withKv(async (kv) => {
    const { c, store } = counted(api.denoKvStore(kv));
    const { ap, settle } = service(store, { hashing: FAST, maxPerUser: 1000 });
    const made = [];
    let refused = 0;
    let createMost = 0;
    for (let i = 0; i < 1500; i++) {
      c.calls = 0;
      try {
        made.push(await ap.create({ user: "alice", label: `p${i}`, scopes: ["email"] }));
      } catch (err) {
        equal(err.code, "too_many_passwords");
        refused += 1;
      }
      createMost = Math.max(createMost, c.calls);
    }
    equal(made.length, 1000);
    equal(refused, 500);
    c.calls = 0;
    const listed = await ap.list("alice");
    const listCalls = c.calls;
    c.calls = 0;
    equal((await ap.verify({ username: "alice", password: made[0].password })).ok, true);
    await settle();
    const verifyCalls = c.calls;
    c.calls = 0;
    equal(await ap.revoke("alice", made[0].id), true);
    const revokeCalls = c.calls;
    console.log(`budget [deno, Deno KV]: 1,500 creates: ${made.length} made, ${refused} too_many_passwords; create ${createMost}, list of ${listed.length} ${listCalls}, verify ${verifyCalls}, revoke ${revokeCalls} store calls`);
    equal(listed.length, 1000);
    ok(listCalls <= 40 && verifyCalls <= 2 && createMost <= 6 && revokeCalls <= 6);
  }));

Deno.test("[deno] denoKvStore: 50 verifies of an old password racing its replacement's first verify: none granted after it", () =>
  withKv(async (kv) => {
    for (let run = 0; run < 3; run++) {
      const counts = await raceOldAgainstFirstUse(api, api.denoKvStore(kv));
      ok(counts.after >= 5, JSON.stringify(counts));
      console.log(`rotation race on Deno KV: ${JSON.stringify(counts)}`);
    }
  }));
