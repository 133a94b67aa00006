// redisStore against a real redis-server (scripts/test-redis.sh starts it on a free loopback
// port and passes REDIS_PORT), with both clients the adapter supports: node-redis 5 and
// ioredis 5 (this directory's package.json). The package comes from pkg/ (its Node entry).
//
// Per client: 1,500 passwords of one user listed through SCAN in a database of 20,000 other
// keys (SCAN's empty pages, its last page, its repeats), the cap refusing creates past
// maxPerUser, the store-call budget, MGET / INCRBY, and the server stopped mid-way: every call
// then fails closed with a coded error, nothing is granted.
//
// Prints one line per test and ends with "N passed, M failed"; exits non-zero on a failure or
// when no test ran.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createClient } from "redis";
import IORedis from "ioredis";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const api = await import(pathToFileURL(join(process.env.PKG_DIR ? resolve(process.env.PKG_DIR) : join(root, "pkg"), "node.js")).href);
const { AppPasswords, AppPasswordError, redisStore } = api;

const PORT = Number(process.env.REDIS_PORT);
if (!PORT) {
  console.error("REDIS_PORT is not set: run scripts/test-redis.sh");
  process.exit(2);
}
const FAST = { memoryKiB: 8, iterations: 1, parallelism: 1 };
const STORE_ERRORS = ["store_unavailable", "store_timeout"];

// ------------------------------------------------------------------------- the server

