// The example host (SPEC section 8): a Cloudflare Worker, modules format. The same file runs
// locally in workerd through Miniflare (examples/host/serve.mjs, `make demo`) and deploys to
// Cloudflare unchanged (examples/host/wrangler.toml).
//
// Bindings
//   APP_PASSWORDS    KV namespace: the app-password records (the package's key layout under
//                    `app-passwords/v1/`) and this host's own keys under `host/v1/`.
//   ASSETS           the static page in www/ (Workers static assets, run_worker_first).
//   DEMO_PASSWORD    secret: the password of the account `demo`.
//   EXTRA_ACCOUNTS   optional secret: JSON object {username: password} of more accounts
//                    (the tests use one to show that passwords are per account).
//   PEPPER           optional secret: Argon2's secret input for app-password hashes.
//
// Account passwords are stored as Argon2id PHC strings made by `hashPassword` (OWASP profile)
// under `host/v1/account/{user}`. The secret binding is the source of truth: the first time an
// isolate needs an account, it checks the stored PHC against the binding and re-hashes (with a
// new session epoch, which signs every older session out) when they differ. So a restart with
// another DEMO_PASSWORD works with the new password at once, the old one stops working, and the
// app passwords (keyed by user, not by account password) are all kept.
//
// Sessions: a random 32-byte token in an HttpOnly, SameSite=Strict cookie; KV keeps only its
// SHA-256 under `host/v1/session/{hex}` with an expiry.

import {
  AppPasswords,
  AppPasswordError,
  hashPassword,
  looksLikeAppPassword,
  verifyPasswordHash,
  workersKvStore,
} from "../../pkg/workerd.js";

const REALM = "app-passwords";
const SESSION_COOKIE = "apw_session";
const SESSION_TTL_S = 8 * 60 * 60;
const HOST_KEYS = "host/v1/";
const MAX_BODY_BYTES = 16 * 1024;
const MAX_USERNAME = 128;
const MAX_PASSWORD = 1024;

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

// ---------------------------------------------------------------------------------------------
// Responses

class HttpError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

function json(status, body, headers = {}) {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: body === null ? headers : { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** `{error: {code, message}}`; never a WWW-Authenticate header (session routes use this). */
function errorResponse(status, code, message, { extra = {}, headers = {} } = {}) {
  return json(status, { error: { code, message, ...extra } }, headers);
}

/** Security headers on every response; `no-store` on everything but the static page. */
function secure(response, { api }) {
  const out = new Response(response.body, response);
  const h = out.headers;
  h.set("content-security-policy", CSP);
  h.set("x-content-type-options", "nosniff");
  h.set("referrer-policy", "no-referrer");
  h.set("x-frame-options", "DENY");
  h.set("cross-origin-opener-policy", "same-origin");
  h.set("cross-origin-resource-policy", "same-origin");
  if (api) h.set("cache-control", "no-store");
  else if (!h.has("cache-control")) h.set("cache-control", "no-cache");
  return out;
}

function friendly(message) {
  const text = String(message || "").trim();
  if (!text) return "The request was refused.";
  const first = text[0].toUpperCase() + text.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

// ---------------------------------------------------------------------------------------------
// Request helpers

/** Cross-site protection for every state-changing request (SPEC 8). */
function checkSameOrigin(request, url) {
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== url.origin) {
    throw new HttpError(403, "cross_site", "Cross-site requests are not accepted.");
  }
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    throw new HttpError(403, "cross_site", "Cross-site requests are not accepted.");
  }
}

function isJson(request) {
  const type = (request.headers.get("content-type") || "").split(";")[0].trim().toLowerCase();
  return type === "application/json";
}

/** The JSON object of the body; 415 unless Content-Type is application/json. */
async function readJson(request) {
  if (!isJson(request)) {
    throw new HttpError(415, "unsupported_media_type", "Send a JSON body with Content-Type: application/json.");
  }
  const declared = Number(request.headers.get("content-length") || 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, "body_too_large", "The request body is too large.");
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES) throw new HttpError(413, "body_too_large", "The request body is too large.");
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "invalid_json", "The request body is not valid JSON.");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, "invalid_json", "The request body must be a JSON object.");
  }
  return value;
}

