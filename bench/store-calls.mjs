// Store calls per operation at 10, 100 and 1,000 passwords of one user, through the package's
// public API over a memoryStore that counts the calls the core makes (a getMany of up to 100
// keys counts as one, as Workers KV counts a bulk read against its 1,000 operations per
// request). Writes bench/.results/storecalls.json. Run alone: node bench/run.mjs storecalls

import { pkgUrl, writeResult } from "./lib.mjs";

const api = await import(pkgUrl("node.js"));
const FAST = { memoryKiB: 8, iterations: 1, parallelism: 1 };

function counting() {
  const base = api.memoryStore();
  const c = { calls: 0, writes: 0, biggestBulk: 0 };
  const wrap = (name) => (...args) => {
    c.calls += 1;
    if (name === "put" || name === "delete") c.writes += 1;
    if (name === "getMany") c.biggestBulk = Math.max(c.biggestBulk, args[0].length);
    return base[name](...args);
  };
  const store = { consistency: "strong" };
  for (const name of ["get", "getMany", "put", "delete", "list", "increment"]) store[name] = wrap(name);
  return { c, store };
}

const rows = [];
for (const n of [10, 100, 1000]) {
  const { c, store } = counting();
  const pending = [];
  const ap = new api.AppPasswords({ store, hashing: FAST, maxPerUser: 1000, waitUntil: (p) => pending.push(p) });
  const made = [];
  for (let i = 0; i < n - 1; i++) made.push(await ap.create({ user: "alice", label: `p${i}`, scopes: ["repository"] }));
  const measure = async (fn) => {
    c.calls = 0;
    c.writes = 0;
    const out = await fn();
    await Promise.all(pending.splice(0));
    return { calls: c.calls, writes: c.writes, out };
  };
  const create = await measure(() => ap.create({ user: "alice", label: "last", scopes: ["repository"] }));
  made.push(create.out);
  const list = await measure(() => ap.list("alice"));
  if (list.out.length !== n) throw new Error(`listed ${list.out.length} of ${n}`);
  const verify = await measure(() => ap.verify({ username: "alice", password: made[0].password }));
  const verifyAgain = await measure(() => ap.verify({ username: "alice", password: made[0].password }));
  const revoke = await measure(() => ap.revoke("alice", made[1].id));
  const revokeAll = await measure(() => ap.revokeAll("alice"));
  const row = {
    passwords: n,
    create: create.calls,
    list: list.calls,
    verifyFirst: verify.calls,
    verifyThrottled: verifyAgain.calls,
    revoke: revoke.calls,
    revokeAll: revokeAll.calls,
    revokedByRevokeAll: revokeAll.out,
    biggestBulk: c.biggestBulk,
  };
  rows.push(row);
  console.log(
    `${String(n).padStart(5)} passwords: create ${row.create}, list ${row.list}, verify ${row.verifyFirst} (then ${row.verifyThrottled} while lastUsedAt is not due), revoke ${row.revoke}, revokeAll ${row.revokeAll} store calls`,
  );
}
writeResult("storecalls", { node: process.version, rows, budget: { list: 40, verify: 2, create: 6, revoke: 6 } });
