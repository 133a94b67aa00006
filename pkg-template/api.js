// The public API of the package over the wasm bindings. The rules live in the Rust core;
// this file adds what only JavaScript can do: HTTP Request/Response glue, background
// completion of the lastUsedAt write, and a real Error subclass.

import {
  AppPasswordsCore,
  passwords as corePasswords,
  Operation,
  scopes as coreScopes,
} from "./app_passwords.js";

import { withBulkRead, withTimeout } from "./stores.js";
import { drive } from "./drive.js";
import { AppPasswordError } from "./errors.js";
import { requireReady } from "./internal.js";
import { handleSecretScanningReport } from "./secret-scanning.js";

export {
  memoryStore,
  workersKvStore,
  denoKvStore,
  redisStore,
  durableObjectStore,
  serveDurableObjectStore,
  AppPasswordsDurableObject,
  withTimeout,
} from "./stores.js";
export { AppPasswordError, isAppPasswordError } from "./errors.js";

const MESSAGES = {
  invalid_credentials: "Invalid username or app password.",
  login_not_allowed: "App passwords cannot be used to sign in to the website. Use your account password.",
  insufficient_scope: "This app password does not have the scopes this request needs.",
  not_allowed_for_app_passwords: "App passwords cannot be used for this action.",
  request_not_allowed: "This app password is not allowed for this request.",
};

function headerOf(request) {
  const headers = request && request.headers;
  if (!headers) throw new AppPasswordError("verifyRequest needs a Request (or an object with headers)", "invalid_argument");
  if (typeof headers.get === "function") return headers.get("authorization");
  const value = headers.authorization ?? headers.Authorization;
  return Array.isArray(value) ? value[0] : value ?? null;
}

/**
 * The path of a request's URL for the path caveats: a Request's `url` is absolute (already
 * normalised by the URL parser), a Node IncomingMessage's is the path itself. The core cuts off
 * the query and refuses what it cannot match safely; `undefined` when there is no URL.
 */
function pathOf(request) {
  const url = request.url;
  if (typeof url !== "string") return undefined;
  if (url.startsWith("/")) return url;
  const scheme = url.indexOf("://");
  if (scheme < 0) return undefined;
  // The path starts at the first "/", "?" or "#" after the authority.
  for (let i = scheme + 3; i < url.length; i++) {
    const c = url[i];
    if (c === "/") return url.slice(i);
    if (c === "?" || c === "#") return "/" + url.slice(i);
  }
  return "/";
}

/**
 * The answer of a synchronous verify export, which returns its error rather than throw (the
 * glue of a throwing export costs a few percent of a cache hit: bindings/wasm/src/verify.rs).
 */
function answerOrThrow(answer) {
  if (answer instanceof AppPasswordError) throw answer;
  return answer;
}

/** Whether `value` may cross into the wasm as an optional string (`verifyHitNow` takes them typed). */
const optionalString = (value) => value == null || typeof value === "string";

/** The core's operations by number (`AppPasswordsCore.start`, bindings/wasm/src/service.rs). */
const OPERATIONS = Object.freeze({
  create: 0,
  createFromHash: 1,
  list: 2,
  revoke: 3,
  revokeAll: 4,
  rotate: 5,
  setEnabled: 6,
  reportLeaked: 7,
  verifyHeader: 8,
});

/** The app-password service over a host key-value store. */
export class AppPasswords {
  #core;
  /** The store as the core's operations use it (with the timeout and bulk-read wrappers). */
  #store;
  #waitUntil;
  #onError;
  #onCanary;
  #realm;

  /**
   * @param {import("./index.d.ts").AppPasswordsOptions} options
   */
  constructor(options = {}) {
    requireReady();
    const { waitUntil, onError, onCanary, realm, storeTimeoutMs, ...core } = options ?? {};
    if (onCanary !== undefined && typeof onCanary !== "function") {
      throw new AppPasswordError("onCanary must be a function", "invalid_argument");
    }
    if (storeTimeoutMs !== undefined) core.store = withTimeout(core.store, storeTimeoutMs);
    core.store = withBulkRead(core.store);
    this.#core = new AppPasswordsCore(core);
    this.#store = core.store;
    this.#waitUntil = waitUntil;
    this.#onError = onError;
    this.#onCanary = onCanary;
    this.#realm = realm ?? "app-passwords";
  }

  /** Runs the core's operation `call` (one of OPERATIONS) against the store. */
  #start(call, first, second, third, fourth, fifth) {
    return drive(this.#store, this.#core.start(call, first, second, third, fourth, fifth));
  }

  /** Creates a password; the result holds it, the only time it is ever available. */
  async create(options) {
    return this.#start(OPERATIONS.create, options);
  }

  /** Stores a password minted elsewhere (`mintAppPassword`) from its id and PHC string. */
  async createFromHash(options) {
    return this.#start(OPERATIONS.createFromHash, options);
  }

  /** The user's passwords (never the password or its hash). */
  async list(user) {
    return this.#start(OPERATIONS.list, user);
  }

  /** Revokes; `true` if that user had the password. */
  async revoke(user, id) {
    return this.#start(OPERATIONS.revoke, user, id);
  }

  /** Revokes every password of `user` (account deletion); resolves to how many. */
  async revokeAll(user) {
    return this.#start(OPERATIONS.revokeAll, user);
  }

  /** Rotates: a replacement (shown once); the old one works until the new one's first use or `overlapMs`. */
  async rotate(user, id, options) {
    return this.#start(OPERATIONS.rotate, user, id, options);
  }

  /** Disables (`false`) or enables (`true`); `true` if that user had the password. */
  async setEnabled(user, id, enabled) {
    return this.#start(OPERATIONS.setEnabled, user, id, enabled);
  }

