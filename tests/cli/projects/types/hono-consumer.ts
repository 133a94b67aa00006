// Type-checked by tests/cli with tsc --strict under moduleResolution bundler and nodenext:
// app-passwords/hono typed for Hono's Variables.
import { Hono } from "hono";
import { AppPasswords, memoryStore } from "app-passwords";
import { appPasswordAuth, requireScopes, type AppPasswordInfo, type AppPasswordVariables } from "app-passwords/hono";

const appPasswords = new AppPasswords({ store: memoryStore() });

// Declared Variables.
const app = new Hono<{ Variables: AppPasswordVariables }>();
app.use("/api/*", appPasswordAuth({ appPasswords, require: ["repository"], clientIp: (c) => c.req.header("cf-connecting-ip") }));
app.get("/api/repos", requireScopes("repository", "repository:write"), (c) => {
  const user: string = c.var.appPassword.user;
  const scopes: readonly string[] = c.var.appPassword.scopes;
  const info: AppPasswordInfo = c.get("appPassword");
  // @ts-expect-error: the password is never there
  c.var.appPassword.password;
  return c.json({ user, scopes, id: info.id });
});

// Inferred from the middleware on the route; the instance from a function of the context.
const other = new Hono();
other.get("/x", appPasswordAuth({ appPasswords: () => appPasswords }), (c) => c.text(c.var.appPassword.label));

// @ts-expect-error: appPasswords is required
appPasswordAuth({});
// @ts-expect-error: scope names are strings
requireScopes(1);

export { app, other };
