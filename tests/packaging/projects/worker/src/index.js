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

    if (request.method === "POST" && url.pathname === "/passwords") {
      const scopes = url.searchParams.getAll("scope");
      const { id, password } = await ap.create({ user, label: "CI", scopes });
      return Response.json({ id, password }, { status: 201 });
    }
    if (request.method === "DELETE" && url.pathname === "/passwords") {
      return Response.json({ revoked: await ap.revoke(user, url.searchParams.get("id")) });
    }
    // Every other path is an API call: Basic auth with an app password that has `?need=` scopes.
    const result = await ap.verifyRequest(request, { require: url.searchParams.getAll("need") });
    if (!result.ok) return ap.unauthorized(result);
    return Response.json({ user: result.user, scopes: result.scopes });
  },
};
