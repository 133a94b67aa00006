// The package's surface: the documented exports, and bad arguments (AppPasswordError with a
// stable code).

import { equal, ok } from "../assert.mjs";
import { T0, each } from "./support.mjs";

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, AppPasswords, AppPasswordError, rejectsHost, throwsArg, harness } = ctx;

  // ---------------------------------------------------------------------------------------
  // The package's surface.

  t(`[${runtime}] exports: the documented API is there`, async () => {
    for (const name of ["AppPasswords", "AppPasswordError", "memoryStore", "workersKvStore", "denoKvStore", "redisStore", "durableObjectStore", "serveDurableObjectStore", "AppPasswordsDurableObject", "withTimeout", "generatePassword", "mintAppPassword", "looksLikeAppPassword", "hashPassword", "verifyPasswordHash"]) {
      equal(typeof api[name], "function", `export ${name}`);
    }
    equal(typeof api.scopes, "object", "export scopes");
    for (const name of ["catalog", "normalize", "encode", "decode", "satisfies", "missing"]) {
      equal(typeof api.scopes[name], "function", `scopes.${name}`);
    }
    ok(Object.isFrozen(api.scopes), "scopes is frozen");
    const { ap } = harness();
    for (const name of ["create", "createFromHash", "list", "revoke", "revokeAll", "verify", "verifyRequest", "unauthorized", "catalog"]) {
      equal(typeof ap[name], "function", `AppPasswords#${name}`);
    }
    // Permissions cannot be adjusted after creation: there is no update (design.md#scopes-are-fixed-at-creation).
    equal(ap.update, undefined, "no update method");
    equal(ap.prefix, "apw", "default prefix");
    const err = new AppPasswordError("m", "c");
    ok(err instanceof Error);
    equal(err.name, "AppPasswordError");
    equal(err.code, "c");
    equal(err.message, "m");
  });

  // ---------------------------------------------------------------------------------------
  // Bad arguments: AppPasswordError with a stable code.

  t(`[${runtime}] arguments: create refuses bad input with the right code`, async () => {
    const { ap, map } = harness();
    const ok1 = { user: "alice", label: "x", scopes: ["repository"] };
    const cases = [
      [{ ...ok1, label: "" }, "invalid_label", "empty label"],
      [{ ...ok1, label: "x".repeat(256) }, "invalid_label", "label of 256 chars"],
      [{ ...ok1, label: "a\nb" }, "invalid_label", "control character in label"],
      [{ ...ok1, scopes: ["repository:read"] }, "unknown_scope", "unknown scope"],
      [{ ...ok1, scopes: ["repository", "Repository"] }, "unknown_scope", "case matters"],
      [{ ...ok1, scopes: ["workspace:admin"] }, "scope_not_grantable", "workspace:admin"],
      [{ ...ok1, scopes: ["repository", "account:login"] }, "scope_not_grantable", "account:login"],
      [{ ...ok1, scopes: [] }, "no_scopes", "empty scopes"],
      [{ ...ok1, expiresAt: T0 - 1 }, "invalid_expiry", "expiresAt in the past"],
      [{ ...ok1, expiresAt: T0 }, "invalid_expiry", "expiresAt now"],
      [{ ...ok1, expiresAt: new Date(T0 - 86_400_000) }, "invalid_expiry", "a Date in the past"],
      [{ ...ok1, expiresAt: -5 }, "invalid_expiry", "negative"],
      [{ ...ok1, expiresAt: Number.NaN }, "invalid_expiry", "NaN"],
      [{ ...ok1, expiresAt: "2030-01-01" }, "invalid_argument", "a string"],
      [{ ...ok1, user: 42 }, "invalid_argument", "non-string user"],
      [{ ...ok1, user: undefined }, "invalid_argument", "no user"],
      [{ ...ok1, user: "" }, "invalid_user", "empty user"],
      [{ ...ok1, user: "a:b" }, "invalid_user", "colon in user (Basic could not carry it)"],
      [{ ...ok1, user: "u".repeat(129) }, "invalid_user", "user over 128 bytes"],
      [{ ...ok1, user: "a\u0000b" }, "invalid_user", "control character in user"],
      [{ ...ok1, label: 7 }, "invalid_argument", "non-string label"],
      [{ ...ok1, scopes: "repository" }, "invalid_argument", "scopes not an array"],
      [{ ...ok1, scopes: [1] }, "invalid_argument", "scope not a string"],
      [{ ...ok1, scopes: undefined }, "invalid_argument", "no scopes"],
      [{ ...ok1, scopes: Array(1025).fill("repository") }, "too_many_scopes", "1025 scopes"],
      [undefined, "invalid_argument", "no options"],
    ];
    await each(cases, ([, , why]) => why, async ([options, code]) => {
      await rejectsHost(() => ap.create(options), code);
    });
    equal(map.size, 0, "nothing was written");
    const longest = await ap.create({ ...ok1, label: "é".repeat(255) });
    equal(longest.label.length, 255, "255 characters is fine");
    const longUser = await ap.create({ ...ok1, user: "u".repeat(128) });
    equal((await ap.list("u".repeat(128)))[0].id, longUser.id, "128 bytes is fine");
  });

  t(`[${runtime}] arguments: constructor, verify, list, revoke, helpers`, async () => {
    const store = api.memoryStore();
    const cases = [
      [() => new AppPasswords({ store, prefix: "Bad" }), "invalid_prefix", "uppercase prefix"],
      [() => new AppPasswords({ store, prefix: "1abc" }), "invalid_prefix", "digit first"],
      [() => new AppPasswords({ store, prefix: "" }), "invalid_prefix", "empty prefix"],
      [() => new AppPasswords({ store, prefix: "a".repeat(17) }), "invalid_prefix", "17 chars"],
      [() => new AppPasswords({ store, prefix: "a_b" }), "invalid_prefix", "underscore"],
      [() => new AppPasswords({ store, prefix: 5 }), "invalid_argument", "non-string prefix"],
      [() => new AppPasswords({ store, hashing: { memoryKiB: 4, iterations: 1, parallelism: 1 } }), "invalid_hash_params", "m < 8p"],
      [() => new AppPasswords({ store, hashing: { memoryKiB: 64, iterations: 65, parallelism: 1 } }), "invalid_hash_params", "t > 64"],
      [() => new AppPasswords({ store, hashing: { memoryKiB: 0, iterations: 1, parallelism: 1 } }), "invalid_argument", "m = 0"],
      [() => new AppPasswords({ store, hashing: "fast" }), "invalid_argument", "unknown profile name"],
      [() => new AppPasswords({ store, pepper: 5 }), "invalid_argument", "pepper type"],
      [() => new AppPasswords({ store, pepper: new Uint8Array(65) }), "invalid_hash_params", "pepper over 64 bytes"],
      [() => new AppPasswords({ store, now: 5 }), "invalid_argument", "now not a function"],
      [() => new AppPasswords({ store, touchIntervalMs: -1 }), "invalid_argument", "negative touchIntervalMs"],
      [() => api.generatePassword({ prefix: "Bad" }), "invalid_prefix", "generatePassword bad prefix"],
      [() => api.generatePassword({ prefix: "a-b" }), "invalid_prefix", "generatePassword hyphen"],
      [() => api.hashPassword(5), "invalid_argument", "hashPassword non-string"],
      [() => api.hashPassword("x", { memoryKiB: 64, iterations: 0, parallelism: 1 }), "invalid_argument", "t = 0"],
      [() => api.hashPassword("x", { memoryKiB: 262_145, iterations: 1, parallelism: 1 }), "invalid_hash_params", "m over 256 MiB"],
      [() => api.verifyPasswordHash("x", 5), "invalid_argument", "phc non-string"],
      [() => api.verifyPasswordHash(5, "$argon2id$"), "invalid_argument", "password non-string"],
      [() => api.scopes.encode("repository"), "invalid_argument", "encode a string"],
      [() => api.scopes.decode(5), "invalid_argument", "decode a number"],
    ];
    await each(cases, ([, , why]) => why, async ([fn, code]) => {
      throwsArg(fn, code);
    });
    const { ap } = harness();
    const async = [
      [() => ap.verify({ username: 5, password: "x" }), "invalid_argument", "non-string username"],
      [() => ap.verify({ username: "a", password: 5 }), "invalid_argument", "non-string password"],
      [() => ap.verify({ username: "a", password: "x", purpose: "admin" }), "invalid_argument", "unknown purpose"],
      [() => ap.verify({ username: "a", password: "x", require: "repository" }), "invalid_argument", "require not an array"],
      [() => ap.verify(), "invalid_argument", "no options"],
      [() => ap.list(5), "invalid_argument", "list non-string"],
      [() => ap.list(""), "invalid_user", "list empty user"],
      [() => ap.revoke(5, "x"), "invalid_argument", "revoke non-string user"],
      [() => ap.revoke("alice", 5), "invalid_argument", "revoke non-string id"],
    ];
    await each(async, ([, , why]) => why, async ([fn, code]) => {
      await rejectsHost(fn, code);
    });
  });
}
