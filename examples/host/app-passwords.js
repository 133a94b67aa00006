// Every use of the `app-passwords` package in this host, in one place. The other modules call
// these functions; none imports the package itself.

import {
  AppPasswords,
  AppPasswordError,
  hashPassword,
  looksLikeAppPassword,
  durableObjectStore,
  verifyPasswordHash,
  workersKvStore,
} from "../../pkg/workerd.js";

// The Durable Object class that holds the records when APP_PASSWORDS_STORE = "durable-object"
// (worker.js exports it; wrangler.toml binds it as APP_PASSWORDS_DO).
export { AppPasswordsDurableObject } from "../../pkg/workerd.js";

import { HttpError } from "./http.js";

const REALM = "app-passwords";

// One service per isolate and store binding: it keeps the lastUsedAt throttle between requests.
let service = null;

/**
 * Where the records live, chosen by the APP_PASSWORDS_STORE setting:
 * - "kv" (the default): the APP_PASSWORDS KV namespace. Eventually consistent: a revoke can take
 *   about 60 s to reach other Cloudflare locations.
 * - "durable-object": one Durable Object (APP_PASSWORDS_DO) serves every store call. Strongly
 *   consistent: a revoke is seen at once by every later verify, everywhere; every verify is a
 *   round trip to the object's location.
 */
function recordStore(env) {
  const kind = env.APP_PASSWORDS_STORE ?? "kv";
  if (kind === "durable-object") {
    if (!env.APP_PASSWORDS_DO) {
      throw new HttpError(500, "not_configured", "APP_PASSWORDS_STORE is durable-object but the binding APP_PASSWORDS_DO is missing.");
    }
    return { binding: env.APP_PASSWORDS_DO, store: durableObjectStore(env.APP_PASSWORDS_DO) };
  }
  if (kind !== "kv") throw new HttpError(500, "not_configured", 'APP_PASSWORDS_STORE must be "kv" or "durable-object".');
  if (!env.APP_PASSWORDS) throw new HttpError(500, "not_configured", "The KV binding APP_PASSWORDS is missing.");
  return { binding: env.APP_PASSWORDS, store: workersKvStore(env.APP_PASSWORDS) };
}

/** The service over the configured record store (and the PEPPER secret, when set). */
export function appPasswords(env) {
  const binding = (env.APP_PASSWORDS_STORE ?? "kv") === "durable-object" ? env.APP_PASSWORDS_DO : env.APP_PASSWORDS;
  if (!service || service.binding !== binding) {
    const chosen = recordStore(env);
    const options = {
      store: chosen.store,
      realm: REALM,
      onError: (err) => console.error("app-passwords background write failed:", err && err.code, err && err.message),
      // A canary was used: someone holds a password that should never have left its hiding
      // place. A real deployment pages someone here; the answer was already "invalid credentials".
      onCanary: ({ id, user, label, at }) =>
        console.warn(`CANARY app password used: id ${id}, user ${user}, label ${JSON.stringify(label)}, at ${new Date(at).toISOString()}`),
    };
    if (typeof env.PEPPER === "string" && env.PEPPER) options.pepper = env.PEPPER;
    service = { binding: chosen.binding, ap: new AppPasswords(options) };
  }
  return service.ap;
}

// The page's calls (a signed-in session): the catalogue, create, list, revoke.
export const catalog = (env) => appPasswords(env).catalog();
export const create = (env, options) => appPasswords(env).create(options);
/** A password minted in the page: only its id and hash arrive (issue 13, "generate in this browser"). */
export const createFromHash = (env, options) => appPasswords(env).createFromHash(options);
/**
 * What the page mints with: the prefix and hashing profile of the service. Not with a PEPPER:
 * Argon2's secret input stays on the server, so a hash made in the page would never verify.
 */
export function mintingProfile(env) {
  const ap = appPasswords(env);
  const available = !(typeof env.PEPPER === "string" && env.PEPPER);
  return { available, prefix: ap.prefix, hashing: ap.hashing };
}
export const list = (env, user) => appPasswords(env).list(user);
export const revoke = (env, user, id) => appPasswords(env).revoke(user, id);
export const rotate = (env, user, id, options) => appPasswords(env).rotate(user, id, options);
export const setEnabled = (env, user, id, enabled) => appPasswords(env).setEnabled(user, id, enabled);

