// Key-value store adapters. Each returns an object with async get/put/delete/list, the
// interface the core uses (docs/design.md#storage in the repository), and where the backend has them the optional
// getMany(keys) (a bulk read: the core reads a verify's record and tombstone in one call, and
// a list 100 keys a call) and increment(key, delta) (an atomic add). Keys are ASCII strings;
// values are JSON strings.

const PAGE = 1000;
/** Most keys the core passes to one getMany call (Workers KV's bulk get limit). */
const MANY = 100;

/** `value` as an integer for increment(), or a thrown Error (never NaN arithmetic). */
function integerOf(value) {
  if (value === null || value === undefined) return 0;
  const n = typeof value === "string" && /^-?\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error("increment() of a value that is not an integer");
  return n;
}

function checkDelta(delta) {
  if (!Number.isSafeInteger(delta)) throw new TypeError("increment() needs an integer delta");
}

/** `keys` in slices of `size`. */
function slices(keys, size) {
  const out = [];
  for (let i = 0; i < keys.length; i += size) out.push(keys.slice(i, i + size));
  return out;
}

/**
 * A store in a JavaScript Map: for tests, demos and one-process scripts.
 * Strongly consistent; lost when the process ends.
 * @param {Map<string,string>} [map] an existing Map to use.
 * @returns {import("./index.d.ts").KeyValueStore}
 */
export function memoryStore(map = new Map()) {
  return {
    consistency: "strong",
    async get(key) {
      return map.has(key) ? map.get(key) : null;
    },
    async getMany(keys) {
      return new Map(keys.map((key) => [key, map.has(key) ? map.get(key) : null]));
    },
    async put(key, value) {
      map.set(key, value);
    },
    async delete(key) {
      map.delete(key);
    },
    async increment(key, delta) {
      checkDelta(delta);
      // Synchronous between the read and the write: nothing else runs in between.
      const next = integerOf(map.get(key)) + delta;
      map.set(key, String(next));
      return next;
    },
    async list(prefix, cursor) {
      const keys = [...map.keys()].filter((k) => k.startsWith(prefix) && (cursor === undefined || k > cursor)).sort();
      const page = keys.slice(0, PAGE);
      return keys.length > PAGE ? { keys: page, cursor: page[page.length - 1] } : { keys: page };
    },
  };
}

/**
 * A Cloudflare Workers KV namespace binding.
 *
 * Workers KV is eventually consistent: a revoke (a delete) can take up to about 60 seconds
 * to be seen in other locations, so a revoked password may still verify there until then.
 * It also allows one write per second per key: the core never rewrites a shared value.
 * Reads of several keys use KV's bulk get (`namespace.get(keys, "text")`, up to 100 keys), one
 * of the 1,000 operations a Worker invocation may make. No atomic increment (KV has none).
 * @param {KVNamespace} namespace the binding (`env.APP_PASSWORDS`).
 * @returns {import("./index.d.ts").KeyValueStore}
 */
export function workersKvStore(namespace) {
  if (!namespace || typeof namespace.get !== "function" || typeof namespace.list !== "function") {
    throw new TypeError("workersKvStore needs a Workers KV namespace binding");
  }
  return {
    consistency: "eventual",
    propagationDelayMs: 60_000,
    async get(key) {
      return namespace.get(key);
    },
    async getMany(keys) {
      const out = new Map();
      for (const slice of slices(keys, MANY)) {
        const found = await namespace.get(slice, "text");
        for (const key of slice) out.set(key, found.get(key) ?? null);
      }
      return out;
    },
    async put(key, value) {
      await namespace.put(key, value);
    },
    async delete(key) {
      await namespace.delete(key);
    },
    async list(prefix, cursor) {
      const page = await namespace.list({ prefix, cursor, limit: PAGE });
      return {
        keys: page.keys.map((k) => k.name),
        cursor: page.list_complete ? undefined : page.cursor,
      };
    },
  };
}

