// Round trips through memoryStore(): create, list, verify, revoke, and the service options
// (lastUsedAt throttle, expiresAt, prefix, pepper, re-hash, a custom scope catalogue).

import { deepEqual, equal, match, ok } from "../assert.mjs";
import { T0, utf8, basic, makePassword, recordKey, indexKey, tombstoneKey, INDEX_NEW, refusal, invalid, sameResult, request } from "./support.mjs";

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, AppPasswords, rejectsHost, throwsArg, harness, faultyStore } = ctx;

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
    deepEqual(listed, [{ id: created.id, label: "CI deploy", scopes: created.scopes, createdAt: T0, expiresAt: null, lastUsedAt: null, enabled: true, replaces: null, replacedBy: null }]);
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
}