/** DELETE takes no body. */
async function requireNoBody(request) {
  const length = request.headers.get("content-length");
  if ((length !== null && length !== "0") || request.headers.has("transfer-encoding")) {
    const text = await request.text();
    if (text.length) throw new HttpError(400, "body_not_allowed", "This request takes no body.");
  }
}

function cookie(request, name) {
  const header = request.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function base64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomToken(n) {
  return base64url(crypto.getRandomValues(new Uint8Array(n)));
}

async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// ---------------------------------------------------------------------------------------------
// The app-password service (one per isolate and KV binding: it keeps the lastUsedAt throttle)

let service = null;

function appPasswords(env) {
  if (!service || service.kv !== env.APP_PASSWORDS) {
    if (!env.APP_PASSWORDS) throw new HttpError(500, "not_configured", "The KV binding APP_PASSWORDS is missing.");
    const options = {
      store: workersKvStore(env.APP_PASSWORDS),
      realm: REALM,
      onError: (err) => console.error("app-passwords background write failed:", err && err.code, err && err.message),
    };
    if (typeof env.PEPPER === "string" && env.PEPPER) options.pepper = env.PEPPER;
    service = { kv: env.APP_PASSWORDS, ap: new AppPasswords(options) };
  }
  return service.ap;
}

// ---------------------------------------------------------------------------------------------
// Accounts: the secret bindings are the source; KV holds their hashPassword PHC strings.

function accountSecrets(env) {
  const accounts = new Map();
  if (env.EXTRA_ACCOUNTS) {
    let extra = env.EXTRA_ACCOUNTS;
    if (typeof extra === "string") {
      try {
        extra = JSON.parse(extra);
      } catch {
        extra = null;
      }
    }
    if (extra && typeof extra === "object") {
      for (const [user, password] of Object.entries(extra)) {
        if (typeof password === "string" && password) accounts.set(user, password);
      }
    }
  }
  if (typeof env.DEMO_PASSWORD === "string" && env.DEMO_PASSWORD) accounts.set("demo", env.DEMO_PASSWORD);
  return accounts;
}

// user -> { secret, kv, promise of {user, phc, epoch} }: one check (and at most one re-hash)
// per isolate and binding value.
const accountCache = new Map();

function account(env, user) {
  const secret = accountSecrets(env).get(user);
  if (secret === undefined) return Promise.resolve(null);
  const cached = accountCache.get(user);
  if (cached && cached.secret === secret && cached.kv === env.APP_PASSWORDS) return cached.promise;
  const promise = syncAccount(env.APP_PASSWORDS, user, secret);
  accountCache.set(user, { secret, kv: env.APP_PASSWORDS, promise });
  promise.catch(() => {
    if (accountCache.get(user)?.promise === promise) accountCache.delete(user);
  });
  return promise;
}

async function syncAccount(kv, user, secret) {
  const key = `${HOST_KEYS}account/${encodeURIComponent(user)}`;
  let stored = null;
  try {
    stored = JSON.parse((await kv.get(key)) ?? "null");
  } catch {
    stored = null;
  }
  if (stored && typeof stored.phc === "string" && typeof stored.epoch === "string") {
    try {
      if (verifyPasswordHash(secret, stored.phc)) return { user, phc: stored.phc, epoch: stored.epoch };
    } catch {
      // unreadable PHC: re-hash below
    }
  }
  // New account, or the binding changed since the PHC was stored: hash the current password
  // (OWASP profile) and start a new epoch, which ends the sessions of the old password.
  const record = { v: 1, user, phc: hashPassword(secret), epoch: randomToken(12), updatedAt: Date.now() };
  await kv.put(key, JSON.stringify(record));
  return { user, phc: record.phc, epoch: record.epoch };
}

// ---------------------------------------------------------------------------------------------
// Sessions

function sessionKey(hash) {
  return `${HOST_KEYS}session/${hash}`;
}

/** The signed-in user, or a 401 HttpError (no WWW-Authenticate: this is not Basic). */
async function requireSession(request, env) {
  const token = cookie(request, SESSION_COOKIE);
  if (token && /^[A-Za-z0-9_-]{43}$/.test(token)) {
    const raw = await env.APP_PASSWORDS.get(sessionKey(await sha256Hex(token)));
    let session = null;
    try {
      session = JSON.parse(raw ?? "null");
    } catch {
      session = null;
    }
    if (session && typeof session.user === "string" && session.expiresAt > Date.now()) {
      const acct = await account(env, session.user);
      if (acct && acct.epoch === session.epoch) return { user: session.user, token };
    }
  }
  throw new HttpError(401, "not_signed_in", "You are not signed in.");
}

function sessionCookie(url, value, maxAge) {
  const secure = url.protocol === "https:" ? "; Secure" : "";
  return `${SESSION_COOKIE}=${value}; Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Strict${secure}`;
}

// ---------------------------------------------------------------------------------------------
// Session routes: /login, /logout, /api/session, /api/app-passwords*

const LOGIN_NOT_ALLOWED =
  "App passwords cannot be used to sign in to the website. Sign in with your account password.";

async function login(request, env, url, ctx) {
  const body = await readJson(request);
  const { username, password } = body;
  if (typeof username !== "string" || typeof password !== "string" || !username || !password) {
    throw new HttpError(400, "invalid_request", "Send {username, password}.");
  }
  if (username.length > MAX_USERNAME || password.length > MAX_PASSWORD) {
    throw new HttpError(401, "invalid_credentials", "Incorrect username or password.");
  }
  if (looksLikeAppPassword(password)) {
    // The library is the authority: a real app password gets login_not_allowed from verify.
    // One that only looks like an app password (unknown, revoked, another user's) is not an
    // account password either, so the answer is the same: it cannot sign in.
    const result = await appPasswords(env).verify({
      username,
      password,
      purpose: "login",
      waitUntil: (p) => ctx.waitUntil(p),
    });
    if (!result.ok && result.code !== "login_not_allowed") {
      console.log(`login with an app-password-shaped secret refused (${result.reason ?? result.code})`);
    }
    throw new HttpError(403, "login_not_allowed", LOGIN_NOT_ALLOWED);
  }
  if (accountSecrets(env).size === 0) {
    throw new HttpError(503, "not_configured", "No account is configured: set the DEMO_PASSWORD secret.");
  }
  const acct = await account(env, username);
  let ok;
  if (acct) {
    ok = verifyPasswordHash(password, acct.phc);
  } else {
    // Unknown user: spend the same hash time against some stored hash, and refuse.
    const any = await account(env, "demo");
    if (any) verifyPasswordHash(password, any.phc);
    ok = false;
  }
  if (!ok) throw new HttpError(401, "invalid_credentials", "Incorrect username or password.");

  const token = randomToken(32);
  const expiresAt = Date.now() + SESSION_TTL_S * 1000;
  await env.APP_PASSWORDS.put(
    sessionKey(await sha256Hex(token)),
    JSON.stringify({ user: username, epoch: acct.epoch, createdAt: Date.now(), expiresAt }),
    { expirationTtl: SESSION_TTL_S },
  );
  return json(200, { username }, { "set-cookie": sessionCookie(url, token, SESSION_TTL_S) });
}

async function logout(request, env, url) {
  await readJson(request); // state-changing: a JSON body (the page sends `{}`)
  const token = cookie(request, SESSION_COOKIE);
  if (token && /^[A-Za-z0-9_-]{43}$/.test(token)) {
    await env.APP_PASSWORDS.delete(sessionKey(await sha256Hex(token)));
  }
  return json(204, null, { "set-cookie": sessionCookie(url, "", 0) });
}

async function createAppPassword(request, env, user) {
  const body = await readJson(request);
  const { label, scopes, expiresAt } = body;
  if (typeof label !== "string") throw new HttpError(400, "invalid_label", "Give the app password a label (1 to 255 characters).");
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === "string")) {
    throw new HttpError(400, "invalid_scopes", "scopes must be an array of scope names.");
  }
  if (expiresAt !== undefined && expiresAt !== null && (typeof expiresAt !== "number" || !Number.isFinite(expiresAt))) {
    throw new HttpError(400, "invalid_expiry", "expiresAt must be a time in epoch milliseconds.");
  }
  const options = { user, label: label.trim(), scopes };
  if (typeof expiresAt === "number") options.expiresAt = expiresAt;
  const created = await appPasswords(env).create(options);
  return json(201, created, { location: `/api/app-passwords/${created.id}` });
}

