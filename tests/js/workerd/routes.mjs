// The routes of the test Worker (worker.mjs, suite-worker.mjs): the app-passwords package over
// HTTP, so tests/js/workerd/run.mjs can drive it through Miniflare (a real workerd, a real KV
// namespace binding). It imports the package through its workerd entry: the .wasm import is
// handed over by the runtime as a compiled WebAssembly.Module. (Not an entry module itself:
// workerd treats an entry module's named exports as entrypoints.)
//
// Routes (JSON bodies and answers):
//   POST   /create            {user, label, scopes, expiresAt?, ...caveats} -> 201 created
//   POST   /budget/fill?user=&n=   n creates (FAST hashing, maxPerUser 1000) through a counting
//                                  store -> {made, refused, createMost}: the store calls of each
//   GET    /budget/measure?user=   store calls of list, verify (+ its lastUsedAt write), revoke,
//                                  create, each in this one request -> {list, listed, verify, ...}
//   POST   /increment?key=&n=      n concurrent store.increment(key, 1) -> {values, final}
//   DELETE /revoke-all?user=                                      -> 200 {revoked}
//   GET    /api?require=a,b   Authorization: Basic ...            -> 200 granted | ap.unauthorized(result)
//                             (clientIp: the CF-Connecting-IP header, as a Worker passes it)
//   POST   /login             {username, password}                -> verify with purpose "login"
//   GET    /list?user=                                            -> 200 [listed]
//   DELETE /revoke?user=&id=                                      -> 200 {revoked}
//   GET    /kv-pages?prefix=&fill=N                               -> the adapter's own list() pages
//   PUT    /raw?key=          body = raw value                    -> writes straight into KV
//   GET    /raw?key=                                              -> {value}: KV, or the isolate
//                                                                    Map with x-store: memory
// Modifiers (request headers):
//   x-now: <ms>          the service clock (moves time for expiry tests)
//   x-page-size: <n>     the KV binding lists at most n keys a page (forces real KV cursors)
//   x-store: broken      every store method throws / rejects (store_unavailable)
//   x-store: memory      memoryStore over one Map that lives as long as the isolate: every
//                        request of the isolate sees every completed write (strongly consistent)
//   x-store: do          durableObjectStore(stub) of a real Durable Object (AP_STORE, the
//                        package's AppPasswordsDurableObject; x-do-name picks the object)
//   x-store: do-inside   the request runs inside a Durable Object (AP_SERVICE, objects.mjs),
//                        the service over durableObjectStore(its own storage)
//   x-cache: <ttlMs>     use the isolate's long-lived service with the verified-credential cache
//   x-hashing: light     Argon2id m=64 KiB, t=1, p=1 for new records (tests about the store, not
//                        about hashing cost)
// Errors: an AppPasswordError becomes {code, appPasswordError: true} with 400 for bad
// arguments and 503 for store failures; anything else is a 500 with the message.

import * as pkg from "../../../pkg/workerd.js";

const { AppPasswords, AppPasswordError, memoryStore, workersKvStore, durableObjectStore } = pkg;

/** The cheapest Argon2id profile, for tests about store calls. */
const FAST = { memoryKiB: 8, iterations: 1, parallelism: 1 };

const STORE_CODES = new Set(["store_unavailable", "store_corrupt", "store_timeout"]);

