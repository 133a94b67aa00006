// The lifecycle through the example host over HTTP (examples/host/README.md#the-http-api):
// rotate and enable/disable as session routes, a canary's refusal byte-equal to an unknown id's,
// and GitHub's secret scanning endpoint with a key pair made here (injected through
// SECRET_SCANNING_PUBLIC_KEYS). The host runs for real: workerd through Miniflare.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { generatePassword } from "../../pkg/node.js";
import { githubSigner } from "../js/suite/lifecycle.mjs";
import { Client, eventually, makeDataDir, removeDataDir, startHost } from "./host.mjs";

let dataDir;
let host;
let gh;

async function signIn() {
  const c = new Client(host.url);
  const res = await c.post("/login", { username: "demo", password: "demo-account-password-1" });
  assert.equal(res.status, 200, res.text);
  return c;
}

async function create(client, label, extra = {}) {
  const res = await client.post("/api/app-passwords", { label, scopes: ["repository"], ...extra });
  assert.equal(res.status, 201, res.text);
  return res.data;
}

const user = (client, password) => client.get("/api/user", { auth: ["demo", password] });

/** Status, body and every header but Date: what a client can compare between two answers. */
function shape(res) {
  const headers = [...res.headers].filter(([k]) => k !== "date").sort();
  return { status: res.status, headers, body: res.text };
}

describe("example host: lifecycle", () => {
  before(async () => {
    gh = await githubSigner("host-test-key");
    dataDir = makeDataDir("lifecycle");
    host = await startHost({
      dataDir,
      env: { DEMO_PASSWORD: "demo-account-password-1", SECRET_SCANNING_PUBLIC_KEYS: JSON.stringify(gh.keys) },
    });
  });
  after(async () => {
    await host?.stop();
    removeDataDir(dataDir);
  });

  test("rotate: 201 with the new password once; the old one works until the new one's first use, then 401", async () => {
    const c = await signIn();
    const old = await create(c, "deploy");
    const res = await c.post(`/api/app-passwords/${old.id}/rotate`, {});
    assert.equal(res.status, 201, res.text);
    const next = res.data;
    assert.equal(next.replaces, old.id);
    assert.equal(next.label, "deploy");
    assert.equal((await user(c, old.password)).status, 200, "old, during the overlap");
    assert.equal((await user(c, next.password)).status, 200, "new");
    const refused = await user(c, old.password);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get("www-authenticate") ?? "", /^Basic realm="app-passwords"/);
    const listed = (await c.get("/api/app-passwords")).data.appPasswords;
    assert.equal(listed.find((p) => p.id === old.id).replacedBy, next.id);
    assert.equal((await c.post(`/api/app-passwords/${old.id}/rotate`, {})).data.error.code, "already_rotated");
    assert.equal((await c.post(`/api/app-passwords/000000000001/rotate`, {})).status, 404);
    assert.equal((await c.get(`/api/app-passwords/${old.id}/rotate`)).status, 405);
  });

  test("enabled: disable → 401, enable → 200; list shows it; another session's id → 404", async () => {
    const c = await signIn();
    const a = await create(c, "toggle");
    let res = await c.post(`/api/app-passwords/${a.id}/enabled`, { enabled: false });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.data, { id: a.id, enabled: false });
    assert.equal((await user(c, a.password)).status, 401);
    assert.equal((await c.get("/api/app-passwords")).data.appPasswords.find((p) => p.id === a.id).enabled, false);
    res = await c.post(`/api/app-passwords/${a.id}/enabled`, { enabled: true });
    assert.equal(res.status, 200, res.text);
    assert.equal((await user(c, a.password)).status, 200);
    assert.equal((await c.post(`/api/app-passwords/${a.id}/enabled`, { enabled: "no" })).status, 400);
    assert.equal((await c.post(`/api/app-passwords/000000000001/enabled`, { enabled: false })).status, 404);
    // Without a session: nothing.
    assert.equal((await new Client(host.url).post(`/api/app-passwords/${a.id}/enabled`, { enabled: false })).status, 401);
  });

  test("canary: status, headers and body byte-equal to an unknown id's; the host logs one use per request", async () => {
    const c = await signIn();
    const canary = await create(c, "honeytoken", { canary: true });
    const unknown = generatePassword().password;
    const before = (host.output().match(/CANARY app password used/g) ?? []).length;
    const a = shape(await user(c, canary.password));
    const b = shape(await user(c, unknown));
    assert.equal(a.status, 401);
    assert.deepEqual(a, b);
    const again = shape(await user(new Client(host.url), canary.password));
    assert.deepEqual(again, b);
    await eventually(() => assert.equal((host.output().match(/CANARY app password used/g) ?? []).length - before, 2));
    assert.match(host.output(), new RegExp(`CANARY app password used: id ${canary.id}, user demo, label "honeytoken"`));
    const listed = (await c.get("/api/app-passwords")).data.appPasswords.find((p) => p.id === canary.id);
    assert.equal(listed.label, "honeytoken");
    assert.equal("canary" in listed, false, "lists like any other");
  });

  test("secret scanning: POST /api/secret-scanning revokes a reported password; bad signature 401", async () => {
    const c = await signIn();
    const leaked = await create(c, "leaked");
    const items = [{ token: leaked.password, type: "app_password", url: "https://github.com/o/r/blob/main/x", source: "content" }];
    const bad = await gh.report(items, { headers: { "github-public-key-signature": await gh.sign("other body") } });
    const refused = await fetch(new URL("/api/secret-scanning", host.url), { method: "POST", headers: bad.headers, body: JSON.stringify(items) });
    assert.equal(refused.status, 401);
    assert.equal((await user(c, leaked.password)).status, 200, "untouched");
    const signed = await gh.report(items);
    const res = await fetch(new URL("/api/secret-scanning", host.url), { method: "POST", headers: signed.headers, body: JSON.stringify(items) });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.length, 1);
    assert.equal(body[0].label, "true_positive");
    assert.match(body[0].token_hash, /^[0-9a-f]{64}$/);
    assert.equal((await user(c, leaked.password)).status, 401, "revoked");
    assert.equal((await c.get("/api/app-passwords")).data.appPasswords.some((p) => p.id === leaked.id), false);
  });
});
