// The opt-in verified-credential cache: hits, ttlMs, and revokes racing or evicting it.

import { equal, ok } from "../assert.mjs";
import { FAST, T0, makePassword, mistype, refusal, invalid, sameResult } from "./support.mjs";

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, AppPasswords, throwsArg, harness, faultyStore } = ctx;

  t(`[${runtime}] cache (opt-in): repeats skip the store, refusals and expiry still apply, revoke evicts`, async () => {
    const map = new Map();
    let gets = 0;
    const store = faultyStore(map, { get: (k, base) => ((gets += 1), base.get(k)) });
    const h = harness({ map, store, config: { cache: { ttlMs: 10_000, maxEntries: 100 } } });
    const c = await h.ap.create({ user: "alice", label: "cached", scopes: ["repository"], expiresAt: T0 + 5000 });
    const good = { ok: true, user: "alice", id: c.id, label: "cached", scopes: ["repository"] };
    gets = 0;
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), { ...good, cached: false }, "first verify");
    // A store without getMany: one get per key of the verify's bulk read (record, tombstone and
    // the three lifecycle markers, design.md#lifecycle).
    equal(gets, 5, "first verify reads the record, its tombstone and the lifecycle markers");
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), { ...good, cached: true }, "second verify");
    equal(gets, 5, "a cached verify reads nothing");
    // Every rule after the secret is still applied to a cached credential.
    sameResult(await h.ap.verify({ username: "bob", password: c.password }), invalid("wrong_user"));
    sameResult(await h.ap.verify({ username: "alice", password: c.password, purpose: "login" }), refusal(403, "login_not_allowed", "login_refused"));
    sameResult(await h.ap.verify({ username: "alice", password: c.password, require: ["issue"] }), refusal(403, "insufficient_scope", "missing_scopes", ["issue"]));
    sameResult(await h.ap.verify({ username: "alice", password: c.password, require: ["workspace:admin"] }), refusal(403, "not_allowed_for_app_passwords", "scope_not_grantable", ["workspace:admin"]));
    sameResult(await h.ap.verify({ username: "alice", password: mistype(c.password, 30) }), invalid("bad_checksum"));
    sameResult(await h.ap.verify({ username: "alice", password: makePassword("apw", c.id, "B".repeat(32)) }), invalid("wrong_secret"), "same id, other secret: never a cache hit");
    h.clock.t = T0 + 5000;
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), invalid("expired"), "expiry applies to a cached credential");
    h.clock.t = T0 + 1000;
    equal((await h.ap.verify({ username: "alice", password: c.password })).ok, true);
    equal(await h.ap.revoke("alice", c.id), true);
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), invalid("unknown_id"), "revoke through this instance evicts at once");
    throwsArg(() => new AppPasswords({ store: api.memoryStore(), cache: { ttlMs: -1, maxEntries: 1 } }), "invalid_argument");
    throwsArg(() => new AppPasswords({ store: api.memoryStore(), cache: { ttlMs: 5 } }), "invalid_argument");
  });

  t(`[${runtime}] cache (opt-in): entries live ttlMs on the service clock`, async () => {
    const map = new Map();
    let gets = 0;
    const store = faultyStore(map, { get: (k, base) => ((gets += 1), base.get(k)) });
    const h = harness({ map, store, config: { cache: { ttlMs: 1000, maxEntries: 100 } } });
    const c = await h.ap.create({ user: "alice", label: "ttl", scopes: ["email"] });
    equal((await h.ap.verify({ username: "alice", password: c.password })).cached, false);
    h.clock.t = T0 + 999;
    equal((await h.ap.verify({ username: "alice", password: c.password })).cached, true, "within ttlMs");
    h.clock.t = T0 + 1000;
    gets = 0;
    equal((await h.ap.verify({ username: "alice", password: c.password })).cached, false, "after ttlMs");
    equal(gets, 5, "the record (its tombstone and markers) are read again");
    // A revoke elsewhere (another instance on the same store) is seen once the entry expires.
    const other = harness({ map });
    equal(await other.ap.revoke("alice", c.id), true);
    h.clock.t = T0 + 1500;
    equal((await h.ap.verify({ username: "alice", password: c.password })).cached, true, "still cached here (documented)");
    h.clock.t = T0 + 2000;
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), invalid("unknown_id"), "gone after ttlMs");
  });

  /** A memoryStore whose next getMany, once armed, takes its answer and waits to be released. */
  function stallingStore(map) {
    const base = api.memoryStore(map);
    let armed = false;
    let stalled = false;
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    return {
      arm: () => (armed = true),
      release: () => release(),
      isStalled: () => stalled,
      store: {
        get: (k) => base.get(k),
        getMany: async (keys) => {
          const answer = await base.getMany(keys);
          if (!armed) return answer;
          armed = false;
          stalled = true;
          await gate;
          return answer;
        },
        put: (k, v) => base.put(k, v),
        delete: (k) => base.delete(k),
        list: (p, c) => base.list(p, c),
      },
    };
  }

  t(`[${runtime}] cache race: a revoke wins over a verify in flight, and the cache never answers for it after`, async () => {
    for (const elsewhereFirst of [false, true]) {
      const map = new Map();
      const stalling = stallingStore(map);
      const h = harness({ map, store: stalling.store, config: { hashing: FAST, cache: { ttlMs: 3_600_000, maxEntries: 100 } } });
      const c = await h.ap.create({ user: "alice", label: "race", scopes: ["email"] });
      const creds = { username: "alice", password: c.password };
      stalling.arm();
      const inFlight = h.ap.verify(creds); // reads the record (still there), then stalls
      for (let i = 0; i < 100 && !stalling.isStalled(); i++) await Promise.resolve();
      ok(stalling.isStalled(), "the verify reached its store read");
      if (elsewhereFirst) equal(await harness({ map, config: { hashing: FAST } }).ap.revoke("alice", c.id), true);
      equal(await h.ap.revoke("alice", c.id), !elsewhereFirst, "the revoke through this instance completes");
      stalling.release();
      sameResult(await inFlight, invalid("unknown_id"), `the verify completing after the revoke (elsewhere first: ${elsewhereFirst})`);
      const again = await h.ap.verify(creds);
      equal(again.ok, false, "never granted again");
      ok(!again.cached, "never from the cache");
    }
  });

  t(`[${runtime}] cache: a revoke evicts a cached credential even when the record was already gone`, async () => {
    const map = new Map();
    const h = harness({ map, config: { hashing: FAST, cache: { ttlMs: 3_600_000, maxEntries: 100 } } });
    const c = await h.ap.create({ user: "alice", label: "x", scopes: ["email"] });
    const creds = { username: "alice", password: c.password };
    equal((await h.ap.verify(creds)).ok, true);
    equal((await h.ap.verify(creds)).cached, true);
    equal(await harness({ map }).ap.revoke("alice", c.id), true); // revoked elsewhere
    equal(await h.ap.revoke("alice", c.id), false); // nothing left here...
    sameResult(await h.ap.verify(creds), invalid("unknown_id"), "...and the cached credential is gone");
  });

  t(`[${runtime}] cache: every answer is a new object; changing one changes no later answer`, async () => {
    const h = harness({ config: { hashing: FAST, cache: { ttlMs: 3_600_000, maxEntries: 100 } } });
    const c = await h.ap.create({ user: "alice", label: "x", scopes: ["email"] });
    const creds = { username: "alice", password: c.password };
    equal((await h.ap.verify(creds)).cached, false);
    const hit = await h.ap.verify(creds);
    sameResult(hit, { ok: true, user: "alice", id: c.id, label: "x", scopes: ["email"], cached: true }, "the first hit");
    hit.user = "mallory";
    hit.scopes.push("account:admin");
    hit.ok = false;
    const again = await h.ap.verify(creds);
    ok(again !== hit && again.scopes !== hit.scopes, "a new object and a new scope list");
    sameResult(again, { ok: true, user: "alice", id: c.id, label: "x", scopes: ["email"], cached: true }, "the next hit, as it was");
    // Refusals too (the same text each time: the one most often answered).
    const mistyped = { username: "alice", password: mistype(c.password, 30) };
    const refused = await h.ap.verify(mistyped);
    sameResult(refused, invalid("bad_checksum"));
    refused.code = "ok";
    refused.status = 200;
    sameResult(await h.ap.verify(mistyped), invalid("bad_checksum"), "the next refusal, as it was");
    const missing = await h.ap.verify({ ...creds, require: ["issue"] });
    sameResult(missing, refusal(403, "insufficient_scope", "missing_scopes", ["issue"]));
    missing.missing.length = 0;
    sameResult(await h.ap.verify({ ...creds, require: ["issue"] }), refusal(403, "insufficient_scope", "missing_scopes", ["issue"]), "its missing list, as it was");
  });
}
