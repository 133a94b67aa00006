// The HTTP API (README "The HTTP API"): sign-in and the page's session routes, then the Basic
// API that scripts call with `username:app_password`. Each handler reads as the steps it takes;
// the package calls are the functions imported from ./app-passwords.js.

import { account, configuredAccounts, isConfigured } from "./accounts.js";
import * as apw from "./app-passwords.js";
import { HttpError, checkSameOrigin, errorResponse, json, methodNotAllowed, readJson, requireNoBody } from "./http.js";
import { checkBasic, countSignIn } from "./limits.js";
import { endSession, requireSession, startSession } from "./sessions.js";

const MAX_USERNAME = 128;
const MAX_PASSWORD = 1024;

const LOGIN_NOT_ALLOWED =
  "App passwords cannot be used to sign in to the website. Sign in with your account password.";
const INVALID_CREDENTIALS = "Incorrect username or password.";

// ---------------------------------------------------------------------------------------------
// Sign-in and the page's session routes

async function login(request, env, url, ctx) {
  const { username, password } = await readJson(request);
  if (typeof username !== "string" || typeof password !== "string" || !username || !password) {
    throw new HttpError(400, "invalid_request", "Send {username, password}.");
  }
  if (username.length > MAX_USERNAME || password.length > MAX_PASSWORD) {
    throw new HttpError(401, "invalid_credentials", INVALID_CREDENTIALS); // no hash: nothing to count
  }
  if (configuredAccounts(env).size === 0) {
    throw new HttpError(503, "not_configured", "No account is configured: set the DEMO_PASSWORD secret.");
  }
  // Counted before any hashing; 429 past the limits.
  const attempt = await countSignIn(env, request, username);

  if (await apw.isAppPasswordAtLogin(env, ctx, username, password)) {
    throw new HttpError(403, "login_not_allowed", LOGIN_NOT_ALLOWED);
  }
  const acct = await account(env, username);
  let ok;
  if (acct) {
    ok = apw.checkAccountPassword(password, acct.phc);
  } else {
    // Unknown user: spend the same hash time against some stored hash, and refuse.
    const any = await account(env, "demo");
    if (any) apw.checkAccountPassword(password, any.phc);
    ok = false;
  }
  if (!ok) throw new HttpError(401, "invalid_credentials", INVALID_CREDENTIALS);

  await attempt.succeeded();
  return json(200, { username }, { "set-cookie": await startSession(env, url, acct) });
}

async function logout(request, env, url) {
  await readJson(request); // state-changing: a JSON body (the page sends `{}`)
  return json(204, null, { "set-cookie": await endSession(request, env, url) });
}

/** The caveat options of create the page may send (docs/design.md#caveats). */
const CAVEATS = ["allowIps", "denyIps", "notBefore", "methods", "paths", "maxUses"];

async function createAppPassword(request, env, user) {
  const body = await readJson(request);
  const { label, scopes, expiresAt, canary } = body;
  if (typeof label !== "string") throw new HttpError(400, "invalid_label", "Give the app password a label (1 to 255 characters).");
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === "string")) {
    throw new HttpError(400, "invalid_scopes", "scopes must be an array of scope names.");
  }
  if (expiresAt !== undefined && expiresAt !== null && (typeof expiresAt !== "number" || !Number.isFinite(expiresAt))) {
    throw new HttpError(400, "invalid_expiry", "expiresAt must be a time in epoch milliseconds.");
  }
  if (canary !== undefined && typeof canary !== "boolean") throw new HttpError(400, "invalid_request", "canary must be true or false.");
  const options = { user, label: label.trim(), scopes };
  if (typeof expiresAt === "number") options.expiresAt = expiresAt;
  // Caveats are passed on as sent; the library checks them (invalid_caveat, store_lacks_atomic).
  for (const name of CAVEATS) if (body[name] !== undefined && body[name] !== null) options[name] = body[name];
  if (canary) options.canary = true;
  const created = await apw.create(env, options);
  return json(201, created, { location: `/api/app-passwords/${created.id}` });
}

/**
 * "Generate in this browser": the page minted the password and sends `{label, scopes, id, phc}`;
 * the password itself never reaches this server. The package checks the id and the hash.
 */
async function storeMintedAppPassword(request, env, user) {
  const body = await readJson(request);
  const { label, scopes, id, phc } = body;
  if (typeof label !== "string") throw new HttpError(400, "invalid_label", "Give the app password a label (1 to 255 characters).");
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === "string")) {
    throw new HttpError(400, "invalid_scopes", "scopes must be an array of scope names.");
  }
  if (typeof id !== "string" || typeof phc !== "string") {
    throw new HttpError(400, "invalid_hash", "Send the minted password's id and PHC string.");
  }
  if (!apw.mintingProfile(env).available) {
    throw new HttpError(409, "minting_unavailable", "This server hashes with a pepper: create the password on the server.");
  }
  const options = { user, label: label.trim(), scopes, id, phc };
  if (typeof body.expiresAt === "number") options.expiresAt = body.expiresAt;
  for (const name of CAVEATS) if (body[name] !== undefined && body[name] !== null) options[name] = body[name];
  const stored = await apw.createFromHash(env, options);
  return json(201, stored, { location: `/api/app-passwords/${stored.id}` });
}

