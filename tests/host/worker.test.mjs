// The example host driven in-process through Miniflare, with the launcher's own options
// (examples/host/miniflare.mjs), for what plain HTTP on 127.0.0.1 cannot show:
// - https: `dispatchFetch` of an https URL, as Cloudflare delivers it: the `__Host-` cookie;
// - a configuration change: `setOptions` restarts workerd with other accounts, as a deploy
//   with other secrets does: a removed account's app passwords are revoked;
// - a failing KV: APP_PASSWORDS is wrapped (a Miniflare wrapped binding over the real KV
//   namespace) so that chosen calls throw: a failed account sync is a 500, not a sign-out.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Log, LogLevel, Miniflare } from "miniflare";

import { sharedOptions, workerOptions } from "../../examples/host/miniflare.mjs";
import { makeDataDir, removeDataDir } from "./host.mjs";

const DEMO_PASSWORD = "demo-account-password-1";
const CAROL_PASSWORD = "carol-account-password-1";

// APP_PASSWORDS as the real KV namespace behind a Proxy: a call whose op is in FAULT.ops and
// whose key (or list prefix) starts with FAULT.prefix rejects, as a KV outage would.
const FAULTY_KV = `
export default function (env) {
  const fault = env.FAULT;
  const hit = (op, arg) => {
    if (!fault.ops.includes(op)) return false;
    const key = op === "list" ? String((arg && arg.prefix) || "") : String(arg);
    return key.startsWith(fault.prefix);
  };
  return new Proxy(env.KV, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      return (...args) => hit(prop, args[0])
        ? Promise.reject(new Error("injected KV failure: " + String(prop)))
        : value.apply(target, args);
    },
  });
}`;

const NO_FAULT = { ops: [], prefix: "" };

let dataDir;
let mf;

function options({ accounts = {}, fault = NO_FAULT, store } = {}) {
  const bindings = { DEMO_PASSWORD };
  if (store) bindings.APP_PASSWORDS_STORE = store;
  if (Object.keys(accounts).length) bindings.EXTRA_ACCOUNTS = JSON.stringify(accounts);
  const host = workerOptions({ bindings });
  delete host.kvNamespaces;
  host.wrappedBindings = { APP_PASSWORDS: { scriptName: "faulty-kv", bindings: { FAULT: fault } } };
  return {
    ...sharedOptions({ port: 0, dataDir, log: new Log(LogLevel.NONE) }),
    workers: [host, { name: "faulty-kv", modules: true, script: FAULTY_KV, kvNamespaces: { KV: "app-passwords" } }],
  };
}

async function restart(opts) {
  await mf.setOptions(options(opts));
  await mf.ready;
}

async function call(method, url, { json, cookie, auth, headers = {} } = {}) {
  const h = { ...headers };
  if (json !== undefined) h["content-type"] = "application/json";
  if (cookie) h.cookie = cookie;
  if (auth) h.authorization = `Basic ${Buffer.from(`${auth[0]}:${auth[1]}`).toString("base64")}`;
  const res = await mf.dispatchFetch(url, { method, headers: h, body: json === undefined ? undefined : JSON.stringify(json) });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  return { status: res.status, headers: res.headers, text, data };
}

/** Signs in; returns the cookie pair `name=value` from Set-Cookie. */
async function signIn(origin, username, password) {
  const res = await call("POST", `${origin}/login`, { json: { username, password } });
  assert.equal(res.status, 200, res.text);
  const setCookie = res.headers.getSetCookie();
  assert.equal(setCookie.length, 1);
  return { pair: setCookie[0].split(";")[0], setCookie: setCookie[0] };
}

before(async () => {
  dataDir = makeDataDir("worker");
  mf = new Miniflare(options());
  await mf.ready;
});

after(async () => {
  await mf?.dispose();
  removeDataDir(dataDir);
});

