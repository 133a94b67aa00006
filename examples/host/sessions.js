// Sessions of the page: a random 32-byte token in an HttpOnly, SameSite=Strict cookie, 8 hours.
// KV keeps only its SHA-256 under `host/v1/session/{hex}` (with a KV expiry) and the account's
// epoch at sign-in, so a changed account password ends every older session.
//
// Over https the cookie is `__Host-apw_session` (Secure, Path=/, no Domain: the browser binds
// it to this exact host); over plain http (the local demo) it is `apw_session`.

import { account } from "./accounts.js";
import { HttpError, cookie, randomToken, sha256Hex } from "./http.js";

const SESSION_TTL_S = 8 * 60 * 60;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function cookieName(url) {
  return url.protocol === "https:" ? "__Host-apw_session" : "apw_session";
}

function setCookie(url, value, maxAge) {
  const secure = url.protocol === "https:" ? "; Secure" : "";
  return `${cookieName(url)}=${value}; Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Strict${secure}`;
}

async function sessionKey(token) {
  return `host/v1/session/${await sha256Hex(token)}`;
}

function storeFailed(what, err) {
  console.error(`sessions: ${what} failed:`, err && err.message ? err.message : err);
  return new HttpError(500, "session_store_failed", "The session store could not be reached. Try again.");
}

/** Starts a session for an account; returns the Set-Cookie value. */
export async function startSession(env, url, acct) {
  const token = randomToken(32);
  const expiresAt = Date.now() + SESSION_TTL_S * 1000;
  const record = { user: acct.user, epoch: acct.epoch, createdAt: Date.now(), expiresAt };
  try {
    await env.APP_PASSWORDS.put(await sessionKey(token), JSON.stringify(record), { expirationTtl: SESSION_TTL_S });
  } catch (err) {
    throw storeFailed("writing a session", err);
  }
  return setCookie(url, token, SESSION_TTL_S);
}

/** The signed-in user, or a 401 HttpError (no WWW-Authenticate: this is not Basic). */
export async function requireSession(request, env, url) {
  const token = cookie(request, cookieName(url));
  if (token && TOKEN.test(token)) {
    let raw;
    try {
      raw = await env.APP_PASSWORDS.get(await sessionKey(token));
    } catch (err) {
      throw storeFailed("reading a session", err);
    }
    let session = null;
    try {
      session = JSON.parse(raw ?? "null");
    } catch {
      session = null;
    }
    if (session && typeof session.user === "string" && session.expiresAt > Date.now()) {
      const acct = await account(env, session.user);
      if (acct && acct.epoch === session.epoch) return { user: session.user };
    }
  }
  throw new HttpError(401, "not_signed_in", "You are not signed in.");
}

/** Ends the request's session (if any); returns the Set-Cookie value that clears the cookie. */
export async function endSession(request, env, url) {
  const token = cookie(request, cookieName(url));
  if (token && TOKEN.test(token)) {
    try {
      await env.APP_PASSWORDS.delete(await sessionKey(token));
    } catch (err) {
      throw storeFailed("deleting a session", err);
    }
  }
  return setCookie(url, "", 0);
}
