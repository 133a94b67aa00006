// Browser-side minting (issue 13): mintAppPassword makes { id, password, phc } where it
// runs; createFromHash stores { id, phc } after checking the hash is exactly what create would
// have written. Every refusal is invalid_hash (or create's own code) and writes nothing.

import { deepEqual, equal, match, notEqual, ok } from "../assert.mjs";
import { T0, base64, otherSecret, recordKey } from "./support.mjs";

/** The service's profile here: cheap, with t and p above 1 so that "below" exists for each. */
const PROFILE = Object.freeze({ memoryKiB: 64, iterations: 2, parallelism: 2 });

const b64 = (bytes) => base64(bytes).replace(/=+$/, "");

/** An Argon2id v=19 PHC string with these parts (a made-up output: the server cannot tell). */
function phcWith({ memoryKiB, iterations, parallelism }, saltLen = 16, outLen = 32) {
  const salt = b64(new Uint8Array(saltLen).fill(7));
  const out = b64(new Uint8Array(outLen).fill(9));
  return `$argon2id$v=19$m=${memoryKiB},t=${iterations},p=${parallelism}$${salt}$${out}`;
}

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, rejectsHost, harness, countingStore } = ctx;

  const minting = (config = {}) => {
    const counting = countingStore();
    const h = harness({ store: counting.store, config: { hashing: PROFILE, ...config } });
    return { ...h, counting };
  };
  const args = (minted, extra = {}) => ({
    user: "alice",
    label: "minted",
    scopes: ["repository:write"],
    id: minted.id,
    phc: minted.phc,
    ...extra,
  });

  t(`[${runtime}] minting: mintAppPassword → createFromHash → verify granted, within create's store budget`, async () => {
    const { ap, counting, settle } = minting();
    deepEqual(ap.hashing, PROFILE, "the service tells its profile");
    const pending = api.mintAppPassword({ hashing: ap.hashing, prefix: ap.prefix });
    ok(pending instanceof Promise, "mintAppPassword returns a Promise");
    const minted = await pending;
    deepEqual(Object.keys(minted).sort(), ["id", "password", "phc"]);
    match(minted.password, /^apw_[0-9A-Za-z]{50}$/);
    equal(minted.password.slice(4, 16), minted.id);
    ok(api.looksLikeAppPassword(minted.password));
    match(minted.phc, /^\$argon2id\$v=19\$m=64,t=2,p=2\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    equal(api.verifyPasswordHash(minted.password, minted.phc), true);
    ok(!minted.phc.includes(minted.password.slice(16, 28)), "the hash does not carry the secret");

    counting.reset();
    const listed = await ap.createFromHash(args(minted));
    ok(counting.c.calls <= 6, `createFromHash: ${counting.c.calls} store calls (create's budget is 6)`);
    equal(counting.c.puts.length, 2, "the record and the index entry");
    deepEqual(listed, {
      id: minted.id,
      label: "minted",
      scopes: ["repository", "repository:write"],
      createdAt: T0,
      expiresAt: null,
      lastUsedAt: null,
      enabled: true,
      replaces: null,
      replacedBy: null,
    });
    deepEqual(await ap.list("alice"), [listed]);
    ok(!JSON.stringify([...counting.map.values()]).includes(minted.password.slice(16, 48)), "no secret in the store");

    const granted = await ap.verify({ username: "alice", password: minted.password, require: ["repository"] });
    equal(granted.ok, true);
    equal(granted.id, minted.id);
    deepEqual(granted.scopes, ["repository", "repository:write"]);
    await settle();
    equal((await ap.verify({ username: "alice", password: otherSecret(minted.password) })).ok, false);
    equal((await ap.verify({ username: "bob", password: minted.password })).ok, false);
  });

  t(`[${runtime}] minting: a stronger hash (up to OWASP's ceiling) is accepted; defaults are "apw" and the light profile`, async () => {
    const { ap } = minting();
    const minted = await api.mintAppPassword({ hashing: { memoryKiB: 128, iterations: 2, parallelism: 2 } });
    await ap.createFromHash(args(minted));
    equal((await ap.verify({ username: "alice", password: minted.password })).ok, true);
    const byDefault = await api.mintAppPassword();
    match(byDefault.password, /^apw_/);
    match(byDefault.phc, /^\$argon2id\$v=19\$m=256,t=1,p=1\$/);
    const acme = await api.mintAppPassword({ prefix: "acme" });
    match(acme.password, /^acme_/);
    notEqual(acme.id, byDefault.id);
    await rejectsHost(() => api.mintAppPassword({ prefix: "A" }), "invalid_prefix");
    await rejectsHost(() => api.mintAppPassword({ hashing: { memoryKiB: 4, iterations: 1, parallelism: 1 } }), "invalid_hash_params");
    await rejectsHost(() => api.mintAppPassword({ hashing: "weak" }), "invalid_argument");
  });

  t(`[${runtime}] minting: createFromHash refuses with invalid_hash and writes nothing: weak m/t/p, argon2i, argon2d, v=16, 15-byte salt, 31-byte output, above the ceiling, malformed`, async () => {
    const { ap, counting } = minting();
    const good = await api.mintAppPassword({ hashing: PROFILE });
    const weak = async (hashing) => (await api.mintAppPassword({ hashing })).phc;
    const cases = [
      ["m below", await weak({ ...PROFILE, memoryKiB: 63 })],
      ["t below", await weak({ ...PROFILE, iterations: 1 })],
      ["p below", await weak({ ...PROFILE, parallelism: 1 })],
      ["argon2i", good.phc.replace("$argon2id$", "$argon2i$")],
      ["argon2d", good.phc.replace("$argon2id$", "$argon2d$")],
      ["v=16", good.phc.replace("$v=19$", "$v=16$")],
      ["no version", good.phc.replace("$v=19$", "$")],
      ["keyid", good.phc.replace(",p=2$", ",p=2,keyid=AAAA$")],
      ["salt of 15 bytes", phcWith(PROFILE, 15, 32)],
      ["output of 31 bytes", phcWith(PROFILE, 16, 31)],
      ["m above the ceiling", phcWith({ ...PROFILE, memoryKiB: 19457 })],
      ["t above the ceiling", phcWith({ ...PROFILE, iterations: 3 })],
      ["empty", ""],
      ["not PHC", "hello"],
      ["no output", good.phc.split("$").slice(0, 5).join("$")],
      ["absurd m", good.phc.replace("m=64", "m=4294967295")],
      ["too long", good.phc + "A".repeat(600)],
    ];
    for (const [why, phc] of cases) {
      counting.reset();
      await rejectsHost(ap.createFromHash(args(good, { phc })), "invalid_hash", why);
      equal(counting.c.calls, 0, `${why}: refused before any store call`);
    }
    // The positive controls: the exact profile, a 16-byte salt and 32-byte output.
    await ap.createFromHash(args({ id: good.id, phc: phcWith(PROFILE, 16, 32) }));
    equal(counting.map.size, 2);
  });

  t(`[${runtime}] minting: createFromHash refuses ids of the wrong format and ids in use or revoked`, async () => {
    const { ap, counting } = minting();
    const minted = await api.mintAppPassword({ hashing: PROFILE });
    for (const id of ["", "short", "0123456789abc", "0123456789a-", "000000000000"]) {
      counting.reset();
      await rejectsHost(ap.createFromHash(args(minted, { id })), "invalid_hash", `id ${JSON.stringify(id)}`);
      equal(counting.c.calls, 0);
    }
    await ap.createFromHash(args(minted));
    const before = counting.map.get(recordKey(minted.id));
    const other = await api.mintAppPassword({ hashing: PROFILE });
    counting.reset();
    await rejectsHost(ap.createFromHash(args(other, { id: minted.id })), "invalid_hash", "duplicate id");
    deepEqual(counting.c.puts, [], "nothing written");
    equal(counting.map.get(recordKey(minted.id)), before, "the first record is untouched");
    equal((await ap.verify({ username: "alice", password: minted.password })).ok, true);

    const created = await ap.create({ user: "alice", label: "by create", scopes: ["issue"] });
    await rejectsHost(ap.createFromHash(args(other, { id: created.id })), "invalid_hash", "id of a created password");

    equal(await ap.revoke("alice", minted.id), true);
    counting.reset();
    await rejectsHost(ap.createFromHash(args(other, { id: minted.id })), "invalid_hash", "a revoked id");
    deepEqual(counting.c.puts, []);
    equal((await ap.verify({ username: "alice", password: minted.password })).ok, false);
  });

  t(`[${runtime}] minting: createFromHash checks user, label, scopes, expiry and the cap as create does`, async () => {
    const { ap, counting } = minting({ maxPerUser: 1 });
    const minted = await api.mintAppPassword({ hashing: PROFILE });
    const cases = [
      [{ user: "" }, "invalid_user"],
      [{ label: "" }, "invalid_label"],
      [{ scopes: [] }, "no_scopes"],
      [{ scopes: ["nope"] }, "unknown_scope"],
      [{ scopes: ["account:login"] }, "scope_not_grantable"],
      [{ expiresAt: T0 }, "invalid_expiry"],
      [{ user: 42 }, "invalid_argument"],
      [{ id: 42 }, "invalid_argument"],
      [{ phc: undefined }, "invalid_argument"],
    ];
    for (const [extra, code] of cases) {
      counting.reset();
      await rejectsHost(ap.createFromHash(args(minted, extra)), code, JSON.stringify(extra));
      deepEqual(counting.c.puts, [], `${code}: nothing written`);
    }
    const listed = await ap.createFromHash(args(minted, { expiresAt: new Date(T0 + 60_000) }));
    equal(listed.expiresAt, T0 + 60_000);
    const second = await api.mintAppPassword({ hashing: PROFILE });
    counting.reset();
    await rejectsHost(ap.createFromHash(args(second)), "too_many_passwords");
    deepEqual(counting.c.puts, []);
  });

  t(`[${runtime}] minting: createFromHash takes create's caveats: checked, stored, listed and enforced`, async () => {
    const { ap, counting } = minting();
    const minted = await api.mintAppPassword({ hashing: PROFILE });
    counting.reset();
    await rejectsHost(ap.createFromHash(args(minted, { methods: [] })), "invalid_caveat");
    deepEqual(counting.c.puts, []);
    const listed = await ap.createFromHash(args(minted, { methods: ["get"] }));
    deepEqual(listed.methods, ["GET"]);
    deepEqual((await ap.list("alice"))[0].methods, ["GET"]);
    equal((await ap.verify({ username: "alice", password: minted.password, method: "GET" })).ok, true);
    const post = await ap.verify({ username: "alice", password: minted.password, method: "POST" });
    equal(post.ok, false);
    equal(post.code, "request_not_allowed");
  });

  t(`[${runtime}] minting: a service with a pepper refuses createFromHash (invalid_argument, no store call)`, async () => {
    const { ap, counting } = minting({ pepper: "server secret" });
    const minted = await api.mintAppPassword({ hashing: PROFILE });
    counting.reset();
    await rejectsHost(ap.createFromHash(args(minted)), "invalid_argument");
    equal(counting.c.calls, 0);
  });
}
