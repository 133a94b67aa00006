// The Hono app of tests/cli, served on Node (@hono/node-server) and on Bun with a fileStore the
// CLI writes to: the routes of the Worker in src/index.js, over the instance it is given.
import { Hono } from "hono";
import { appPasswordAuth, requireScopes } from "app-passwords/hono";

export function makeApp(appPasswords) {
  const app = new Hono();
  app.use("/api/*", appPasswordAuth({ appPasswords }));
  app.get("/api/repos", requireScopes("repository"), (c) => c.json(c.var.appPassword));
  app.get("/api/admin", requireScopes("repository:admin"), (c) => c.json({ admin: true }));
  return app;
}
