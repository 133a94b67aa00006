// Caveats (docs/design.md#caveats): allowIps / denyIps, notBefore, methods, paths, maxUses at
// create; checked by verify and verifyRequest (clientIp from the host, method and path from the
// Request unless given); 403 request_not_allowed with a log-only reason; shown by list.

import { deepEqual, equal, ok } from "../assert.mjs";
import { T0, basic, each, recordKey, sameResult } from "./support.mjs";

const notAllowed = (reason) => ({ ok: false, status: 403, code: "request_not_allowed", reason });

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, harness, rejectsHost, faultyStore } = ctx;

  const create = (h, caveats, extra = {}) => h.ap.create({ user: "alice", label: "caveats", scopes: ["repository"], ...caveats, ...extra });
  const verify = (h, c, context = {}) => h.ap.verify({ username: "alice", password: c.password, require: ["repository"], ...context });
  /** `"ok"` or the refusal's reason; anything but a grant or request_not_allowed fails. */
  const outcome = (result) => {
    if (result.ok) return "ok";
    equal(result.status, 403, JSON.stringify(result));
    equal(result.code, "request_not_allowed", JSON.stringify(result));
    return result.reason;
  };

  t(`[${runtime}] caveats: the matrix (IPv4, IPv6, mapped, deny inside allow, no IP, notBefore, method case, path edges)`, async () => {
    const ten = { allowIps: ["10.0.0.0/8"] };
    const v6 = { allowIps: ["2001:db8::/32"] };
    const denyInside = { allowIps: ["10.0.0.0/8"], denyIps: ["10.1.0.0/16"] };
    const repos = { paths: ["/api/repos/"] };
    const reposNoSlash = { paths: ["/api/repos"] };
    const cases = [
      [ten, { clientIp: "10.1.2.3" }, "ok"],
      [ten, { clientIp: "10.255.255.255" }, "ok"],
      [ten, { clientIp: "9.255.255.255" }, "client_ip_not_allowed"],
      [ten, { clientIp: "11.0.0.0" }, "client_ip_not_allowed"],
      [{ allowIps: ["192.168.1.7"] }, { clientIp: "192.168.1.7" }, "ok"],
      [{ allowIps: ["192.168.1.7"] }, { clientIp: "192.168.1.8" }, "client_ip_not_allowed"],
      [{ allowIps: ["0.0.0.0/0"] }, { clientIp: "2001:db8::1" }, "client_ip_not_allowed"],
      [v6, { clientIp: "2001:db8:ffff::1" }, "ok"],
      [v6, { clientIp: "2001:0DB8::1" }, "ok"],
      [v6, { clientIp: "2001:db9::1" }, "client_ip_not_allowed"],
      [{ allowIps: ["2001:DB8::/32"] }, { clientIp: "2001:db8::1" }, "ok"],
      [{ allowIps: ["::/0"] }, { clientIp: "198.51.100.1" }, "ok"],
      [ten, { clientIp: "::ffff:10.0.0.1" }, "ok"],
      [ten, { clientIp: "::ffff:11.0.0.1" }, "client_ip_not_allowed"],
      [{ allowIps: ["::ffff:10.0.0.0/104"] }, { clientIp: "10.9.9.9" }, "ok"],
      [{ denyIps: ["10.0.0.0/8"] }, { clientIp: "::ffff:10.0.0.1" }, "client_ip_denied"],
      [denyInside, { clientIp: "10.1.2.3" }, "client_ip_denied"],
      [denyInside, { clientIp: "10.2.0.1" }, "ok"],
      [denyInside, { clientIp: "11.0.0.1" }, "client_ip_not_allowed"],
      [{ allowIps: ["10.1.0.0/16"], denyIps: ["10.0.0.0/8"] }, { clientIp: "10.1.0.1" }, "client_ip_denied"],
      [{ denyIps: ["10.1.0.0/16"] }, { clientIp: "10.2.0.1" }, "ok"],
      [ten, {}, "client_ip_unknown"],
      [ten, { clientIp: null }, "client_ip_unknown"],
      [{ denyIps: ["10.1.0.0/16"] }, {}, "client_ip_unknown"],
      [ten, { clientIp: "" }, "client_ip_unknown"],
      [ten, { clientIp: "10.0.0.1:443" }, "client_ip_unknown"],
      [ten, { clientIp: "[::1]" }, "client_ip_unknown"],
      [{ methods: ["get"] }, { method: "GET" }, "ok"],
      [{ methods: ["get"] }, { method: "get" }, "method_not_allowed"],
      [{ methods: ["GET", "HEAD"] }, { method: "HEAD" }, "ok"],
      [{ methods: ["GET"] }, { method: "POST" }, "method_not_allowed"],
      [{ methods: ["GET"] }, {}, "method_not_allowed"],
      [repos, { path: "/api/repos/1" }, "ok"],
      [repos, { path: "/api/repos/" }, "ok"],
      [repos, { path: "/api/reposX" }, "path_not_allowed"],
      [repos, { path: "/api/repos" }, "path_not_allowed"],
      [reposNoSlash, { path: "/api/repos" }, "ok"],
      [reposNoSlash, { path: "/api/repos/7" }, "ok"],
      [reposNoSlash, { path: "/api/reposX" }, "path_not_allowed"],
      [repos, { path: "/api/repos/1?x=/admin" }, "ok"],
      [repos, { path: "/api/other?/api/repos/" }, "path_not_allowed"],
      [repos, { path: "/api/repos/../admin" }, "path_not_allowed"],
      [repos, { path: "/api/repos/%2e%2e/admin" }, "path_not_allowed"],
      [repos, { path: "/api/repos/a%2Fb" }, "path_not_allowed"],
      [repos, { path: "/API/repos/1" }, "path_not_allowed"],
      [repos, {}, "path_not_allowed"],
    ];
    ok(cases.length >= 40, `${cases.length} cases`);
    const h = harness();
    await each(cases, ([caveats, context]) => `${JSON.stringify(caveats)} ${JSON.stringify(context)}`, async ([caveats, context, expected]) => {
      const c = await create(h, caveats);
      equal(outcome(await verify(h, c, context)), expected);
    });

    // notBefore, to the millisecond (epoch ms or a Date).
    for (const notBefore of [T0 + 1000, new Date(T0 + 1000)]) {
      const c = await create(h, { notBefore });
      equal(c.notBefore, T0 + 1000);
      h.clock.t = T0 + 999;
      equal(outcome(await verify(h, c)), "not_yet_valid");
      h.clock.t = T0 + 1000;
      equal(outcome(await verify(h, c)), "ok");
      h.clock.t = T0;
    }
  });

  t(`[${runtime}] caveats: verifyRequest takes method and path from the Request, the client IP only from clientIp`, async () => {
    const h = harness();
    const c = await create(h, { allowIps: ["203.0.113.0/24"], methods: ["GET", "HEAD"], paths: ["/api/repositories"] });
    const req = (url, method = "GET") => new Request(url, { method, headers: { authorization: basic("alice", c.password) } });
    const ip = { clientIp: "203.0.113.9" };
    equal(outcome(await h.ap.verifyRequest(req("https://h.test/api/repositories"), ip)), "ok");
    equal(outcome(await h.ap.verifyRequest(req("https://h.test/api/repositories/x?page=2"), ip)), "ok");
    equal(outcome(await h.ap.verifyRequest(req("https://h.test/api/repositories", "HEAD"), ip)), "ok");
    equal(outcome(await h.ap.verifyRequest(req("https://h.test/api/repositories", "POST"), ip)), "method_not_allowed");
    equal(outcome(await h.ap.verifyRequest(req("https://h.test/api/repositoriesX"), ip)), "path_not_allowed");
    equal(outcome(await h.ap.verifyRequest(req("https://h.test/api/user?/api/repositories"), ip)), "path_not_allowed");
    // The URL parser resolves dot segments (also %2e) before the core sees the path.
    equal(outcome(await h.ap.verifyRequest(req("https://h.test/api/repositories/%2e%2e/user"), ip)), "path_not_allowed");
    equal(outcome(await h.ap.verifyRequest(req("https://h.test?x"), ip)), "path_not_allowed");
    // No clientIp: refused, whatever headers claim (X-Forwarded-For is never read).
    const forwarded = new Request("https://h.test/api/repositories", {
      headers: { authorization: basic("alice", c.password), "x-forwarded-for": "203.0.113.9", "cf-connecting-ip": "203.0.113.9" },
    });
    equal(outcome(await h.ap.verifyRequest(forwarded)), "client_ip_unknown");
    equal(outcome(await h.ap.verifyRequest(req("https://h.test/api/repositories"), { clientIp: "198.51.100.1" })), "client_ip_not_allowed");
    // Options override the Request's method and path.
    equal(outcome(await h.ap.verifyRequest(req("https://h.test/other", "POST"), { ...ip, method: "GET", path: "/api/repositories" })), "ok");
    // A Node-style request (IncomingMessage: url is the path, headers a plain object).
    const node = { method: "GET", url: "/api/repositories/1?x", headers: { authorization: basic("alice", c.password) } };
    equal(outcome(await h.ap.verifyRequest(node, ip)), "ok");
    equal(outcome(await h.ap.verifyRequest({ ...node, url: "/api/repositories/../user" }, ip)), "path_not_allowed");
    equal(outcome(await h.ap.verifyRequest({ headers: node.headers }, ip)), "method_not_allowed", "no method known");
    // A clientIp that is not a string is a host bug.
    await rejectsHost(() => h.ap.verifyRequest(req("https://h.test/api/repositories"), { clientIp: 203 }), "invalid_argument");
    await rejectsHost(() => h.ap.verify({ username: "alice", password: c.password, method: ["GET"] }), "invalid_argument");

    // The response for it: 403, no Basic challenge, a message that names no caveat.
    const refused = await h.ap.verifyRequest(req("https://h.test/api/repositories", "DELETE"), ip);
    const res = h.ap.unauthorized(refused);
    equal(res.status, 403);
    equal(res.headers.get("www-authenticate"), null);
    const body = await res.json();
    equal(body.error.code, "request_not_allowed");
    ok(!JSON.stringify(body).includes("method"), "the reason stays in the logs");
  });

  t(`[${runtime}] caveats: create and list show them (only those set); records without caveats unchanged`, async () => {
    const h = harness();
    const plain = await create(h, {});
    deepEqual(Object.keys(plain).sort(), ["createdAt", "expiresAt", "id", "label", "password", "scopes"]);
    ok(!h.map.get(recordKey(plain.id)).includes('"caveats":'), "no caveats member without caveats");
    const c = await create(h, {
      allowIps: ["10.0.0.0/8", "2001:DB8::/32"],
      denyIps: ["10.1.0.0/16"],
      notBefore: T0 - 1,
      methods: ["get", "head", "GET"],
      paths: ["/api/repos/", "/api/user"],
      maxUses: 5,
    });
    const shown = {
      allowIps: ["10.0.0.0/8", "2001:db8::/32"],
      denyIps: ["10.1.0.0/16"],
      notBefore: T0 - 1,
      methods: ["GET", "HEAD"],
      paths: ["/api/repos/", "/api/user"],
      maxUses: 5,
    };
    for (const [name, value] of Object.entries(shown)) deepEqual(c[name], value, `create: ${name}`);
    const listed = await h.ap.list("alice");
    // What every listed password has (the lifecycle's enabled, replaces, replacedBy included), then its caveats.
    const { id: _id, label: _label, scopes: _scopes, createdAt: _c, expiresAt: _e, lastUsedAt: _l, enabled: _en, replaces: _r, replacedBy: _rb, ...caveats } =
      listed.find((l) => l.id === c.id);
    deepEqual(caveats, shown, "list");
    deepEqual(Object.keys(listed.find((l) => l.id === plain.id)).sort(), ["createdAt", "enabled", "expiresAt", "id", "label", "lastUsedAt", "replacedBy", "replaces", "scopes"]);
    const stored = JSON.parse(h.map.get(recordKey(c.id)));
    deepEqual(stored.caveats, shown, "stored in the record");
    // A record of before caveats (no member) still verifies with no context at all.
    sameResult(await h.ap.verify({ username: "alice", password: plain.password }), { ok: true, user: "alice", id: plain.id, label: "caveats", scopes: ["repository"] });
  });

  t(`[${runtime}] caveats: strict parsing at create → invalid_caveat, nothing stored`, async () => {
    const h = harness();
    const bad = [
      { allowIps: ["10.0.0.1/8"] },
      { allowIps: ["10.0.0.0/33"] },
      { allowIps: ["10.0.0.0/08"] },
      { allowIps: ["010.0.0.0/8"] },
      { allowIps: ["10.0.0/8"] },
      { denyIps: ["::/129"] },
      { denyIps: ["fe80::1%eth0"] },
      { allowIps: [" 10.0.0.0/8"] },
      { allowIps: [] },
      { allowIps: Array.from({ length: 33 }, (_, i) => `10.0.${i}.0/24`) },
      { allowIps: Array.from({ length: 100 }, () => "10.0.0.0/8") },
      { methods: [] },
      { methods: ["GE T"] },
      { methods: ["GET/"] },
      { methods: Array.from({ length: 17 }, (_, i) => `M${i}`) },
      { paths: [] },
      { paths: ["api/"] },
      { paths: ["/a//b"] },
      { paths: ["/a/../b"] },
      { paths: ["/a?b"] },
      { paths: ["/a%20b"] },
      { paths: ["/a\\b"] },
      { paths: [`/${"a".repeat(256)}`] },
      { paths: Array.from({ length: 17 }, (_, i) => `/p${i}/`) },
      { maxUses: 0 },
      { maxUses: 1.5 },
      { maxUses: -1 },
      { maxUses: 2 ** 53 },
      { notBefore: -1 },
      { notBefore: T0 + 10, expiresAt: T0 + 10 },
    ];
    await each(bad, (b) => JSON.stringify(b).slice(0, 80), async (caveats) => {
      await rejectsHost(() => create(h, caveats), "invalid_caveat");
    });
    const wrongTypes = [
      [{ allowIps: "10.0.0.0/8" }, "invalid_argument"],
      [{ methods: [1] }, "invalid_argument"],
      [{ paths: {} }, "invalid_argument"],
      [{ notBefore: "soon" }, "invalid_argument"],
      [{ maxUses: "5" }, "invalid_caveat"],
    ];
    await each(wrongTypes, ([caveats]) => JSON.stringify(caveats), async ([caveats, code]) => {
      await rejectsHost(() => create(h, caveats), code);
    });
    deepEqual(await h.ap.list("alice"), [], "nothing stored");
  });

  t(`[${runtime}] caveats: maxUses 1 with 100 parallel verifies grants exactly 1; refusals use nothing up`, async () => {
    const h = harness();
    const c = await create(h, { maxUses: 1, methods: ["GET"] });
    equal(outcome(await verify(h, c, { method: "POST" })), "method_not_allowed");
    equal((await h.ap.verify({ username: "alice", password: c.password, require: ["issue"], method: "GET" })).code, "insufficient_scope");
    equal((await h.ap.verify({ username: "bob", password: c.password, method: "GET" })).code, "invalid_credentials");
    const results = await Promise.all(Array.from({ length: 100 }, () => verify(h, c, { method: "GET" })));
    equal(results.filter((r) => r.ok).length, 1, "exactly one granted");
    equal(results.filter((r) => outcome(r) === "max_uses_reached").length, 99);
    equal(outcome(await verify(h, c, { method: "GET" })), "max_uses_reached");
    equal(outcome(await verify(h, c, { method: "PUT" })), "method_not_allowed", "the other caveats answer first");

    const five = await create(h, { maxUses: 5 });
    const many = await Promise.all(Array.from({ length: 40 }, () => verify(h, five)));
    equal(many.filter((r) => r.ok).length, 5, "exactly maxUses granted");
  });

  t(`[${runtime}] caveats: maxUses with increment answering text (as Redis clients answer INCRBY); bad text is store_corrupt`, async () => {
    const base = api.memoryStore(new Map());
    let answer = (n) => String(n);
    const store = { ...base, increment: async (key, delta) => answer(await base.increment(key, delta)) };
    for (const m of ["get", "getMany", "put", "delete", "list"]) if (base[m]) store[m] = base[m].bind(base);
    const h = harness({ store });
    const c = await create(h, { maxUses: 2 });
    equal(outcome(await verify(h, c)), "ok");
    equal(outcome(await verify(h, c)), "ok");
    equal(outcome(await verify(h, c)), "max_uses_reached", "the third use, counted from text");
    for (const bad of ["+1", "1.0", "", "x", String(2 ** 53 + 2)]) {
      answer = (n) => String(n);
      const d = await create(h, { maxUses: 5 }); // create reads the new id's counter too
      answer = () => bad;
      await rejectsHost(() => verify(h, d), "store_corrupt", `increment answered ${JSON.stringify(bad)}`);
    }
  });

  t(`[${runtime}] caveats: maxUses on a store without increment → store_lacks_atomic; the cache still checks caveats`, async () => {
    const map = new Map();
    const h = harness({ store: faultyStore(map) }); // get/put/delete/list only
    await rejectsHost(() => create(h, { maxUses: 3 }), "store_lacks_atomic");
    equal(map.size, 0, "nothing stored");
    const c = await create(h, { allowIps: ["10.0.0.0/8"] }); // other caveats need no increment
    equal(outcome(await verify(h, c, { clientIp: "10.0.0.1" })), "ok");

    const cached = harness({ config: { cache: { ttlMs: 60_000, maxEntries: 10 } } });
    const d = await create(cached, { allowIps: ["10.0.0.0/8"], maxUses: 2 });
    const e = await create(cached, { allowIps: ["10.0.0.0/8"] });
    for (const p of [d, e]) equal(outcome(await verify(cached, p, { clientIp: "10.0.0.1" })), "ok");
    const hit = await verify(cached, e, { clientIp: "10.0.0.2" });
    equal(hit.cached, true, "a cache hit");
    equal(outcome(await verify(cached, e, { clientIp: "192.0.2.1" })), "client_ip_not_allowed", "cache hit, caveat checked");
    equal(outcome(await verify(cached, d, { clientIp: "10.0.0.1" })), "ok");
    equal(outcome(await verify(cached, d, { clientIp: "10.0.0.1" })), "max_uses_reached", "cache hits count uses");

    // verifyRequest answers a cache hit without caveats at once and reads the request's details
    // (client IP, method, path) only for a password with caveats: both answers stay right.
    const req = (p, url = "https://h.test/api/x") => new Request(url, { headers: { authorization: basic("alice", p.password) } });
    const plain = await create(cached, {});
    for (let i = 0; i < 2; i++) equal(outcome(await cached.ap.verifyRequest(req(plain))), "ok");
    equal((await cached.ap.verifyRequest(req(plain))).cached, true);
    const viaRequest = await cached.ap.verifyRequest(req(e), { clientIp: "10.0.0.9" });
    equal(outcome(viaRequest), "ok");
    equal(viaRequest.cached, true, "a cache hit through the async path, with the context");
    equal(outcome(await cached.ap.verifyRequest(req(e), { clientIp: "192.0.2.1" })), "client_ip_not_allowed");
    equal(outcome(await cached.ap.verifyRequest(req(e))), "client_ip_unknown");
  });

  /** `[result, settled]`: whether `promise` had settled one microtask later (an answer given synchronously). */
  const settledAtOnce = async (promise) => {
    let settled = false;
    promise.then(() => (settled = true), () => (settled = true));
    await null;
    const atOnce = settled;
    return [await promise, atOnce];
  };

  t(`[${runtime}] caveats: verifyRequest answers a cache hit of a password with caveats synchronously, and checks them`, async () => {
    const h = harness({ config: { cache: { ttlMs: 60_000, maxEntries: 10 } } });
    const c = await create(h, { allowIps: ["10.0.0.0/8"], paths: ["/api/"] });
    const req = (url = "https://h.test/api/x?page=2") => new Request(url, { headers: { authorization: basic("alice", c.password) } });
    const [first, firstAtOnce] = await settledAtOnce(h.ap.verifyRequest(req(), { clientIp: "10.0.0.1" }));
    equal(outcome(first), "ok");
    equal(first.cached, false);
    equal(firstAtOnce, false, "uncached: the store is awaited");
    for (const [options, url, expected] of [
      [{ clientIp: "10.0.0.2" }, undefined, "ok"],
      [{ clientIp: "192.0.2.1" }, undefined, "client_ip_not_allowed"],
      [{}, undefined, "client_ip_unknown"],
      [{ clientIp: "10.0.0.2" }, "https://h.test/other", "path_not_allowed"],
      [{ clientIp: "10.0.0.2", path: "/other" }, undefined, "path_not_allowed"],
      [{ clientIp: "10.0.0.2", path: "/api/given" }, "https://h.test/other", "ok"],
      [{ clientIp: "10.0.0.2" }, "https://h.test/api/%2e%2e/admin", "path_not_allowed"],
    ]) {
      const what = `${JSON.stringify(options)} ${url ?? ""}`;
      const [result, atOnce] = await settledAtOnce(h.ap.verifyRequest(req(url), options));
      equal(outcome(result), expected, what);
      equal(atOnce, true, `answered synchronously: ${what}`);
      if (result.ok) deepEqual([result.cached, result.id], [true, c.id], what);
    }
    // A context the core cannot take as strings goes to the async path, which throws its coded error.
    await rejectsHost(() => h.ap.verifyRequest(req(), { clientIp: 10 }), "invalid_argument");
    // A revoke through this instance: refused at once, never answered from the cache.
    equal(await h.ap.revoke("alice", c.id), true);
    equal((await h.ap.verifyRequest(req(), { clientIp: "10.0.0.2" })).reason, "unknown_id");
  });

  t(`[${runtime}] caveats: a waiting cache hit is answered only for its own request (a getter that verifies in between)`, async () => {
    const h = harness({ config: { cache: { ttlMs: 60_000, maxEntries: 10 } } });
    const narrow = await create(h, { allowIps: ["10.0.0.0/8"] });
    const other = await create(h, { allowIps: ["192.0.2.0/24"] });
    equal(outcome(await verify(h, narrow, { clientIp: "10.0.0.1" })), "ok");
    equal(outcome(await verify(h, other, { clientIp: "192.0.2.1" })), "ok");
    // Reading the outer request's method verifies `other` on the same instance; reading that
    // request's URL throws, so its cache hit is left waiting when the outer one goes on.
    let inner;
    const throwing = { headers: { authorization: basic("alice", other.password) }, method: "GET", get url() { throw new Error("no url"); } };
    const outer = {
      headers: { authorization: basic("alice", narrow.password) },
      url: "/x",
      get method() {
        inner ??= h.ap.verifyRequest(throwing, { clientIp: "192.0.2.1" });
        return "GET";
      },
    };
    const result = await h.ap.verifyRequest(outer, { clientIp: "192.0.2.1" });
    equal(outcome(result), "client_ip_not_allowed", `narrow's answer, not other's: ${JSON.stringify(result)}`);
    ok(inner, "the getter ran");
    let thrown;
    await inner.catch((err) => (thrown = err));
    equal(thrown && thrown.message, "no url");
    // Both still answer right afterwards.
    equal(outcome(await h.ap.verifyRequest(outer, { clientIp: "10.0.0.3" })), "ok");
    equal(outcome(await verify(h, other, { clientIp: "192.0.2.9" })), "ok");
  });
}
