// The password format: generatePassword, looksLikeAppPassword, vectors/passwords.json.

import { deepEqual, equal, fail, match, ok } from "../assert.mjs";
import { checkDigits, crc32 } from "../checksum.mjs";
import { utf8, makePassword, each, invalid, sameResult } from "./support.mjs";

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, PW, harness, faultyStore } = ctx;

  // ---------------------------------------------------------------------------------------
  // Lower-level functions.

  t(`[${runtime}] generatePassword: format, prefix, checksum, uniqueness`, async () => {
    const seen = new Set();
    for (let i = 0; i < 50; i++) {
      const g = api.generatePassword();
      deepEqual(Object.keys(g).sort(), ["id", "password"]);
      match(g.password, /^apw_[0-9A-Za-z]{50}$/);
      equal(g.password.slice(4, 16), g.id);
      equal(g.password, makePassword("apw", g.id, g.password.slice(16, 48)), "check digits");
      ok(api.looksLikeAppPassword(g.password));
      seen.add(g.password);
      seen.add(g.id);
    }
    equal(seen.size, 100, "no repeats");
    for (const prefix of ["x", "acme", "k8s2", "abcdefghijklmnop"]) {
      const g = api.generatePassword({ prefix });
      equal(g.password.length, prefix.length + 51, prefix);
      ok(g.password.startsWith(`${prefix}_${g.id}`), prefix);
      equal(g.password, makePassword(prefix, g.id, g.password.slice(prefix.length + 13, prefix.length + 45)));
      ok(api.looksLikeAppPassword(g.password));
    }
    equal(api.generatePassword({}).password.slice(0, 4), "apw_");
    // Every character of the alphabet turns up, in the id and secret (rejection sampling over 62).
    const chars = new Set(Array.from({ length: 40 }, () => api.generatePassword().password.slice(4, 48)).join(""));
    equal(chars.size, 62, "the whole base62 alphabet is used");
  });

  t(`[${runtime}] looksLikeAppPassword: non-strings are false`, async () => {
    for (const value of [undefined, null, 5, {}, [], new String("apw_x")]) {
      equal(api.looksLikeAppPassword(value), false, String(value));
    }
  });

  // ---------------------------------------------------------------------------------------
  // Shared vectors (tests/vectors/*.json), written independently of the Rust crate.

  t(`[${runtime}] vectors/passwords: the JS CRC-32 check helper agrees with the vectors`, async () => {
    await each(PW.valid, (v) => v.password, async (v) => {
      equal(crc32(utf8(`${v.prefix}_${v.id}${v.secret}`)), v.crc32, "crc32");
      equal(checkDigits(v.crc32), v.check, "check digits");
      equal(makePassword(v.prefix, v.id, v.secret), v.password);
    });
  });

  t(`[${runtime}] vectors/passwords: every valid password looks like one`, async () => {
    ok(PW.valid.length > 0);
    await each(PW.valid, (v) => v.password, async (v) => {
      equal(api.looksLikeAppPassword(v.password), true);
    });
  });

  t(`[${runtime}] vectors/passwords: every malformed one per its looks_like`, async () => {
    ok(PW.malformed.length > 0);
    await each(PW.malformed, (m) => `${m.why} ${JSON.stringify(m.password)}`, async (m) => {
      equal(api.looksLikeAppPassword(m.password), m.looks_like);
    });
  });

  t(`[${runtime}] vectors/passwords: verify refuses malformed ones with their reason, before the store`, async () => {
    await each(PW.malformed, (m) => `${m.why} (prefix ${m.prefix})`, async (m) => {
      const h = harness({ store: faultyStore(new Map(), { get: () => fail("the store must not be read") }), config: { prefix: m.prefix } });
      sameResult(await h.ap.verify({ username: "alice", password: m.password }), invalid(m.reason));
    });
    // Well-formed ones reach the store and are unknown there.
    await each(PW.valid, (v) => v.password, async (v) => {
      const h = harness({ config: { prefix: v.prefix } });
      sameResult(await h.ap.verify({ username: "alice", password: v.password }), invalid("unknown_id"));
    });
  });
}