  /** Revokes a password found in public, if real (checksum, then the secret): `{ found, revoked, id?, user? }`. */
  async reportLeaked(password) {
    return this.#start(OPERATIONS.reportLeaked, password);
  }

  /** GitHub's secret scanning partner endpoint: checks the signature, revokes, answers the labels. */
  handleSecretScanningReport(request, options) {
    return handleSecretScanningReport(this, request, options);
  }

  /** Verifies username + password; never throws for wrong credentials. */
  async verify(options) {
    // The core answers now when it can (malformed, or a fresh cache hit), else an operation.
    const now = this.#core.verify(
      options?.username,
      options?.password,
      options?.require,
      options?.purpose,
      options?.clientIp,
      options?.method,
      options?.path,
    );
    if (!(now instanceof Operation)) return answerOrThrow(now);
    const [result, followUp, canary] = await drive(this.#store, now);
    this.#background(followUp && drive(this.#store, followUp), options && options.waitUntil, canary);
    return result;
  }

  /**
   * Verifies the request's `Authorization: Basic` header. Method and path (for a password's
   * caveats) come from the request unless given; the client IP only from `options.clientIp`.
   */
  async verifyRequest(request, options = {}) {
    const header = headerOf(request);
    const { require, clientIp } = options;
    // Answered now for a malformed password or a cache hit; the request's details are read
    // only when the answer needs them: for the async path, or when the core answered a ticket
    // (a cache hit of a password with caveats), to answer that hit now.
    const now = this.#core.verifyHeaderNow(header, require);
    if (typeof now === "object") return answerOrThrow(now);
    const method = options.method ?? request.method;
    const path = options.path ?? pathOf(request);
    if (now !== undefined && optionalString(clientIp) && optionalString(method) && optionalString(path)) {
      const answered = this.#core.verifyHitNow(now, clientIp, method, path);
      if (answered !== undefined) return answered;
    }
    const answer = await this.#start(OPERATIONS.verifyHeader, header, require, clientIp, method, path);
    const [result, followUp, canary] = answer;
    this.#background(followUp && drive(this.#store, followUp), options.waitUntil, canary);
    return result;
  }

  /** A 401 (with the Basic challenge) or 403 JSON response for a refused result. */
  unauthorized(result) {
    const code = (result && result.code) || "invalid_credentials";
    const status = result && result.status === 403 ? 403 : 401;
    const error = { code, message: MESSAGES[code] ?? MESSAGES.invalid_credentials };
    if (result && Array.isArray(result.missing) && result.missing.length) error.missing = result.missing;
    const headers = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
    if (status === 401) headers["www-authenticate"] = `Basic realm="${this.#realm}", charset="UTF-8"`;
    return new Response(JSON.stringify({ error }), { status, headers });
  }

  /** This service's scope catalogue. */
  catalog() {
    return this.#core.settings(0);
  }

  /** The password prefix. */
  get prefix() {
    return this.#core.settings(1);
  }

  /** The hashing profile of new records: what a page mints with for `createFromHash`. */
  get hashing() {
    return this.#core.settings(2);
  }

  #background(pending, waitUntil, canary) {
    // A canary's use goes to the host's hook after the answer, kept alive like the writes.
    const hook = canary && this.#onCanary;
    if (!pending && !hook) return;
    const reported = (promise) =>
      promise &&
      promise.catch((err) => {
        if (this.#onError) this.#onError(err);
      });
    const done = Promise.all([reported(pending), hook && reported(Promise.resolve().then(() => hook(canary)))]);
    const keepAlive = waitUntil ?? this.#waitUntil;
    if (typeof keepAlive === "function") keepAlive(done);
  }
}

/** One of the core's five password functions, by its number (bindings/wasm/src/functions.rs). */
function passwordsCall(call, first, second) {
  requireReady();
  return corePasswords(call, first, second);
}

/** A new password in the package's format, from the platform CSPRNG; nothing stored. */
export function generatePassword(options) {
  return passwordsCall(0, options);
}

/**
 * A new password and its Argon2id PHC string, computed here (a browser): the server stores the
 * hash with `createFromHash` and never sees the password. A Promise, so that a later version may
 * hash off the main thread without changing callers.
 */
export async function mintAppPassword(options) {
  return passwordsCall(1, options);
}

/** Prefix, length, alphabet and checksum of an app password; no store access. */
export function looksLikeAppPassword(candidate) {
  return passwordsCall(2, candidate);
}

/** Argon2id PHC string of a (human) password; OWASP profile unless `params` says otherwise. */
export function hashPassword(password, params) {
  return passwordsCall(3, password, params);
}

/** Whether `password` matches any Argon2 PHC string; throws `invalid_hash` if unreadable. */
export function verifyPasswordHash(password, phc) {
  return passwordsCall(4, password, phc);
}

/** One of the core's six scope functions, by its number (bindings/wasm/src/scopes.rs). */
function scopesCall(call, first, second, catalog) {
  requireReady();
  return coreScopes(call, first, second, catalog);
}

/** Scope helpers over the default catalogue, or the catalogue passed last. */
export const scopes = Object.freeze({
  catalog: (catalog) => scopesCall(0, undefined, undefined, catalog),
  normalize: (names, catalog) => scopesCall(1, names, undefined, catalog),
  encode: (names, catalog) => scopesCall(2, names, undefined, catalog),
  decode: (encoded, catalog) => scopesCall(3, encoded, undefined, catalog),
  satisfies: (granted, required, catalog) => scopesCall(4, granted, required, catalog),
  missing: (granted, required, catalog) => scopesCall(5, granted, required, catalog),
});
