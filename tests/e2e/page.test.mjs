// End to end: the page in www/ in real headless Chromium (Debian's, driven by playwright-core;
// no browser is ever downloaded) against the example host (workerd through Miniflare).
// Sign in, create with implied scopes, read the password once, use it over Basic from Node,
// see "last used", revoke with the confirmation, see the password refused; expiry, rotate and
// disable/enable through the same confirmation; labels counted in
// characters as the core counts them; implied scopes from the catalogue's closure; 375 px wide.
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

test("expiry (7 days, a date), rotate (new password once, old one replaced), disable and enable, each confirmed", async () => {
  await page.goto(host.url);
  await page.locator("#app-view").waitFor({ state: "visible" });

  // Create with an expiry of 7 days: the list says when it expires, relative.
  await page.locator('input[name="scope"][value="repository"]').waitFor();
  await page.fill("#create-label", "Weekly report");
  await page.check('input[name="scope"][value="repository"]');
  await page.selectOption("#create-expiry", "7");
  assert.equal(await page.locator("#create-expiry-date").isVisible(), false);
  await page.click("#create-submit");
  await page.locator("#new-password-panel").waitFor({ state: "visible" });
  const oldPassword = await page.inputValue("#new-password");
  await page.click("#new-password-done");
  const weekly = page.locator("#app-passwords-body tr", { hasText: "Weekly report" });
  await weekly.waitFor();
  assert.match(await weekly.locator(".expires").textContent(), /^Expires in 7 days$/);

  // A date: the date field appears; the end of that day is the expiry.
  await page.fill("#create-label", "Until a date");
  await page.check('input[name="scope"][value="repository"]');
  await page.selectOption("#create-expiry", "date");
  await page.locator("#create-expiry-date").waitFor({ state: "visible" });
  const in40 = new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 10);
  await page.fill("#create-expiry-date", in40);
  await page.click("#create-submit");
  await page.locator("#new-password-panel").waitFor({ state: "visible" });
  await page.click("#new-password-done");
  const dated = page.locator("#app-passwords-body tr", { hasText: "Until a date" });
  await dated.waitFor();
  assert.match(await dated.locator(".expires").textContent(), /^Expires (next month|in \d+ days)$/);
  const listed = await (await fetch(new URL("/api/app-passwords", host.url), { headers: { cookie: await cookie() } })).json();
  const datedItem = listed.appPasswords.find((p) => p.label === "Until a date");
  assert.equal(new Date(datedItem.expiresAt).toISOString().slice(0, 10), in40, "the end of the chosen day (UTC page)");

  // Rotate, with the confirmation: the new password once; the old row is marked replaced.
  await weekly.locator("button.rotate").click();
  await page.locator("#revoke-dialog").waitFor({ state: "visible" });
  assert.equal(await page.textContent("#revoke-title"), "Rotate app password");
  assert.match(await page.textContent("#revoke-message"), /Weekly report.*first used/);
  assert.equal(await page.textContent("#confirm-revoke"), "Rotate");
  await shot("10-confirm-rotate");
  await page.click("#confirm-revoke");
  await page.locator("#revoke-dialog").waitFor({ state: "hidden" });
  await page.locator("#new-password-panel").waitFor({ state: "visible" });
  const newPassword = await page.inputValue("#new-password");
  assert.match(newPassword, /^apw_[0-9A-Za-z]{50}$/);
  assert.notEqual(newPassword, oldPassword);
  const rows = page.locator("#app-passwords-body tr", { hasText: "Weekly report" });
  await page.waitForFunction(() => document.querySelectorAll("#app-passwords-body tr .badge-replaced").length === 1);
  assert.equal(await rows.count(), 2);
  const oldRow = page.locator("#app-passwords-body tr.is-replaced");
  assert.equal(await oldRow.locator("button.rotate").count(), 0, "a replaced password offers no second rotation");
  assert.match(await rows.locator(".expires").first().textContent(), /^Expires in 7 days$/, "same expiry");
  await shot("11-rotated");
  assert.equal((await fetch(new URL("/api/user", host.url), { headers: basic(oldPassword) })).status, 200, "old, in the overlap");
  assert.equal((await fetch(new URL("/api/user", host.url), { headers: basic(newPassword) })).status, 200, "new");
  assert.equal((await fetch(new URL("/api/user", host.url), { headers: basic(oldPassword) })).status, 401, "old, superseded");
  await page.click("#new-password-done");

  // Disable, confirmed: refused; enable again: accepted.
  const current = page.locator("#app-passwords-body tr:not(.is-replaced)", { hasText: "Weekly report" });
  await current.locator("button.toggle").click();
  await page.locator("#revoke-dialog").waitFor({ state: "visible" });
  assert.equal(await page.textContent("#revoke-title"), "Disable app password");
  await page.click("#confirm-revoke");
  await page.locator("#revoke-dialog").waitFor({ state: "hidden" });
  await page.locator("#app-passwords-body tr.is-disabled").waitFor();
  assert.equal((await page.locator("#app-passwords-body tr.is-disabled button.toggle").textContent()).trim(), "Enable");
  assert.equal((await fetch(new URL("/api/user", host.url), { headers: basic(newPassword) })).status, 401, "disabled");
  await shot("12-disabled");
  await page.locator("#app-passwords-body tr.is-disabled button.toggle").click();
  await page.locator("#revoke-dialog").waitFor({ state: "visible" });
  assert.equal(await page.textContent("#confirm-revoke"), "Enable");
  await page.click("#confirm-revoke");
  await page.locator("#revoke-dialog").waitFor({ state: "hidden" });
  await page.locator("#app-passwords-body tr.is-disabled").waitFor({ state: "detached" });
  assert.equal((await fetch(new URL("/api/user", host.url), { headers: basic(newPassword) })).status, 200, "enabled");

  assert.deepEqual(unexpected(), [], "no console errors, CSP violations or failed requests");
});

