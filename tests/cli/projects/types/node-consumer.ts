// Type-checked by tests/cli with tsc --strict under moduleResolution nodenext and node16: the
// `node` entry's types (node.d.ts) add fileStore to the package's.
import { AppPasswords, fileStore, isAppPasswordError, type FileStore, type KeyValueStore } from "app-passwords";

const store: FileStore = fileStore("./app-passwords.json", { lockTimeoutMs: 1000 });
const plain: KeyValueStore = store;
const ap = new AppPasswords({ store: plain });

export async function demo(): Promise<number> {
  const path: string = store.path;
  const many: Map<string, string | null> = await store.getMany(["a", "b"]);
  try {
    await ap.list("alice");
  } catch (err) {
    if (isAppPasswordError(err)) return err.code.length;
  }
  return path.length + many.size + (await store.increment("n", 1));
}

// @ts-expect-error: a path is required
fileStore();