// ---------------------------------------------------------------------------------------------
// The Basic API (app passwords): 401 carries WWW-Authenticate: Basic realm="app-passwords".

const SAMPLE_REPOSITORIES = [
  { slug: "website", name: "website", language: "javascript", is_private: false },
  { slug: "api-server", name: "api-server", language: "rust", is_private: true },
  { slug: "deploy-scripts", name: "deploy-scripts", language: "shell", is_private: true },
];

async function basic(request, env, ctx, require) {
  const ap = appPasswords(env);
  const result = await ap.verifyRequest(request, { require, waitUntil: (p) => ctx.waitUntil(p) });
  if (!result.ok) {
    if (result.reason) console.log(`Basic auth refused: ${result.code} (${result.reason})`);
    return { response: ap.unauthorized(result) };
  }
  return { result };
}

async function apiUser(request, env, ctx) {
  const { result, response } = await basic(request, env, ctx, []);
  if (response) return response;
  return json(200, { username: result.user, scopes: result.scopes });
}

async function listRepositories(request, env, ctx) {
  const { result, response } = await basic(request, env, ctx, ["repository"]);
  if (response) return response;
  const values = SAMPLE_REPOSITORIES.map((r) => ({ ...r, full_name: `${result.user}/${r.slug}` }));
  return json(200, { values, size: values.length });
}

