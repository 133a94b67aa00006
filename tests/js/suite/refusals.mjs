// Every refusal the spec names: ok, status, code, reason (and missing).

import { equal, ok } from "../assert.mjs";
import { T0, basic, makePassword, mistype, refusal, invalid, sameResult, request } from "./support.mjs";

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, rejectsHost, aliceWith } = ctx;

  // ---------------------------------------------------------------------------------------
  // Every refusal the spec names: ok, status, code, reason (and missing).

  t(`[${runtime}] refusal: wrong user → 401 invalid_credentials (wrong_user)`, async () => {
    const { ap, c } = await aliceWith();
    sameResult(await ap.verify({ username: "bob", password: c.password }), invalid("wrong_user"));
    sameResult(await ap.verify({ username: "Alice", password: c.password }), invalid("wrong_user"), "usernames are case-sensitive");
    sameResult(await ap.verify({ username: "", password: c.password }), invalid("wrong_user"));
    sameResult(await ap.verifyRequest(request(basic("bob", c.password))), invalid("wrong_user"));
  });

  t(`[${runtime}] refusal: mistyped password (one char changed) → 401 (bad_checksum)`, async () => {
    const { ap, c } = await aliceWith();
    for (const pos of [4, 10, 16, 30, 47, 48, 53]) {
      const typo = mistype(c.password, pos);
      equal(api.looksLikeAppPassword(typo), false, `looksLike after a typo at ${pos}`);
      sameResult(await ap.verify({ username: "alice", password: typo }), invalid("bad_checksum"), `typo at ${pos}`);
    }
    sameResult(await ap.verify({ username: "alice", password: c.password.slice(0, -1) }), invalid("wrong_length"));
    sameResult(await ap.verify({ username: "alice", password: `${c.password} ` }), invalid("wrong_length"));
    sameResult(await ap.verify({ username: "alice", password: c.password.toUpperCase() }), invalid("wrong_prefix"));
  });

  t(`[${runtime}] refusal: right id, other secret with a valid checksum → 401 (wrong_secret)`, async () => {
    const { ap, c } = await aliceWith();
    const forged = makePassword("apw", c.id, "A".repeat(32));
    ok(api.looksLikeAppPassword(forged));
    sameResult(await ap.verify({ username: "alice", password: forged }), invalid("wrong_secret"));
  });

  t(`[${runtime}] refusal: unknown id (valid format, never created) → 401 (unknown_id)`, async () => {
    const { ap } = await aliceWith();
    const never = api.generatePassword();
    ok(api.looksLikeAppPassword(never.password));
    sameResult(await ap.verify({ username: "alice", password: never.password }), invalid("unknown_id"));
    sameResult(await ap.verifyRequest(request(basic("alice", never.password))), invalid("unknown_id"));
  });

  t(`[${runtime}] refusal: missing scope → 403 insufficient_scope with missing`, async () => {
    const { ap, c } = await aliceWith(["repository"]);
    sameResult(
      await ap.verify({ username: "alice", password: c.password, require: ["repository", "repository:write"] }),
      refusal(403, "insufficient_scope", "missing_scopes", ["repository:write"]),
    );
    sameResult(
      await ap.verify({ username: "alice", password: c.password, require: ["pipeline:variable", "email", "repository"] }),
      refusal(403, "insufficient_scope", "missing_scopes", ["email", "pipeline:variable"]),
      "missing in catalogue order",
    );
    // Implied scopes count: repository:admin does not imply write, but pullrequest:write implies repository:write.
    const { ap: ap2, c: c2 } = await aliceWith(["pullrequest:write"]);
    equal((await ap2.verify({ username: "alice", password: c2.password, require: ["repository:write"] })).ok, true, "implied scope");
    sameResult(await ap2.verify({ username: "alice", password: c2.password, require: ["repository:admin"] }), refusal(403, "insufficient_scope", "missing_scopes", ["repository:admin"]));
  });

  t(`[${runtime}] refusal: purpose "login" → 403 login_not_allowed (design.md#order-of-checks)`, async () => {
    const { ap, c } = await aliceWith();
    sameResult(await ap.verify({ username: "alice", password: c.password, purpose: "login" }), refusal(403, "login_not_allowed", "login_refused"));
    sameResult(await ap.verify({ username: "alice", password: c.password, purpose: "api" }), { ok: true, user: "alice", id: c.id, label: "refusals", scopes: c.scopes });
    // A wrong password for login is still a 401: nothing about the account is revealed.
    sameResult(await ap.verify({ username: "alice", password: mistype(c.password, 20), purpose: "login" }), invalid("bad_checksum"));
    sameResult(await ap.verify({ username: "bob", password: c.password, purpose: "login" }), invalid("wrong_user"));
  });

  t(`[${runtime}] refusal: workspace management (workspace:admin) → 403 not_allowed_for_app_passwords (design.md#grantable-and-not-grantable)`, async () => {
    const every = api.scopes.catalog().filter((s) => s.grantable).map((s) => s.name);
    const { ap, c } = await aliceWith(every);
    sameResult(
      await ap.verify({ username: "alice", password: c.password, require: ["workspace:admin"] }),
      refusal(403, "not_allowed_for_app_passwords", "scope_not_grantable", ["workspace:admin"]),
      "even a password holding every grantable scope",
    );
    sameResult(
      await ap.verify({ username: "alice", password: c.password, require: ["repository", "account:login", "workspace:admin"] }),
      refusal(403, "not_allowed_for_app_passwords", "scope_not_grantable", ["workspace:admin", "account:login"]),
    );
    sameResult(
      await ap.verifyRequest(request(basic("alice", c.password)), { require: ["workspace:admin"] }),
      refusal(403, "not_allowed_for_app_passwords", "scope_not_grantable", ["workspace:admin"]),
    );
  });

  t(`[${runtime}] refusal: revoked → 401 invalid_credentials`, async () => {
    const { ap, c } = await aliceWith();
    equal((await ap.verify({ username: "alice", password: c.password })).ok, true);
    equal(await ap.revoke("alice", c.id), true);
    sameResult(await ap.verify({ username: "alice", password: c.password }), invalid("unknown_id"));
    sameResult(await ap.verify({ username: "alice", password: c.password, purpose: "login" }), invalid("unknown_id"));
  });

  t(`[${runtime}] refusal: expired → 401 invalid_credentials (expired)`, async () => {
    const { h, ap, c } = await aliceWith(["email"], { expiresAt: T0 + 1000 });
    h.clock.t = T0 + 1000;
    sameResult(await ap.verify({ username: "alice", password: c.password }), invalid("expired"));
    sameResult(await ap.verifyRequest(request(basic("alice", c.password))), invalid("expired"));
  });

  t(`[${runtime}] refusal: garbage credentials are refused, never thrown`, async () => {
    const { ap } = await aliceWith();
    for (const password of ["", "password", "apw_", "apw_" + "x".repeat(50), "😀".repeat(27), "\u0000".repeat(54), "a".repeat(100_000)]) {
      const r = await ap.verify({ username: "alice", password });
      equal(r.ok, false, JSON.stringify(password.slice(0, 20)));
      equal(r.status, 401);
      equal(r.code, "invalid_credentials");
    }
  });

  t(`[${runtime}] refusal: require names an unknown scope → throws unknown_scope (a host bug)`, async () => {
    const { ap, c } = await aliceWith();
    await rejectsHost(() => ap.verify({ username: "alice", password: c.password, require: ["repository:read"] }), "unknown_scope");
    await rejectsHost(() => ap.verifyRequest(request(undefined), { require: ["nope"] }), "unknown_scope", "checked before the header");
  });
}