/** Deno KV's getMany takes at most 10 keys. */
const DENO_MANY = 10;
/** Check-and-set rounds before a Deno KV increment gives up (each round about one of the
 * contenders wins: 100 concurrent verifies of one maxUses password need up to 100). */
const INCREMENT_ATTEMPTS = 1000;

/**
 * A Deno KV database (`await Deno.openKv()`). Keys are stored as `[base, key]`; reads are
 * strongly consistent, so a revoke is seen at once by every later verify. Bulk reads use
 * `kv.getMany` (10 keys a call, the calls made together); `increment` is a check-and-set loop
 * over the string value with a random back-off (Deno KV's own `sum` works only on `Deno.KvU64`
 * values and does not answer the new value).
 * @param {Deno.Kv} kv
 * @param {{ base?: string }} [options] first key part (default "app-passwords").
 * @returns {import("./index.d.ts").KeyValueStore}
 */
export function denoKvStore(kv, { base = "app-passwords" } = {}) {
  if (!kv || typeof kv.get !== "function" || typeof kv.list !== "function") {
    throw new TypeError("denoKvStore needs a Deno.Kv (await Deno.openKv())");
  }
  const strong = { consistency: "strong" };
  return {
    consistency: "strong",
    async get(key) {
      const entry = await kv.get([base, key], strong);
      return entry.value ?? null;
    },
    async getMany(keys) {
      const answers = await Promise.all(slices(keys, DENO_MANY).map((slice) => kv.getMany(slice.map((k) => [base, k]), strong)));
      const out = new Map();
      for (const entry of answers.flat()) out.set(entry.key[1], entry.value ?? null);
      return out;
    },
    async put(key, value) {
      const result = await kv.set([base, key], value);
      if (!result.ok) throw new Error("Deno KV refused the write");
    },
    async delete(key) {
      await kv.delete([base, key]);
    },
    async increment(key, delta) {
      checkDelta(delta);
      // Not kv.atomic().sum(): it works on Deno.KvU64 values only and does not answer the new
      // value, which maxUses needs exactly (a read after the sum may see other adds too).
      for (let attempt = 0; attempt < INCREMENT_ATTEMPTS; attempt++) {
        const entry = await kv.get([base, key], strong);
        const next = integerOf(entry.value) + delta;
        // Commits only if nobody wrote the key since we read it (versionstamp check).
        const result = await kv.atomic().check(entry).set([base, key], String(next)).commit();
        if (result.ok) return next;
        // Lost the race: about one contender wins a round, so back off a little, at random.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(20, attempt + 1)));
      }
      throw new Error("Deno KV increment kept conflicting");
    },
    async list(prefix, cursor) {
      // Keys are ASCII, so everything starting with `prefix` sorts before prefix + U+FFFF.
      const iter = kv.list(
        { start: [base, prefix], end: [base, prefix + "\uffff"] },
        { limit: PAGE, cursor, consistency: "strong" },
      );
      const keys = [];
      for await (const entry of iter) keys.push(entry.key[1]);
      return keys.length === PAGE && iter.cursor ? { keys, cursor: iter.cursor } : { keys };
    },
  };
}

const GLOB = /[*?[\]\\]/g;

/**
 * A Redis client for Node: node-redis v4/v5 (`createClient()`, connected) or ioredis 5.
 * Strongly consistent on one primary. Bulk reads are `MGET`, `increment` is `INCRBY`, and
 * `list` walks `SCAN ... MATCH prefix*` until it has a page of keys or the scan ends (SCAN may
 * answer empty pages and may repeat a key: the core counts each key once).
 *
 * While Redis is down, node-redis queues commands until it reconnects: create its client with
 * `disableOfflineQueue: true` (ioredis: `enableOfflineQueue: false`), or pass `storeTimeoutMs`,
 * so calls fail with a coded error instead of waiting.
 * @param {object} client
 * @returns {import("./index.d.ts").KeyValueStore}
 */
