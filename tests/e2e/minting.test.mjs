// End to end, "generate in this browser" (issue 13): the page in headless Chromium mints
// the password with the package's WebAssembly and sends only its id and Argon2id hash; the host
// stores them with createFromHash. Every request the page sends is recorded (URL, headers, body):
// none carries the password or any 12-character piece of its secret. The password shown then
// works over Basic. Also over HTTP: the host's refusals of a bad hash, and a host with a PEPPER,
// which offers no minting. Run: node --test tests/e2e/minting.test.mjs

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, test } from "node:test";

import { CHROMIUM_PATH, launchChromium } from "../chromium.mjs";
import { mintAppPassword } from "../../pkg/node.js";
import { Client, makeDataDir, removeDataDir, startHost } from "../host/host.mjs";

let dataDir;
let host;
let browser;
let page;
const problems = []; // console errors, page errors, failed requests
const requests = []; // every request the page sent: { method, url, headers, body }

function basic(password) {
  return { authorization: `Basic ${Buffer.from(`demo:${password}`).toString("base64")}` };
}

/** Every 12-character substring of the password's secret (the 32 characters after the id). */
function secretPieces(password) {
  const secret = password.slice(password.indexOf("_") + 1 + 12, password.indexOf("_") + 1 + 12 + 32);
  assert.equal(secret.length, 32);
  const pieces = [];
  for (let i = 0; i + 12 <= secret.length; i++) pieces.push(secret.slice(i, i + 12));
  return pieces;
}

before(async () => {
  assert.ok(existsSync(CHROMIUM_PATH), `Chromium not found at ${CHROMIUM_PATH} (bash scripts/tools.sh chromium)`);
  dataDir = makeDataDir("e2e-minting");
  host = await startHost({ dataDir });
  browser = await launchChromium({ viewport: { width: 1100, height: 900 }, locale: "en-US", timezoneId: "UTC" });
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.setDefaultTimeout(15_000);
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("requestfailed", (req) => problems.push(`requestfailed: ${req.url()} ${req.failure()?.errorText}`));
  page.on("request", (req) => {
    requests.push({ method: req.method(), url: req.url(), headers: req.headers(), body: req.postData() ?? "" });
  });
});

after(async () => {
  await browser?.close();
  await host?.stop();
  removeDataDir(dataDir);
});

test("generate in this browser: only the hash is sent, the password shown works over Basic", async () => {
  await page.goto(host.url);
  await page.fill("#login-username", "demo");
  await page.fill("#login-password", host.password);
  await page.click("#login-submit");
  await page.locator("#app-view").waitFor({ state: "visible" });
  await page.locator("#mint-field").waitFor({ state: "visible" });

  const sentBefore = requests.length;
  await page.fill("#create-label", "Minted in the browser");
  await page.check('input[name="scope"][value="repository:write"]');
  await page.check("#create-in-browser");
  const [stored] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === "/api/app-passwords/from-hash"),
    page.click("#create-submit"),
  ]);
  assert.equal(stored.status(), 201, await stored.text());
  await page.locator("#new-password-panel").waitFor({ state: "visible" });
  const password = await page.inputValue("#new-password");
  assert.match(password, /^apw_[0-9A-Za-z]{50}$/);
  const id = password.slice(4, 16);
  await page.locator("#app-passwords-body tr", { hasText: "Minted in the browser" }).waitFor();

  // What went to the server for this create: the id and the PHC string, no create on the server.
  const sent = requests.slice(sentBefore);
  const posts = sent.filter((r) => r.method === "POST");
  assert.deepEqual(posts.map((r) => new URL(r.url).pathname), ["/api/app-passwords/from-hash"]);
  const body = JSON.parse(posts[0].body);
  for (const key of ["id", "label", "phc", "scopes"]) assert.ok(key in body, `the body has ${key}`);
  assert.equal(body.password, undefined);
  assert.equal(body.id, id);
  assert.match(body.phc, /^\$argon2id\$v=19\$m=256,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/, "the server's profile");
  assert.ok(sent.some((r) => r.url.endsWith("/vendor/app-passwords/app_passwords_bg.wasm")), "the page loaded the wasm");

  // No request of the whole session (URL, headers, body) carries the password or a piece of it.
  assert.ok(requests.length >= 8, `${requests.length} requests recorded`);
  const pieces = secretPieces(password);
  assert.equal(pieces.length, 21);
  for (const r of requests) {
    const everything = [r.url, r.body, ...Object.values(r.headers)].join("\n");
    assert.ok(!everything.includes(password), `${r.method} ${r.url} carries the password`);
    for (const piece of pieces) {
      assert.ok(!everything.includes(piece), `${r.method} ${r.url} carries a piece of the secret`);
    }
  }

  // The shown password verifies over Basic (what curl -u demo:PASSWORD sends).
  const res = await fetch(new URL("/api/user", host.url), { headers: basic(password) });
  assert.equal(res.status, 200);
  const user = await res.json();
  assert.equal(user.username, "demo");
  assert.deepEqual(user.scopes, ["repository", "repository:write"]);
  const wrong = await fetch(new URL("/api/user", host.url), { headers: basic(password.replace(/.$/, (c) => (c === "A" ? "B" : "A"))) });
  assert.equal(wrong.status, 401);

  const unexpected = problems.filter((p) => !/^console: Failed to load resource: the server responded with a status of (40[013]|429)/.test(p));
  assert.deepEqual(unexpected, [], "no console errors, CSP violations or failed requests");
});

