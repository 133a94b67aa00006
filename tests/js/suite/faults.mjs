// A failing host store: AppPasswordError, fail closed, never ok: true (and storeTimeoutMs).

import { deepEqual, equal, ok, rejects, throws } from "../assert.mjs";
import { KEY_ROOT, basic, indexKey, invalid, sameResult, request } from "./support.mjs";

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, AppPasswords, AppPasswordError, rejectsHost, throwsArg, harness, faultyStore } = ctx;

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
}