export function redisStore(client) {
  if (!client || typeof client.get !== "function" || typeof client.scan !== "function") {
    throw new TypeError("redisStore needs a connected node-redis or ioredis client");
  }
  // node-redis names commands in camelCase (mGet, incrBy); ioredis in lower case (mget, incrby).
  const nodeRedis = typeof client.mGet === "function";
  if (!nodeRedis && typeof client.mget !== "function") {
    throw new TypeError("redisStore needs a node-redis (mGet) or ioredis (mget) client");
  }
  const scan = async (cursor, match) => {
    if (nodeRedis) {
      // node-redis 5 takes and returns string cursors; v4 returns numbers and stringifies
      // what it is given, so a string cursor suits both.
      const reply = await client.scan(String(cursor), { MATCH: match, COUNT: PAGE });
      return [String(reply.cursor), reply.keys];
    }
    const [next, keys] = await client.scan(cursor, "MATCH", match, "COUNT", PAGE);
    return [String(next), keys];
  };
  return {
    consistency: "strong",
    async get(key) {
      return (await client.get(key)) ?? null;
    },
    async getMany(keys) {
      if (keys.length === 0) return new Map();
      const values = nodeRedis ? await client.mGet(keys) : await client.mget(keys);
      if (!Array.isArray(values) || values.length !== keys.length) throw new Error("MGET answered a different number of values");
      return new Map(keys.map((key, i) => [key, values[i] ?? null]));
    },
    async put(key, value) {
      await client.set(key, value);
    },
    async delete(key) {
      await client.del(key);
    },
    async increment(key, delta) {
      checkDelta(delta);
      const next = nodeRedis ? await client.incrBy(key, delta) : await client.incrby(key, delta);
      return Number(next);
    },
    async list(prefix, cursor) {
      const match = prefix.replace(GLOB, "\\$&") + "*";
      const keys = new Set();
      let next = cursor ?? "0";
      // SCAN visits COUNT slots a call, matching or not: keep going until a page's worth of
      // keys or the end (cursor "0"), so one list() call is one page for the core.
      do {
        const [after, found] = await scan(next, match);
        for (const key of found) keys.add(key);
        next = after;
      } while (next !== "0" && keys.size < PAGE);
      return next === "0" ? { keys: [...keys] } : { keys: [...keys], cursor: next };
    },
  };
}

/** Serializes increments on one Durable Object storage within this isolate. */
const incrementQueues = new WeakMap();

/**
 * A Durable Object's storage: strongly consistent on Workers, so a revoke is seen at once by
 * every later verify in every location (all requests for the object go to one instance).
 *
 * Pass the object's own storage (`this.ctx.storage`, inside the Durable Object: run
 * `AppPasswords` there); or the namespace binding of a class that serves this store
 * (`env.APP_PASSWORDS_DO`, class `AppPasswordsDurableObject` or one that calls
 * `serveDurableObjectStore(storage, request)`), whose object named `name` (default
 * "app-passwords") then answers every store call, one request each; or a stub of such an
 * object, valid only within the request that made it (Workers refuses I/O through it from
 * another request), so only for a service made per request.
 *
 * `increment` is atomic: Durable Object storage operations are serialized, and while one is
 * in flight the object's input gate holds back every other event, so no other request can
 * run between the read and the write; increments made concurrently by the same request are
 * queued one after the other here.
 * @param {DurableObjectStorage | DurableObjectNamespace | DurableObjectStub} storageOrStub
 * @param {{ name?: string }} [options] the object's name, for a namespace.
 * @returns {import("./index.d.ts").KeyValueStore}
 */