describe("the session cookie", () => {
  test("over https: __Host-apw_session with Secure, Path=/ and no Domain; the plain name is not read", async () => {
    const origin = "https://apw.example";
    const { pair, setCookie } = await signIn(origin, "demo", DEMO_PASSWORD);
    assert.match(setCookie, /^__Host-apw_session=[A-Za-z0-9_-]{43}; /);
    assert.match(setCookie, /; Secure(;|$)/);
    assert.match(setCookie, /; Path=\/(;|$)/);
    assert.match(setCookie, /; HttpOnly/);
    assert.match(setCookie, /; SameSite=Strict/);
    assert.doesNotMatch(setCookie, /domain=/i);

    const session = await call("GET", `${origin}/api/session`, { cookie: pair });
    assert.equal(session.status, 200, session.text);
    assert.deepEqual(session.data, { username: "demo" });
    // The same token under the plain name is not a session over https...
    const token = pair.split("=")[1];
    const plain = await call("GET", `${origin}/api/session`, { cookie: `apw_session=${token}` });
    assert.equal(plain.status, 401);
    // ...nor the __Host- name over plain http.
    const http = await call("GET", "http://apw.example/api/session", { cookie: pair });
    assert.equal(http.status, 401);

    const out = await call("POST", `${origin}/logout`, { json: {}, cookie: pair });
    assert.equal(out.status, 204, out.text);
    const [cleared] = out.headers.getSetCookie();
    assert.match(cleared, /^__Host-apw_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
    assert.equal((await call("GET", `${origin}/api/session`, { cookie: pair })).status, 401);
  });

  test("over http: apw_session, without Secure", async () => {
    const { setCookie } = await signIn("http://apw.example", "demo", DEMO_PASSWORD);
    assert.match(setCookie, /^apw_session=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/; HttpOnly; SameSite=Strict$/);
  });
});

describe("removing an account from the configuration", () => {
  test("revokes all its app passwords: refused at once, and still refused when the account comes back", async () => {
    const origin = "http://apw.example";
    await restart({ accounts: { carol: CAROL_PASSWORD } });
    const carol = await signIn(origin, "carol", CAROL_PASSWORD);
    const made = [];
    for (const scopes of [["repository"], ["email"], ["pullrequest:write"]]) {
      const res = await call("POST", `${origin}/api/app-passwords`, { json: { label: `carol ${scopes[0]}`, scopes }, cookie: carol.pair });
      assert.equal(res.status, 201, res.text);
      made.push(res.data);
    }
    const demo = await signIn(origin, "demo", DEMO_PASSWORD);
    const demoPw = (await call("POST", `${origin}/api/app-passwords`, { json: { label: "demo's", scopes: ["account"] }, cookie: demo.pair })).data;
    for (const p of made) assert.equal((await call("GET", `${origin}/api/user`, { auth: ["carol", p.password] })).status, 200);

    // A new configuration without carol.
    await restart({});
    for (const p of made) {
      const res = await call("GET", `${origin}/api/user`, { auth: ["carol", p.password] });
      assert.equal(res.status, 401, res.text);
      assert.equal(res.data.error.code, "invalid_credentials");
      assert.match(res.headers.get("www-authenticate") ?? "", /^Basic realm="app-passwords"/);
    }
    assert.equal((await call("POST", `${origin}/login`, { json: { username: "carol", password: CAROL_PASSWORD } })).status, 401);
    assert.equal((await call("GET", `${origin}/api/session`, { cookie: carol.pair })).status, 401, "her session ended");
    // Other accounts keep theirs.
    assert.equal((await call("GET", `${origin}/api/user`, { auth: ["demo", demoPw.password] })).status, 200);
    assert.equal((await call("GET", `${origin}/api/session`, { cookie: demo.pair })).status, 200);

    // Carol is configured again, with the same password: her old app passwords stay revoked.
    await restart({ accounts: { carol: CAROL_PASSWORD } });
    for (const p of made) assert.equal((await call("GET", `${origin}/api/user`, { auth: ["carol", p.password] })).status, 401);
    const back = await signIn(origin, "carol", CAROL_PASSWORD);
    const list = await call("GET", `${origin}/api/app-passwords`, { cookie: back.pair });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.data.appPasswords, []);
  });
});

