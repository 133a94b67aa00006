// The example host's abuse limits over HTTP (examples/host/README.md, "Limits"): failed sign-ins
// per username and per client address, failed Basic checks per address (429 + Retry-After),
// and request bodies capped while they stream in (413). The host runs for real (workerd
// through Miniflare, its rate-limit Durable Object included) on a free port of 127.0.0.1.
//
// Locally Miniflare keeps a CF-Connecting-IP header the request already has (it sets it from
// the socket otherwise), so each test plays its own clients from the documentation ranges
// (RFC 5737) and never locks out another test's.

import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";

import { generatePassword } from "../../pkg/node.js";
import { Client, makeDataDir, removeDataDir, startHost } from "./host.mjs";

// The documented limits (examples/host/README.md); a change there must change these.
const SIGN_IN_PER_USER = 10;
const SIGN_IN_PER_ADDRESS = 30;
const SIGN_IN_WINDOW_S = 15 * 60;
const BASIC_PER_ADDRESS = 50;
const BASIC_WINDOW_S = 5 * 60;
const MAX_BODY_BYTES = 16 * 1024;

const BOB_PASSWORD = "bob-account-password-1";

let dataDir;
let host;
let demoPassword;

before(async () => {
  dataDir = makeDataDir("limits");
  host = await startHost({ dataDir, env: { EXTRA_ACCOUNTS: JSON.stringify({ bob: BOB_PASSWORD }) } });
  demoPassword = host.password;
});

after(async () => {
  if (host) await host.stop();
  removeDataDir(dataDir);
});

function from(ip) {
  return { "cf-connecting-ip": ip };
}

async function login(ip, username, password) {
  const c = new Client(host.url);
  const t0 = performance.now();
  const res = await c.post("/login", { username, password }, { headers: from(ip) });
  res.ms = performance.now() - t0;
  res.client = c;
  return res;
}

function assertRateLimited(res, windowS) {
  assert.equal(res.status, 429, `status (body: ${res.text})`);
  assert.equal(res.data?.error?.code, "rate_limited", res.text);
  assert.match(res.data.error.message, /try again in/i);
  const retryAfter = res.headers.get("retry-after");
  assert.match(retryAfter ?? "", /^\d+$/, "Retry-After in seconds");
  assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= windowS, `Retry-After ${retryAfter} within the window`);
  assert.equal(res.data.error.retryAfter, Number(retryAfter));
  assert.equal(res.headers.get("www-authenticate"), null, "a 429 carries no Basic challenge");
  assert.equal(res.headers.get("cache-control"), "no-store");
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

describe("failed sign-ins per username", () => {
  test(`past ${SIGN_IN_PER_USER} for one username: 429 with Retry-After, even with the right password; other usernames still sign in`, async () => {
    const failed = [];
    for (let i = 1; i <= SIGN_IN_PER_USER; i++) {
      // A new address each time: only the username's counter is at work.
      const res = await login(`192.0.2.${i}`, "bob", `wrong-${i}`);
      assert.equal(res.status, 401, res.text);
      assert.equal(res.data.error.code, "invalid_credentials");
      failed.push(res.ms);
    }
    const limited = [];
    for (let i = 0; i < 5; i++) {
      const res = await login(`192.0.2.${20 + i}`, "bob", "wrong-again");
      assertRateLimited(res, SIGN_IN_WINDOW_S);
      limited.push(res.ms);
    }
    const right = await login("192.0.2.30", "bob", BOB_PASSWORD);
    assertRateLimited(right, SIGN_IN_WINDOW_S);
    assert.equal(right.headers.getSetCookie().length, 0, "no session");

    // Refused before the account password is hashed (an OWASP Argon2id): far faster than a
    // refusal that hashed.
    console.log(`    sign-in refusals: 401 (hashed) median ${median(failed).toFixed(1)} ms, 429 median ${median(limited).toFixed(1)} ms`);
    assert.ok(median(limited) < median(failed), "429 answers without hashing");

    // Other usernames, from the same addresses, are not affected.
    const demo = await login("192.0.2.1", "demo", demoPassword);
    assert.equal(demo.status, 200, demo.text);
    const other = await login("192.0.2.2", "nobody", "wrong");
    assert.equal(other.status, 401, other.text);
  });
});