test("the host refuses a hash create would not have written, and ids in use, with invalid_hash", async () => {
  const c = new Client(host.url);
  assert.equal((await c.post("/login", { username: "demo", password: host.password })).status, 200);
  const profile = await c.get("/api/hashing-profile");
  assert.equal(profile.status, 200);
  assert.deepEqual(profile.data, { available: true, prefix: "apw", hashing: { memoryKiB: 256, iterations: 1, parallelism: 1 } });

  const weak = await mintAppPassword({ hashing: { memoryKiB: 128, iterations: 1, parallelism: 1 } });
  const res = await c.post("/api/app-passwords/from-hash", { label: "weak", scopes: ["issue"], id: weak.id, phc: weak.phc });
  assert.equal(res.status, 400, res.text);
  assert.equal(res.data.error.code, "invalid_hash");

  const good = await mintAppPassword({ hashing: profile.data.hashing });
  const argon2i = good.phc.replace("$argon2id$", "$argon2i$");
  const refused = await c.post("/api/app-passwords/from-hash", { label: "i", scopes: ["issue"], id: good.id, phc: argon2i });
  assert.equal(refused.data?.error?.code, "invalid_hash");
  const ok = await c.post("/api/app-passwords/from-hash", { label: "good", scopes: ["issue"], id: good.id, phc: good.phc });
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.data.password, undefined, "the server has no password to send back");
  const again = await c.post("/api/app-passwords/from-hash", { label: "again", scopes: ["issue"], id: good.id, phc: good.phc });
  assert.equal(again.data?.error?.code, "invalid_hash");
  const verified = await fetch(new URL("/api/user", host.url), { headers: basic(good.password) });
  assert.equal(verified.status, 200);

  // Without a session: 401, nothing stored.
  const anonymous = await new Client(host.url).post("/api/app-passwords/from-hash", { label: "x", scopes: ["issue"], id: weak.id, phc: good.phc });
  assert.equal(anonymous.status, 401);
});

test("a host with a PEPPER offers no minting: the option is hidden and the route answers 409", async () => {
  const pepperedDir = makeDataDir("e2e-minting-pepper");
  const peppered = await startHost({ dataDir: pepperedDir, env: { PEPPER: "a server-side secret" } });
  try {
    const c = new Client(peppered.url);
    assert.equal((await c.post("/login", { username: "demo", password: peppered.password })).status, 200);
    assert.equal((await c.get("/api/hashing-profile")).data.available, false);
    const minted = await mintAppPassword();
    const res = await c.post("/api/app-passwords/from-hash", { label: "x", scopes: ["issue"], id: minted.id, phc: minted.phc });
    assert.equal(res.status, 409);
    assert.equal(res.data.error.code, "minting_unavailable");
    assert.deepEqual((await c.get("/api/app-passwords")).data.appPasswords, []);

    await page.goto(peppered.url);
    await page.fill("#login-username", "demo");
    await page.fill("#login-password", peppered.password);
    await page.click("#login-submit");
    await page.locator("#app-view").waitFor({ state: "visible" });
    await page.locator('input[name="scope"][value="issue"]').waitFor();
    assert.equal(await page.locator("#mint-field").isVisible(), false);
  } finally {
    await peppered.stop();
    removeDataDir(pepperedDir);
  }
});
