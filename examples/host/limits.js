// Limits on guessing (README "Limits"): failed sign-ins per username and per client address,
// failed Basic checks per client address. Past a limit the answer is 429 rate_limited with
// Retry-After, until the window that the first counted failure opened has passed.
//
// The counters live in a Durable Object, one instance per counter (`AttemptCounter`, bound as
// LIMITS): strongly consistent, one writer, the same count from every Cloudflare location.
// Locally Miniflare runs the same class (persisted in DATA_DIR/do), so `make demo` takes the
// same path as a deployment.
//
// Sign-in (an OWASP Argon2id, ~50 ms of CPU): each attempt is counted BEFORE the hash, against
// the address and then the username; at the limit it is refused without hashing. Counting
// first, not after a failure, means a burst of parallel guesses cannot all pass a check that
// none has yet incremented. A success takes back only its own count: it does not clear the
// failures others made from the same address (or against the same username).
// Basic (light Argon2id or none): the address's count is checked before verifying and a
// failure is added after, so a successful API call costs one counter read.

import { DurableObject } from "cloudflare:workers";

import { HttpError } from "./http.js";

export const LIMITS = Object.freeze({
  signInPerUser: { limit: 10, windowMs: 15 * 60_000 },
  signInPerAddress: { limit: 30, windowMs: 15 * 60_000 },
  basicPerAddress: { limit: 50, windowMs: 5 * 60_000 },
});

/**
 * One counter: `{count, resetAt}` in Durable Object storage, deleted by an alarm when the
 * window ends. A Durable Object handles one event at a time across storage awaits, so each
 * method is atomic.
 */
export class AttemptCounter extends DurableObject {
  async #state(now) {
    const state = await this.ctx.storage.get("state");
    if (state && now >= state.resetAt) {
      await this.ctx.storage.deleteAll();
      return null;
    }
    return state ?? null;
  }

  /** Whether `limit` is reached, without counting. */
  async check(limit) {
    const now = Date.now();
    const state = await this.#state(now);
    if (state && state.count >= limit) return { ok: false, retryAfter: seconds(state.resetAt - now) };
    return { ok: true };
  }

  /** Counts one attempt unless `limit` is already reached (then refuses, counting nothing). */
  async count(limit, windowMs) {
    const now = Date.now();
    const state = (await this.#state(now)) ?? { count: 0, resetAt: now + windowMs };
    if (state.count >= limit) return { ok: false, retryAfter: seconds(state.resetAt - now) };
    state.count += 1;
    await this.ctx.storage.put("state", state);
    if (state.count === 1) await this.ctx.storage.setAlarm(state.resetAt);
    return { ok: true };
  }

  /** Takes back one count (a sign-in that succeeded). */
  async uncount() {
    const state = await this.#state(Date.now());
    if (!state) return;
    if (state.count <= 1) {
      await this.ctx.storage.deleteAll();
      return;
    }
    state.count -= 1;
    await this.ctx.storage.put("state", state);
  }

  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}

function seconds(ms) {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * The client's address as a counter key: `CF-Connecting-IP`, which Cloudflare sets from the
 * connection (and Miniflare locally, from the socket). IPv6 is keyed by its /64, the block one
 * subscriber usually holds. Never X-Forwarded-For, which any client can write. Without the
 * header (a request that did not come through either) every such request shares one key.
 */
export function clientAddress(request) {
  const raw = (request.headers.get("cf-connecting-ip") || "").trim();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(raw)) return raw;
  if (raw.includes(":")) {
    const v6 = ipv6Prefix(raw);
    if (v6) return v6;
  }
  return "unknown";
}

function ipv6Prefix(text) {
  const s = text.toLowerCase().replace(/^\[|\]$/g, "").split("%")[0];
  if (s.length > 45 || !/^[0-9a-f:.]+$/.test(s)) return null;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (mapped) return mapped[1];
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const groups = halves.length === 2 ? [...head, ...Array(8 - head.length - tail.length).fill("0"), ...tail] : head;
  if (groups.length !== 8 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(":")}::/64`;
}

function counter(env, name) {
  if (!env.LIMITS) throw new HttpError(500, "not_configured", "The Durable Object binding LIMITS is missing.");
  return env.LIMITS.get(env.LIMITS.idFromName(name));
}

async function ask(call) {
  try {
    return await call();
  } catch (err) {
    console.error("limits: the counter failed:", err && err.message ? err.message : err);
    throw new HttpError(503, "limiter_unavailable", "The rate limits could not be checked. Try again.");
  }
}

function rateLimited(retryAfter, message) {
  const wait = retryAfter >= 90 ? `${Math.ceil(retryAfter / 60)} minutes` : `${retryAfter} seconds`;
  return new HttpError(429, "rate_limited", `${message} Try again in ${wait}.`, {
    extra: { retryAfter },
    headers: { "retry-after": String(retryAfter) },
  });
}

/**
 * Counts a sign-in attempt for the address and the username, before any hashing; throws 429
 * past either limit. Returns `succeeded()`, which takes this attempt's counts back.
 */
export async function countSignIn(env, request, username) {
  const byAddress = counter(env, `sign-in/address/${clientAddress(request)}`);
  const { limit: perAddress, windowMs: addressWindow } = LIMITS.signInPerAddress;
  const a = await ask(() => byAddress.count(perAddress, addressWindow));
  if (!a.ok) throw rateLimited(a.retryAfter, "Too many failed sign-ins from your address.");
  const byUser = counter(env, `sign-in/user/${username}`);
  const { limit: perUser, windowMs: userWindow } = LIMITS.signInPerUser;
  const u = await ask(() => byUser.count(perUser, userWindow));
  if (!u.ok) throw rateLimited(u.retryAfter, "Too many failed sign-ins for this account.");
  return {
    succeeded: () => ask(() => Promise.all([byAddress.uncount(), byUser.uncount()])),
  };
}

/**
 * Before verifying Basic credentials: 429 when the address is past its limit. Returns
 * `failed()`, to count a refused check. Requests without credentials are not counted (the
 * first request of a Basic client carries none and gets the challenge).
 */
export async function checkBasic(env, request) {
  if (!request.headers.has("authorization")) return { failed: async () => {} };
  const byAddress = counter(env, `basic/address/${clientAddress(request)}`);
  const { limit, windowMs } = LIMITS.basicPerAddress;
  const r = await ask(() => byAddress.check(limit));
  if (!r.ok) throw rateLimited(r.retryAfter, "Too many failed attempts with app passwords from your address.");
  return { failed: () => ask(() => byAddress.count(limit, windowMs)) };
}