describe("APP_PASSWORDS_STORE = durable-object", () => {
  test("the records live in the AppPasswordsDurableObject, not in KV: create, verify, list, revoke", async () => {
    const origin = "http://apw.example";
    await restart({ store: "durable-object" });
    const demo = await signIn(origin, "demo", DEMO_PASSWORD);
    const made = await call("POST", `${origin}/api/app-passwords`, { json: { label: "in the DO", scopes: ["repository"] }, cookie: demo.pair });
    assert.equal(made.status, 201, made.text);
    const { id, password } = made.data;
    assert.equal((await call("GET", `${origin}/api/repositories`, { auth: ["demo", password] })).status, 200);
    const listed = await call("GET", `${origin}/api/app-passwords`, { cookie: demo.pair });
    assert.deepEqual(listed.data.appPasswords.map((p) => p.id), [id]);

    // Nothing of the package's key layout went to the KV namespace.
    const kv = await mf.getKVNamespace("KV", "faulty-kv");
    const keys = (await kv.list({ prefix: "app-passwords/" })).keys.map((k) => k.name);
    assert.equal(keys.some((k) => k.includes(id)), false, `KV holds no key of ${id}: ${keys.join(", ")}`);

    // The same host on KV does not know that password: the store really is the object.
    await restart({});
    assert.equal((await call("GET", `${origin}/api/repositories`, { auth: ["demo", password] })).status, 401);
    await restart({ store: "durable-object" });
    assert.equal((await call("GET", `${origin}/api/repositories`, { auth: ["demo", password] })).status, 200, "persisted in the object");

    const again = await signIn(origin, "demo", DEMO_PASSWORD);
    assert.equal((await call("DELETE", `${origin}/api/app-passwords/${id}`, { cookie: again.pair })).status, 204);
    assert.equal((await call("GET", `${origin}/api/repositories`, { auth: ["demo", password] })).status, 401, "revoked at once");
    await restart({});
  });

  test("an unknown APP_PASSWORDS_STORE is a 500 not_configured, never a silent fallback to KV", async () => {
    await restart({ store: "dynamo" });
    const res = await call("GET", "http://apw.example/api/user", { auth: ["demo", "x"] });
    assert.equal(res.status, 500, res.text);
    assert.equal(res.data?.error?.code, "not_configured");
    await restart({});
  });
});

describe("a KV failure while syncing an account", () => {
  test("is a 500 account_sync_failed, not a sign-out: the session works again once KV does", async () => {
    const origin = "http://apw.example";
    await restart({});
    const demo = await signIn(origin, "demo", DEMO_PASSWORD);
    assert.equal((await call("GET", `${origin}/api/session`, { cookie: demo.pair })).status, 200);

    // A fresh isolate whose reads of the account record fail.
    await restart({ fault: { ops: ["get"], prefix: "host/v1/account/" } });
    const session = await call("GET", `${origin}/api/session`, { cookie: demo.pair });
    assert.equal(session.status, 500, session.text);
    assert.equal(session.data?.error?.code, "account_sync_failed");
    assert.equal(session.headers.get("set-cookie"), null, "the cookie is not cleared");
    const login = await call("POST", `${origin}/login`, { json: { username: "demo", password: DEMO_PASSWORD } });
    assert.equal(login.status, 500, login.text);
    assert.equal(login.data?.error?.code, "account_sync_failed");

    // Listing the accounts (the removal sweep) failing is the same error.
    await restart({ fault: { ops: ["list"], prefix: "host/v1/account/" } });
    const listed = await call("GET", `${origin}/api/session`, { cookie: demo.pair });
    assert.equal(listed.status, 500, listed.text);
    assert.equal(listed.data?.error?.code, "account_sync_failed");

    // KV is back: the same session, still signed in (nothing was re-hashed).
    await restart({});
    const again = await call("GET", `${origin}/api/session`, { cookie: demo.pair });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.data, { username: "demo" });
  });
});
