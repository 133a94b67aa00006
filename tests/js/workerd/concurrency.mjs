// Concurrency inside workerd: a storm of mixed creates, verifies, revokes and lists sent to the
// test Worker (routes.mjs) as concurrent mf.dispatchFetch requests, up to INFLIGHT at a time,
// then checked for what must hold on a strongly consistent store:
//   - no record lost: a password whose create answered, and whose revoke was not yet sent,
//     verifies (every time) and is in every list of its user sent after its create answered;
//   - a revoke is final: a verify or a list sent after the revoke's response arrived never
//     shows the password again (causality is tracked with a logical clock: send and receive
//     events of the test, so only verifies *sent after* the revoke answered are judged);
//   - a wrong secret never passes; no request fails (no 5xx, no store error);
//   - ids are unique; at rest every list equals the live passwords of its user, every live
//     password verifies, every revoked one is refused, and its record is gone, its tombstone
//     there.
//
// Two stores, one run each:
//   - "kv": the KV namespace binding through workersKvStore. Miniflare's local KV is a SQLite
//     database in this one process, with no edge cache: a write is visible to every later
//     read (observed here, over every run). Production Workers KV is eventually consistent
//     (~60 s across locations), and the causality check would not hold there.
//   - "memory": memoryStore over a Map that lives as long as the isolate (x-store: memory):
//     one thread, every write visible at once: strongly consistent by construction.
// Id collisions cannot be forced here (ids are random): tests/fault_matrix.rs and the shared
// suite ("id collisions: ...") force them with a repeating random source / a store that says
// ids are taken.

import assert from "node:assert/strict";

const USERS = 20;
const INFLIGHT = 50;

/** mulberry32: a tiny seeded PRNG, so a failing storm can be replayed (STORM_SEED). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `fn` over `items`, at most `limit` at a time; results in order. */
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Registers the storm tests. `call(method, path, {json, headers})` is run.mjs's dispatchFetch
 * helper; `basic(user, password)` an Authorization header; `wrongSecret(id)` a well-formed
 * password with that id and another secret.
 */
export function defineConcurrencyTests({ test, call, basic, wrongSecret, ops = 1200 }) {
  for (const store of ["kv", "memory"]) {
    test(`concurrency (${store}): ${ops} mixed creates, verifies, revokes and lists, ${INFLIGHT} in flight`, () =>
      storm({ store, call, basic, wrongSecret, ops }));
  }
}

