// HTTP tests of the example host (examples/host/README.md#the-http-api): every API row, each refusal, curl-style use
// and persistence across a restart. The host runs for real: workerd through Miniflare, on a
// free port of 127.0.0.1, over a temporary data folder. Run: node --test tests/host/

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";

import { generatePassword } from "../../pkg/node.js";
import { Client, eventually, makeDataDir, removeDataDir, startHost } from "./host.mjs";

const run = promisify(execFile);

const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const CHALLENGE = /^Basic realm="app-passwords"/;
const ALICE_PASSWORD = "alice-account-password-1";

let dataDir;
let host;
let demoPassword;

function assertError(res, status, code) {
  assert.equal(res.status, status, `status (body: ${res.text})`);
  assert.equal(res.data?.error?.code, code, `code (body: ${res.text})`);
  assert.equal(typeof res.data.error.message, "string");
  assert.ok(res.data.error.message.length > 0);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
}

function assertNoChallenge(res) {
  assert.equal(res.headers.get("www-authenticate"), null, "a session route must not send WWW-Authenticate");
}

function assertChallenge(res) {
  assert.equal(res.status, 401);
  assert.match(res.headers.get("www-authenticate") ?? "", CHALLENGE);
}

async function signIn(username = "demo", password = demoPassword) {
  const c = new Client(host.url);
  const res = await c.post("/login", { username, password });
  assert.equal(res.status, 200, res.text);
  return c;
}

async function createPassword(client, label, scopes) {
  const res = await client.post("/api/app-passwords", { label, scopes });
  assert.equal(res.status, 201, res.text);
  return res.data;
}

before(async () => {
  dataDir = makeDataDir("http");
  host = await startHost({ dataDir, env: { EXTRA_ACCOUNTS: JSON.stringify({ alice: ALICE_PASSWORD }) } });
  demoPassword = host.password;
});

after(async () => {
  if (host) await host.stop();
  removeDataDir(dataDir);
});

describe("launcher", () => {
  test("prints the URL on 127.0.0.1 and a generated demo password", () => {
    assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(demoPassword, host.output());
    assert.ok(demoPassword.length >= 20);
    assert.equal((host.output().match(new RegExp(demoPassword, "g")) ?? []).length, 1, "printed once");
  });
});

describe("the page", () => {
  test("GET / serves www/index.html with the CSP and security headers", async () => {
    const res = await fetch(host.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^text\/html/);
    assert.equal(res.headers.get("content-security-policy"), CSP);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    const html = await res.text();
    assert.match(html, /<title>App passwords<\/title>/);
    assert.match(html, /src="app\.js"/);
  });

  test("app.js and style.css are served with their types", async () => {
    const js = await fetch(new URL("/app.js", host.url));
    assert.equal(js.status, 200);
    assert.match(js.headers.get("content-type"), /javascript/);
    assert.equal(js.headers.get("x-content-type-options"), "nosniff");
    const css = await fetch(new URL("/style.css", host.url));
    assert.equal(css.status, 200);
    assert.match(css.headers.get("content-type"), /^text\/css/);
    assert.equal(css.headers.get("content-security-policy"), CSP);
  });

  test("unknown API routes are JSON 404s, wrong methods 405", async () => {
    const c = new Client(host.url);
    const missing = await c.get("/api/nope");
    assertError(missing, 404, "not_found");
    assert.equal(missing.headers.get("cache-control"), "no-store");
    const wrong = await c.request("PUT", "/api/user");
    assertError(wrong, 405, "method_not_allowed");
    const getLogin = await c.get("/login");
    assertError(getLogin, 405, "method_not_allowed");
  });
});

