import { Hono } from "hono";
import { AppPasswords, workersKvStore } from "app-passwords";
import { appPasswordAuth, requireScopes } from "app-passwords/hono";

let appPasswords; // one per isolate (the KV binding is in c.env)
const app = new Hono();
app.use("/api/*", appPasswordAuth({
  appPasswords: (c) => (appPasswords ??= new AppPasswords({ store: workersKvStore(c.env.APP_PASSWORDS) })),
}));
app.get("/api/repos", requireScopes("repository"), (c) => c.json(c.var.appPassword));
app.get("/api/admin", requireScopes("repository:admin"), (c) => c.json({ admin: true }));

export default app;