describe("failed sign-ins per client address", () => {
  test(`past ${SIGN_IN_PER_ADDRESS} from one address: 429; a success in between does not clear the count; other addresses still sign in`, async () => {
    const ip = "203.0.113.7";
    for (let i = 1; i < SIGN_IN_PER_ADDRESS; i++) {
      // A new username each time: only the address's counter is at work.
      const res = await login(ip, `guess-${i}`, "wrong");
      assert.equal(res.status, 401, `attempt ${i}: ${res.text}`);
    }
    // The right password from the same address works (the limit is not reached yet)...
    const ok = await login(ip, "demo", demoPassword);
    assert.equal(ok.status, 200, ok.text);
    // ...and takes back only its own count: the 30th failure is still counted.
    const last = await login(ip, "guess-last", "wrong");
    assert.equal(last.status, 401, last.text);
    assertRateLimited(await login(ip, "guess-more", "wrong"), SIGN_IN_WINDOW_S);
    assertRateLimited(await login(ip, "demo", demoPassword), SIGN_IN_WINDOW_S);
    // An app-password-shaped guess is a sign-in attempt too.
    assertRateLimited(await login(ip, "demo", generatePassword().password), SIGN_IN_WINDOW_S);

    const elsewhere = await login("203.0.113.8", "demo", demoPassword);
    assert.equal(elsewhere.status, 200, elsewhere.text);
    const session = await elsewhere.client.get("/api/session");
    assert.equal(session.status, 200);
  });
});

describe("failed Basic checks per client address", () => {
  let prw;
  let emailOnly;

  before(async () => {
    const signedIn = await login("198.51.100.1", "demo", demoPassword);
    assert.equal(signedIn.status, 200, signedIn.text);
    const c = signedIn.client;
    prw = (await c.post("/api/app-passwords", { label: "limits", scopes: ["repository"] })).data;
    emailOnly = (await c.post("/api/app-passwords", { label: "limits email", scopes: ["email"] })).data;
    assert.ok(prw?.password && emailOnly?.password);
  });

  test(`past ${BASIC_PER_ADDRESS} from one address: 429 with Retry-After, even for a valid app password; other addresses work`, async () => {
    const b = new Client(host.url);
    const ip = "198.51.100.7";
    const wrongs = [
      () => ["demo", "wrong"],
      () => ["demo", generatePassword().password], // well formed, unknown
      () => ["demo", demoPassword], // the account password is no app password
      () => ["bob", prw.password], // someone else's
    ];
    for (let i = 0; i < BASIC_PER_ADDRESS; i++) {
      const res = await b.get("/api/user", { auth: wrongs[i % wrongs.length](), headers: from(ip) });
      assert.equal(res.status, 401, `check ${i + 1}: ${res.text}`);
      assert.match(res.headers.get("www-authenticate") ?? "", /^Basic realm="app-passwords"/);
    }
    assertRateLimited(await b.get("/api/user", { auth: ["demo", "wrong"], headers: from(ip) }), BASIC_WINDOW_S);
    assertRateLimited(await b.get("/api/repositories", { auth: ["demo", prw.password], headers: from(ip) }), BASIC_WINDOW_S);

    const elsewhere = await b.get("/api/repositories", { auth: ["demo", prw.password], headers: from("198.51.100.8") });
    assert.equal(elsewhere.status, 200, elsewhere.text);
    // The sign-in form has its own counters.
    const signIn = await login(ip, "demo", demoPassword);
    assert.equal(signIn.status, 200, signIn.text);
  });

  test("requests without credentials and refusals for scope are not failed checks", async () => {
    const b = new Client(host.url);
    const ip = "198.51.100.9";
    for (let i = 0; i < BASIC_PER_ADDRESS + 5; i++) {
      const res = await b.get("/api/user", { headers: from(ip) });
      assert.equal(res.status, 401, res.text);
      assert.match(res.headers.get("www-authenticate") ?? "", /^Basic /, "the challenge, not 429");
    }
    for (let i = 0; i < BASIC_PER_ADDRESS + 5; i++) {
      const res = await b.get("/api/repositories", { auth: ["demo", emailOnly.password], headers: from(ip) });
      assert.equal(res.status, 403, res.text);
      assert.equal(res.data.error.code, "insufficient_scope");
    }
    const ok = await b.get("/api/repositories", { auth: ["demo", prw.password], headers: from(ip) });
    assert.equal(ok.status, 200, ok.text);
  });
});