const serverArgs = ["--port", String(PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes"];

function stopServer() {
  try {
    execFileSync("redis-cli", ["-p", String(PORT), "shutdown", "nosave"], { stdio: "ignore" });
  } catch {
    // already stopped
  }
}

async function startServer() {
  execFileSync("redis-server", serverArgs, { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    try {
      if (execFileSync("redis-cli", ["-p", String(PORT), "ping"], { encoding: "utf8" }).trim() === "PONG") return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not come up on port ${PORT}`);
}

// ------------------------------------------------------------------------- the clients

const FLAVOURS = {
  "node-redis 5": {
    async connect() {
      // disableOfflineQueue: while the server is down, commands fail at once instead of
      // waiting for a reconnect (what the adapter's docs recommend).
      const client = createClient({ socket: { host: "127.0.0.1", port: PORT, reconnectStrategy: 100 }, disableOfflineQueue: true });
      client.on("error", () => {}); // connection errors are reported through the commands
      await client.connect();
      return client;
    },
    mset: (client, pairs) => client.mSet(pairs),
    flush: (client) => client.flushAll(),
    close: (client) => client.destroy(),
  },
  "ioredis 5": {
    async connect() {
      const client = new IORedis({ host: "127.0.0.1", port: PORT, enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
      client.on("error", () => {});
      await client.connect();
      return client;
    },
    mset: (client, pairs) => client.mset(Object.fromEntries(pairs)),
    flush: (client) => client.flushall(),
    close: (client) => client.disconnect(),
  },
};

/** `store` with its calls counted (MGET of up to 100 keys is one, as the budget counts it). */
function counting(store) {
  const c = { calls: 0 };
  const out = { consistency: store.consistency };
  for (const name of ["get", "getMany", "put", "delete", "list", "increment"]) {
    out[name] = (...args) => ((c.calls += 1), store[name](...args));
  }
  return { c, store: out };
}

// ------------------------------------------------------------------------- tests

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

for (const [flavour, f] of Object.entries(FLAVOURS)) {
  test(`${flavour}: 1,500 passwords of one user in 20,000 other keys: the cap refuses 500 creates, all 1,500 stored are listed through SCAN; budget`, async () => {
    const client = await f.connect();
    try {
      await f.flush(client);
      // 20,000 unrelated keys: SCAN walks them too and answers pages with no match.
      for (let i = 0; i < 20_000; i += 1000) {
        await f.mset(client, Array.from({ length: 1000 }, (_, j) => [`other:${i + j}`, "x"]));
      }
      const { c, store } = counting(redisStore(client));
      const pending = [];
      const ap = new AppPasswords({ store, hashing: FAST, maxPerUser: 1000, waitUntil: (p) => pending.push(p) });
      const made = [];
      let refused = 0;
      let createMost = 0;
      for (let i = 0; i < 1500; i++) {
        c.calls = 0;
        try {
          made.push(await ap.create({ user: "alice", label: `r${i}`, scopes: ["repository"] }));
        } catch (err) {
          assert.equal(err.code, "too_many_passwords");
          refused++;
        }
        createMost = Math.max(createMost, c.calls);
      }
      assert.deepEqual([made.length, refused], [1000, 500]);
      c.calls = 0;
      const listed = await ap.list("alice");
      const listCalls = c.calls;
      assert.equal(listed.length, 1000);
      // 500 more written straight into Redis (a cap raised later, or creates racing past it):
      // 1,500 index entries, every one listed.
      const seed = JSON.parse(await client.get(`app-passwords/v1/record/${made[0].id}`));
      const extra = [];
      for (let i = 0; i < 500; i++) {
        const id = `X${String(i).padStart(11, "0")}`;
        extra.push([`app-passwords/v1/record/${id}`, JSON.stringify({ ...seed, id, createdAt: seed.createdAt + i + 1 })]);
        extra.push([`app-passwords/v1/user/alice/${id}`, '{"v":1,"lastUsedAt":null}']);
      }
      await f.mset(client, extra);
      c.calls = 0;
      const all = await ap.list("alice");
      const list1500 = c.calls;
      assert.equal(all.length, 1500, "every password listed");
      assert.equal(new Set(all.map((l) => l.id)).size, 1500, "each once");
      c.calls = 0;
      assert.equal((await ap.verify({ username: "alice", password: made[0].password })).ok, true);
      await Promise.all(pending.splice(0));
      const verifyCalls = c.calls;
      c.calls = 0;
      assert.equal(await ap.revoke("alice", made[0].id), true);
      const revokeCalls = c.calls;
      console.log(`      budget [${flavour}]: 1,500 creates: ${made.length} made, ${refused} too_many_passwords; create ${createMost}, list of 1,000 ${listCalls}, list of 1,500 ${list1500}, verify ${verifyCalls}, revoke ${revokeCalls} store calls`);
      assert.ok(createMost <= 6 && listCalls <= 40 && verifyCalls <= 2 && revokeCalls <= 6);
      assert.equal((await ap.verify({ username: "alice", password: made[0].password })).ok, false);
    } finally {
      await f.close(client);
    }
  });

  test(`${flavour}: MGET for getMany (missing keys null), INCRBY for increment, SCAN pages without repeats`, async () => {
    const client = await f.connect();
    try {
      await f.flush(client);
      const store = redisStore(client);
      await store.put("a", "1");
      await store.put("b", "2");
      const values = await store.getMany(["a", "nope", "b"]);
      assert.deepEqual([...values.entries()], [["a", "1"], ["nope", null], ["b", "2"]]);
      assert.equal(await store.increment("n", 5), 5);
      const all = await Promise.all(Array.from({ length: 100 }, () => store.increment("n", 1)));
      assert.equal(Math.max(...all), 105);
      assert.equal(await store.get("n"), "105");
      await store.put("x", "not a number");
      await assert.rejects(() => store.increment("x", 1));
      // A prefix with glob characters matches literally.
      await store.put("p*[x]/1", "v");
      await store.put("p-other/1", "v");
      assert.deepEqual((await store.list("p*[x]/")).keys, ["p*[x]/1"]);
    } finally {
      await f.close(client);
    }
  });

  test(`${flavour}: maxUses 1 with 100 parallel verifies: exactly 1 granted (INCRBY), the rest request_not_allowed`, async () => {
    const client = await f.connect();
    try {
      await f.flush(client);
      const ap = new AppPasswords({ store: redisStore(client), hashing: FAST });
      const c = await ap.create({ user: "alice", label: "once", scopes: ["repository"], maxUses: 1 });
      assert.equal(await client.get(`app-passwords/v1/uses/${c.id}`), "0", "create checked the counter (an add of 0)");
      const results = await Promise.all(Array.from({ length: 100 }, () => ap.verify({ username: "alice", password: c.password })));
      assert.equal(results.filter((r) => r.ok).length, 1, "exactly one granted");
      for (const r of results.filter((x) => !x.ok)) assert.deepEqual(r, { ok: false, status: 403, code: "request_not_allowed", reason: "max_uses_reached" });
      assert.equal(await client.get(`app-passwords/v1/uses/${c.id}`), "100");
      // Another instance (another process) shares the count.
      const other = new AppPasswords({ store: redisStore(client), hashing: FAST });
      assert.equal((await other.verify({ username: "alice", password: c.password })).reason, "max_uses_reached");
    } finally {
      await f.close(client);
    }
  });

  test(`${flavour}: the server stopped mid-way: every call fails closed with a coded error, nothing granted`, async () => {
    const client = await f.connect();
    try {
      await f.flush(client);
      const ap = new AppPasswords({ store: redisStore(client), hashing: FAST, storeTimeoutMs: 2000 });
      const c = await ap.create({ user: "alice", label: "before", scopes: ["repository"] });
      assert.equal((await ap.verify({ username: "alice", password: c.password })).ok, true);
      stopServer();
      const header = `Basic ${Buffer.from(`alice:${c.password}`).toString("base64")}`;
      const calls = {
        verify: () => ap.verify({ username: "alice", password: c.password }),
        verifyRequest: () => ap.verifyRequest(new Request("https://api.test/", { headers: { authorization: header } })),
        list: () => ap.list("alice"),
        create: () => ap.create({ user: "alice", label: "during", scopes: ["repository"] }),
        revoke: () => ap.revoke("alice", c.id),
        revokeAll: () => ap.revokeAll("alice"),
      };
      const seen = [];
      for (const [name, call] of Object.entries(calls)) {
        let outcome;
        try {
          outcome = await call();
        } catch (err) {
          assert.ok(err instanceof AppPasswordError && err instanceof Error, `${name}: an AppPasswordError, got ${err}`);
          assert.ok(STORE_ERRORS.includes(err.code), `${name}: code ${err.code}`);
          assert.ok(!err.message.includes(c.password), `${name}: no password in the message`);
          seen.push(`${name}: ${err.code}`);
          continue;
        }
        assert.fail(`${name} answered ${JSON.stringify(outcome)} with the server down`);
      }
      console.log(`      server down [${flavour}]: ${seen.join(", ")}`);
    } finally {
      await f.close(client);
      await startServer();
    }
  });
}

// ------------------------------------------------------------------------- run

let passed = 0;
let failed = 0;
for (const t of tests) {
  try {
    await t.fn();
    passed++;
    console.log(`ok    ${t.name}`);
  } catch (err) {
    failed++;
    console.log(`FAIL  ${t.name}\n      ${String((err && err.stack) || err).split("\n").join("\n      ")}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
