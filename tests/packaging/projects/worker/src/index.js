// A Worker that imports the package by name and keeps app passwords in Workers KV, run by
// tests/packaging under wrangler dev, wrangler deploy --dry-run, and esbuild + Miniflare (the
// package README's "Build tools"). The create and revoke routes are open here for the test; in a
// real Worker they sit behind your own sign-in.
import { AppPasswords, isAppPasswordError, workersKvStore } from "app-passwords";

export default {
  async fetch(request, env, ctx) {
    const ap = new AppPasswords({
      store: workersKvStore(env.APP_PASSWORDS),
      waitUntil: (p) => ctx.waitUntil(p),
    });
    const url = new URL(request.url);
    const user = url.searchParams.get("user");

    const id = url.searchParams.get("id");
    try {
      if (request.method === "POST" && url.pathname === "/passwords") {
        const scopes = url.searchParams.getAll("scope");
        const list = (name) => (url.searchParams.has(name) ? url.searchParams.getAll(name) : undefined);
        const maxUses = url.searchParams.has("maxUses") ? Number(url.searchParams.get("maxUses")) : undefined;
        const canary = url.searchParams.has("canary");
        const caveats = { methods: list("method"), allowIps: list("allow"), maxUses };
        const created = await ap.create({ user, label: "CI", scopes, ...caveats, canary });
        return Response.json({ id: created.id, password: created.password }, { status: 201 });
      }
      // Browser-side minting (issue 13): the page sent only the id and the Argon2id PHC string.
      if (request.method === "POST" && url.pathname === "/passwords-from-hash") {
        const { id: minted, phc } = await request.json();
        const stored = await ap.createFromHash({ user, label: "minted", scopes: url.searchParams.getAll("scope"), id: minted, phc });
        return Response.json({ id: stored.id }, { status: 201 });
      }
    } catch (error) {
      if (isAppPasswordError(error)) return Response.json({ error: { code: error.code } }, { status: 400 });
      throw error;
    }
    // What the runtime says the client's address is (the test compares the caveat with it).
    if (url.pathname === "/ip") return Response.json({ ip: request.headers.get("CF-Connecting-IP") });
    // Lifecycle (issue 12): rotate, and the reversible off switch.
    if (request.method === "POST" && url.pathname === "/rotate") {
      const created = await ap.rotate(user, id);
      return Response.json(created && { id: created.id, password: created.password });
    }
    if (request.method === "POST" && url.pathname === "/enabled") {
      return Response.json({ changed: await ap.setEnabled(user, id, url.searchParams.get("to") === "on") });
    }
    // A leak report (what handleSecretScanningReport does per token once the signature holds).
    if (request.method === "POST" && url.pathname === "/leaked") {
      return Response.json(await ap.reportLeaked(await request.text()));
    }
    if (request.method === "DELETE" && url.pathname === "/passwords") {
      return Response.json({ revoked: await ap.revoke(user, id) });
    }
    // Every other path is an API call: Basic auth with an app password that has `?need=` scopes.
    // On Workers the client's address is CF-Connecting-IP, set by Cloudflare's edge (and by
    // wrangler dev); the library never guesses it (SECURITY.md#client-ip-for-caveats).
    const clientIp = request.headers.get("CF-Connecting-IP") ?? undefined;
    const result = await ap.verifyRequest(request, { require: url.searchParams.getAll("need"), clientIp });
    if (!result.ok) return ap.unauthorized(result);
    return Response.json({ user: result.user, scopes: result.scopes });
  },
};