/**
 * POSTs a chunked body (no Content-Length) a chunk at a time and never ends it unless `end`;
 * resolves with the response as soon as one arrives, and how many bytes had been sent by then.
 */
function streamBody(path, { chunks, end = false, headers = {} }) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let timer;
    const req = httpRequest(
      new URL(path, host.url),
      { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked", ...headers } },
      (res) => {
        clearInterval(timer);
        const sentWhenAnswered = sent;
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => {
          req.destroy();
          let data = null;
          try {
            data = JSON.parse(text);
          } catch {
            data = null;
          }
          resolve({ status: res.statusCode, data, text, sentWhenAnswered, ended: end });
        });
      },
    );
    req.on("error", (err) => {
      clearInterval(timer);
      reject(err);
    });
    const parts = [...chunks];
    timer = setInterval(() => {
      if (parts.length === 0) {
        clearInterval(timer);
        if (end) req.end();
        return; // otherwise the body stays open: only the server can end this exchange
      }
      const part = parts.shift();
      sent += Buffer.byteLength(part);
      req.write(part);
    }, 5);
  });
}

describe("request bodies", () => {
  test("a chunked body past the cap is refused with 413 while it is still streaming", async () => {
    const kib = "x".repeat(1024);
    // 40 KiB, never ended: the answer must come without the whole body.
    const parts = ['{"username":"demo","password":"', ...Array(40).fill(kib)];
    const res = await streamBody("/login", { chunks: parts, headers: from("192.0.2.200") });
    assert.equal(res.status, 413, res.text);
    assert.equal(res.data?.error?.code, "body_too_large");
    assert.ok(res.sentWhenAnswered > MAX_BODY_BYTES, "answered after the cap was passed");
    assert.ok(res.sentWhenAnswered < 40 * 1024, `answered before the body ended (${res.sentWhenAnswered} bytes sent)`);
  });

  test("a chunked body under the cap is read whole; a declared Content-Length over it is refused at once", async () => {
    const padding = "p".repeat(12 * 1024);
    const body = JSON.stringify({ username: "demo", password: "wrong", padding });
    const parts = [];
    for (let i = 0; i < body.length; i += 1000) parts.push(body.slice(i, i + 1000));
    const res = await streamBody("/login", { chunks: parts, end: true, headers: from("192.0.2.201") });
    assert.equal(res.status, 401, res.text);
    assert.equal(res.data?.error?.code, "invalid_credentials");

    const declared = await new Client(host.url).request("POST", "/login", {
      body: "x".repeat(MAX_BODY_BYTES + 1),
      headers: { "content-type": "application/json", ...from("192.0.2.202") },
    });
    assert.equal(declared.status, 413, declared.text);
    assert.equal(declared.data?.error?.code, "body_too_large");
  });

  test("the Basic API's JSON bodies have the same cap", async () => {
    const signedIn = await login("192.0.2.203", "demo", demoPassword);
    const c = signedIn.client;
    const writer = (await c.post("/api/app-passwords", { label: "body cap", scopes: ["repository:write"] })).data;
    const auth = `Basic ${Buffer.from(`demo:${writer.password}`).toString("base64")}`;
    const parts = ['{"name":"', ...Array(30).fill("n".repeat(1024))];
    const res = await streamBody("/api/repositories", { chunks: parts, headers: { authorization: auth, ...from("192.0.2.203") } });
    assert.equal(res.status, 413, res.text);
    assert.equal(res.data?.error?.code, "body_too_large");
  });
});
