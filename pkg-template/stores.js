// Key-value store adapters. Each returns an object with async get/put/delete/list, the only
// interface the core uses (SPEC section 4). Keys are ASCII strings; values are JSON strings.

const PAGE = 1000;

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
    async put(key, value) {
      map.set(key, value);
    },
    async delete(key) {
      map.delete(key);
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

/**
 * A Deno KV database (`await Deno.openKv()`). Keys are stored as `[base, key]`; reads are
 * strongly consistent, so a revoke is seen at once by every later verify.
 * @param {Deno.Kv} kv
 * @param {{ base?: string }} [options] first key part (default "app-passwords").
 * @returns {import("./index.d.ts").KeyValueStore}
 */
export function denoKvStore(kv, { base = "app-passwords" } = {}) {
  if (!kv || typeof kv.get !== "function" || typeof kv.list !== "function") {
    throw new TypeError("denoKvStore needs a Deno.Kv (await Deno.openKv())");
  }
  return {
    consistency: "strong",
    async get(key) {
      const entry = await kv.get([base, key], { consistency: "strong" });
      return entry.value ?? null;
    },
    async put(key, value) {
      const result = await kv.set([base, key], value);
      if (!result.ok) throw new Error("Deno KV refused the write");
    },
    async delete(key) {
      await kv.delete([base, key]);
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
 * A Redis client for Node: node-redis v4/v5 (`createClient()`, connected) or ioredis.
 * Strongly consistent on one primary.
 * @param {object} client
 * @returns {import("./index.d.ts").KeyValueStore}
 */
export function redisStore(client) {
  if (!client || typeof client.get !== "function" || typeof client.scan !== "function") {
    throw new TypeError("redisStore needs a connected node-redis or ioredis client");
  }
  const ioredis = typeof client.setex === "function" && typeof client.sAdd !== "function";
  return {
    consistency: "strong",
    async get(key) {
      return (await client.get(key)) ?? null;
    },
    async put(key, value) {
      await client.set(key, value);
    },
    async delete(key) {
      await client.del(key);
    },
    async list(prefix, cursor) {
      const match = prefix.replace(GLOB, "\\$&") + "*";
      const start = cursor ?? "0";
      let next;
      let keys;
      if (ioredis) {
        [next, keys] = await client.scan(start, "MATCH", match, "COUNT", PAGE);
      } else {
        const reply = await client.scan(String(start), { MATCH: match, COUNT: PAGE });
        next = reply.cursor;
        keys = reply.keys;
      }
      next = String(next);
      return next === "0" ? { keys } : { keys, cursor: next };
    },
  };
}

/**
 * Wraps a store so that any call that has not settled within `ms` rejects with an error whose
 * `code` is "store_timeout" (the service then throws AppPasswordError "store_timeout": it
 * fails closed, it never waits forever). `new AppPasswords({ storeTimeoutMs })` applies it.
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
  return {
    consistency: store.consistency,
    propagationDelayMs: store.propagationDelayMs,
    get: call("get"),
    put: call("put"),
    delete: call("delete"),
    list: call("list"),
  };
}
