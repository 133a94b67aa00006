// fileStore(path): the embedded store for scripts and small services on one machine (Node, Bun;
// it uses node:fs, so only the `node` entry exports it). The whole store is one JSON file:
//
//   {"format":"app-passwords-file-store","version":1,"entries":{
//   "app-passwords/v1/record/...":"{...}",
//   ...
//   }}
//
// Reads need no lock: the file is only ever replaced whole, by rename(2), so a reader sees one
// complete version or the next. A read re-stats the file and re-reads it only when it changed.
// Every write takes the lock file PATH.lock, re-reads the file if another process changed it,
// writes the new version to a temporary file in the same directory, fsyncs it, renames it over
// PATH and fsyncs the directory, then releases the lock: a put resolves only once the new
// version is durable, so a kill -9 at any moment loses nothing acknowledged and leaves a file
// that parses. Processes share the file safely (each write holds the lock for milliseconds);
// a lock whose process is dead is taken over; one held longer than `lockTimeoutMs` by a live
// process is AppPasswordError `store_locked`. Content this module did not write is
// `store_corrupt`, never reset.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, open, readdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, resolve } from "node:path";
import { AppPasswordError } from "./errors.js";

const FORMAT = "app-passwords-file-store";
const VERSION = 1;
const PAGE = 1000;
/** An unreadable lock file (only possible where link() is unsupported) counts as stale after this. */
const GARBAGE_LOCK_MS = 5000;

// One write queue per file for the whole process, shared by every fileStore() of it and by
// every copy of this module (two bundles), so that they never wait on each other's lock file.
const SHARED = (globalThis[Symbol.for("app-passwords.fileStore")] ??= { queues: new Map(), held: new Set() });

const HOST = hostname();
const START = startTimeOf(process.pid);

/** Linux: the start time of a process (clock ticks since boot), telling a reused pid apart. */
function startTimeOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function unavailable(file, err) {
  return new AppPasswordError(`file store ${file}: ${(err && err.message) || err}`, "store_unavailable");
}

function corrupt(file, why) {
  return new AppPasswordError(
    `file store ${file} is not an app-passwords store (${why}); it was left as it is: move it away to start a new store`,
    "store_corrupt",
  );
}

/** `value` as an integer for increment(), or a thrown Error (as the other stores do). */
function integerOf(value) {
  if (value === null || value === undefined) return 0;
  const n = typeof value === "string" && /^-?\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error("increment() of a value that is not an integer");
  return n;
}

/** The entries of a store file's text, or `store_corrupt`. */
function parse(file, text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    throw corrupt(file, text.trim() === "" ? "the file is empty" : "not JSON");
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc) || doc.format !== FORMAT) {
    throw corrupt(file, `no "format": "${FORMAT}"`);
  }
  if (doc.version !== VERSION) throw corrupt(file, `version ${JSON.stringify(doc.version)}; this package reads version ${VERSION}`);
  const extra = Object.keys(doc).filter((k) => k !== "format" && k !== "version" && k !== "entries");
  if (extra.length) throw corrupt(file, `unknown field "${extra[0]}"`);
  const { entries } = doc;
  if (!entries || typeof entries !== "object" || Array.isArray(entries)) throw corrupt(file, '"entries" is not an object');
  const map = new Map();
  for (const [key, value] of Object.entries(entries)) {
    if (typeof value !== "string") throw corrupt(file, `the value of "${key}" is not a string`);
    map.set(key, value);
  }
  return map;
}

function serialize(map) {
  const lines = [];
  for (const [key, value] of map) lines.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
  return `{"format":"${FORMAT}","version":${VERSION},"entries":{${lines.length ? `\n${lines.join(",\n")}\n` : ""}}}\n`;
}

