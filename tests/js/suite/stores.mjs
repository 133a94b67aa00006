// Store adapters that need no runtime: memoryStore, workersKvStore, durableObjectStore and
// redisStore over fakes; getMany and increment; the JS driver (drive.js) through the API.

import { deepEqual, equal, ok, rejects, throws } from "../assert.mjs";
import { FAST, KEY_ROOT, basic, recordKey, tombstoneKey, invalid, sameResult, request } from "./support.mjs";

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, rejectsHost, harness } = ctx;

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
    // Without getMany: the gets made together (one round trip), same answers.
    let inFlight = 0;
    let most = 0;
    const slowGet = async (k) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return base.get(k);
    };
    const plain = harness({ map, config: { hashing: FAST }, store: { get: slowGet, put: base.put, delete: base.delete, list: base.list } });
    equal((await plain.ap.verify(creds)).ok, true);
    ok(most >= 2, `the gets of one verify overlap (at most ${most} in flight)`);
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

  // ------------------------------------------------- the driver (drive.js), through the API
  // list, revoke, revokeAll, setEnabled and reportLeaked are core operations that drive.js
  // runs against the store: each store call made and awaited in JS, its answer handed back.

  /** Alice's password made on `map` (the ordinary store), for a service over another store. */
  async function madeOn(map) {
    const maker = harness({ map, config: { hashing: FAST } });
    return maker.ap.create({ user: "alice", label: "drive", scopes: ["email"] });
  }

  t(`[${runtime}] drive: a store whose methods answer plain values, not promises, works`, async () => {
    const map = new Map();
    const c = await madeOn(map);
    const other = await madeOn(map);
    const plain = {
      get: (k) => map.get(k) ?? null,
      getMany: (keys) => Object.fromEntries(keys.filter((k) => map.has(k)).map((k) => [k, map.get(k)])),
      put: (k, v) => void map.set(k, v),
      delete: (k) => void map.delete(k),
      list: (prefix) => ({ keys: [...map.keys()].filter((k) => k.startsWith(prefix)).sort() }),
    };
    const { ap } = harness({ store: plain, config: { hashing: FAST } });
    deepEqual((await ap.list("alice")).map((l) => l.id).sort(), [c.id, other.id].sort());
    equal(await ap.setEnabled("alice", c.id, false), true);
    equal((await ap.list("alice")).find((l) => l.id === c.id).enabled, false);
    equal(await ap.revoke("alice", c.id), true);
    const report = await ap.reportLeaked(other.password);
    deepEqual(report, { found: true, revoked: true, id: other.id, user: "alice" });
    deepEqual(await ap.list("alice"), []);
    equal(await ap.revokeAll("alice"), 0);
    ok(map.has(tombstoneKey(c.id)) && map.has(tombstoneKey(other.id)), "the writes reached the map");
  });

  t(`[${runtime}] drive: a store method that throws synchronously is store_unavailable`, async () => {
    const map = new Map();
    const c = await madeOn(map);
    const base = api.memoryStore(map);
    const boom = () => {
      throw new Error("sync throw");
    };
    const cases = [
      ["list", (ap) => ap.list("alice")],
      ["list", (ap) => ap.revokeAll("alice")],
      ["getMany", (ap) => ap.revoke("alice", c.id)],
      ["getMany", (ap) => ap.reportLeaked(c.password)],
      ["put", (ap) => ap.setEnabled("alice", c.id, false)],
      ["put", (ap) => ap.revoke("alice", c.id)],
    ];
    for (const [method, op] of cases) {
      const { ap } = harness({ store: { ...base, [method]: boom }, config: { hashing: FAST } });
      await rejectsHost(() => op(ap), "store_unavailable", `${method} throwing, ${op}`);
    }
    // Nothing was revoked or disabled by those attempts.
    const { ap } = harness({ map, config: { hashing: FAST } });
    deepEqual((await ap.list("alice")).map((l) => [l.id, l.enabled]), [[c.id, true]]);
  });

  t(`[${runtime}] drive: a getMany answering a non-object is store_corrupt`, async () => {
    const map = new Map();
    const c = await madeOn(map);
    const base = api.memoryStore(map);
    const ops = [(ap) => ap.list("alice"), (ap) => ap.revoke("alice", c.id), (ap) => ap.revokeAll("alice"), (ap) => ap.setEnabled("alice", c.id, false), (ap) => ap.reportLeaked(c.password)];
    for (const answer of [null, undefined, 42, "text", true]) {
      for (const op of ops) {
        const { ap } = harness({ store: { ...base, getMany: async () => answer }, config: { hashing: FAST } });
        await rejectsHost(() => op(ap), "store_corrupt", `getMany resolving ${String(answer)}, ${op}`);
      }
    }
    const { ap } = harness({ map, config: { hashing: FAST } });
    deepEqual((await ap.list("alice")).map((l) => [l.id, l.enabled]), [[c.id, true]]);
  });

  t(`[${runtime}] drive: revokeAll of 120 passwords reads 100 keys a getMany, the calls of one read in flight together`, async () => {
    const map = new Map();
    const maker = harness({ map, config: { maxPerUser: 200 } });
    for (let i = 0; i < 120; i++) await maker.ap.create({ user: "many", label: `m${i}`, scopes: ["email"] });
    const base = api.memoryStore(map);
    const sizes = [];
    let inFlight = 0;
    let most = 0;
    const store = {
      ...base,
      async getMany(keys) {
        sizes.push(keys.length);
        most = Math.max(most, ++inFlight);
        // Resolves on a later turn: a call started before this one resolves counts as overlapping.
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight--;
        return base.getMany(keys);
      },
    };
    const { ap } = harness({ store, config: { maxPerUser: 200 } });
    equal((await ap.list("many")).length, 120);
    ok(sizes.length > 1 && sizes.every((n) => n <= 100), `list: getMany sizes ${sizes}`);
    equal(sizes.reduce((a, b) => a + b, 0), 3 * 120, "list: record, tombstone and index entry of each");
    ok(most >= 2, `list: the getMany calls overlap (at most ${most} in flight)`);
    sizes.length = 0;
    most = 0;
    equal(await ap.revokeAll("many"), 120);
    ok(sizes.every((n) => n <= 100), `revokeAll: getMany sizes ${sizes}`);
    equal(sizes.reduce((a, b) => a + b, 0), 5 * 120, "revokeAll: five keys of each password");
    ok(most >= 2, `revokeAll: the getMany calls overlap (at most ${most} in flight)`);
    equal(inFlight, 0);
    deepEqual(await ap.list("many"), []);
  });

  t(`[${runtime}] drive: an operation whose store call rejects leaves the service usable`, async () => {
    const map = new Map();
    const c = await madeOn(map);
    const base = api.memoryStore(map);
    const failing = new Set();
    const store = {};
    for (const m of ["get", "getMany", "put", "delete", "list"]) {
      store[m] = (...args) => (failing.has(m) ? Promise.reject(new Error(`${m} down`)) : base[m](...args));
    }
    const { ap } = harness({ store, config: { hashing: FAST } });
    for (const m of ["list", "getMany", "put", "delete"]) {
      failing.add(m);
      // setEnabled(false) puts the disabled marker, setEnabled(true) deletes it.
      const failed = m === "put" || m === "delete" ? ap.setEnabled("alice", c.id, m === "delete") : ap.list("alice");
      // Another operation of the same service in flight at the same time, which does not call
      // the failing method (bob has no password): unaffected.
      const meanwhile = m === "list" ? ap.setEnabled("bob", c.id, true) : ap.revokeAll("bob");
      await rejectsHost(() => failed, "store_unavailable", `${m} rejecting`);
      equal(await meanwhile, m === "list" ? false : 0, `${m}: the operation beside it answered`);
      failing.delete(m);
      deepEqual((await ap.list("alice")).map((l) => [l.id, l.enabled]), [[c.id, true]], `${m}: the next call works`);
    }
    equal(await ap.revoke("alice", c.id), true);
    deepEqual(await ap.list("alice"), []);
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
}