async function createRepository(request, env, ctx) {
  const { result, response } = await basic(request, env, ctx, ["repository:write"]);
  if (response) return response;
  const body = await readJson(request);
  const name = body.name;
  if (typeof name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,61}$/.test(name)) {
    throw new HttpError(400, "invalid_name", "name must be 1 to 62 letters, digits, '.', '_' or '-'.");
  }
  const slug = name.toLowerCase();
  const repository = {
    slug,
    name,
    full_name: `${result.user}/${slug}`,
    is_private: body.is_private !== false,
    created_on: new Date().toISOString(),
  };
  // A sample write: answered as if created, nothing is kept.
  return json(201, { repository }, { location: `/api/repositories/${slug}` });
}

async function workspaceSettings(request, env, ctx) {
  // Needs `workspace:admin`, which is never grantable: every app password gets 403
  // not_allowed_for_app_passwords (wrong credentials still get 401).
  const { response } = await basic(request, env, ctx, ["workspace:admin"]);
  if (response) return response;
  return json(200, { settings: {} });
}

// ---------------------------------------------------------------------------------------------
// Routing

const STORE_CODES = new Set(["store_unavailable", "store_corrupt", "store_timeout"]);

function methodNotAllowed(allowed) {
  return errorResponse(405, "method_not_allowed", "Method not allowed.", { headers: { allow: allowed.join(", ") } });
}