export function durableObjectStore(storageOrStub, { name = "app-passwords" } = {}) {
  const target = storageOrStub;
  // A stub first: it is an RPC proxy on which every property reads as a function, so only its
  // `fetch` tells it apart (a namespace has none).
  if (target && typeof target.fetch === "function") return durableObjectStubStore(() => target);
  // A namespace binding: a stub is an I/O object of the request that made it, so a service kept
  // across requests (the usual: one AppPasswords per isolate) must make one per call.
  if (target && typeof target.idFromName === "function" && typeof target.get === "function") {
    const id = target.idFromName(name);
    return durableObjectStubStore(() => target.get(id));
  }
  if (!target || ["get", "put", "delete", "list"].some((m) => typeof target[m] !== "function")) {
    throw new TypeError("durableObjectStore needs a Durable Object's storage (ctx.storage) or a stub");
  }
  const storage = target;
  const text = (value) => (value === undefined || value === null ? null : value);
  return {
    consistency: "strong",
    async get(key) {
      return text(await storage.get(key));
    },
    async getMany(keys) {
      const out = new Map();
      // storage.get(keys[]) answers a Map of the keys found (at most 128 a call).
      for (const slice of slices(keys, MANY)) {
        const found = await storage.get(slice);
        for (const key of slice) out.set(key, text(found.get(key)));
      }
      return out;
    },
    async put(key, value) {
      await storage.put(key, value);
    },
    async delete(key) {
      await storage.delete(key);
    },
    async increment(key, delta) {
      checkDelta(delta);
      const previous = incrementQueues.get(storage) ?? Promise.resolve();
      const run = previous.then(async () => {
        const next = integerOf(text(await storage.get(key))) + delta;
        await storage.put(key, String(next));
        return next;
      });
      incrementQueues.set(storage, run.catch(() => {}));
      return run;
    },
    async list(prefix, cursor) {
      // One key more than a page says whether another page follows.
      const options = cursor === undefined ? { prefix, limit: PAGE + 1 } : { prefix, startAfter: cursor, limit: PAGE + 1 };
      const keys = [...(await storage.list(options)).keys()];
      if (keys.length <= PAGE) return { keys };
      keys.length = PAGE;
      return { keys, cursor: keys[PAGE - 1] };
    },
  };
}

const STORE_URL = "https://app-passwords.durable-object/store";

/** The store calls of durableObjectStore(stub), one request each to the object `stubOf()` gives. */
function durableObjectStubStore(stubOf) {
  const call = async (body) => {
    const response = await stubOf().fetch(STORE_URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => null);
    if (!response.ok || !answer || typeof answer !== "object") {
      throw new Error(`the Durable Object store answered ${response.status}${answer && answer.error ? `: ${answer.error}` : ""}`);
    }
    return answer;
  };
  return {
    consistency: "strong",
    async get(key) {
      return (await call({ op: "get", key })).value ?? null;
    },
    async getMany(keys) {
      const { values } = await call({ op: "getMany", keys });
      return new Map(keys.map((key) => [key, values?.[key] ?? null]));
    },
    async put(key, value) {
      await call({ op: "put", key, value });
    },
    async delete(key) {
      await call({ op: "delete", key });
    },
    async increment(key, delta) {
      return (await call({ op: "increment", key, delta })).value;
    },
    async list(prefix, cursor) {
      const { keys, cursor: next } = await call({ op: "list", prefix, cursor });
      return next ? { keys, cursor: next } : { keys };
    },
  };
}

/**
 * Serves `durableObjectStore(stub)` calls from inside a Durable Object: `fetch(request)` of
 * the object's class returns this for requests to the store (`AppPasswordsDurableObject` is
 * such a class).
 * @param {DurableObjectStorage} storage the object's `ctx.storage`.
 * @param {Request} request
 * @returns {Promise<Response>}
 */
