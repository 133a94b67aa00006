// The fault matrix of tests/FAULTS.md: each kind of failing store x each operation.

import { deepEqual, equal, fail, match, ok } from "../assert.mjs";
import { recordKey, indexKey, tombstoneKey, otherSecret, invalid, sameResult } from "./support.mjs";

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, AppPasswordError, rejectsHost, harness, faultyStore } = ctx;

  // ---------------------------------------------------------------------------------------
  // The fault matrix (tests/FAULTS.md): each kind of failing store × each operation. In
  // every cell: a revoked or wrong password is never ok: true; an error is an
  // AppPasswordError with a documented code; and no half-created password (a password the
  // test holds is listed if and only if it verifies, unless the store lied about a write).

  const STORE_ERRORS = ["store_unavailable", "store_corrupt", "store_timeout"];

  /**
   * A memoryStore over `map` that misbehaves while armed with `fault`:
   *   "throw"    every method throws synchronously
   *   "reject"   every method returns a rejected promise
   *   "ackLost"  a write is applied, then its promise rejects (reads work)
   *   "hang"     every promise stays pending forever (use with storeTimeoutMs)
   *   "number" | "object" | "badJson"   get resolves 42 / { v: 1 } / invalid JSON, for any key
   *   "listKeys" list resolves { keys: "x" } (the rest works)
   *   "drop"     put and delete resolve and do nothing
   *   "late"     put and delete resolve at once; applied at flush(), newest first
   */
  function chaosStore(map) {
    const base = api.memoryStore(map);
    let fault = null;
    const late = [];
    const hang = () => new Promise(() => {});
    const failing = () => {
      if (fault === "throw") throw new Error("store down (thrown)");
      if (fault === "reject") return Promise.reject(new Error("store down"));
      if (fault === "hang") return hang();
      return null;
    };
    const write = (apply) => {
      const failed = failing();
      if (failed) return failed;
      if (fault === "ackLost") return apply().then(() => Promise.reject(new Error("connection reset after the write")));
      if (fault === "drop") return Promise.resolve();
      if (fault === "late") {
        late.push(apply);
        return Promise.resolve();
      }
      return apply();
    };
    const GARBAGE = { number: 42, object: { v: 1 }, badJson: '{"v":1,"id":' };
    return {
      store: {
        get(key) {
          const failed = failing();
          if (failed) return failed;
          if (fault in GARBAGE) return Promise.resolve(GARBAGE[fault]);
          return base.get(key);
        },
        put: (key, value) => write(() => base.put(key, value)),
        delete: (key) => write(() => base.delete(key)),
        list(prefix, cursor) {
          const failed = failing();
          if (failed) return failed;
          if (fault === "listKeys") return Promise.resolve({ keys: "x" });
          return base.list(prefix, cursor);
        },
      },
      arm: (f) => (fault = f),
      disarm: () => (fault = null),
      pendingWrites: () => late.length,
      async flush() {
        while (late.length) await late.pop()();
      },
    };
  }

  /** How the store changed, by kind of key: "+rec +idx", "~idx", "−rec", or "·". */
  function storeChange(before, after) {
    const kind = (k) => (k.includes("/record/") ? "rec" : k.includes("/revoked/") ? "tomb" : "idx");
    const out = [];
    for (const k of [...after.keys()].sort()) {
      if (!before.has(k)) out.push(`+${kind(k)}`);
      else if (before.get(k) !== after.get(k)) out.push(`~${kind(k)}`);
    }
    for (const k of [...before.keys()].sort()) if (!after.has(k)) out.push(`−${kind(k)}`);
    return out.length ? out.join(" ") : "·";
  }

  const verdict = (r) => (r.ok === true ? "granted" : `refused (${r.reason})`);

  const MATRIX_OPS = ["create", "verify valid", "verify revoked", "verify wrong secret", "list", "revoke"];
  const NONE = "— (no password returned)";
  const KEPT = "granted, listed";
  const FAILS = (code) => [
    [`Err(${code})`, NONE, "·"],
    [`Err(${code})`, KEPT, "·"],
    [`Err(${code})`, "refused (unknown_id)", "·"],
    [`Err(${code})`, "refused (wrong_secret)", "·"],
    [`Err(${code})`, KEPT, "·"],
    [`Err(${code})`, KEPT, "·"],
  ];
  // [result, the subject after the store heals, store change] per operation, in MATRIX_OPS
  // order. The subject is the created password (create), the valid one (verify valid, list,
  // revoke), or the one verified. Same notation as the Rust table in tests/FAULTS.md.
  const FAULT_MATRIX = {
    throw: FAILS("store_unavailable"),
    reject: FAILS("store_unavailable"),
    ackLost: [
      ["Err(store_unavailable)", NONE, "+rec"],
      ["granted", KEPT, "~idx"],
      ["refused (unknown_id)", "refused (unknown_id)", "·"],
      ["refused (wrong_secret)", "refused (wrong_secret)", "·"],
      ["Ok: 1 listed", KEPT, "·"],
      // Told it failed, but the tombstone is written: already refused and not listed.
      ["Err(store_unavailable)", "refused (unknown_id), not listed", "+tomb"],
    ],
    hang: FAILS("store_timeout"),
    number: FAILS("store_corrupt"),
    object: FAILS("store_corrupt"),
    badJson: [["Err(id_collision)", NONE, "·"], ...FAILS("store_corrupt").slice(1)],
    listKeys: [
      // create counts the user's passwords (maxPerUser) through list: it fails closed.
      ["Err(store_corrupt)", NONE, "·"],
      ["granted", KEPT, "~idx"],
      ["refused (unknown_id)", "refused (unknown_id)", "·"],
      ["refused (wrong_secret)", "refused (wrong_secret)", "·"],
      ["Err(store_corrupt)", KEPT, "·"],
      ["Ok(true)", "refused (unknown_id), not listed", "+tomb −rec −idx"],
    ],
    drop: [
      ["Ok: password returned", "refused (unknown_id), not listed", "·"],
      ["granted", KEPT, "·"],
      ["refused (unknown_id)", "refused (unknown_id)", "·"],
      ["refused (wrong_secret)", "refused (wrong_secret)", "·"],
      ["Ok: 1 listed", KEPT, "·"],
      // The store lied (said Ok, wrote nothing): still listed; this instance, which the revoke
      // went through, refuses it (another instance would still grant it).
      ["Ok(true)", "refused (unknown_id), listed", "·"],
    ],
    late: [
      ["Ok: password returned", "granted, listed (before flush: refused (unknown_id))", "+rec +idx"],
      ["granted", KEPT, "~idx"],
      ["refused (unknown_id)", "refused (unknown_id)", "·"],
      ["refused (wrong_secret)", "refused (wrong_secret)", "·"],
      ["Ok: 1 listed", KEPT, "·"],
      // No read-your-writes until the flush, like an eventually consistent store; this
      // instance refuses it at once (the revoke went through it).
      ["Ok(true)", "refused (unknown_id), not listed", "+tomb −rec −idx"],
    ],
  };

  /** One cell: alice holds a valid, a revoked and a wrong password; `op` runs under `fault`. */
  async function faultCell(fault, op) {
    const map = new Map();
    const chaos = chaosStore(map);
    // storeTimeoutMs only where needed: its wrapper turns a synchronous throw into a rejection.
    const h = harness({ map, store: chaos.store, config: fault === "hang" ? { storeTimeoutMs: 50 } : {} });
    const { ap } = h;
    const valid = await ap.create({ user: "alice", label: "tool", scopes: ["repository"] });
    const revoked = await ap.create({ user: "alice", label: "old", scopes: ["repository"] });
    equal(await ap.revoke("alice", revoked.id), true);
    const wrong = otherSecret(valid.password);
    const verifyNow = async (password) => verdict(await ap.verify({ username: "alice", password }));
    const before = new Map(map);

    chaos.arm(fault);
    let result;
    let created = null;
    try {
      if (op === "create") {
        created = await ap.create({ user: "alice", label: "new", scopes: ["email"] });
        result = "Ok: password returned";
      } else if (op === "list") {
        result = `Ok: ${(await ap.list("alice")).length} listed`;
      } else if (op === "revoke") {
        result = `Ok(${await ap.revoke("alice", valid.id)})`;
      } else {
        const password = { "verify valid": valid.password, "verify revoked": revoked.password, "verify wrong secret": wrong }[op];
        const r = await ap.verify({ username: "alice", password });
        if (op !== "verify valid") equal(r.ok, false, `${op}: never ok under ${fault}`);
        result = verdict(r);
      }
    } catch (err) {
      ok(err instanceof AppPasswordError && err instanceof Error, `${fault}/${op}: an AppPasswordError, got ${err}`);
      const documented = STORE_ERRORS.includes(err.code) || (op === "create" && err.code === "id_collision");
      ok(documented, `${fault}/${op}: undocumented code ${err.code}`);
      for (const pw of [valid.password, revoked.password, wrong]) ok(!String(err.message).includes(pw), "no password in the message");
      result = `Err(${err.code})`;
    }
    await h.settle(); // background lastUsedAt writes (their failures go to onError)
    for (const e of h.errors) ok(e instanceof AppPasswordError && STORE_ERRORS.includes(e.code), `background error ${e && e.code}`);
    chaos.disarm();

    const subjectPassword = op === "create" ? created?.password : op === "verify revoked" ? revoked.password : op === "verify wrong secret" ? wrong : valid.password;
    const beforeFlush = subjectPassword && chaos.pendingWrites() ? await verifyNow(subjectPassword) : null;
    await chaos.flush();
    const after = new Map(map);

    // After healing: the revoked and the wrong password never verify.
    match(await verifyNow(revoked.password), /^refused/, `${fault}/${op}: revoked, healed`);
    match(await verifyNow(wrong), /^refused/, `${fault}/${op}: wrong, healed`);
    const listed = (await ap.list("alice")).map((l) => l.id);
    // No half-created password: listed ⟺ verifies, for every password the test holds.
    for (const held of [valid, created].filter(Boolean)) {
      const verifies = (await verifyNow(held.password)) === "granted";
      if (verifies !== listed.includes(held.id)) {
        ok(fault === "drop", `${fault}/${op}: ${held.id} listed=${listed.includes(held.id)} verifies=${verifies}`);
      }
    }
    if (op === "revoke" && result === "Ok(true)" && fault !== "drop") {
      equal(await verifyNow(valid.password), "refused (unknown_id)", `${fault}: a revoke that said true is final`);
    }
    if (op !== "revoke") equal(await verifyNow(valid.password), "granted", `${fault}/${op}: the valid password still works`);

    let subject = NONE;
    if (subjectPassword) {
      subject = await verifyNow(subjectPassword);
      if (["create", "verify valid", "list", "revoke"].includes(op)) {
        subject += listed.includes(subjectPassword.slice(4, 16)) ? ", listed" : ", not listed";
      }
      if (beforeFlush && !subject.startsWith(beforeFlush)) subject += ` (before flush: ${beforeFlush})`;
    }
    return [result, subject, storeChange(before, after)];
  }

  for (const [fault, expected] of Object.entries(FAULT_MATRIX)) {
    t(`[${runtime}] fault matrix: ${fault} × create, verify (valid, revoked, wrong), list, revoke`, async () => {
      const diffs = [];
      for (const [i, op] of MATRIX_OPS.entries()) {
        const got = await faultCell(fault, op);
        if (JSON.stringify(got) !== JSON.stringify(expected[i])) diffs.push(`${op}: got ${JSON.stringify(got)}, expected ${JSON.stringify(expected[i])}`);
      }
      if (diffs.length) fail(`${fault}:\n    ${diffs.join("\n    ")}`);
    });
  }

  t(`[${runtime}] fault matrix: a create whose index write hangs leaves nothing; a dropped one fails closed`, async () => {
    // Record first, then the index entry. (A rejected index write: "store fault: create fails
    // cleanly" above.) Index write hangs past storeTimeoutMs: store_timeout, record removed.
    const map = new Map();
    const onIndex = (answer) => faultyStore(map, { put: (k, v, base) => (k.includes("/user/") ? answer() : base.put(k, v)) });
    const hung = harness({ map, store: onIndex(() => new Promise(() => {})), config: { storeTimeoutMs: 50 } });
    await rejectsHost(() => hung.ap.create({ user: "alice", label: "x", scopes: ["email"] }), "store_timeout");
    equal(map.size, 0, "cleaned up after the timeout");
    // Index write dropped (the store said Ok): the password works but is not listed until its
    // first verify writes lastUsedAt, which puts the index entry back. Revocable by id.
    const dropped = harness({ map, store: onIndex(() => Promise.resolve()) });
    const c = await dropped.ap.create({ user: "alice", label: "x", scopes: ["email"] });
    const h = harness({ map });
    deepEqual(await h.ap.list("alice"), [], "not listed");
    equal((await h.ap.verify({ username: "alice", password: c.password })).ok, true);
    await h.settle();
    deepEqual((await h.ap.list("alice")).map((l) => l.id), [c.id], "listed after its first verify");
    equal(await h.ap.revoke("alice", c.id), true);
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), invalid("unknown_id"));
    // Record write dropped: a dangling index entry, never listed; fails closed. List leaves it
    // (a missing record may be a stale read); a revoke of the id create returned removes it.
    const map2 = new Map();
    const noRecord = harness({ map: map2, store: faultyStore(map2, { put: (k, v, base) => (k.includes("/record/") ? Promise.resolve() : base.put(k, v)) }) });
    const d = await noRecord.ap.create({ user: "alice", label: "x", scopes: ["email"] });
    sameResult(await noRecord.ap.verify({ username: "alice", password: d.password }), invalid("unknown_id"));
    deepEqual(await noRecord.ap.list("alice"), []);
    ok(map2.has(indexKey("alice", d.id)), "list leaves the entry");
    equal(await harness({ map: map2 }).ap.revoke("alice", d.id), true);
    deepEqual([...map2.keys()], [tombstoneKey(d.id)], "revoked behind a tombstone");
  });

  t(`[${runtime}] fault matrix: a revoke whose record delete is dropped still revokes (the tombstone is read)`, async () => {
    // Tombstone, then record delete, then index delete. If the store answers Ok to the record
    // delete and keeps the record, the password is still refused and not listed: verify and
    // list read the tombstone with the record (tests/FAULTS.md). A revoke on a healthy store
    // then tidies the record away.
    const map = new Map();
    const h = harness({ map });
    const c = await h.ap.create({ user: "alice", label: "x", scopes: ["email"] });
    const liar = harness({ map, store: faultyStore(map, { delete: (k, base) => (k.includes("/record/") ? Promise.resolve() : base.delete(k)) }) });
    equal(await liar.ap.revoke("alice", c.id), true);
    ok(map.has(tombstoneKey(c.id)) && map.has(recordKey(c.id)), "tombstone written, record kept");
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), invalid("unknown_id"), "refused through the tombstone");
    deepEqual(await h.ap.list("alice"), [], "not listed");
    equal(await h.ap.revoke("alice", c.id), true);
    ok(!map.has(recordKey(c.id)), "a second revoke removes the record");
    sameResult(await h.ap.verify({ username: "alice", password: c.password }), invalid("unknown_id"));
  });
}