async function revokeAppPassword(request, env, url, encodedId) {
  const { user } = await requireSession(request, env, url);
  await requireNoBody(request);
  let id;
  try {
    id = decodeURIComponent(encodedId);
  } catch {
    id = "";
  }
  const revoked = /^[0-9A-Za-z]{1,64}$/.test(id) && (await apw.revoke(env, user, id));
  if (!revoked) return errorResponse(404, "not_found", "You have no app password with that id.");
  return json(204, null);
}

/** The id of a `/api/app-passwords/{id}...` path, or "" when it cannot be one. */
function idOf(encodedId) {
  let id;
  try {
    id = decodeURIComponent(encodedId);
  } catch {
    return "";
  }
  return /^[0-9A-Za-z]{1,64}$/.test(id) ? id : "";
}

async function rotateAppPassword(request, env, url, encodedId) {
  const { user } = await requireSession(request, env, url);
  const { overlapMs } = await readJson(request);
  if (overlapMs !== undefined && overlapMs !== null && (typeof overlapMs !== "number" || !Number.isFinite(overlapMs))) {
    throw new HttpError(400, "invalid_request", "overlapMs must be a number of milliseconds.");
  }
  const id = idOf(encodedId);
  const rotated = id && (await apw.rotate(env, user, id, typeof overlapMs === "number" ? { overlapMs } : {}));
  if (!rotated) return errorResponse(404, "not_found", "You have no app password with that id.");
  return json(201, rotated, { location: `/api/app-passwords/${rotated.id}` });
}

async function setAppPasswordEnabled(request, env, url, encodedId) {
  const { user } = await requireSession(request, env, url);
  const { enabled } = await readJson(request);
  if (typeof enabled !== "boolean") throw new HttpError(400, "invalid_request", "Send {enabled: true} or {enabled: false}.");
  const id = idOf(encodedId);
  const done = id && (await apw.setEnabled(env, user, id, enabled));
  if (!done) return errorResponse(404, "not_found", "You have no app password with that id.");
  return json(200, { id, enabled });
}

// ---------------------------------------------------------------------------------------------
// The Basic API (app passwords): a 401 carries WWW-Authenticate: Basic realm="app-passwords".

const SAMPLE_REPOSITORIES = [
  { slug: "website", name: "website", language: "javascript", is_private: false },
  { slug: "api-server", name: "api-server", language: "rust", is_private: true },
  { slug: "deploy-scripts", name: "deploy-scripts", language: "shell", is_private: true },
];

/** `{result}` when the request's app password holds `require`, else `{response}` (401/403). */
async function basic(request, env, ctx, require) {
  const limit = await checkBasic(env, request); // 429 past the address's limit, before verifying
  let result = await apw.verifyBasic(request, env, ctx, require);
  if (result.ok && !isConfigured(env, result.user)) {
    // Removed from the configuration: refused at once, while the sweep revokes its passwords.
    result = apw.INVALID_CREDENTIALS;
  }
  if (!result.ok) {
    if (result.reason) console.log(`Basic auth refused: ${result.code} (${result.reason})`);
    if (result.status === 401) await limit.failed();
    return { response: apw.unauthorized(env, result) };
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
// The table

/** The API's answer, or null for a path the static page serves. */
export async function route(request, env, ctx, url) {
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
      const { user } = await requireSession(request, env, url);
      return json(200, { username: user });
    }
    case "/api/scopes":
      if (method !== "GET") return methodNotAllowed(["GET"]);
      return json(200, { scopes: apw.catalog(env) });
    case "/api/hashing-profile":
      if (method !== "GET") return methodNotAllowed(["GET"]);
      return json(200, apw.mintingProfile(env));
    case "/api/app-passwords/from-hash": {
      if (method !== "POST") return methodNotAllowed(["POST"]);
      const { user } = await requireSession(request, env, url);
      return storeMintedAppPassword(request, env, user);
    }
    case "/api/app-passwords": {
      if (method !== "GET" && method !== "POST") return methodNotAllowed(["GET", "POST"]);
      const { user } = await requireSession(request, env, url);
      if (method === "POST") return createAppPassword(request, env, user);
      return json(200, { appPasswords: await apw.list(env, user) });
    }
    case "/api/secret-scanning":
      // GitHub's secret scanning partner program: no session, the report's signature is the
      // authentication (docs/secret-scanning.md).
      if (method !== "POST") return methodNotAllowed(["POST"]);
      return apw.secretScanningReport(request, env);
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

  const action = /^\/api\/app-passwords\/([^/]+)\/(rotate|enabled)$/.exec(pathname);
  if (action) {
    if (method !== "POST") return methodNotAllowed(["POST"]);
    return action[2] === "rotate"
      ? rotateAppPassword(request, env, url, action[1])
      : setAppPasswordEnabled(request, env, url, action[1]);
  }

  const revoke = /^\/api\/app-passwords\/([^/]+)$/.exec(pathname);
  if (revoke) {
    if (method !== "DELETE") return methodNotAllowed(["DELETE"]);
    return revokeAppPassword(request, env, url, revoke[1]);
  }

  if (pathname === "/api" || pathname.startsWith("/api/")) {
    return errorResponse(404, "not_found", "No such API route.");
  }
  return null; // the static page
}
