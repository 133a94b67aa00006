// app-passwords/hono: Hono middleware over an AppPasswords instance the app creates (with the
// store of its runtime). It imports neither the wasm nor hono, so it runs wherever the app's
// `app-passwords` entry runs: Workers, Node (@hono/node-server), Bun, Deno.
import { AppPasswordError } from "./errors.js";

/** The instance each `c.var.appPassword` came from, for requireScopes. */
const issuers = new WeakMap();
/** Per instance: scope name -> grantable, from its catalogue. */
const catalogs = new WeakMap();

function grantableOf(appPasswords) {
  let map = catalogs.get(appPasswords);
  if (!map) {
    map = new Map(appPasswords.catalog().map((s) => [s.name, s.grantable]));
    catalogs.set(appPasswords, map);
  }
  return map;
}

/** `c.executionCtx.waitUntil` on Workers; Hono throws on the getter elsewhere. */
function waitUntilOf(c) {
  try {
    const ctx = c.executionCtx;
    if (ctx && typeof ctx.waitUntil === "function") return (p) => ctx.waitUntil(p);
  } catch {
    // no ExecutionContext (Node, Bun, Deno)
  }
  return undefined;
}

function checkNames(names, where) {
  for (const name of names) {
    if (typeof name !== "string" || name === "") throw new TypeError(`${where} takes scope names (strings)`);
  }
}

/**
 * Verifies the request's `Authorization: Basic` app password. `appPasswords` is the instance,
 * or a function of the context that answers it (create it once and keep it: an instance
 * remembers when it last wrote each password's lastUsedAt). Granted: sets
 * `c.var.appPassword` to `{ user, id, label, scopes }` and calls the next handler. Refused:
 * answers `appPasswords.unauthorized(result)` (401 with the Basic challenge, or 403).
 * @param {import("./hono.d.ts").AppPasswordAuthOptions} options
 */
export function appPasswordAuth(options) {
  const { appPasswords, require, clientIp } = options ?? {};
  const usable = (ap) => ap && typeof ap.verifyRequest === "function" && typeof ap.unauthorized === "function";
  if (typeof appPasswords !== "function" && !usable(appPasswords)) {
    throw new TypeError("appPasswordAuth needs { appPasswords: new AppPasswords({ store }) } (or a function (c) => it)");
  }
  if (require !== undefined) {
    if (!Array.isArray(require)) throw new TypeError("appPasswordAuth: require is an array of scope names");
    checkNames(require, "appPasswordAuth: require");
  }
  if (clientIp !== undefined && typeof clientIp !== "function") {
    throw new TypeError("appPasswordAuth: clientIp is a function (c) => the client's address");
  }
  const required = require ? [...require] : undefined;
  return async function appPasswordAuthMiddleware(c, next) {
    // A function: the instance needs the request's environment (a Worker's bindings are in c.env).
    const ap = typeof appPasswords === "function" ? await appPasswords(c) : appPasswords;
    if (!usable(ap)) throw new TypeError("appPasswordAuth: the appPasswords function returned no AppPasswords");
    const verifyOptions = { require: required, waitUntil: waitUntilOf(c) };
    if (clientIp) verifyOptions.clientIp = (await clientIp(c)) ?? undefined;
    const result = await ap.verifyRequest(c.req.raw, verifyOptions);
    if (!result.ok) return ap.unauthorized(result);
    const info = Object.freeze({ user: result.user, id: result.id, label: result.label, scopes: Object.freeze([...result.scopes]) });
    issuers.set(info, ap);
    c.set("appPassword", info);
    await next();
  };
}

/**
 * Per route, after appPasswordAuth: answers 403 `insufficient_scope` with `missing` (the same
 * body as `unauthorized`) unless the password holds every named scope; a scope that no app
 * password may hold answers 403 `not_allowed_for_app_passwords`. A name that is not in the
 * catalogue throws (a bug in the route, as `verify` does).
 * @param {...string} names
 */
export function requireScopes(...names) {
  checkNames(names, "requireScopes");
  return async function requireScopesMiddleware(c, next) {
    const info = c.get("appPassword");
    const appPasswords = info && issuers.get(info);
    if (!appPasswords) throw new Error("requireScopes runs after appPasswordAuth: c.var.appPassword is not set");
    const grantable = grantableOf(appPasswords);
    const unknown = names.find((n) => !grantable.has(n));
    if (unknown !== undefined) throw new AppPasswordError(`requireScopes: unknown scope "${unknown}"`, "unknown_scope");
    const notGrantable = names.filter((n) => grantable.get(n) === false);
    if (notGrantable.length) {
      return appPasswords.unauthorized({ ok: false, status: 403, code: "not_allowed_for_app_passwords", missing: notGrantable });
    }
    const missing = names.filter((n) => !info.scopes.includes(n));
    if (missing.length) return appPasswords.unauthorized({ ok: false, status: 403, code: "insufficient_scope", missing });
    await next();
  };
}
