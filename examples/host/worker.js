// The example host (README.md beside this file): a Cloudflare Worker, modules format. The same modules run
// locally in workerd through Miniflare (examples/host/serve.mjs, `make demo`) and deploy to
// Cloudflare unchanged (examples/host/wrangler.toml). README.md beside it maps the files.
//
// Bindings
//   APP_PASSWORDS    KV namespace: the app-password records (the package's key layout under
//                    `app-passwords/v1/`) and this host's own keys under `host/v1/`.
//   LIMITS           Durable Object namespace of class AttemptCounter: the rate-limit counters.
//   APP_PASSWORDS_STORE  optional var: "kv" (default) keeps the records in APP_PASSWORDS;
//                    "durable-object" keeps them in APP_PASSWORDS_DO (strongly consistent).
//   APP_PASSWORDS_DO Durable Object namespace of class AppPasswordsDurableObject (the package's).
//   ASSETS           the static page in www/ (Workers static assets, run_worker_first).
//   DEMO_PASSWORD    secret: the password of the account `demo`.
//   EXTRA_ACCOUNTS   optional secret: JSON object {username: password} of more accounts;
//                    removing one revokes its app passwords.
//   PEPPER           optional secret: Argon2's secret input for app-password hashes.
//   SECRET_SCANNING_PUBLIC_KEYS  optional var: GitHub's secret scanning keys document (JSON);
//                    unset, POST /api/secret-scanning fetches GitHub's (docs/secret-scanning.md).

import { removeUnconfiguredAccounts } from "./accounts.js";
import { libraryError } from "./app-passwords.js";
import { HttpError, drain, errorResponse, friendly, isApiPath, methodNotAllowed, secure } from "./http.js";
import { route } from "./routes.js";

export { AttemptCounter } from "./limits.js";
export { AppPasswordsDurableObject } from "./app-passwords.js";

async function handle(request, env, ctx, url, api) {
  // Once per isolate and configuration: accounts removed from it lose their app passwords.
  if (api) await removeUnconfiguredAccounts(env);
  const response = await route(request, env, ctx, url);
  if (response !== null) return response;
  if (request.method !== "GET" && request.method !== "HEAD") return methodNotAllowed(["GET", "HEAD"]);
  if (env.ASSETS) return env.ASSETS.fetch(request); // the page, www/
  return new Response("Not found", { status: 404, headers: { "content-type": "text/plain" } });
}

function errorToResponse(err) {
  if (err instanceof HttpError) {
    return errorResponse(err.status, err.code, err.message, { extra: err.extra, headers: err.headers });
  }
  const known = libraryError(err);
  if (known) return errorResponse(known.status, known.code, friendly(known.message));
  console.error("internal error:", err && err.stack ? err.stack : err);
  return errorResponse(500, "internal_error", "Something went wrong on the server.");
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const api = isApiPath(url.pathname);
    let response;
    try {
      response = await handle(request, env, ctx, url, api);
    } catch (err) {
      response = errorToResponse(err);
    }
    await drain(request);
    return secure(response, { api });
  },
};
