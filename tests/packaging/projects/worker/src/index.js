// A Worker that imports the package by name and keeps app passwords in Workers KV, run by
// tests/packaging under wrangler dev, wrangler deploy --dry-run, and esbuild + Miniflare (the
// package README's "Build tools"). The create and revoke routes are open here for the test; in a
// real Worker they sit behind your own sign-in.
import { AppPasswords, workersKvStore } from "app-passwords";

export default {
  async fetch(request, env, ctx) {
    const ap = new AppPasswords({
      store: workersKvStore(env.APP_PASSWORDS),
      waitUntil: (p) => ctx.waitUntil(p),
    });
    const url = new URL(request.url);
    const user = url.searchParams.get("user");

    const id = url.searchParams.get("id");
    if (request.method === "POST" && url.pathname === "/passwords") {
      const scopes = url.searchParams.getAll("scope");
      const methods = url.searchParams.getAll("method");
      const canary = url.searchParams.has("canary");
      const created = await ap.create({ user, label: "CI", scopes, ...(methods.length ? { methods } : {}), canary });
      return Response.json({ id: created.id, password: created.password }, { status: 201 });
    }
    // Lifecycle (issue 12): rotate, and the reversible off switch.
    if (request.method === "POST" && url.pathname === "/rotate") {
      const created = await ap.rotate(user, id);
      return Response.json(created && { id: created.id, password: created.password });
    }
    if (request.method === "POST" && url.pathname === "/enabled") {
      return Response.json({ changed: await ap.setEnabled(user, id, url.searchParams.get("to") === "on") });
    }
    if (request.method === "DELETE" && url.pathname === "/passwords") {
      return Response.json({ revoked: await ap.revoke(user, id) });
    }
    // Every other path is an API call: Basic auth with an app password that has `?need=` scopes.
    const result = await ap.verifyRequest(request, { require: url.searchParams.getAll("need") });
    if (!result.ok) return ap.unauthorized(result);
    return Response.json({ user: result.user, scopes: result.scopes });
  },
};
