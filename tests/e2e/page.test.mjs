// End to end: the page in www/ in real headless Chromium (Debian's, driven by playwright-core;
// no browser is ever downloaded) against the example host (workerd through Miniflare).
// Sign in, create with implied scopes, read the password once, use it over Basic from Node,
// see "last used", revoke with the confirmation, see the password refused.
// Screenshots go to tests/e2e/screenshots/ (gitignored). Run: node --test tests/e2e/

import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CHROMIUM_PATH, launchChromium } from "../chromium.mjs";

import { makeDataDir, removeDataDir, root, startHost } from "../host/host.mjs";

const CHROMIUM = CHROMIUM_PATH;
const SHOTS = join(root, "tests/e2e/screenshots");

let dataDir;
let host;
let browser;
let context;
let page;
const problems = []; // console errors, page errors, CSP violations, failed requests

function basic(password) {
  return { authorization: `Basic ${Buffer.from(`demo:${password}`).toString("base64")}` };
}

async function shot(name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

// The signed-in page with the new password and the list, without the status toast (it sits
// at the bottom of a taller viewport, outside the clip): for docs/screenshot.png.
async function docsShot() {
  await page.setViewportSize({ width: 1100, height: 1600 });
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = await page.locator("#list-section").boundingBox();
  await page.screenshot({
    path: join(SHOTS, "signed-in-created.png"),
    clip: { x: 0, y: 0, width: 1100, height: Math.ceil(box.y + box.height + 16) },
  });
  await page.setViewportSize({ width: 1100, height: 900 });
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (bash scripts/tools.sh chromium)`);
  mkdirSync(SHOTS, { recursive: true });
  dataDir = makeDataDir("e2e");
  host = await startHost({ dataDir });
  browser = await launchChromium({
    viewport: { width: 1100, height: 900 },
    colorScheme: "light",
    locale: "en-US",
    timezoneId: "UTC",
  });
  context = browser.context;
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("requestfailed", (req) => problems.push(`requestfailed: ${req.url()} ${req.failure()?.errorText}`));
});

after(async () => {
  await browser?.close();
  await host?.stop();
  removeDataDir(dataDir);
});

test("sign in, create, use over Basic, see last used, revoke", async () => {
  // Sign in.
  await page.goto(host.url);
  await page.locator("#login-view").waitFor({ state: "visible" });
  await shot("1-sign-in");
  await page.fill("#login-username", "demo");
  await page.fill("#login-password", "wrong password");
  await page.click("#login-submit");
  await assertText("#login-error", /./);
  await page.fill("#login-password", host.password);
  await page.click("#login-submit");
  await page.locator("#app-view").waitFor({ state: "visible" });
  assert.equal(await page.textContent("#signed-in-user"), "demo");
  await page.locator("#app-passwords-empty").waitFor({ state: "visible" });

  // Create: label + pullrequest:write; repository and pullrequest become implied and checked.
  await page.locator('input[name="scope"][value="pullrequest:write"]').waitFor();
  await page.fill("#create-label", "CI deploy script");
  await page.check('input[name="scope"][value="pullrequest:write"]');
  for (const implied of ["repository", "pullrequest", "repository:write"]) {
    const box = page.locator(`input[name="scope"][value="${implied}"]`);
    assert.equal(await box.isChecked(), true, `${implied} checked`);
    assert.equal(await box.isDisabled(), true, `${implied} shown as implied`);
    const option = page.locator(`.scope-option[data-scope="${implied}"]`);
    assert.match(await option.getAttribute("class"), /\bis-implied\b/);
    assert.match(await option.locator(".implied-note").textContent(), /implied by pullrequest:write/);
  }
  assert.equal(await page.locator('input[name="scope"][value="issue"]').isChecked(), false);
  await shot("2-create-form");
  await page.click("#create-submit");

  // The password, shown once.
  await page.locator("#new-password-panel").waitFor({ state: "visible" });
  const password = await page.inputValue("#new-password");
  assert.match(password, /^apw_[0-9A-Za-z]{50}$/);
  assert.match(await page.textContent("#curl-line"), new RegExp(`curl -u demo:${password} http://127\\.0\\.0\\.1:\\d+/api/user`));
  const row = page.locator("#app-passwords-body tr", { hasText: "CI deploy script" });
  await row.waitFor();
  assert.equal((await row.locator(".last-used").textContent()).trim(), "Never");
  assert.match(await row.locator(".scopes").textContent(), /pullrequest:write/);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot("3-created");

  // Use it over Basic from Node.
  const res = await fetch(new URL("/api/user", host.url), { headers: basic(password) });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.username, "demo");
  assert.ok(body.scopes.includes("pullrequest:write"));

  // Reload: the password is gone from the page, and the row shows when it was last used.
  let lastUsed = "";
  for (let i = 0; i < 20; i++) {
    await page.reload();
    await page.locator("#app-view").waitFor({ state: "visible" });
    const r = page.locator("#app-passwords-body tr", { hasText: "CI deploy script" });
    await r.waitFor();
    lastUsed = (await r.locator(".last-used").textContent()).trim();
    if (lastUsed !== "Never") break;
    console.log(`# reload ${i}: last used still "Never"`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.notEqual(lastUsed, "Never");
  assert.match(lastUsed, /just now|second|minute/);
  assert.equal(await page.locator("#new-password-panel").isVisible(), false);
  assert.equal(await page.inputValue("#new-password"), "");
  await shot("4-last-used");

  // A second password: the page as docs/screenshot.png shows it (the new password, shown
  // once, above the list with a last-used time).
  await page.fill("#create-label", "Nightly backup");
  await page.check('input[name="scope"][value="repository"]');
  await page.click("#create-submit");
  await page.locator("#new-password-panel").waitFor({ state: "visible" });
  await page.locator("#app-passwords-body tr", { hasText: "Nightly backup" }).waitFor();
  await docsShot();

  // Revoke, with the confirmation.
  await page.locator("#app-passwords-body tr", { hasText: "CI deploy script" }).locator("button.revoke").click();
  await page.locator("#revoke-dialog").waitFor({ state: "visible" });
  assert.match(await page.textContent("#revoke-message"), /CI deploy script/);
  await shot("5-confirm-revoke");
  await page.click("#confirm-revoke");
  await page.locator("#revoke-dialog").waitFor({ state: "hidden" });
  await page.locator("#app-passwords-body tr", { hasText: "CI deploy script" }).waitFor({ state: "detached" });
  assert.equal(await page.locator("#app-passwords-body tr").count(), 1);
  await shot("6-revoked");

  // The Basic call is refused now.
  const refused = await fetch(new URL("/api/user", host.url), { headers: basic(password) });
  assert.equal(refused.status, 401);
  assert.match(refused.headers.get("www-authenticate") ?? "", /^Basic realm="app-passwords"/);

  assert.deepEqual(unexpected(), [], "no console errors, CSP violations or failed requests");
});

test("the sign-in form refuses an app password and says why; sign out works", async () => {
  // Signed in from the test above: make a password to try at the sign-in form.
  await page.fill("#create-label", "try to sign in");
  await page.check('input[name="scope"][value="account"]');
  await page.click("#create-submit");
  await page.locator("#new-password-panel").waitFor({ state: "visible" });
  const password = await page.inputValue("#new-password");
  await page.click("#new-password-done");

  await page.click("#logout");
  await page.locator("#login-view").waitFor({ state: "visible" });
  await page.fill("#login-username", "demo");
  await page.fill("#login-password", password);
  await page.click("#login-submit");
  await assertText("#login-error", /App passwords cannot be used to sign in/);
  assert.equal(await page.locator("#app-view").isVisible(), false);
  await shot("7-app-password-at-sign-in");

  // Still signed out after a reload (no cookie was set).
  await page.reload();
  await page.locator("#login-view").waitFor({ state: "visible" });
  const session = await page.evaluate(async () => (await fetch("/api/session")).status);
  assert.equal(session, 401);
  // A 401 on session routes never pops the browser's Basic dialog: no WWW-Authenticate.
  const challenge = await page.evaluate(async () => (await fetch("/api/session")).headers.get("www-authenticate"));
  assert.equal(challenge, null);

  assert.deepEqual(unexpected(), [], "no console errors, CSP violations or failed requests");
});

test("past the sign-in limit for a username, the form says when to try again", async () => {
  // 10 failed sign-ins per username in 15 minutes (examples/host/README.md, "Limits"); a
  // username of its own, so demo is not locked out.
  await page.fill("#login-username", "mallory");
  for (let i = 1; i <= 10; i++) {
    await page.fill("#login-password", `wrong password ${i}`);
    await page.click("#login-submit");
    await assertText("#login-error", /Incorrect username or password/);
    await page.evaluate(() => (document.querySelector("#login-error").textContent = ""));
  }
  await page.fill("#login-password", "wrong password 11");
  await page.click("#login-submit");
  await assertText("#login-error", /Too many failed sign-ins for this account\. Try again in \d+ minutes\./);
  assert.equal(await page.locator("#app-view").isVisible(), false);
  await shot("8-rate-limited");

  assert.deepEqual(unexpected(), [], "no console errors, CSP violations or failed requests");
});

// Chromium logs every 4xx fetch ("Failed to load resource: ... status of 401"): those are the
// expected refusals (no session yet, wrong password, app password at sign-in, rate limited).
function unexpected() {
  return problems.filter((p) => !/^console: Failed to load resource: the server responded with a status of (40[13]|429)/.test(p));
}

async function assertText(selector, pattern) {
  await page.waitForFunction(
    ([sel, src, flags]) => new RegExp(src, flags).test(document.querySelector(sel)?.textContent ?? ""),
    [selector, pattern.source, pattern.flags],
  );
}
