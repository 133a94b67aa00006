// The Worker that bench/workerd.mjs runs in workerd. It is copied next to a copy of the
// package (./pkg/) before Miniflare loads it. Routes:
//   GET /noop                  the baseline: a trivial response
//   GET /kv?key=K              one KV read (how much of a verify is the store)
//   POST /create?profile=P     creates a password for user "bench" (P: default | owasp)
//   GET /hash?m=&t=&p=         one hashPassword with these Argon2id parameters (no store)
//   GET /kv-calls              the KV calls the package made so far
//   GET /params?id=ID          the Argon2 parameters of a stored record
//   GET /verify?profile=P      verifies the Authorization: Basic header (scope "repository")
import { AppPasswords, hashPassword, workersKvStore } from "./pkg/workerd.js";

let services;
const kvCalls = { get: 0, put: 0, delete: 0, list: 0 };

/** The KV binding, counting the calls the package makes (the /kv route reads it directly). */
function counted(namespace) {
  return {
    get: (...a) => (kvCalls.get++, namespace.get(...a)),
    put: (...a) => (kvCalls.put++, namespace.put(...a)),
    delete: (...a) => (kvCalls.delete++, namespace.delete(...a)),
    list: (...a) => (kvCalls.list++, namespace.list(...a)),
  };
}

function service(env, profile) {
  services ??= {
    default: new AppPasswords({ store: workersKvStore(counted(env.APP_PASSWORDS)) }),
    owasp: new AppPasswords({ store: workersKvStore(counted(env.APP_PASSWORDS)), hashing: "owasp" }),
  };
  const svc = services[profile];
  if (!svc) throw new Error(`unknown profile ${profile}`);
  return svc;
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const profile = url.searchParams.get("profile") ?? "default";
    switch (url.pathname) {
      case "/noop":
        return new Response("ok");
      case "/kv": {
        const value = await env.APP_PASSWORDS.get(url.searchParams.get("key"));
        return new Response(value === null ? "missing" : "ok");
      }
      case "/create": {
        const created = await service(env, profile).create({ user: "bench", label: `bench ${profile}`, scopes: ["repository"] });
        const record = await env.APP_PASSWORDS.get(`app-passwords/v1/record/${created.id}`);
        const params = record ? JSON.parse(record).hash.split("$").slice(0, 4).join("$") : null;
        return Response.json({ ...created, params });
      }
      case "/hash": {
        const [memoryKiB, iterations, parallelism] = ["m", "t", "p"].map((k) => Number(url.searchParams.get(k)));
        return new Response(hashPassword("correct horse battery staple", { memoryKiB, iterations, parallelism }));
      }
      case "/kv-calls":
        return Response.json(kvCalls);
      case "/params": {
        const record = await env.APP_PASSWORDS.get(`app-passwords/v1/record/${url.searchParams.get("id")}`);
        return new Response(record ? JSON.parse(record).hash.split("$").slice(0, 4).join("$") : "missing");
      }
      case "/verify": {
        const svc = service(env, profile);
        const result = await svc.verifyRequest(request, { require: ["repository"], waitUntil: (p) => ctx.waitUntil(p) });
        return result.ok ? new Response("ok") : svc.unauthorized(result);
      }
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
