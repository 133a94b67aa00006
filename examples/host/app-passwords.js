// Every use of the `app-passwords` package in this host, in one place. The other modules call
// these functions; none imports the package itself.

import {
  AppPasswords,
  AppPasswordError,
  hashPassword,
  looksLikeAppPassword,
  verifyPasswordHash,
  workersKvStore,
} from "../../pkg/workerd.js";

import { HttpError } from "./http.js";

const REALM = "app-passwords";

// One service per isolate and KV binding: it keeps the lastUsedAt throttle between requests.
let service = null;

/** The service over the APP_PASSWORDS KV namespace (and the PEPPER secret, when set). */
export function appPasswords(env) {
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

// The page's calls (a signed-in session): the catalogue, create, list, revoke.
export const catalog = (env) => appPasswords(env).catalog();
export const create = (env, options) => appPasswords(env).create(options);
export const list = (env, user) => appPasswords(env).list(user);
export const revoke = (env, user, id) => appPasswords(env).revoke(user, id);

/** An account removed from the configuration: every app password it had is revoked. */
export async function revokeAll(env, user) {
  const ap = appPasswords(env);
  if (typeof ap.revokeAll !== "function") {
    throw new HttpError(500, "not_supported", "This build of app-passwords has no revokeAll(user): rebuild pkg/.");
  }
  return ap.revokeAll(user);
}

/** The Basic API: verifies `Authorization: Basic` and the scopes `require` names. */
export function verifyBasic(request, env, ctx, require) {
  return appPasswords(env).verifyRequest(request, { require, waitUntil: (p) => ctx.waitUntil(p) });
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