async function route(request, env, ctx, url) {
  const { pathname } = url;
  const method = request.method;
  const stateChanging = method !== "GET" && method !== "HEAD" && method !== "OPTIONS";

  if (pathname === "/login" || pathname === "/logout") {
    if (method !== "POST") return methodNotAllowed(["POST"]);
    checkSameOrigin(request, url);
    return pathname === "/login" ? login(request, env, url, ctx) : logout(request, env, url);
  }

  if (stateChanging) checkSameOrigin(request, url);

  switch (pathname) {
    case "/api/session": {
      if (method !== "GET") return methodNotAllowed(["GET"]);
      const { user } = await requireSession(request, env);
      return json(200, { username: user });
    }
    case "/api/scopes":
      if (method !== "GET") return methodNotAllowed(["GET"]);
      return json(200, { scopes: appPasswords(env).catalog() });
    case "/api/app-passwords": {
      if (method !== "GET" && method !== "POST") return methodNotAllowed(["GET", "POST"]);
      const { user } = await requireSession(request, env);
      if (method === "POST") return createAppPassword(request, env, user);
      return json(200, { appPasswords: await appPasswords(env).list(user) });
    }
    case "/api/user":
      if (method !== "GET") return methodNotAllowed(["GET"]);
      return apiUser(request, env, ctx);
    case "/api/repositories":
      if (method === "GET") return listRepositories(request, env, ctx);
      if (method === "POST") return createRepository(request, env, ctx);
      return methodNotAllowed(["GET", "POST"]);
    case "/api/workspace/settings":
      if (method !== "GET") return methodNotAllowed(["GET"]);
      return workspaceSettings(request, env, ctx);
    default:
      break;
  }

  const revoke = /^\/api\/app-passwords\/([^/]+)$/.exec(pathname);
  if (revoke) {
    if (method !== "DELETE") return methodNotAllowed(["DELETE"]);
    const { user } = await requireSession(request, env);
    await requireNoBody(request);
    let id;
    try {
      id = decodeURIComponent(revoke[1]);
    } catch {
      id = "";
    }
    const revoked = /^[0-9A-Za-z]{1,64}$/.test(id) && (await appPasswords(env).revoke(user, id));
    if (!revoked) return errorResponse(404, "not_found", "You have no app password with that id.");
    return json(204, null);
  }

  if (pathname === "/api" || pathname.startsWith("/api/")) {
    return errorResponse(404, "not_found", "No such API route.");
  }
  return null; // the static page
}

function isApiPath(pathname) {
  return pathname === "/login" || pathname === "/logout" || pathname === "/api" || pathname.startsWith("/api/");
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const api = isApiPath(url.pathname);
    let response;
    try {
      response = await route(request, env, ctx, url);
      if (response === null) {
        if (request.method !== "GET" && request.method !== "HEAD") {
          response = methodNotAllowed(["GET", "HEAD"]);
        } else if (env.ASSETS) {
          response = await env.ASSETS.fetch(request);
        } else {
          response = new Response("Not found", { status: 404, headers: { "content-type": "text/plain" } });
        }
      }
    } catch (err) {
      if (err instanceof HttpError) {
        response = errorResponse(err.status, err.code, err.message, { extra: err.extra });
      } else if (err instanceof AppPasswordError || (err && typeof err.code === "string" && err.name === "AppPasswordError")) {
        if (STORE_CODES.has(err.code)) {
          console.error("store failure:", err.code, err.message);
          response = errorResponse(503, err.code, "The password store is unavailable. Try again.");
        } else {
          response = errorResponse(400, err.code, friendly(err.message));
        }
      } else {
        console.error("internal error:", err && err.stack ? err.stack : err);
        response = errorResponse(500, "internal_error", "Something went wrong on the server.");
      }
    }
    await drain(request);
    return secure(response, { api });
  },
};

/** Reads what is left of a small request body, so that the connection can be kept alive. */
async function drain(request) {
  if (!request.body || request.bodyUsed) return;
  const length = Number(request.headers.get("content-length") ?? NaN);
  try {
    if (length <= MAX_BODY_BYTES) await request.arrayBuffer();
    else await request.body.cancel();
  } catch {
    // the client went away
  }
}