const stampOf = (st) => `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const token = () => randomBytes(8).toString("hex");
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The first index of `sorted` whose key is >= `key` (or > it when `after`). */
function lowerBound(sorted, key, after) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < key || (after && sorted[mid] === key)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A store kept in one JSON file, for scripts and small services on one machine (Node, Bun).
 * @param {string} path the file; created on the first write. Its directory must exist.
 * @param {{ lockTimeoutMs?: number }} [options] how long a write waits for another process's
 *   lock before failing with `store_locked` (default 5000).
 * @returns {import("./node.d.ts").FileStore}
 */
export function fileStore(path, { lockTimeoutMs = 5000 } = {}) {
  if (typeof path !== "string" || path === "") throw new TypeError("fileStore needs a file path");
  if (!(Number.isFinite(lockTimeoutMs) && lockTimeoutMs >= 0)) throw new TypeError("lockTimeoutMs must be a number >= 0");
  const file = resolve(path);
  const dir = dirname(file);
  const base = basename(file);
  const lockPath = `${file}.lock`;
  const breakPath = `${file}.lock.break`;
  const ownTag = `${process.pid}-${START ?? "x"}`;

  /** { stamp, mode, map, sorted } of the version last read, or null. */
  let snapshot = null;

  async function load() {
    let st;
    try {
      st = await stat(file, { bigint: true });
    } catch (err) {
      if (err.code === "ENOENT") return (snapshot = { stamp: "absent", mode: 0o600, map: new Map(), sorted: [] });
      throw unavailable(file, err);
    }
    if (snapshot && snapshot.stamp === stampOf(st)) return snapshot;
    let text;
    let handleStat;
    try {
      // The stamp and the text from one open file: a rename in between cannot mix two versions.
      const handle = await open(file, "r");
      try {
        handleStat = await handle.stat({ bigint: true });
        text = await handle.readFile("utf8");
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (err.code === "ENOENT") return load(); // replaced between stat and open: read the new one
      throw unavailable(file, err);
    }
    if (!handleStat.isFile()) throw corrupt(file, "not a regular file");
    const map = parse(file, text);
    return (snapshot = { stamp: stampOf(handleStat), mode: Number(handleStat.mode) & 0o777, map, sorted: null });
  }

  function sortedKeys(snap) {
    snap.sorted ??= [...snap.map.keys()].sort();
    return snap.sorted;
  }

  // ------------------------------------------------------------------------------ the lock

  async function readLock(where) {
    let raw;
    let mtimeMs;
    try {
      raw = await readFile(where, "utf8");
      mtimeMs = (await stat(where)).mtimeMs;
    } catch (err) {
      if (err.code === "ENOENT") return null;
      throw unavailable(file, err);
    }
    let info = null;
    try {
      const parsed = JSON.parse(raw);
      if (parsed && Number.isSafeInteger(parsed.pid) && parsed.pid > 0 && typeof parsed.host === "string") info = parsed;
    } catch {
      // unreadable: judged by its age
    }
    return { raw, info, mtimeMs };
  }

  /** Whether the process that holds `held` is gone (dead pid, or a pid reused by another process). */
  function isStale(held) {
    const { info } = held;
    if (!info) return Date.now() - held.mtimeMs > GARBAGE_LOCK_MS;
    if (info.host !== HOST) return false; // another machine's process: cannot tell, never taken
    if (info.pid === process.pid) {
      if (START !== null && info.start !== START) return true; // an earlier process with our pid
      return !SHARED.held.has(info.nonce); // ours only while this process holds it
    }
    try {
      process.kill(info.pid, 0);
    } catch (err) {
      return err.code === "ESRCH"; // EPERM: alive, another user's
    }
    if (START !== null && info.start != null) {
      const start = startTimeOf(info.pid);
      if (start !== null && start !== info.start) return true; // the pid was reused
    }
    return false;
  }

  /** Creates `where` holding `content`, atomically, or answers false if it exists. */
  async function createExclusive(where, content) {
    const temp = `${where}.${ownTag}-${token()}`;
    try {
      await writeFile(temp, content, { flag: "wx", mode: 0o644 });
    } catch (err) {
      throw unavailable(file, err);
    }
    try {
      // link(2) fails if `where` exists, and the lock appears with its content complete.
      await link(temp, where);
      return true;
    } catch (err) {
      if (err.code === "EEXIST") return false;
      if (!["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV"].includes(err.code)) throw unavailable(file, err);
      // A file system without hard links: an exclusive create (briefly empty while written).
      try {
        await writeFile(where, content, { flag: "wx", mode: 0o644 });
        return true;
      } catch (err2) {
        if (err2.code === "EEXIST") return false;
        throw unavailable(file, err2);
      }
    } finally {
      await unlink(temp).catch(() => {});
    }
  }

  /** Removes the temporary files a dead holder left behind (its pid and start in their names). */
  async function sweep(info) {
    if (!info) return;
    const tag = `${info.pid}-${info.start ?? "x"}`;
    const pattern = new RegExp(`^${escape(base)}\\.(?:lock\\.(?:break\\.)?)?${escape(tag)}-[0-9a-f]+(?:\\.tmp)?$`);
    const names = await readdir(dir).catch(() => []);
    await Promise.all(names.filter((n) => pattern.test(n)).map((n) => unlink(resolve(dir, n)).catch(() => {})));
  }

  /**
   * Removes the lock `held` if it is still exactly that one; answers false when another process
   * is breaking it. Breakers exclude each other with PATH.lock.break, so two of them never
   * remove a lock the other one has just taken.
   */
  async function breakLock(held) {
    const content = JSON.stringify({ pid: process.pid, host: HOST, start: START, nonce: token() });
    if (!(await createExclusive(breakPath, content))) {
      // Another breaker is at work (microseconds), or died in there: its own lock is taken over
      // once it is a few seconds old and its process is gone.
      const other = await readLock(breakPath);
      if (other && Date.now() - other.mtimeMs > 2000 && isStale(other)) await unlink(breakPath).catch(() => {});
      return false;
    }
    try {
      const now = await readLock(lockPath);
      if (now && now.raw === held.raw) {
        try {
          await unlink(lockPath);
        } catch (err) {
          if (err.code !== "ENOENT") return false; // e.g. no permission: wait, then store_locked
        }
        await sweep(held.info);
      }
      return true;
    } finally {
      await unlink(breakPath).catch(() => {});
    }
  }

  async function acquire() {
    const nonce = token();
    const content = `${JSON.stringify({ pid: process.pid, host: HOST, start: START, nonce, since: new Date().toISOString() })}\n`;
    const deadline = Date.now() + lockTimeoutMs;
    let pause = 2;
    for (;;) {
      SHARED.held.add(nonce); // before the lock exists, so this process never judges it stale
      if (await createExclusive(lockPath, content)) return { nonce, content };
      SHARED.held.delete(nonce);
      const held = await readLock(lockPath);
      if (!held) continue; // released meanwhile
      if (isStale(held) && (await breakLock(held))) continue;
      if (Date.now() >= deadline) {
        const who = held.info ? `process ${held.info.pid} on ${held.info.host}${held.info.since ? ` since ${held.info.since}` : ""}` : "an unreadable lock";
        throw new AppPasswordError(
          `file store ${file} is locked by ${who} (${lockPath}); gave up after ${lockTimeoutMs} ms. ` +
            "If that process is not running any more, remove the lock file.",
          "store_locked",
        );
      }
      await sleep(pause + Math.random() * pause);
      pause = Math.min(pause * 2, 50);
    }
  }

  async function release(lock) {
    try {
      const now = await readFile(lockPath, "utf8").catch(() => null);
      if (now === lock.content) await unlink(lockPath);
    } catch {
      // gone already
    } finally {
      SHARED.held.delete(lock.nonce);
    }
  }

  // ------------------------------------------------------------------------------ writes

  async function syncDir() {
    let handle;
    try {
      handle = await open(dir, "r");
      await handle.sync();
    } catch {
      // not supported on this platform (Windows): the rename is all there is
    } finally {
      await handle?.close().catch(() => {});
    }
  }

  /** Writes `map` as the new version of the file: temp file, fsync, rename, fsync dir. */
  async function commit(map, mode) {
    const temp = resolve(dir, `${base}.${ownTag}-${token()}.tmp`);
    try {
      const handle = await open(temp, "wx", mode);
      try {
        await handle.writeFile(serialize(map));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw unavailable(file, err);
    }
    await syncDir();
    try {
      return stampOf(await stat(file, { bigint: true }));
    } catch {
      return "unknown"; // re-read next time
    }
  }

  /**
   * Runs `change(map)` on the current version under the lock; it answers
   * `{ changes: Map<key, string | null>, result }`, and the changes are made durable before
   * `result` is returned. Writes of one process to one file run one at a time.
   */
  function mutate(change) {
    const queue = SHARED.queues.get(file) ?? Promise.resolve();
    const run = queue.then(async () => {
      const lock = await acquire();
      try {
        const snap = await load();
        const { changes, result } = change(snap.map);
        if (changes.size === 0) return result;
        const next = new Map(snap.map);
        for (const [key, value] of changes) {
          if (value === null) next.delete(key);
          else next.set(key, value);
        }
        snapshot = null; // if the commit fails, the next read goes back to the file
        const stamp = await commit(next, snap.mode);
        snapshot = { stamp, mode: snap.mode, map: next, sorted: null };
        return result;
      } finally {
        await release(lock);
      }
    });
    const tail = run.catch(() => {});
    SHARED.queues.set(file, tail);
    tail.then(() => {
      if (SHARED.queues.get(file) === tail) SHARED.queues.delete(file);
    });
    return run;
  }

  const key = (k) => {
    if (typeof k !== "string") throw new TypeError("store keys are strings");
    return k;
  };

  return {
    consistency: "strong",
    path: file,
    async get(k) {
      const { map } = await load();
      return map.get(key(k)) ?? null;
    },
    async getMany(keys) {
      const { map } = await load();
      return new Map(keys.map((k) => [k, map.get(key(k)) ?? null]));
    },
    async put(k, value) {
      if (typeof value !== "string") throw new TypeError("store values are strings");
      key(k);
      await mutate((map) => ({ changes: new Map(map.get(k) === value ? [] : [[k, value]]), result: undefined }));
    },
    async delete(k) {
      key(k);
      await mutate((map) => ({ changes: new Map(map.has(k) ? [[k, null]] : []), result: undefined }));
    },
    async increment(k, delta) {
      key(k);
      if (!Number.isSafeInteger(delta)) throw new TypeError("increment() needs an integer delta");
      return mutate((map) => {
        const next = integerOf(map.get(k)) + delta;
        return { changes: new Map([[k, String(next)]]), result: next };
      });
    },
    async list(prefix, cursor) {
      if (typeof prefix !== "string") throw new TypeError("list() needs a string prefix");
      const sorted = sortedKeys(await load());
      let i = lowerBound(sorted, prefix, false);
      if (cursor !== undefined && cursor !== null) i = Math.max(i, lowerBound(sorted, String(cursor), true));
      const keys = [];
      while (i < sorted.length && sorted[i].startsWith(prefix) && keys.length < PAGE) keys.push(sorted[i++]);
      const more = i < sorted.length && sorted[i].startsWith(prefix);
      return more ? { keys, cursor: keys[keys.length - 1] } : { keys };
    },
  };
}