function json(value, status = 200, headers = {}) {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** The KV binding, optionally listing at most `pageSize` keys a page. */
function namespaceFor(env, request) {
  const ns = env.APP_PASSWORDS;
  const pageSize = Number(request.headers.get("x-page-size") || 0);
  if (!pageSize) return ns;
  return {
    get: (key, ...rest) => ns.get(key, ...rest),
    put: (key, value, ...rest) => ns.put(key, value, ...rest),
    delete: (key) => ns.delete(key),
    list: (options = {}) => ns.list({ ...options, limit: Math.min(options.limit ?? 1000, pageSize) }),
  };
}

/** A namespace whose every method fails: get throws synchronously, the others reject. */
const brokenNamespace = {
  get() {
    throw new Error("KV is down (get)");
  },
  async put() {
    throw new Error("KV is down (put)");
  },
  async delete() {
    throw new Error("KV is down (delete)");
  },
  async list() {
    throw new Error("KV is down (list)");
  },
};

// Services that live as long as the isolate (as a real Worker keeps them in module scope),
// one per cache TTL, with the opt-in verified-credential cache. Their clock reads `isolateNow`,
// set from each request's x-now.
const isolateServices = new Map();
let isolateNow = null;

function cachedServiceFor(env, request, ttlMs) {
  const now = request.headers.get("x-now");
  isolateNow = now === null ? null : Number(now);
  let ap = isolateServices.get(ttlMs);
  if (!ap) {
    ap = new AppPasswords({
      store: workersKvStore(env.APP_PASSWORDS),
      cache: { ttlMs, maxEntries: 100 },
      now: () => isolateNow ?? Date.now(),
    });
    isolateServices.set(ttlMs, ap);
  }
  return ap;
}

// The isolate's own store (x-store: memory): one Map shared by every request of the isolate.
const isolateMap = new Map();

const objectName = (request) => request.headers.get("x-do-name") || "app-passwords";

function storeFor(env, request, storage) {
  const kind = request.headers.get("x-store");
  if (kind === "memory") return memoryStore(isolateMap);
  if (kind === "do") return durableObjectStore(env.AP_STORE.get(env.AP_STORE.idFromName(objectName(request))));
  if (kind === "do-inside") return durableObjectStore(storage);
  return workersKvStore(kind === "broken" ? brokenNamespace : namespaceFor(env, request));
}

function serviceFor(env, request, ctx, storage) {
  const cacheTtl = request.headers.get("x-cache");
  if (cacheTtl !== null) return cachedServiceFor(env, request, Number(cacheTtl));
  const options = { store: storeFor(env, request, storage), waitUntil: (p) => ctx.waitUntil(p) };
  if (request.headers.get("x-hashing") === "light") options.hashing = { memoryKiB: 64, iterations: 1, parallelism: 1 };
  const now = request.headers.get("x-now");
  if (now !== null) options.now = () => Number(now);
  return new AppPasswords(options);
}

/** ap.unauthorized(result), plus the private reason in a header so the tests can check it. */
function refused(ap, result, headers = {}) {
  const response = ap.unauthorized(result);
  response.headers.set("x-reason", String(result.reason));
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

async function body(request) {
  try {
    return await request.json();
  } catch {
    return {};
  }
}

/** `store` with its calls counted (getMany counts as one, as Workers KV bills a bulk get). */
function counting(store) {
  const c = { calls: 0, bulkTooBig: 0 };
  const wrap = (name) => (...args) => {
    c.calls += 1;
    if (name === "getMany" && args[0].length > 100) c.bulkTooBig += 1;
    return store[name](...args);
  };
  const out = { consistency: store.consistency, propagationDelayMs: store.propagationDelayMs };
  for (const name of ["get", "getMany", "put", "delete", "list", "increment"]) if (typeof store[name] === "function") out[name] = wrap(name);
  return { c, store: out };
}

/** The budget routes: creates in batches (each its own request), then one request measuring. */
async function budget(path, url, env, request, storage) {
  const user = url.searchParams.get("user") || "budget";
  const { c, store } = counting(storeFor(env, request, storage));
  const pending = [];
  const ap = new AppPasswords({ store, hashing: FAST, maxPerUser: 1000, waitUntil: (p) => pending.push(p) });
  if (path === "/budget/fill") {
    const n = Number(url.searchParams.get("n") || 100);
    let made = 0;
    let refused = 0;
    let createMost = 0;
    for (let i = 0; i < n; i++) {
      c.calls = 0;
      try {
        await ap.create({ user, label: `b${i}`, scopes: ["repository"] });
        made++;
      } catch (err) {
        if (!(err instanceof AppPasswordError) || err.code !== "too_many_passwords") throw err;
        refused++;
      }
      createMost = Math.max(createMost, c.calls);
    }
    return json({ made, refused, createMost });
  }
  c.calls = 0;
  const listed = await ap.list(user);
  const list = c.calls;
  const probe = await ap.create({ user: `${user}-probe`, label: "probe", scopes: ["repository"] });
  c.calls = 0;
  const verified = await ap.verify({ username: `${user}-probe`, password: probe.password });
  await Promise.all(pending.splice(0));
  const verify = c.calls;
  c.calls = 0;
  const revoked = await ap.revoke(`${user}-probe`, probe.id);
  const revoke = c.calls;
  c.calls = 0;
  let create = null;
  try {
    await ap.create({ user, label: "one more", scopes: ["repository"] });
    create = c.calls;
  } catch (err) {
    if (!(err instanceof AppPasswordError) || err.code !== "too_many_passwords") throw err;
    create = `refused after ${c.calls} calls`;
  }
  return json({ listed: listed.length, list, verified: verified.ok, verify, revoked, revoke, create, bulkTooBig: c.bulkTooBig });
}

async function route(request, env, ctx, storage) {
  const url = new URL(request.url);
  const method = request.method;
  const path = url.pathname;

  // Requests for the service inside a Durable Object go there, whole.
  if (request.headers.get("x-store") === "do-inside" && !storage) {
    return env.AP_SERVICE.get(env.AP_SERVICE.idFromName(objectName(request))).fetch(request);
  }

  if (path.startsWith("/budget/")) return budget(path, url, env, request, storage);

  if (path === "/increment" && method === "POST") {
    const store = storeFor(env, request, storage);
    const key = url.searchParams.get("key") || "counter";
    const n = Number(url.searchParams.get("n") || 10);
    const values = await Promise.all(Array.from({ length: n }, () => store.increment(key, 1)));
    return json({ values, final: Number(await store.get(key)) });
  }

  if (path === "/kv-pages" && method === "GET") {
    // The shipped adapter over the real binding (1000 keys a page): fill, then walk pages.
    const prefix = url.searchParams.get("prefix") || "pagetest/";
    const fill = Number(url.searchParams.get("fill") || 0);
    const ns = env.APP_PASSWORDS;
    for (let i = 0; i < fill; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(fill, i + 50); j++) batch.push(ns.put(`${prefix}${String(j).padStart(6, "0")}`, "x"));
      await Promise.all(batch);
    }
    const store = workersKvStore(ns);
    const pages = [];
    let cursor;
    do {
      const page = await store.list(prefix, cursor);
      pages.push({ count: page.keys.length, first: page.keys[0], last: page.keys[page.keys.length - 1], cursor: page.cursor ?? null });
      cursor = page.cursor;
    } while (cursor && pages.length < 10);
    return json({ pages });
  }

  if (path === "/raw" && method === "PUT") {
    await env.APP_PASSWORDS.put(url.searchParams.get("key"), await request.text());
    return json({ ok: true });
  }

  if (path === "/raw" && method === "GET") {
    const key = url.searchParams.get("key") ?? "";
    const memory = request.headers.get("x-store") === "memory";
    return json({ value: memory ? (isolateMap.get(key) ?? null) : await env.APP_PASSWORDS.get(key) });
  }

  const ap = serviceFor(env, request, ctx, storage);

  if (path === "/create" && method === "POST") {
    const { user, label, scopes, expiresAt, ...caveats } = await body(request);
    const created = await ap.create({ user, label, scopes, expiresAt, ...caveats });
    return json(created, 201);
  }

  if (path === "/api" && method === "GET") {
    const require = (url.searchParams.get("require") || "").split(",").filter(Boolean);
    let background = 0; // how many promises went to ctx.waitUntil (the lastUsedAt write)
    const waitUntil = (p) => {
      background++;
      ctx.waitUntil(p);
    };
    const clientIp = request.headers.get("CF-Connecting-IP");
    const result = await ap.verifyRequest(request, { require, waitUntil, clientIp });
    if (!result.ok) return refused(ap, result, { "x-background": String(background) });
    return json(result, 200, { "x-background": String(background) });
  }

  if (path === "/login" && method === "POST") {
    const { username, password } = await body(request);
    const result = await ap.verify({ username, password, purpose: "login", waitUntil: (p) => ctx.waitUntil(p) });
    if (!result.ok) return refused(ap, result);
    return json(result);
  }

  if (path === "/list" && method === "GET") {
    return json(await ap.list(url.searchParams.get("user") ?? ""));
  }

  if (path === "/revoke-all" && method === "DELETE") {
    return json({ revoked: await ap.revokeAll(url.searchParams.get("user") ?? "") });
  }

  if (path === "/revoke" && method === "DELETE") {
    const revoked = await ap.revoke(url.searchParams.get("user") ?? "", url.searchParams.get("id") ?? "");
    return json({ revoked });
  }

  return json({ error: "no such route" }, 404);
}

/**
 * The Worker's fetch handler; `extra(request, env, ctx)` may answer first (suite-worker.mjs).
 * `storage`: the Durable Object storage when running inside ServiceObject (objects.mjs).
 */
export async function handle(request, env, ctx, extra, storage) {
  try {
    const early = extra ? await extra(request, env, ctx) : null;
    return early ?? (await route(request, env, ctx, storage));
  } catch (err) {
    if (err instanceof AppPasswordError) {
      const status = STORE_CODES.has(err.code) ? 503 : 400;
      return json(
        { code: err.code, message: err.message, appPasswordError: true, isError: err instanceof Error, name: err.name },
        status,
      );
    }
    return json({ error: String((err && err.stack) || err), appPasswordError: false }, 500);
  }
}

export { json, pkg };
