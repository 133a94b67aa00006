// Deno KV through denoKvStore: `deno run --unstable-kv kv.js` (an in-memory KV needs no
// permission; a file path needs --allow-read and --allow-write on it).
import { AppPasswords, denoKvStore } from "app-passwords";

const kv = await Deno.openKv(":memory:");
const ap = new AppPasswords({ store: denoKvStore(kv) });
const { id, password } = await ap.create({ user: "alice", label: "CI", scopes: ["repository:write"] });
const granted = await ap.verify({ username: "alice", password, require: ["repository"] });
const listed = (await ap.list("alice")).map((p) => p.id);
await ap.revoke("alice", id);
const revoked = await ap.verify({ username: "alice", password });
kv.close();
console.log(JSON.stringify({ granted: granted.ok, listed: listed.length === 1 && listed[0] === id, revoked: revoked.ok ? "granted" : revoked.code }));
