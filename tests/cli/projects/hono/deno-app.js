// Deno: the app of app.js over memoryStore, asked through app.request (`deno run`, no flags);
// prints [status, WWW-Authenticate, body] for a granted, an anonymous and a 403 request.
import { AppPasswords, memoryStore } from "app-passwords";
import { makeApp } from "./app.js";

const appPasswords = new AppPasswords({ store: memoryStore() });
const { password } = await appPasswords.create({ user: "alice", label: "hono", scopes: ["repository:write"] });
const app = makeApp(appPasswords);
const basic = { authorization: `Basic ${btoa(`alice:${password}`)}` };
const answers = [];
for (const [path, headers] of [["/api/repos", basic], ["/api/repos", {}], ["/api/admin", basic]]) {
  const res = await app.request(path, { headers });
  answers.push([res.status, res.headers.get("www-authenticate"), await res.json()]);
}
console.log(JSON.stringify(answers));
