// The host's JSON API, one function per call (examples/host/README.md, "The HTTP API"). Errors
// arrive as ApiError with the server's own code and message, which the page shows as they are:
// the rules (labels, scopes, who may sign in) and their wording live on the server.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function call(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, "network_error", "Could not reach the server. Check your connection and try again.");
  }
  let data = null;
  if (res.status !== 204) {
    const text = await res.text().catch(() => "");
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
  }
  if (!res.ok) {
    const err = data && typeof data === "object" ? data.error : null;
    const code = err && typeof err.code === "string" ? err.code : `http_${res.status}`;
    const message =
      err && typeof err.message === "string" && err.message
        ? err.message
        : `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ""}.`;
    throw new ApiError(res.status, code, message);
  }
  return data;
}

/** A 401 on a session call: the session is gone. */
export function isSessionLost(err) {
  return err instanceof ApiError && err.status === 401;
}

const lostListeners = [];

/** `fn()` runs whenever a call that needs the session is answered 401 (before the call throws). */
export function onSessionLost(fn) {
  lostListeners.push(fn);
}

async function sessionCall(method, path, body) {
  try {
    return await call(method, path, body);
  } catch (err) {
    if (isSessionLost(err)) for (const fn of lostListeners) fn();
    throw err;
  }
}

// Not session calls: a 401 from these means "not signed in" or "wrong password", not "lost".

/** `{username}` of the session; ApiError 401 when there is none. */
export const getSession = () => call("GET", "/api/session");
export const signIn = (username, password) => call("POST", "/login", { username, password });
export const signOut = () => call("POST", "/logout", {});

/** The scope catalogue, `[{name, group, level, implies, grantable, closure}]`, in catalogue order. */
export async function getCatalogue() {
  const res = await call("GET", "/api/scopes");
  return Array.isArray(res?.scopes) ? res.scopes : [];
}

/** The signed-in person's app passwords, `[{id, label, scopes, createdAt, expiresAt, lastUsedAt, enabled, replaces, replacedBy}]`. */
export async function listAppPasswords() {
  const res = await sessionCall("GET", "/api/app-passwords");
  return Array.isArray(res?.appPasswords) ? res.appPasswords : [];
}

/** `{id, password, label, scopes, createdAt, expiresAt}`: the only time the password is sent. */
/** `restrictions`: caveats the server passes on (`allowIps`, `methods`), only those set. */
export const createAppPassword = (label, scopes, restrictions = {}) =>
  sessionCall("POST", "/api/app-passwords", { label, scopes, ...restrictions });

/** The replacement, `{id, password, ..., replaces}`: its password is sent this once. */
export const rotateAppPassword = (id) => sessionCall("POST", `/api/app-passwords/${encodeURIComponent(id)}/rotate`, {});

/** Disables (`false`) or enables (`true`). */
export const setAppPasswordEnabled = (id, enabled) =>
  sessionCall("POST", `/api/app-passwords/${encodeURIComponent(id)}/enabled`, { enabled });

/** `{available, prefix, hashing}`: what the page mints with for "generate in this browser". */
export const getMintingProfile = () => call("GET", "/api/hashing-profile");

/**
 * Stores a password minted in this page: only its id and Argon2id hash are sent, never the
 * password. `{id, label, scopes, createdAt, expiresAt, lastUsedAt}`.
 */
export const storeMintedAppPassword = (label, scopes, id, phc, restrictions = {}) =>
  sessionCall("POST", "/api/app-passwords/from-hash", { label, scopes, id, phc, ...restrictions });

export const revokeAppPassword = (id) => sessionCall("DELETE", `/api/app-passwords/${encodeURIComponent(id)}`);
