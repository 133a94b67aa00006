// verifyRequest (HTTP Basic headers) and unauthorized (the response a host sends).

import { deepEqual, equal, match, ok } from "../assert.mjs";
import { utf8, base64, basic, each, refusal, invalid, sameResult, request } from "./support.mjs";

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, AppPasswords, rejectsHost, aliceWith } = ctx;

  // ---------------------------------------------------------------------------------------
  // verifyRequest: HTTP Basic headers.

  t(`[${runtime}] verifyRequest: good Basic header (any scheme case, Request or plain headers)`, async () => {
    const { ap, c } = await aliceWith(["repository"]);
    const good = { ok: true, user: "alice", id: c.id, label: "refusals", scopes: ["repository"] };
    sameResult(await ap.verifyRequest(request(basic("alice", c.password))), good);
    sameResult(await ap.verifyRequest(request(basic("alice", c.password)), { require: ["repository"] }), good);
    sameResult(await ap.verifyRequest(request(basic("alice", c.password).replace("Basic", "basic"))), good);
    sameResult(await ap.verifyRequest(request(basic("alice", c.password).replace("Basic", "BASIC"))), good);
    sameResult(await ap.verifyRequest({ headers: { authorization: basic("alice", c.password) } }), good, "plain object headers");
    sameResult(await ap.verifyRequest({ headers: { Authorization: basic("alice", c.password) } }), good, "capitalised key");
    sameResult(await ap.verifyRequest({ headers: new Headers({ Authorization: basic("alice", c.password) }) }), good, "Headers");
    sameResult(
      await ap.verifyRequest(request(basic("alice", c.password)), { require: ["repository:write"] }),
      refusal(403, "insufficient_scope", "missing_scopes", ["repository:write"]),
    );
    await rejectsHost(() => ap.verifyRequest({}), "invalid_argument", "not a request");
  });

  t(`[${runtime}] verifyRequest: bad Basic headers → 401 invalid_credentials`, async () => {
    const { ap, c } = await aliceWith();
    const cases = [
      [undefined, "missing_credentials", "missing header"],
      ["", "missing_credentials", "empty header"],
      ["   ", "missing_credentials", "blank header"],
      [`Bearer ${c.password}`, "not_basic_auth", "Bearer"],
      ["Digest username=\"alice\"", "not_basic_auth", "Digest"],
      ["Basic", "not_basic_auth", "scheme only"],
      ["Basic !!!not-base64!!!", "bad_base64", "bad base64"],
      [`Basic ${base64(utf8(`alice:${c.password}`)).replace(/=+$/, "")}x`, "bad_base64", "truncated base64"],
      [`Basic ${base64(utf8(`alice${c.password}`))}`, "missing_colon", "no colon"],
      [`Basic ${base64(new Uint8Array([0xff, 0xfe, 0x3a, 0x61]))}`, "bad_utf8", "not UTF-8"],
      [`Basic ${"A".repeat(1100)}`, "header_too_long", "longer than 1024"],
      [basic("alice", c.password + "x".repeat(800)), "header_too_long", "credentials that encode over 1024"],
    ];
    await each(cases, ([, , why]) => why, async ([header, reason]) => {
      sameResult(await ap.verifyRequest(request(header)), invalid(reason));
    });
    // 1024 is the bound: a header of exactly 1024 characters is read (and then refused for
    // what it contains, not for its size).
    const pad = 1024 - basic("alice", "").length;
    let filler = "p".repeat(Math.floor((pad * 3) / 4));
    while (basic("alice", filler).length > 1024) filler = filler.slice(1);
    const atBound = basic("alice", filler);
    ok(atBound.length <= 1024 && atBound.length > 1000, `header of ${atBound.length}`);
    sameResult(await ap.verifyRequest(request(atBound)), invalid("wrong_prefix"));
  });

  // ---------------------------------------------------------------------------------------
  // unauthorized(result): the response a host sends.

  t(`[${runtime}] unauthorized: 401 with WWW-Authenticate Basic, 403 without; never the reason`, async () => {
    const { ap, c } = await aliceWith(["repository"]);
    const results = {
      unknown: await ap.verify({ username: "alice", password: api.generatePassword().password }),
      wrongUser: await ap.verify({ username: "bob", password: c.password }),
      header: await ap.verifyRequest(request("Bearer x")),
      login: await ap.verify({ username: "alice", password: c.password, purpose: "login" }),
      scope: await ap.verify({ username: "alice", password: c.password, require: ["issue:write"] }),
      admin: await ap.verify({ username: "alice", password: c.password, require: ["workspace:admin"] }),
    };
    for (const [name, result] of Object.entries(results)) {
      equal(result.ok, false, name);
      const res = ap.unauthorized(result);
      ok(res instanceof Response, "a Response");
      equal(res.status, result.status, `${name} status`);
      match(res.headers.get("content-type") ?? "", /^application\/json/, `${name} content-type`);
      equal(res.headers.get("cache-control"), "no-store", `${name} cache-control`);
      const challenge = res.headers.get("www-authenticate");
      if (result.status === 401) {
        match(challenge ?? "", /^Basic realm="app-passwords"/, `${name} challenge`);
      } else {
        equal(challenge, null, `${name}: a 403 has no challenge`);
      }
      const text = await res.text();
      ok(!text.includes("reason") && !text.includes(result.reason), `${name}: body ${text} leaks the reason ${result.reason}`);
      const body = JSON.parse(text);
      deepEqual(Object.keys(body), ["error"]);
      equal(body.error.code, result.code, `${name} code`);
      equal(typeof body.error.message, "string");
      ok(body.error.message.length > 0);
      if (result.missing) deepEqual(body.error.missing, result.missing, `${name} missing`);
      else equal(body.error.missing, undefined, `${name} has no missing`);
      deepEqual(Object.keys(body.error).sort(), result.missing ? ["code", "message", "missing"] : ["code", "message"]);
    }
    equal(results.unknown.status, 401);
    equal(results.login.status, 403);
    deepEqual(results.scope.missing, ["issue:write"], "missing lists what was required, not its closure");
    const custom = new AppPasswords({ store: api.memoryStore(), realm: "my api" });
    match(custom.unauthorized(results.unknown).headers.get("www-authenticate"), /^Basic realm="my api"/, "custom realm");
    equal(ap.unauthorized(undefined).status, 401, "no result: 401");
  });
}
