// Argon2id hashes: hashPassword / verifyPasswordHash and vectors/phc.json.

import { equal, match, notEqual, ok } from "../assert.mjs";
import { LIGHT, hexToBytes, each } from "./support.mjs";

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, PHC, throwsArg } = ctx;

  t(`[${runtime}] hashPassword/verifyPasswordHash: round trip with light params`, async () => {
    const phc = api.hashPassword("correct horse battery staple", LIGHT);
    match(phc, /^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    equal(api.verifyPasswordHash("correct horse battery staple", phc), true);
    equal(api.verifyPasswordHash("correct horse battery staple ", phc), false);
    equal(api.verifyPasswordHash("", phc), false);
    notEqual(api.hashPassword("correct horse battery staple", LIGHT), phc, "fresh salt each time");
    const unicode = api.hashPassword("pässwörd ☃ 🔑", { memoryKiB: 32, iterations: 2, parallelism: 2 });
    match(unicode, /^\$argon2id\$v=19\$m=32,t=2,p=2\$/);
    equal(api.verifyPasswordHash("pässwörd ☃ 🔑", unicode), true);
    equal(api.verifyPasswordHash("passwörd ☃ 🔑", unicode), false);
    const empty = api.hashPassword("", LIGHT);
    equal(api.verifyPasswordHash("", empty), true, "the empty password hashes too");
  });

  t(`[${runtime}] hashPassword/verifyPasswordHash: "owasp" and the default are m=19456,t=2,p=1`, async () => {
    const phc = api.hashPassword("account password", "owasp");
    match(phc, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    equal(api.verifyPasswordHash("account password", phc), true);
    const byDefault = api.hashPassword("account password");
    match(byDefault, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, "default is OWASP");
    equal(api.verifyPasswordHash("Account password", byDefault), false);
  });

  // phc.json: verifyPasswordHash has no pepper parameter, so only the vectors without
  // `pepper_hex` run here. The peppered ones (RFC 9106's secret K, and argon2-cffi's
  // "peppered") cannot go through AppPasswords either: its verify only accepts passwords in
  // the app-password format, which those vectors' passwords are not. The pepper path is
  // covered instead by the records.json `verifiable` entries whose config has `pepper_hex`
  // (libargon2 hashes with secret K, verified through AppPasswords' `pepper` option), and by
  // "round trip: pepper" above.
  t(`[${runtime}] vectors/phc: every vector without a pepper verifies per "expect"`, async () => {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    const runnable = PHC.vectors.filter((v) => v.pepper_hex === undefined);
    ok(runnable.length >= 20, `${runnable.length} vectors without a pepper`);
    await each(runnable, (v) => v.source, async (v) => {
      // verifyPasswordHash takes text: password_hex vectors must be valid UTF-8 (they are).
      const password = v.password ?? decoder.decode(hexToBytes(v.password_hex));
      equal(api.verifyPasswordHash(password, v.phc), v.expect);
    });
  });

  t(`[${runtime}] vectors/phc: every invalid PHC string throws invalid_hash`, async () => {
    ok(PHC.invalid.length > 0);
    await each(PHC.invalid, (v) => v.why, async (v) => {
      throwsArg(() => api.verifyPasswordHash("password", v.phc), v.error);
    });
  });
}
