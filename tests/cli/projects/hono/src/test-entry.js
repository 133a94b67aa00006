// The Worker wrangler dev runs in tests/cli: the README's Worker (index.js), and POST /setup,
// which creates alice's password in the same KV namespace (the test has no other way in).
import { AppPasswords, workersKvStore } from "app-passwords";
import app from "./index.js";

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/setup" && request.method === "POST") {
      const ap = new AppPasswords({ store: workersKvStore(env.APP_PASSWORDS) });
      const created = await ap.create({ user: "alice", label: "hono", scopes: ["repository:write"] });
      return Response.json(created, { status: 201 });
    }
    return app.fetch(request, env, ctx);
  },
};
