// Scale (issue #10): the store-call budget through a counting store, the per-user cap, the
// lastUsedAt write budget, revokeAll.

import { deepEqual, equal, ok } from "../assert.mjs";
import { FAST, T0, indexKey, invalid, sameResult } from "./support.mjs";

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, AppPasswords, AppPasswordError, rejectsHost, throwsArg, harness, figure, countingStore } = ctx;

  // ---------------------------------------------------------------------------------------
  // Scale and consistency (issue #10): the store-call budget through a counting store (a bulk
  // read of up to 100 keys counts as one, as Workers KV bills it), the per-user cap, stale
  // reads, a revoke racing a verify, the lastUsedAt write budget. Figures are in the test
  // names (every runner prints those) and asserted exactly; they are also logged.

  t(`[${runtime}] budget: 1,500 creates at maxPerUser 1000 → 1,000 made, 500 too_many_passwords; list of 1,000 = 31 store calls (≤ 40); verify incl. lastUsedAt = 2 (≤ 2); create = 4, revoke = 4 (≤ 6)`, async () => {
    const counting = countingStore();
    const h = harness({ store: counting.store, config: { hashing: FAST, maxPerUser: 1000 } });
    const made = [];
    let refused = 0;
    let createMost = 0;
    for (let i = 0; i < 1500; i++) {
      counting.reset();
      try {
        made.push(await h.ap.create({ user: "alice", label: `p${i}`, scopes: ["repository"] }));
      } catch (err) {
        equal(err.code, "too_many_passwords");
        ok(err instanceof AppPasswordError);
        refused += 1;
      }
      createMost = Math.max(createMost, counting.c.calls);
    }
    figure(`1,500 creates at maxPerUser 1000: ${made.length} made, ${refused} refused too_many_passwords; most store calls of a create: ${createMost}`);
    deepEqual([made.length, refused], [1000, 500]);
    equal(createMost, 4);

    counting.reset();
    const listed = await h.ap.list("alice");
    figure(`list of ${listed.length} passwords: ${counting.c.calls} store calls (budget 40)`);
    equal(listed.length, 1000, "every password listed");
    deepEqual(listed.map((l) => l.id).sort(), made.map((m) => m.id).sort());
    equal(counting.c.calls, 31);
    equal(counting.c.bulkTooBig, 0, "no bulk read over 100 keys");

    counting.reset();
    const r = await h.ap.verify({ username: "alice", password: made[0].password });
    await h.settle(); // the lastUsedAt write, after the answer
    figure(`verify incl. its lastUsedAt write: ${counting.c.calls} store calls (budget 2)`);
    equal(r.ok, true);
    equal(counting.c.calls, 2);
    deepEqual(counting.c.puts, [indexKey("alice", made[0].id)]);

    counting.reset();
    equal(await h.ap.revoke("alice", made[0].id), true);
    figure(`revoke: ${counting.c.calls} store calls (budget 6)`);
    equal(counting.c.calls, 4);
    counting.reset();
    await h.ap.create({ user: "alice", label: "one more", scopes: ["repository"] });
    figure(`create at 999 passwords: ${counting.c.calls} store calls (budget 6)`);
    equal(counting.c.calls, 4);
  });

  t(`[${runtime}] budget: one password used every minute for a day → 144 lastUsedAt writes (≤ 144, default touchIntervalMs)`, async () => {
    const counting = countingStore();
    const h = harness({ store: counting.store, config: { hashing: FAST } });
    const c = await h.ap.create({ user: "alice", label: "cron", scopes: ["repository"] });
    counting.reset();
    for (let minute = 0; minute < 24 * 60; minute++) {
      h.clock.t = T0 + minute * 60_000;
      equal((await h.ap.verify({ username: "alice", password: c.password })).ok, true);
      await h.settle();
    }
    figure(`one password used every minute for a day: ${counting.c.puts.length} lastUsedAt writes (budget 144)`);
    equal(counting.c.puts.length, 144);
    ok(counting.c.puts.every((k) => k === indexKey("alice", c.id)));
  });

  t(`[${runtime}] cap: maxPerUser defaults to 100, accepts 1 to 1000, and list is never truncated`, async () => {
    const map = new Map();
    const h = harness({ map, config: { hashing: FAST } });
    for (let i = 0; i < 100; i++) await h.ap.create({ user: "bob", label: `b${i}`, scopes: ["email"] });
    await rejectsHost(() => h.ap.create({ user: "bob", label: "101st", scopes: ["email"] }), "too_many_passwords");
    await h.ap.create({ user: "carol", label: "other user", scopes: ["email"] });
    // Past the cap (a cap raised elsewhere, or creates racing): every one is still listed.
    const wider = harness({ map, config: { hashing: FAST, maxPerUser: 110 } });
    for (let i = 0; i < 10; i++) await wider.ap.create({ user: "bob", label: `w${i}`, scopes: ["email"] });
    equal((await h.ap.list("bob")).length, 110);
    for (const bad of [0, 1001, 1.5, -1, "100", NaN, null]) {
      throwsArg(() => new AppPasswords({ store: api.memoryStore(), maxPerUser: bad }), "invalid_argument", `maxPerUser ${bad}`);
    }
    const one = harness({ config: { hashing: FAST, maxPerUser: 1 } });
    await one.ap.create({ user: "d", label: "x", scopes: ["email"] });
    await rejectsHost(() => one.ap.create({ user: "d", label: "y", scopes: ["email"] }), "too_many_passwords");
  });

  t(`[${runtime}] revokeAll: every password of one user, counted; other users untouched`, async () => {
    const counting = countingStore();
    const h = harness({ store: counting.store, config: { hashing: FAST, maxPerUser: 1000 } });
    const mine = [];
    for (let i = 0; i < 120; i++) mine.push(await h.ap.create({ user: "alice", label: `a${i}`, scopes: ["email"] }));
    const theirs = await h.ap.create({ user: "bob", label: "b", scopes: ["email"] });
    equal(typeof h.ap.revokeAll, "function");
    counting.reset();
    equal(await h.ap.revokeAll("alice"), 120);
    figure(`revokeAll of 120 passwords: ${counting.c.calls} store calls`);
    deepEqual(await h.ap.list("alice"), []);
    for (const c of mine.slice(0, 5)) sameResult(await h.ap.verify({ username: "alice", password: c.password }), invalid("unknown_id"));
    equal((await h.ap.verify({ username: "bob", password: theirs.password })).ok, true);
    equal(await h.ap.revokeAll("alice"), 0);
    await rejectsHost(() => h.ap.revokeAll("a:b"), "invalid_user");
    await rejectsHost(() => h.ap.revokeAll(42), "invalid_argument");
  });
}