async function cookie() {
  return (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
}

test("a label is counted in characters as the core counts them: 255 emoji accepted, 256 refused by the server", async () => {
  // Signed in from the first test. An emoji is one character and two UTF-16 units: a page that
  // counted `label.length` (or an input with maxlength="255") would refuse or cut both labels.
  if (await page.locator("#new-password-panel").isVisible()) await page.click("#new-password-done");
  const emoji = "\u{1F600}";
  assert.equal(emoji.length, 2);
  await page.fill("#create-label", emoji.repeat(256));
  assert.equal(await page.inputValue("#create-label"), emoji.repeat(256), "the input keeps all 256");
  await page.check('input[name="scope"][value="issue"]');
  const [refused] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === "/api/app-passwords" && r.request().method() === "POST"),
    page.click("#create-submit"),
  ]);
  // Refused by the server, not the page; the page shows the server's message as it is.
  assert.equal(refused.status(), 400);
  const { error } = await refused.json();
  assert.equal(error.code, "invalid_label");
  await assertText("#create-error", /./);
  assert.equal(await page.textContent("#create-error"), error.message);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "create-label");
  assert.equal(await page.locator("#new-password-panel").isVisible(), false);

  const label = emoji.repeat(255);
  await page.fill("#create-label", label);
  await page.click("#create-submit");
  await page.locator("#new-password-panel").waitFor({ state: "visible" });
  assert.equal(await page.textContent("#new-password-label"), label);
  assert.equal(await page.textContent("#create-error"), "");
  await page.locator(`#app-passwords-body tr[data-id]`, { hasText: label }).waitFor();
  const listed = await page.evaluate(async () => (await (await fetch("/api/app-passwords")).json()).appPasswords);
  const stored = listed.find((p) => [...p.label].length === 255 && p.label.startsWith("\u{1F600}"));
  assert.ok(stored, "the server stored the 255-character label");
  assert.equal(stored.label, label);

  // At 375 px wide the page still fits, with that long label in the list.
  await page.click("#new-password-done");
  await page.setViewportSize({ width: 375, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no horizontal scrolling at 375 px (${overflow} px too wide)`);
  await page.evaluate(() => (document.querySelector("#status").textContent = "")); // the toast
  await shot("9-narrow-375");
  await page.setViewportSize({ width: 1100, height: 900 });

  assert.deepEqual(unexpected(), [], "no console errors, CSP violations or failed requests");
});

test("restrictions: IP ranges and read-only at create, shown in the list, enforced over Basic; a bad range is the server's error", async () => {
  // Signed in from the first test.
  if (await page.locator("#new-password-panel").isVisible()) await page.click("#new-password-done");
  await page.fill("#create-label", "Local reader");
  await page.check('input[name="scope"][value="repository"]');
  await page.fill("#create-ips", "10.0.0.1/8");
  const [refused] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === "/api/app-passwords" && r.request().method() === "POST"),
    page.click("#create-submit"),
  ]);
  assert.equal(refused.status(), 400);
  assert.equal((await refused.json()).error.code, "invalid_caveat");
  await assertText("#create-error", /./);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "create-ips");

  await page.fill("#create-ips", "127.0.0.0/8, ::1");
  await page.check("#create-read-only");
  await page.click("#create-submit");
  await page.locator("#new-password-panel").waitFor({ state: "visible" });
  const password = await page.inputValue("#new-password");
  const row = page.locator("#app-passwords-body tr", { hasText: "Local reader" });
  await row.waitFor();
  assert.equal(await row.locator(".restrictions-note").textContent(), "Only from 127.0.0.0/8, ::1 · GET, HEAD only");
  await shot("10-restrictions");

  // The Worker passes CF-Connecting-IP (here the loopback address of this test's socket).
  const ok = await fetch(new URL("/api/repositories", host.url), { headers: basic(password) });
  assert.equal(ok.status, 200);
  const write = await fetch(new URL("/api/repositories", host.url), {
    method: "POST",
    headers: { ...basic(password), "content-type": "application/json" },
    body: JSON.stringify({ name: "x" }),
  });
  assert.equal(write.status, 403);
  assert.equal((await write.json()).error.code, "request_not_allowed");
  await page.click("#new-password-done");
  assert.deepEqual(unexpected(), [], "no console errors, CSP violations or failed requests");
});

test("the scopes shown implied are the catalogue's closure; the page derives none itself", async () => {
  // A catalogue whose `closure` differs from what walking `implies` gives: the page must follow
  // `closure` (the core's answer) both ways.
  await page.route("**/api/scopes", async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    for (const s of body.scopes) {
      if (s.name === "issue:write") s.closure = ["issue", "wiki"]; // more than `implies` reaches
      if (s.name === "snippet:write") s.closure = []; // less than `implies` (["snippet"]) says
    }
    await route.fulfill({ response, json: body });
  });
  try {
    await page.reload();
    await page.locator('input[name="scope"][value="issue:write"]').waitFor();
    // By keyboard: focus the box, Space checks it.
    await page.focus('input[name="scope"][value="issue:write"]');
    await page.keyboard.press("Space");
    assert.equal(await page.locator('input[name="scope"][value="issue:write"]').isChecked(), true);
    for (const implied of ["issue", "wiki"]) {
      const box = page.locator(`input[name="scope"][value="${implied}"]`);
      assert.equal(await box.isChecked(), true, `${implied} checked`);
      assert.equal(await box.isDisabled(), true, `${implied} shown as implied`);
      assert.match(await page.locator(`.scope-option[data-scope="${implied}"] .implied-note`).textContent(), /implied by issue:write/);
    }
    await page.check('input[name="scope"][value="snippet:write"]');
    const snippet = page.locator('input[name="scope"][value="snippet"]');
    assert.equal(await snippet.isChecked(), false, "snippet not implied: the catalogue's closure says so");
    assert.equal(await snippet.isDisabled(), false);
  } finally {
    await page.unroute("**/api/scopes");
  }
  await page.reload();
  await page.locator('input[name="scope"][value="issue:write"]').waitFor();
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
  const [refused] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === "/login"),
    page.click("#login-submit"),
  ]);
  await assertText("#login-error", /App passwords cannot be used to sign in/);
  // The host's message, shown as it is: the page keeps no copy of its own.
  const { error } = await refused.json();
  assert.equal(error.code, "login_not_allowed");
  assert.equal(await page.textContent("#login-error"), error.message);
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
// expected refusals (a label refused, no session yet, wrong password, app password at sign-in,
// rate limited).
function unexpected() {
  return problems.filter((p) => !/^console: Failed to load resource: the server responded with a status of (40[013]|429)/.test(p));
}

async function assertText(selector, pattern) {
  await page.waitForFunction(
    ([sel, src, flags]) => new RegExp(src, flags).test(document.querySelector(sel)?.textContent ?? ""),
    [selector, pattern.source, pattern.flags],
  );
}