// GitHub's secret scanning partner endpoint. The keys GitHub signs with: the
// SECRET_SCANNING_PUBLIC_KEYS var (the document as JSON text: tests inject their own key pair),
// else GitHub's public document, fetched once per isolate and hour.
const GITHUB_KEYS_URL = "https://api.github.com/meta/public_keys/secret_scanning";
let githubKeys = null;

async function secretScanningKeys(env, keyId) {
  if (typeof env.SECRET_SCANNING_PUBLIC_KEYS === "string" && env.SECRET_SCANNING_PUBLIC_KEYS) {
    return JSON.parse(env.SECRET_SCANNING_PUBLIC_KEYS);
  }
  const fresh = githubKeys && Date.now() - githubKeys.at < 3_600_000;
  // An identifier we do not know yet may be a key GitHub just rotated in: fetch again.
  const known = fresh && githubKeys.doc.public_keys?.some((k) => k.key_identifier === keyId);
  if (!known) {
    const res = await fetch(GITHUB_KEYS_URL, { headers: { accept: "application/json", "user-agent": "app-passwords-example-host" } });
    if (!res.ok) throw new HttpError(503, "keys_unavailable", "GitHub's secret scanning keys could not be fetched.");
    githubKeys = { at: Date.now(), doc: await res.json() };
  }
  return githubKeys.doc;
}

/** POST /api/secret-scanning: GitHub's report of app passwords found in public. */
export const secretScanningReport = (request, env) =>
  appPasswords(env).handleSecretScanningReport(request, {
    publicKeys: (keyId) => secretScanningKeys(env, keyId),
    onLeak: ({ id, user, revoked, url }) => console.warn(`leaked app password reported by GitHub: id ${id}, user ${user}, revoked ${revoked}, at ${url}`),
  });

/** An account removed from the configuration: every app password it had is revoked. */
export async function revokeAll(env, user) {
  const ap = appPasswords(env);
  if (typeof ap.revokeAll !== "function") {
    throw new HttpError(500, "not_supported", "This build of app-passwords has no revokeAll(user): rebuild pkg/.");
  }
  return ap.revokeAll(user);
}

/**
 * The Basic API: verifies `Authorization: Basic`, the scopes `require` names and the password's
 * caveats. The client IP is Cloudflare's `CF-Connecting-IP` (set by the edge, whatever the client
 * sent; the local server sets it from the socket); never `X-Forwarded-For`.
 */
export function verifyBasic(request, env, ctx, require) {
  const clientIp = request.headers.get("CF-Connecting-IP");
  return appPasswords(env).verifyRequest(request, { require, clientIp, waitUntil: (p) => ctx.waitUntil(p) });
}

/** The answer to a refused Basic request: 401 with the Basic challenge, or 403. */
export const unauthorized = (env, result) => appPasswords(env).unauthorized(result);

/** The refusal for credentials that verified but belong to an account no longer configured. */
export const INVALID_CREDENTIALS = Object.freeze({ ok: false, status: 401, code: "invalid_credentials" });

/**
 * The sign-in form, given something shaped like an app password: the library is the authority
 * (a real one gets `login_not_allowed`); one that only looks like an app password (unknown,
 * revoked, another user's) is no account password either. Returns true when `password` has
 * that shape, and the form must answer 403 login_not_allowed.
 */
export async function isAppPasswordAtLogin(env, ctx, username, password) {
  if (!looksLikeAppPassword(password)) return false;
  const result = await appPasswords(env).verify({
    username,
    password,
    purpose: "login",
    waitUntil: (p) => ctx.waitUntil(p),
  });
  if (!result.ok && result.code !== "login_not_allowed") {
    console.log(`login with an app-password-shaped secret refused (${result.reason ?? result.code})`);
  }
  return true;
}

// Account passwords (human ones): Argon2id PHC strings, OWASP profile.
export const hashAccountPassword = (password) => hashPassword(password);
export const checkAccountPassword = (password, phc) => verifyPasswordHash(password, phc);

const STORE_CODES = new Set(["store_unavailable", "store_corrupt", "store_timeout"]);

/** The package's errors as HTTP: its store failing is 503, anything else a 400 with its code. */
export function libraryError(err) {
  if (!(err instanceof AppPasswordError || (err && typeof err.code === "string" && err.name === "AppPasswordError"))) {
    return null;
  }
  if (STORE_CODES.has(err.code)) {
    console.error("store failure:", err.code, err.message);
    return { status: 503, code: err.code, message: "The password store is unavailable. Try again." };
  }
  return { status: 400, code: err.code, message: err.message };
}