async function storm({ store, call, basic, wrongSecret, ops: target }) {
  const seed = Number(process.env.STORM_SEED || 20260427) + (store === "kv" ? 0 : 1);
  const random = prng(seed);
  const pick = (items) => items[Math.floor(random() * items.length)];
  // The light Argon2 profile: this is about the store and the isolate, not about hash cost
  // (STORM_HASHING=default keeps the package's default profile).
  const headers = {
    ...(process.env.STORM_HASHING === "default" ? {} : { "x-hashing": "light" }),
    ...(store === "memory" ? { "x-store": "memory" } : {}),
  };
  const users = Array.from({ length: USERS }, (_, i) => `storm-${store}-${String(i).padStart(2, "0")}`);

  let clock = 0;
  const tick = () => ++clock;
  const passwords = []; // { user, id, password, created, revokeSent, revokeDone }
  const listedIds = new Map(users.map((u) => [u, new Set()]));
  const failures = [];
  const count = {};
  const judged = { afterRevoke: 0, live: 0, lists: 0, raced: 0 };
  const failed = (what) => failures.push(what);

  const verify = (p, password = p.password) =>
    call("GET", "/api", { headers: { ...headers, ...basic(p.user, password) } });

  const kinds = {
    async create() {
      const user = pick(users);
      const res = await call("POST", "/create", { json: { user, label: `tool-${passwords.length}`, scopes: ["repository"] }, headers });
      if (res.status !== 201) return failed(`create ${user}: ${res.status} ${JSON.stringify(res.body)}`);
      passwords.push({ user, id: res.body.id, password: res.body.password, created: tick() });
    },
    async verifyLive() {
      const p = pick(passwords.filter((q) => q.revokeSent === undefined));
      const res = await verify(p);
      tick();
      if (p.revokeSent === undefined) {
        judged.live++;
        if (res.status !== 200) failed(`lost: ${p.id} answered ${res.status} (${res.headers.get("x-reason")}) with no revoke sent`);
      } else if (res.status !== 200 && res.status !== 401) {
        failed(`verify racing a revoke: ${res.status}`);
      } else {
        judged.raced++;
      }
    },
    async verifyWrong() {
      const p = pick(passwords);
      const res = await verify(p, wrongSecret(p.id));
      tick();
      if (res.status !== 401) failed(`wrong secret of ${p.id}: ${res.status}`);
    },
    async revoke() {
      const p = pick(passwords.filter((q) => q.revokeSent === undefined));
      p.revokeSent = tick();
      // Sometimes the same revoke twice at once (a double click): both answer, one says true.
      const twice = random() < 0.1;
      const send = () => call("DELETE", `/revoke?user=${encodeURIComponent(p.user)}&id=${p.id}`, { headers });
      const answers = await Promise.all(twice ? [send(), send()] : [send()]);
      p.revokeDone = tick();
      if (answers.some((r) => r.status !== 200)) return failed(`revoke ${p.id}: ${answers.map((r) => r.status)}`);
      if (!answers.some((r) => r.body.revoked === true)) failed(`revoke ${p.id}: no answer said true`);
      if (twice) count.revokeTwice = (count.revokeTwice ?? 0) + 1;
    },
    async verifyRevoked() {
      const p = pick(passwords.filter((q) => q.revokeDone !== undefined));
      const sent = tick();
      assert.ok(sent > p.revokeDone);
      const res = await verify(p);
      tick();
      judged.afterRevoke++;
      if (res.status !== 401 || res.body.error?.code !== "invalid_credentials") {
        failed(`revoked ${p.id} (revoke answered at ${p.revokeDone}, verify sent at ${sent}): ${res.status}`);
      }
    },
    async verifyRacing() {
      const p = pick(passwords.filter((q) => q.revokeSent !== undefined && q.revokeDone === undefined));
      const res = await verify(p);
      tick();
      judged.raced++;
      if (res.status !== 200 && res.status !== 401) failed(`verify racing a revoke: ${res.status}`);
    },
    async list() {
      const user = pick(users);
      const sent = tick();
      const res = await call("GET", `/list?user=${encodeURIComponent(user)}`, { headers });
      const received = tick();
      if (res.status !== 200) return failed(`list ${user}: ${res.status}`);
      const ids = res.body.map((l) => l.id);
      if (new Set(ids).size !== ids.length) failed(`list ${user}: an id twice`);
      for (const id of ids) listedIds.get(user).add(id);
      judged.lists++;
      for (const p of passwords) {
        if (p.user !== user) continue;
        const present = ids.includes(p.id);
        if (p.created < sent && (p.revokeSent === undefined || p.revokeSent > received) && !present) {
          failed(`list ${user} (sent ${sent}) lost ${p.id} (created ${p.created})`);
        }
        if (p.revokeDone !== undefined && p.revokeDone < sent && present) {
          failed(`list ${user} (sent ${sent}) shows ${p.id}, revoked at ${p.revokeDone}`);
        }
      }
    },
  };

  function choose() {
    const live = passwords.filter((p) => p.revokeSent === undefined).length;
    const revoked = passwords.filter((p) => p.revokeDone !== undefined).length;
    const racing = passwords.filter((p) => p.revokeSent !== undefined && p.revokeDone === undefined).length;
    const weights = {
      create: passwords.length < 20 ? 100 : 3,
      verifyLive: live ? 5 : 0,
      verifyWrong: passwords.length ? 1 : 0,
      revoke: live > 10 ? 1.3 : 0,
      verifyRevoked: revoked ? 1.5 : 0,
      verifyRacing: racing ? 0.5 : 0,
      list: 0.8,
    };
    const total = Object.values(weights).reduce((a, b) => a + b, 0);
    let r = random() * total;
    for (const [kind, w] of Object.entries(weights)) {
      if ((r -= w) < 0) return kind;
    }
    return "list";
  }

  const started = performance.now();
  const inflight = new Set();
  let maxInflight = 0;
  for (let issued = 0; issued < target; issued++) {
    while (inflight.size >= INFLIGHT) await Promise.race(inflight);
    const kind = choose();
    count[kind] = (count[kind] ?? 0) + 1;
    const job = kinds[kind]().catch((err) => failed(`${kind} threw: ${(err && err.stack) || err}`));
    const tracked = job.finally(() => inflight.delete(tracked));
    inflight.add(tracked);
    maxInflight = Math.max(maxInflight, inflight.size);
    // Let responses land between sends, so later choices see them (creates, revokes done).
    if (issued % 10 === 9) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(inflight);
  const stormMs = performance.now() - started;

  // At rest.
  const ids = passwords.map((p) => p.id);
  if (new Set(ids).size !== ids.length) failed(`ids are not unique: ${ids.length - new Set(ids).size} repeats`);
  const raw = async (key) => (await call("GET", `/raw?key=${encodeURIComponent(key)}`, { headers })).body.value;
  const finals = await pool(passwords, INFLIGHT, async (p) => {
    const res = await verify(p);
    const revoked = p.revokeDone !== undefined;
    if (res.status !== (revoked ? 401 : 200)) failed(`at rest ${p.id} (revoked ${revoked}): ${res.status}`);
    const record = await raw(`app-passwords/v1/record/${p.id}`);
    const tombstone = await raw(`app-passwords/v1/revoked/${p.id}`);
    if (revoked ? record !== null || tombstone === null : record === null || tombstone !== null) {
      failed(`at rest ${p.id} (revoked ${revoked}): record ${record !== null}, tombstone ${tombstone !== null}`);
    }
    return res.status;
  });
  for (const user of users) {
    const res = await call("GET", `/list?user=${encodeURIComponent(user)}`, { headers });
    const got = res.body.map((l) => l.id).sort();
    const want = passwords.filter((p) => p.user === user && p.revokeDone === undefined).map((p) => p.id).sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) failed(`at rest, list ${user}: ${got.length} listed, ${want.length} live`);
    const mine = new Set(passwords.filter((p) => p.user === user).map((p) => p.id));
    for (const id of listedIds.get(user)) if (!mine.has(id)) failed(`list ${user} showed ${id}, not one of its passwords`);
  }
  const totalMs = performance.now() - started;

  const live = finals.filter((s) => s === 200).length;
  const kinds_ = Object.entries(count).map(([k, n]) => `${k} ${n}`).join(", ");
  console.log(
    `      ${store}: ${target} operations (${kinds_}), up to ${maxInflight} in flight, ` +
      `${(stormMs / 1000).toFixed(1)} s (${Math.round(target / (stormMs / 1000))} ops/s); ` +
      `${passwords.length} passwords, ${live} live, ${passwords.length - live} revoked; ` +
      `judged: ${judged.live} verifies with no revoke sent, ${judged.afterRevoke} verifies sent after the revoke answered, ` +
      `${judged.lists} lists, ${judged.raced} verifies racing a revoke (not judged); ` +
      `at rest ${passwords.length + USERS} more requests, total ${(totalMs / 1000).toFixed(1)} s; ` +
      `failures ${failures.length}; seed ${seed}`,
  );
  assert.ok(maxInflight >= Math.min(INFLIGHT, target), `concurrency reached ${maxInflight}`);
  assert.ok(judged.afterRevoke >= 50 && judged.live >= 200 && judged.lists >= 20, JSON.stringify(judged));
  if (failures.length) assert.fail(`${failures.length} failures:\n${failures.slice(0, 25).join("\n")}`);
}
