// What is stored and where: only a salted hash, under the documented keys; the records.json
// vectors (verifiable, corrupt and invalid records, index entries).

import { deepEqual, equal, fail, match, notEqual, ok } from "../assert.mjs";
import { KEY_ROOT, T0, hexToBytes, basic, makePassword, userSegment, recordKey, indexKey, tombstoneKey, INDEX_NEW, each, sameResult, request } from "./support.mjs";

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, REC, AppPasswords, rejectsHost, harness } = ctx;

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
      deepEqual(await h.ap.list(r.user), [{ id: r.id, label: r.label, scopes, createdAt: r.createdAt, expiresAt: r.expiresAt, lastUsedAt: null, enabled: true, replaces: null, replacedBy: null }]);
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
}