export async function serveDurableObjectStore(storage, request) {
  const reply = (value, status = 200) =>
    new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });
  let body;
  try {
    body = await request.json();
  } catch {
    return reply({ error: "not JSON" }, 400);
  }
  const store = durableObjectStore(storage);
  const str = (v) => typeof v === "string";
  try {
    switch (body && body.op) {
      case "get":
        if (str(body.key)) return reply({ value: await store.get(body.key) });
        break;
      case "getMany":
        if (Array.isArray(body.keys) && body.keys.length <= MANY && body.keys.every(str)) {
          return reply({ values: Object.fromEntries(await store.getMany(body.keys)) });
        }
        break;
      case "put":
        if (str(body.key) && str(body.value)) return reply({ ok: true, value: await store.put(body.key, body.value) });
        break;
      case "delete":
        if (str(body.key)) return reply({ ok: true, value: await store.delete(body.key) });
        break;
      case "increment":
        if (str(body.key) && Number.isSafeInteger(body.delta)) return reply({ value: await store.increment(body.key, body.delta) });
        break;
      case "list":
        if (str(body.prefix) && (body.cursor === undefined || body.cursor === null || str(body.cursor))) {
          return reply(await store.list(body.prefix, body.cursor ?? undefined));
        }
        break;
    }
  } catch (err) {
    return reply({ error: String((err && err.message) || err) }, 500);
  }
  return reply({ error: "bad store request" }, 400);
}

/**
 * A Durable Object class that serves `durableObjectStore(stub)`: export it from the Worker and
 * bind it (`durable_objects.bindings = [{ name = "APP_PASSWORDS_DO", class_name =
 * "AppPasswordsDurableObject" }]`), then `durableObjectStore(env.APP_PASSWORDS_DO.get(
 * env.APP_PASSWORDS_DO.idFromName("app-passwords")))`.
 */
export class AppPasswordsDurableObject {
  /** @param {{ storage: DurableObjectStorage }} state */
  constructor(state) {
    this.storage = state.storage;
  }

  /** @param {Request} request */
  fetch(request) {
    return serveDurableObjectStore(this.storage, request);
  }
}

/**
 * `store` with a `getMany` when it has none: its gets made together, so that a verify's reads
 * cost one round trip instead of one after another. Every other method is called on `store`
 * itself (a class with private fields keeps working). A store with `getMany`, or without one of
 * the four methods (the core reports it), is returned as it is.
 */
export function withBulkRead(store) {
  const methods = ["get", "put", "delete", "list"];
  if (!store || typeof store.getMany === "function" || !methods.every((m) => typeof store[m] === "function")) return store;
  const bulk = {
    consistency: store.consistency,
    propagationDelayMs: store.propagationDelayMs,
    get: (key) => store.get(key),
    put: (key, value) => store.put(key, value),
    delete: (key) => store.delete(key),
    list: (prefix, cursor) => store.list(prefix, cursor),
    getMany: async (keys) => new Map(await Promise.all(keys.map(async (key) => [key, await store.get(key)]))),
  };
  if (typeof store.increment === "function") bulk.increment = (key, delta) => store.increment(key, delta);
  return bulk;
}

/**
 * Wraps a store so that any call that has not settled within `ms` rejects with an error whose
 * `code` is "store_timeout" (the service then throws AppPasswordError "store_timeout": it
 * fails closed, it never waits forever). `new AppPasswords({ storeTimeoutMs })` applies it.
 * The optional methods (getMany, increment) are wrapped when the store has them.
 * @param {import("./index.d.ts").KeyValueStore} store
 * @param {number} ms
 * @returns {import("./index.d.ts").KeyValueStore}
 */
export function withTimeout(store, ms) {
  if (!(Number.isFinite(ms) && ms > 0)) throw new TypeError("storeTimeoutMs must be a positive number");
  if (!store || typeof store.get !== "function") return store; // the core reports a bad store
  const call = (name) => (...args) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new Error(`store ${name}() did not answer within ${ms} ms`);
        err.code = "store_timeout";
        reject(err);
      }, ms);
      Promise.resolve()
        .then(() => store[name](...args))
        .then(
          (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          (err) => {
            clearTimeout(timer);
            reject(err);
          },
        );
    });
  const wrapped = {
    consistency: store.consistency,
    propagationDelayMs: store.propagationDelayMs,
    get: call("get"),
    put: call("put"),
    delete: call("delete"),
    list: call("list"),
  };
  if (typeof store.getMany === "function") wrapped.getMany = call("getMany");
  if (typeof store.increment === "function") wrapped.increment = call("increment");
  return wrapped;
}
