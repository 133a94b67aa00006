// Types of the package's `node` entry (Node and Bun): everything in index.d.ts, and fileStore.
import type { KeyValueStore } from "./index.js";

export * from "./index.js";

/** Options of {@link fileStore}. */
export interface FileStoreOptions {
  /**
   * How long a write waits while another live process holds the file's lock (`PATH.lock`)
   * before failing with `store_locked` (default 5000). Writes hold it for milliseconds.
   */
  lockTimeoutMs?: number;
}

/** The store {@link fileStore} returns: strongly consistent, with `getMany` and `increment`. */
export interface FileStore extends KeyValueStore {
  getMany(keys: string[]): Promise<Map<string, string | null>>;
  increment(key: string, delta: number): Promise<number>;
  readonly consistency: "strong";
  /** The absolute path of the file. */
  readonly path: string;
}

/**
 * A store kept in one JSON file, for scripts and small services on one machine (Node and Bun:
 * only the `node` entry exports it). Every write is atomic and durable before it resolves
 * (temporary file, fsync, rename, fsync of the directory), so a crash or `kill -9` loses nothing
 * acknowledged and never leaves a half-written file. Several processes may share the file: each
 * write holds `PATH.lock` for milliseconds, a lock left by a dead process is taken over, and one
 * held longer than `lockTimeoutMs` by a live process fails with `store_locked`. A file this
 * package did not write is `store_corrupt` (it is never reset). The whole file is rewritten on
 * each write: made for up to some 10,000 passwords; use Redis beyond that.
 *
 * Used through `AppPasswords`, a store failure surfaces as `store_unavailable` whose message
 * carries the store's own (`store_locked`, `store_corrupt`); the store's own calls throw
 * `AppPasswordError` with those codes.
 * @param path the file, created on the first write (its directory must exist).
 * @throws {TypeError} without a path.
 * @example
 * import { AppPasswords, fileStore } from "app-passwords";
 * const ap = new AppPasswords({ store: fileStore("./app-passwords.json") });
 */
export function fileStore(path: string, options?: FileStoreOptions): FileStore;
