// fileStore from the packed tarball (the `node` entry of a fresh project): the store interface,
// strong consistency across processes, a writer killed with SIGKILL in a loop (the file always
// parses, nothing acknowledged is lost), two processes writing at once (the lock: no lost
// update), a live lock (store_locked), foreign content (store_corrupt), and the time of a create
// at 10,000 keys.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { lockContent } from "./cli.mjs";
import { check, cli, expectExit, freshProject, must, run, TOOLS } from "./lib.mjs";

const BUN = join(TOOLS, "@oven/bun-linux-x64/bin/bun");

/** The store file as fileStore writes it, from entries (for a large file made quickly). */
function storeText(entries) {
  const lines = [...entries].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
  return `{"format":"app-passwords-file-store","version":1,"entries":{\n${lines.join(",\n")}\n}}\n`;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function fileStoreSection() {
  const dir = await freshProject("file-store", { files: { "file-store/writer.mjs": "writer.mjs" } });
  // The package as this project's Node code imports it.
  const api = await import(pathToFileURL(createRequire(join(dir, "package.json")).resolve("app-passwords")).href);
  const { AppPasswords, fileStore, memoryStore } = api;
  const at = (name) => join(dir, name);

  await must("file-store: exported by the node entry; the store interface (get, put, delete, getMany, increment, list)", async () => {
    assert.equal(typeof fileStore, "function");
    const store = fileStore(at("basic.json"));
    assert.equal(store.consistency, "strong");
    assert.equal(store.path, at("basic.json"));
    assert.equal(await store.get("a"), null, "no file yet: empty");
    assert.deepEqual(await store.list("a"), { keys: [] });
    assert.ok(!existsSync(at("basic.json")), "reads create nothing");
    await store.put("a/1", "one");
    await store.put("a/2", "two");
    await store.put("b/1", "three");
    assert.equal(await store.get("a/1"), "one");
    assert.deepEqual(await store.getMany(["a/2", "nope"]), new Map([["a/2", "two"], ["nope", null]]));
    assert.equal(await store.increment("n", 5), 5);
    assert.equal(await store.increment("n", -7), -2);
    assert.equal(await store.get("n"), "-2");
    await assert.rejects(store.increment("a/1", 1), /not an integer/);
    await assert.rejects(store.increment("n", 0.5), TypeError);
    await assert.rejects(store.put("x", 1), TypeError);
    await store.delete("a/1");
    await store.delete("never-there");
    assert.deepEqual(await store.list("a/"), { keys: ["a/2"] });
  });
  await check("file-store: list pages of 1,000 keys with a cursor, in key order, prefix-exact (as memoryStore)", async () => {
    const entries = new Map();
    for (let i = 0; i < 2500; i++) entries.set(`p/${String(i).padStart(5, "0")}`, "x");
    entries.set("p", "x");
    entries.set("q/1", "x");
    entries.set("o/9", "x");
    writeFileSync(at("paging.json"), storeText(entries));
    const file = fileStore(at("paging.json"));
    const memory = memoryStore(new Map(entries));
    for (const store of [file, memory]) {
      const pages = [];
      let cursor;
      do {
        const page = await store.list("p/", cursor);
        pages.push(page.keys);
        cursor = page.cursor;
      } while (cursor);
      assert.deepEqual(pages.map((p) => p.length), [1000, 1000, 500]);
      assert.deepEqual(pages.flat(), [...entries.keys()].filter((k) => k.startsWith("p/")).sort());
    }
  });
  await check("file-store: strongly consistent across processes: a write is read at once by another process and another instance", async () => {
    const a = fileStore(at("shared.json"));
    const b = fileStore(at("shared.json"));
    await a.put("k", "1");
    assert.equal(await b.get("k"), "1");
    const child = await run(process.execPath, ["writer.mjs", at("shared.json"), "puts", "7", "1"], { cwd: dir });
    assert.equal(child.code, 0, child.stderr);
    assert.equal(await a.get("k/7"), "v7");
    await b.put("k", "2");
    assert.equal(await a.get("k"), "2");
    // Calls made at once, on one instance and on two: one after the other, none lost.
    await Promise.all([...Array(40)].map((_, i) => (i % 2 ? a : b).increment("together", 1)));
    assert.equal(await a.get("together"), "40");
  });

  await check("file-store: SIGKILL a writer at random moments, 30 times: the file always parses, every acknowledged write is there", async () => {
    const file = at("kill.json");
    const filler = new Map();
    for (let i = 0; i < 2000; i++) filler.set(`pad/${i}`, "x".repeat(100)); // each write a few ms
    writeFileSync(file, storeText(filler));
    const acked = new Set();
    let next = 0;
    let locksLeft = 0;
    for (let round = 0; round < 30; round++) {
      const child = spawn(process.execPath, ["writer.mjs", file, "puts", String(next), "1000000"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      let buffer = "";
      let stderr = "";
      let first;
      const firstAck = new Promise((r) => (first = r));
      child.stdout.setEncoding("utf8").on("data", (d) => {
        buffer += d;
        const lines = buffer.split("\n");
        buffer = lines.pop();
        for (const line of lines) acked.add(Number(line));
        first();
      });
      child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
      const exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
      await Promise.race([firstAck, sleep(10_000)]);
      await sleep(Math.random() * 150);
      child.kill("SIGKILL");
      const { signal } = await exited;
      assert.equal(signal, "SIGKILL", `round ${round}: the writer ended on its own: ${stderr}`);
      if (existsSync(`${file}.lock`)) locksLeft++;
      // What a reader sees right after the kill: one complete version, holding every ack.
      const doc = JSON.parse(readFileSync(file, "utf8"));
      assert.equal(doc.format, "app-passwords-file-store");
      const seen = await fileStore(file).getMany([...acked].map((i) => `k/${i}`));
      const lost = [...seen].filter(([k, v]) => v !== `v${k.slice(2)}`).map(([k]) => k);
      assert.deepEqual(lost, [], `round ${round}: acknowledged writes lost`);
      next = Math.max(next, ...acked) + 1;
    }
    assert.ok(acked.size >= 30, `only ${acked.size} writes were acknowledged in 30 rounds`);
    // A last writer that ends normally: takes over any stale lock, sweeps its temporary files.
    const last = await run(process.execPath, ["writer.mjs", file, "puts", String(next), "1"], { cwd: dir });
    assert.equal(last.code, 0, last.stderr);
    assert.ok(!existsSync(`${file}.lock`), "no lock left");
    const leftovers = readdirSync(dir).filter((n) => n.startsWith("kill.json.") && n.endsWith(".tmp"));
    assert.deepEqual(leftovers, [], "temporary files of killed writers are swept");
    return `${acked.size} acknowledged writes, none lost; ${locksLeft} of 30 kills left the lock behind (taken over)`;
  });
  await check("file-store: two processes writing at once, one on Node and one on Bun (puts, increments of one key): no lost update", async () => {
    const file = at("two.json");
    const n = 150;
    const writers = [[process.execPath, []], [BUN, ["--no-install"]]];
    const [a, b] = await Promise.all(writers.map(([bin, flags]) => run(bin, [...flags, "writer.mjs", file, "mixed", "0", String(n)], { cwd: dir, timeoutMs: 120_000 })));
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const store = fileStore(file);
    assert.equal(await store.get("shared"), String(2 * n), "every increment of both processes counted");
    const keys = [];
    let cursor;
    do {
      const page = await store.list("", cursor);
      keys.push(...page.keys);
      cursor = page.cursor;
    } while (cursor);
    assert.equal(keys.length, 2 * n + 1, "every put of both processes is there");
    assert.ok(!existsSync(`${file}.lock`));
  });
  await check("file-store: a lock held by a live process: store_locked after lockTimeoutMs; the service says store_unavailable with it", async () => {
    const file = at("held.json");
    await fileStore(file).put("k", "v");
    const holder = spawn("sleep", ["60"], { stdio: "ignore" });
    try {
      writeFileSync(`${file}.lock`, lockContent(holder.pid));
      const store = fileStore(file, { lockTimeoutMs: 200 });
      const err = await store.put("k", "w").then(() => null, (e) => e);
      assert.ok(api.isAppPasswordError(err), String(err));
      assert.equal(err.code, "store_locked");
      assert.match(err.message, new RegExp(`locked by process ${holder.pid} `));
      assert.equal(await store.get("k"), "v", "reads need no lock");
      const ap = new AppPasswords({ store });
      const viaService = await ap.create({ user: "a", label: "x", scopes: ["repository"] }).then(() => null, (e) => e);
      assert.equal(viaService?.code, "store_unavailable");
      assert.match(viaService.message, /locked by process/);
    } finally {
      holder.kill("SIGKILL");
      await new Promise((r) => (holder.exitCode !== null || holder.signalCode !== null ? r() : holder.once("exit", r)));
    }
    await fileStore(file, { lockTimeoutMs: 200 }).put("k", "w"); // its process is gone: taken over
    assert.equal(await fileStore(file).get("k"), "w");
  });
  await check("file-store: content it did not write is store_corrupt (never reset): not JSON, empty, other JSON, version 2, a non-string value", async () => {
    const cases = ["{", "", "[]", '{"entries":{}}', '{"format":"app-passwords-file-store","version":2,"entries":{}}', '{"format":"app-passwords-file-store","version":1,"entries":{"k":1}}', '{"format":"app-passwords-file-store","version":1,"entries":{},"x":1}'];
    for (const content of cases) {
      const file = at("corrupt.json");
      writeFileSync(file, content);
      const store = fileStore(file);
      for (const call of [() => store.get("k"), () => store.list(""), () => store.put("k", "v"), () => store.increment("n", 1)]) {
        const err = await call().then(() => null, (e) => e);
        assert.equal(err?.code, "store_corrupt", `${JSON.stringify(content)}: ${err}`);
      }
      assert.equal(readFileSync(file, "utf8"), content, "the file is left as it was");
      const viaService = await new AppPasswords({ store }).list("alice").then(() => null, (e) => e);
      assert.equal(viaService?.code, "store_unavailable");
      assert.match(viaService.message, /is not an app-passwords store/);
    }
  });
  await check("file-store: a create at 10,000 keys (5,000 passwords), through the API and through the CLI", async () => {
    // 5,000 records and index entries as the package writes them: one real password, copied
    // under other ids and users (a create reads only its user's keys and its new id's).
    const seed = new Map();
    const { id: seedId } = await new AppPasswords({ store: memoryStore(seed) }).create({ user: "seed", label: "a password of 5,000", scopes: ["repository:write"] });
    const map = new Map();
    for (let i = 0; i < 5000; i++) {
      const id = `${seedId.slice(0, 6)}${String(i).padStart(6, "0")}`;
      for (const [key, value] of seed) map.set(key.replace(seedId, id).replace("/user/seed/", `/user/user${i % 50}/`), value.replaceAll(seedId, id).replace('"user":"seed"', `"user":"user${i % 50}"`));
    }
    assert.equal(map.size, 10_000);
    writeFileSync(at("big.json"), storeText(map));
    const size = readFileSync(at("big.json")).length;
    const ap = new AppPasswords({ store: fileStore(at("big.json")), maxPerUser: 1000 });
    const times = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await ap.create({ user: "alice", label: `t${i}`, scopes: ["repository"] });
      times.push(performance.now() - t);
    }
    const t = performance.now();
    expectExit(await cli(dir, ["create", "--user", "bob", "--label", "cli", "--scopes", "repository", "--store", "file:big.json"]), 0);
    const cliMs = performance.now() - t;
    return `API create median ${median(times).toFixed(0)} ms (file ${(size / 1e6).toFixed(1)} MB), CLI create ${cliMs.toFixed(0)} ms (a new process: Node's start, the file's first read)`;
  });
}
