// Accounts: the secret bindings are the configuration (DEMO_PASSWORD for `demo`, EXTRA_ACCOUNTS
// for more); KV keeps each account's hashPassword PHC and session epoch under
// `host/v1/account/{user}`.
//
// - The first time an isolate needs an account it checks the stored PHC against the binding,
//   and re-hashes with a new epoch (which ends every older session) when they differ.
// - A KV failure while doing so is an error (500 account_sync_failed), never "no account":
//   that would re-hash and sign everyone out.
// - An account that has a record but is no longer configured is removed: all its app
//   passwords are revoked (revokeAll), then its record is deleted.

import { checkAccountPassword, hashAccountPassword, revokeAll } from "./app-passwords.js";
import { HttpError, randomToken } from "./http.js";

const ACCOUNT_KEYS = "host/v1/account/";

function syncFailed(what, err) {
  console.error(`account sync: ${what} failed:`, err && err.message ? err.message : err);
  return new HttpError(500, "account_sync_failed", "The account store could not be reached. Try again.");
}

let parsedExtra = { text: undefined, accounts: [] };

/** username -> password, from the bindings. A malformed EXTRA_ACCOUNTS is an error, not "none". */
export function configuredAccounts(env) {
  const accounts = new Map();
  let extra = env.EXTRA_ACCOUNTS;
  if (extra !== undefined && extra !== "") {
    if (typeof extra === "string") {
      if (parsedExtra.text !== extra) {
        let value;
        try {
          value = JSON.parse(extra);
        } catch {
          value = null;
        }
        if (!value || typeof value !== "object" || Array.isArray(value)) {
          console.error("EXTRA_ACCOUNTS is not a JSON object {username: password}");
          throw new HttpError(500, "not_configured", "EXTRA_ACCOUNTS is not a JSON object.");
        }
        parsedExtra = { text: extra, accounts: Object.entries(value) };
      }
      extra = parsedExtra.accounts;
    } else {
      extra = Object.entries(extra);
    }
    for (const [user, password] of extra) {
      if (typeof password === "string" && password) accounts.set(user, password);
    }
  }
  if (typeof env.DEMO_PASSWORD === "string" && env.DEMO_PASSWORD) accounts.set("demo", env.DEMO_PASSWORD);
  return accounts;
}

export function isConfigured(env, user) {
  return configuredAccounts(env).has(user);
}

// user -> { secret, kv, promise of {user, phc, epoch} }: one check (and at most one re-hash)
// per isolate and binding value; a failed one is forgotten, so the next request tries again.
const accountCache = new Map();

/** The account `{user, phc, epoch}`, or null when `user` is not configured. */
export function account(env, user) {
  const secret = configuredAccounts(env).get(user);
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
  const key = ACCOUNT_KEYS + encodeURIComponent(user);
  let raw;
  try {
    raw = await kv.get(key);
  } catch (err) {
    throw syncFailed(`reading ${key}`, err);
  }
  let stored = null;
  try {
    stored = JSON.parse(raw ?? "null");
  } catch {
    stored = null; // unreadable: re-hashed below from the binding, the source of truth
  }
  if (stored && typeof stored.phc === "string" && typeof stored.epoch === "string") {
    try {
      if (checkAccountPassword(secret, stored.phc)) return { user, phc: stored.phc, epoch: stored.epoch };
    } catch {
      // unreadable PHC: re-hash below
    }
  }
  // New account, or the binding changed since the PHC was stored: hash the current password
  // (OWASP profile) and start a new epoch, which ends the sessions of the old password.
  const record = { v: 1, user, phc: hashAccountPassword(secret), epoch: randomToken(12), updatedAt: Date.now() };
  try {
    await kv.put(key, JSON.stringify(record));
  } catch (err) {
    throw syncFailed(`writing ${key}`, err);
  }
  return { user, phc: record.phc, epoch: record.epoch };
}

// kv -> { signature, promise }: the removal sweep runs once per isolate and configuration.
const sweeps = new Map();

/**
 * Revokes every app password of each account that has a record in KV but is no longer
 * configured, then deletes the record. Skipped (with a log line) when DEMO_PASSWORD is unset:
 * a missing required secret is a misconfiguration, not the removal of `demo`.
 */
export function removeUnconfiguredAccounts(env) {
  const kv = env.APP_PASSWORDS;
  if (!kv) return Promise.resolve();
  const configured = configuredAccounts(env);
  if (!configured.has("demo")) {
    console.error("DEMO_PASSWORD is not set: no account is treated as removed");
    return Promise.resolve();
  }
  const signature = [...configured.keys()].sort().join("\n");
  const done = sweeps.get(kv);
  if (done && done.signature === signature) return done.promise;
  const promise = sweep(env, kv, configured);
  sweeps.set(kv, { signature, promise });
  promise.catch(() => {
    if (sweeps.get(kv)?.promise === promise) sweeps.delete(kv);
  });
  return promise;
}

async function sweep(env, kv, configured) {
  const removed = [];
  let cursor;
  do {
    let page;
    try {
      page = await kv.list({ prefix: ACCOUNT_KEYS, cursor });
    } catch (err) {
      throw syncFailed("listing the accounts", err);
    }
    for (const { name } of page.keys) {
      let user;
      try {
        user = decodeURIComponent(name.slice(ACCOUNT_KEYS.length));
      } catch {
        continue;
      }
      if (!configured.has(user)) removed.push({ user, key: name });
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);

  for (const { user, key } of removed) {
    const count = await revokeAll(env, user);
    try {
      await kv.delete(key);
    } catch (err) {
      throw syncFailed(`deleting ${key}`, err);
    }
    accountCache.delete(user);
    console.log(`account "${user}" is no longer configured: ${count} app password(s) revoked`);
  }
}