describe("GET /api/scopes", () => {
  test("returns the catalogue with groups, levels, implications and closures", async () => {
    const res = await new Client(host.url).get("/api/scopes");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const { scopes } = res.data;
    assert.ok(Array.isArray(scopes) && scopes.length > 10);
    for (const s of scopes) {
      for (const k of ["name", "group", "level"]) assert.equal(typeof s[k], "string", `${s.name}.${k}`);
      assert.ok(Array.isArray(s.implies) && Array.isArray(s.closure));
      assert.equal(typeof s.grantable, "boolean");
    }
    const byName = new Map(scopes.map((s) => [s.name, s]));
    assert.deepEqual(
      [...byName.get("pullrequest:write").closure].sort(),
      ["pullrequest", "repository", "repository:write"],
    );
    assert.equal(byName.get("workspace:admin").grantable, false);
  });
});

describe("POST /login", () => {
  test("wrong password: 401 invalid_credentials without WWW-Authenticate", async () => {
    const c = new Client(host.url);
    const res = await c.post("/login", { username: "demo", password: "not-the-password" });
    assertError(res, 401, "invalid_credentials");
    assertNoChallenge(res);
    assert.equal(res.headers.getSetCookie().length, 0);
    assert.equal(res.headers.get("cache-control"), "no-store");
  });

  test("unknown user: 401 invalid_credentials", async () => {
    const res = await new Client(host.url).post("/login", { username: "mallory", password: demoPassword });
    assertError(res, 401, "invalid_credentials");
    assertNoChallenge(res);
  });

  test("non-JSON bodies: 415; malformed JSON or missing fields: 400", async () => {
    const c = new Client(host.url);
    const form = await c.request("POST", "/login", {
      body: `username=demo&password=${encodeURIComponent(demoPassword)}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assertError(form, 415, "unsupported_media_type");
    const text = await c.request("POST", "/login", {
      body: JSON.stringify({ username: "demo", password: demoPassword }),
      headers: { "content-type": "text/plain" },
    });
    assertError(text, 415, "unsupported_media_type");
    const bad = await c.request("POST", "/login", { body: "{nope", headers: { "content-type": "application/json" } });
    assertError(bad, 400, "invalid_json");
    const missing = await c.post("/login", { username: "demo" });
    assertError(missing, 400, "invalid_request");
    assert.equal(c.cookies.size, 0);
  });

  test("cross-site Origin: 403 cross_site even with the right password", async () => {
    const c = new Client(host.url);
    const res = await c.post("/login", { username: "demo", password: demoPassword }, { headers: { origin: "https://evil.example" } });
    assertError(res, 403, "cross_site");
    assert.equal(c.cookies.size, 0);
    const site = await c.post("/login", { username: "demo", password: demoPassword }, { headers: { "sec-fetch-site": "cross-site" } });
    assertError(site, 403, "cross_site");
    const null_ = await c.post("/login", { username: "demo", password: demoPassword }, { headers: { origin: "null" } });
    assertError(null_, 403, "cross_site");
  });

  test("account password: 200 and an HttpOnly SameSite=Strict session cookie", async () => {
    const c = new Client(host.url);
    const res = await c.post("/login", { username: "demo", password: demoPassword }, { headers: { origin: host.origin } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.data, { username: "demo" });
    const [cookie] = res.headers.getSetCookie();
    assert.match(cookie, /^apw_session=[A-Za-z0-9_-]{43};/);
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
    assert.match(cookie, /; Path=\//);
    assert.doesNotMatch(cookie, /; Secure/, "plain http on 127.0.0.1: no Secure");
    const session = await c.get("/api/session");
    assert.equal(session.status, 200);
    assert.deepEqual(session.data, { username: "demo" });
    assert.equal(session.headers.get("cache-control"), "no-store");
  });

  test("an app password: 403 login_not_allowed, saying app passwords cannot sign in", async () => {
    const demo = await signIn();
    const created = await createPassword(demo, "login attempt", ["account"]);
    const c = new Client(host.url);
    const res = await c.post("/login", { username: "demo", password: created.password });
    assertError(res, 403, "login_not_allowed");
    assertNoChallenge(res);
    assert.match(res.data.error.message, /app passwords cannot be used to sign in/i);
    assert.equal(c.cookies.size, 0);
    // Shaped like one (valid checksum) but unknown: the same answer.
    const fake = await c.post("/login", { username: "demo", password: generatePassword().password });
    assertError(fake, 403, "login_not_allowed");
    // The app password itself still works for the API.
    const api = await c.get("/api/user", { auth: ["demo", created.password] });
    assert.equal(api.status, 200);
  });
});

describe("session routes without a session", () => {
  test("401 not_signed_in and no WWW-Authenticate", async () => {
    const c = new Client(host.url);
    const checks = [
      await c.get("/api/session"),
      await c.get("/api/app-passwords"),
      await c.post("/api/app-passwords", { label: "x", scopes: ["email"] }),
      await c.delete("/api/app-passwords/AAAAAAAAAAAA"),
    ];
    for (const res of checks) {
      assertError(res, 401, "not_signed_in");
      assertNoChallenge(res);
    }
    c.cookies.set("apw_session", "A".repeat(43));
    const forged = await c.get("/api/session");
    assertError(forged, 401, "not_signed_in");
    assertNoChallenge(forged);
  });

  test("Basic credentials are not a session", async () => {
    const demo = await signIn();
    const created = await createPassword(demo, "not a session", ["account"]);
    const res = await new Client(host.url).get("/api/app-passwords", { auth: ["demo", created.password] });
    assertError(res, 401, "not_signed_in");
    assertNoChallenge(res);
  });
});

describe("GET/POST /api/app-passwords", () => {
  test("create: 201 with the password once; the list never shows it", async () => {
    const c = await signIn();
    const res = await c.post("/api/app-passwords", { label: "CI deploy", scopes: ["pullrequest:write"] }, { headers: { origin: host.origin } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const created = res.data;
    assert.match(created.password, /^apw_[0-9A-Za-z]{50}$/);
    assert.match(created.id, /^[0-9A-Za-z]{12}$/);
    assert.equal(created.label, "CI deploy");
    assert.deepEqual([...created.scopes].sort(), ["pullrequest", "pullrequest:write", "repository", "repository:write"]);
    assert.equal(typeof created.createdAt, "number");

    const list = await c.get("/api/app-passwords");
    assert.equal(list.status, 200);
    const row = list.data.appPasswords.find((p) => p.id === created.id);
    assert.ok(row, "listed");
    assert.equal(row.label, "CI deploy");
    assert.deepEqual(row.scopes, created.scopes);
    assert.equal(row.lastUsedAt, null);
    assert.ok(!list.text.includes(created.password), "the list never contains the password");
    assert.ok(!list.text.includes("$argon2"), "nor a hash");
  });

  test("refusals: bad label, bad scopes, non-JSON, cross-site; none creates anything", async () => {
    const c = await signIn();
    const before = (await c.get("/api/app-passwords")).data.appPasswords.length;
    assertError(await c.post("/api/app-passwords", { label: "", scopes: ["email"] }), 400, "invalid_label");
    assertError(await c.post("/api/app-passwords", { label: "   ", scopes: ["email"] }), 400, "invalid_label");
    assertError(await c.post("/api/app-passwords", { label: "x".repeat(256), scopes: ["email"] }), 400, "invalid_label");
    assertError(await c.post("/api/app-passwords", { label: 42, scopes: ["email"] }), 400, "invalid_label");
    assertError(await c.post("/api/app-passwords", { scopes: ["email"] }), 400, "invalid_label");
    assertError(await c.post("/api/app-passwords", { label: "x", scopes: ["nope"] }), 400, "unknown_scope");
    assertError(await c.post("/api/app-passwords", { label: "x", scopes: ["workspace:admin"] }), 400, "scope_not_grantable");
    assertError(await c.post("/api/app-passwords", { label: "x", scopes: ["account:login"] }), 400, "scope_not_grantable");
    assertError(await c.post("/api/app-passwords", { label: "x", scopes: [] }), 400, "no_scopes");
    assertError(await c.post("/api/app-passwords", { label: "x", scopes: "email" }), 400, "invalid_scopes");
    const text = await c.request("POST", "/api/app-passwords", {
      body: JSON.stringify({ label: "x", scopes: ["email"] }),
      headers: { "content-type": "text/plain" },
    });
    assertError(text, 415, "unsupported_media_type");
    const form = await c.request("POST", "/api/app-passwords", {
      body: "label=x&scopes=email",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assertError(form, 415, "unsupported_media_type");
    const cross = await c.post("/api/app-passwords", { label: "x", scopes: ["email"] }, { headers: { origin: "http://127.0.0.1:1" } });
    assertError(cross, 403, "cross_site");
    const after = (await c.get("/api/app-passwords")).data.appPasswords.length;
    assert.equal(after, before);
  });
});

describe("DELETE /api/app-passwords/{id}", () => {
  test("revoke: 204, then refused over Basic and gone from the list; again: 404", async () => {
    const c = await signIn();
    const created = await createPassword(c, "to revoke", ["repository"]);
    const basic = new Client(host.url);
    assert.equal((await basic.get("/api/user", { auth: ["demo", created.password] })).status, 200);
    const res = await c.delete(`/api/app-passwords/${created.id}`, { headers: { origin: host.origin } });
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, "");
    const refused = await basic.get("/api/user", { auth: ["demo", created.password] });
    assertError(refused, 401, "invalid_credentials");
    assertChallenge(refused);
    const list = await c.get("/api/app-passwords");
    assert.ok(!list.data.appPasswords.some((p) => p.id === created.id));
    assertError(await c.delete(`/api/app-passwords/${created.id}`), 404, "not_found");
  });

  test("cross-site Origin and a request body are refused; nothing is revoked", async () => {
    const c = await signIn();
    const created = await createPassword(c, "keep me", ["email"]);
    const cross = await c.delete(`/api/app-passwords/${created.id}`, { headers: { origin: "https://evil.example" } });
    assertError(cross, 403, "cross_site");
    const withBody = await c.request("DELETE", `/api/app-passwords/${created.id}`, {
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    assertError(withBody, 400, "body_not_allowed");
    const list = await c.get("/api/app-passwords");
    assert.ok(list.data.appPasswords.some((p) => p.id === created.id));
  });

  test("someone else's password: 404, and it keeps working for its owner", async () => {
    const alice = await signIn("alice", ALICE_PASSWORD);
    const hers = await createPassword(alice, "alice's CI", ["repository"]);
    const demo = await signIn();
    assertError(await demo.delete(`/api/app-passwords/${hers.id}`), 404, "not_found");
    assertError(await demo.delete("/api/app-passwords/000000000000"), 404, "not_found");
    assertError(await demo.delete("/api/app-passwords/not%20an%20id"), 404, "not_found");
    const demoList = await demo.get("/api/app-passwords");
    assert.ok(!demoList.data.appPasswords.some((p) => p.id === hers.id), "not in demo's list");
    const aliceList = await alice.get("/api/app-passwords");
    assert.ok(aliceList.data.appPasswords.some((p) => p.id === hers.id), "still in alice's list");
    const basic = new Client(host.url);
    const ok = await basic.get("/api/user", { auth: ["alice", hers.password] });
    assert.equal(ok.status, 200);
    assert.equal(ok.data.username, "alice");
    // Tied to its account: with another username it is refused.
    assertChallenge(await basic.get("/api/user", { auth: ["demo", hers.password] }));
  });
});

describe("the Basic API", () => {
  let c;
  let prw; // pullrequest:write (implies repository, repository:write, pullrequest)
  let repoRead; // repository only
  let emailOnly;
  let everything; // every grantable scope

  before(async () => {
    c = await signIn();
    prw = await createPassword(c, "pr bot", ["pullrequest:write"]);
    repoRead = await createPassword(c, "reader", ["repository"]);
    emailOnly = await createPassword(c, "mailer", ["email"]);
    const catalog = (await c.get("/api/scopes")).data.scopes;
    everything = await createPassword(c, "everything", catalog.filter((s) => s.grantable).map((s) => s.name));
  });

  test("GET /api/user: {username, scopes}", async () => {
    const res = await new Client(host.url).get("/api/user", { auth: ["demo", prw.password] });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.deepEqual(res.data, { username: "demo", scopes: prw.scopes });
  });

  test("401 with WWW-Authenticate: Basic realm=\"app-passwords\" for missing or wrong credentials", async () => {
    const b = new Client(host.url);
    const none = await b.get("/api/user");
    assertError(none, 401, "invalid_credentials");
    assertChallenge(none);
    const wrongSecret = prw.password.slice(0, 20) + generatePassword().password.slice(20);
    for (const auth of [
      ["demo", "wrong"],
      ["demo", wrongSecret],
      ["demo", generatePassword().password],
      ["demo", demoPassword], // the account password is not an app password
      ["nobody", prw.password],
    ]) {
      const res = await b.get("/api/user", { auth });
      assertError(res, 401, "invalid_credentials");
      assertChallenge(res);
    }
    const garbage = await b.get("/api/user", { headers: { authorization: "Basic !!!not-base64" } });
    assertChallenge(garbage);
    const bearer = await b.get("/api/repositories", { headers: { authorization: `Bearer ${prw.password}` } });
    assertChallenge(bearer);
  });

  test("caveats: the page's IP ranges and read-only option; the Worker passes CF-Connecting-IP (the socket's address locally)", async () => {
    const local = await c.post("/api/app-passwords", { label: "local reader", scopes: ["repository:write"], allowIps: ["127.0.0.0/8", "::1"], methods: ["GET", "HEAD"] });
    assert.equal(local.status, 201, local.text);
    assert.deepEqual([local.data.allowIps, local.data.methods], [["127.0.0.0/8", "::1"], ["GET", "HEAD"]]);
    const far = await createPassword(c, "office only", ["repository"]);
    const office = await c.post("/api/app-passwords", { label: "office", scopes: ["repository"], allowIps: ["203.0.113.0/24"] });
    assert.equal(office.status, 201, office.text);
    const row = (await c.get("/api/app-passwords")).data.appPasswords.find((p) => p.id === local.data.id);
    assert.deepEqual([row.allowIps, row.methods], [["127.0.0.0/8", "::1"], ["GET", "HEAD"]], "the list shows them");
    assert.equal((await c.get("/api/app-passwords")).data.appPasswords.find((p) => p.id === far.id).allowIps, undefined);

    const b = new Client(host.url);
    assert.equal((await b.get("/api/repositories", { auth: ["demo", local.data.password] })).status, 200);
    const write = await b.post("/api/repositories", { name: "x" }, { auth: ["demo", local.data.password] });
    assertError(write, 403, "request_not_allowed");
    assert.equal(write.headers.get("www-authenticate"), null);
    // X-Forwarded-For is never believed.
    const elsewhere = await b.get("/api/repositories", { auth: ["demo", office.data.password], headers: { "x-forwarded-for": "203.0.113.9" } });
    assertError(elsewhere, 403, "request_not_allowed");
    for (const bad of [{ allowIps: ["10.0.0.1/8"] }, { allowIps: [] }, { methods: ["G T"] }]) {
      assertError(await c.post("/api/app-passwords", { label: "bad", scopes: ["repository"], ...bad }), 400, "invalid_caveat");
    }
  });

  test("GET /api/repositories needs `repository` (implied by pullrequest:write)", async () => {
    const b = new Client(host.url);
    for (const pw of [prw, repoRead]) {
      const res = await b.get("/api/repositories", { auth: ["demo", pw.password] });
      assert.equal(res.status, 200, res.text);
      assert.ok(Array.isArray(res.data.values) && res.data.values.length > 0);
      assert.ok(res.data.values.every((r) => r.full_name.startsWith("demo/")));
    }
    const refused = await b.get("/api/repositories", { auth: ["demo", emailOnly.password] });
    assertError(refused, 403, "insufficient_scope");
    assert.deepEqual(refused.data.error.missing, ["repository"]);
    assert.equal(refused.headers.get("www-authenticate"), null);
  });

  test("POST /api/repositories needs `repository:write`; JSON body; 201", async () => {
    const b = new Client(host.url);
    const refused = await b.post("/api/repositories", { name: "nope" }, { auth: ["demo", repoRead.password] });
    assertError(refused, 403, "insufficient_scope");
    assert.deepEqual(refused.data.error.missing, ["repository:write"]);
    const created = await b.post("/api/repositories", { name: "new-repo" }, { auth: ["demo", prw.password] });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.data.repository.full_name, "demo/new-repo");
    const text = await b.request("POST", "/api/repositories", {
      body: "name=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      auth: ["demo", prw.password],
    });
    assertError(text, 415, "unsupported_media_type");
    const badName = await b.post("/api/repositories", { name: "../etc" }, { auth: ["demo", prw.password] });
    assertError(badName, 400, "invalid_name");
    const cross = await b.post("/api/repositories", { name: "x" }, { auth: ["demo", prw.password], headers: { origin: "https://evil.example" } });
    assertError(cross, 403, "cross_site");
    const noAuth = await b.post("/api/repositories", { name: "x" });
    assertChallenge(noAuth);
  });

  test("GET /api/workspace/settings: always 403 not_allowed_for_app_passwords", async () => {
    const b = new Client(host.url);
    for (const pw of [prw, repoRead, emailOnly, everything]) {
      const res = await b.get("/api/workspace/settings", { auth: ["demo", pw.password] });
      assertError(res, 403, "not_allowed_for_app_passwords");
    }
    assertChallenge(await b.get("/api/workspace/settings", { auth: ["demo", "wrong"] }));
    assertChallenge(await b.get("/api/workspace/settings"));
  });

  test("a verify records last use; the list shows it", async () => {
    const fresh = await createPassword(c, "last used", ["email"]);
    const before = (await c.get("/api/app-passwords")).data.appPasswords.find((p) => p.id === fresh.id);
    assert.equal(before.lastUsedAt, null);
    const t0 = Date.now();
    assert.equal((await new Client(host.url).get("/api/user", { auth: ["demo", fresh.password] })).status, 200);
    await eventually(async () => {
      const row = (await c.get("/api/app-passwords")).data.appPasswords.find((p) => p.id === fresh.id);
      assert.equal(typeof row.lastUsedAt, "number");
      assert.ok(Math.abs(row.lastUsedAt - t0) < 60_000);
    });
  });
});

describe("POST /logout", () => {
  test("ends the session and clears the cookie; needs a JSON body", async () => {
    const c = await signIn();
    const notJson = await c.request("POST", "/logout");
    assertError(notJson, 415, "unsupported_media_type");
    const cross = await c.post("/logout", {}, { headers: { origin: "https://evil.example" } });
    assertError(cross, 403, "cross_site");
    const token = c.cookies.get("apw_session");
    const res = await c.post("/logout", {});
    assert.equal(res.status, 204);
    assert.match(res.headers.getSetCookie()[0], /^apw_session=; Max-Age=0;/);
    assert.equal(c.cookies.size, 0);
    // The old token is dead server-side too.
    const replay = new Client(host.url);
    replay.cookies.set("apw_session", token);
    const res2 = await replay.get("/api/session");
    assertError(res2, 401, "not_signed_in");
    assertNoChallenge(res2);
  });
});

describe("curl", () => {
  const hasCurl = existsSync("/usr/bin/curl") || existsSync("/bin/curl");

  test("sign in with a cookie jar, create, call the API with -u, revoke (no Origin header)", { skip: !hasCurl && "no curl" }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "app-passwords-curl-"));
    const jar = join(dir, "cookies.txt");
    const curl = async (...args) => {
      const { stdout } = await run("curl", ["-sS", "--max-time", "20", "-w", "\n%{http_code}", ...args]);
      const i = stdout.lastIndexOf("\n");
      const body = stdout.slice(0, i);
      return { status: Number(stdout.slice(i + 1)), body, data: body ? JSON.parse(body) : null };
    };
    try {
      const json = ["-H", "Content-Type: application/json"];
      const login = await curl("-c", jar, ...json, "-d", JSON.stringify({ username: "demo", password: demoPassword }), `${host.url}login`);
      assert.equal(login.status, 200, login.body);
      const session = await curl("-b", jar, `${host.url}api/session`);
      assert.equal(session.status, 200);
      assert.equal(session.data.username, "demo");
      const created = await curl("-b", jar, ...json, "-d", JSON.stringify({ label: "curl", scopes: ["repository:write"] }), `${host.url}api/app-passwords`);
      assert.equal(created.status, 201, created.body);
      const { id, password } = created.data;
      const user = await curl("-u", `demo:${password}`, `${host.url}api/user`);
      assert.equal(user.status, 200);
      assert.deepEqual(user.data.scopes, ["repository", "repository:write"]);
      const repo = await curl("-u", `demo:${password}`, ...json, "-d", '{"name":"from-curl"}', `${host.url}api/repositories`);
      assert.equal(repo.status, 201);
      const revoked = await curl("-b", jar, "-X", "DELETE", `${host.url}api/app-passwords/${id}`);
      assert.equal(revoked.status, 204);
      const after = await curl("-u", `demo:${password}`, `${host.url}api/user`);
      assert.equal(after.status, 401);
      const logout = await curl("-b", jar, "-c", jar, ...json, "-d", "{}", `${host.url}logout`);
      assert.equal(logout.status, 204);
      const gone = await curl("-b", jar, `${host.url}api/session`);
      assert.equal(gone.status, 401);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("persistence across restarts", () => {
  test("same DEMO_PASSWORD: sessions and app passwords survive; a new generated password takes over", async () => {
    const demo = await signIn();
    const kept = await createPassword(demo, "survives restarts", ["repository"]);
    const revokedOne = await createPassword(demo, "revoked before restart", ["email"]);
    assert.equal((await demo.delete(`/api/app-passwords/${revokedOne.id}`)).status, 204);
    const oldPassword = demoPassword;

    // 1. Stop, start again on the same data with the same account password.
    assert.equal(await host.stop(), 0, "the launcher exits 0 on SIGTERM");
    host = await startHost({ dataDir, env: { DEMO_PASSWORD: oldPassword, EXTRA_ACCOUNTS: JSON.stringify({ alice: ALICE_PASSWORD }) } });
    assert.equal(host.password, null, "a given DEMO_PASSWORD is not printed");
    assert.ok(!host.output().includes(oldPassword));
    demo.base = host.url;
    const session = await demo.get("/api/session");
    assert.equal(session.status, 200, "the session survives");
    const list = await demo.get("/api/app-passwords");
    assert.ok(list.data.appPasswords.some((p) => p.id === kept.id), "still listed");
    assert.ok(!list.data.appPasswords.some((p) => p.id === revokedOne.id), "the revoked one stays revoked");
    const basic = new Client(host.url);
    assert.equal((await basic.get("/api/repositories", { auth: ["demo", kept.password] })).status, 200);
    assertChallenge(await basic.get("/api/user", { auth: ["demo", revokedOne.password] }));

    // 2. Restart with a newly generated demo password.
    await host.stop();
    host = await startHost({ dataDir, env: { EXTRA_ACCOUNTS: JSON.stringify({ alice: ALICE_PASSWORD }) } });
    assert.ok(host.password && host.password !== oldPassword, "a new password is printed");
    demoPassword = host.password;
    demo.base = host.url;
    const oldSession = await demo.get("/api/session");
    assertError(oldSession, 401, "not_signed_in"); // the account password changed: signed out
    assertNoChallenge(oldSession);
    const stale = await new Client(host.url).post("/login", { username: "demo", password: oldPassword });
    assertError(stale, 401, "invalid_credentials");
    const fresh = await signIn("demo", host.password);
    const list2 = await fresh.get("/api/app-passwords");
    assert.ok(list2.data.appPasswords.some((p) => p.id === kept.id), "still listed after a new password");
    const b2 = new Client(host.url);
    const ok = await b2.get("/api/user", { auth: ["demo", kept.password] });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.data.scopes, ["repository"]);
  });
});
