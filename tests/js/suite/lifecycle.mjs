// The lifecycle (docs/design.md#lifecycle): rotate and its overlap, setEnabled, canaries,
// reportLeaked, and GitHub's secret scanning endpoint (handleSecretScanningReport) with a key
// pair made here with WebCrypto.

import { deepEqual, equal, match, notEqual, ok } from "../assert.mjs";
import { T0, LIGHT, base64, basic, invalid, otherSecret, mistype, request, sameResult, utf8 } from "./support.mjs";

const HOUR = 3_600_000;

// ------------------------------------------------------------------------- signing helpers

/** A P1363 (r || s, 64 bytes) ECDSA signature as DER, the form GitHub sends. */
export function p1363ToDer(sig) {
  const int = (bytes) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    let out = bytes.slice(i);
    if (out[0] & 0x80) out = Uint8Array.of(0, ...out);
    return [0x02, out.length, ...out];
  };
  const body = [...int(sig.slice(0, 32)), ...int(sig.slice(32))];
  return Uint8Array.of(0x30, body.length, ...body);
}

function pem(spki) {
  const b64 = base64(new Uint8Array(spki));
  return `-----BEGIN PUBLIC KEY-----\n${b64.match(/.{1,64}/g).join("\n")}\n-----END PUBLIC KEY-----\n`;
}

/** A GitHub-like signer: its keys document and `report(items)` → a signed Request. */
export async function githubSigner(keyId = "gh-key-1") {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const spki = await crypto.subtle.exportKey("spki", pair.publicKey);
  const keys = { public_keys: [{ key_identifier: keyId, key: pem(spki), is_current: true }] };
  async function sign(body, key = pair.privateKey) {
    const sig = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, utf8(body)));
    return base64(p1363ToDer(sig));
  }
  async function report(items, { headers = {}, body } = {}) {
    const text = body ?? JSON.stringify(items);
    return new Request("https://example.test/api/secret-scanning", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "github-public-key-identifier": keyId,
        "github-public-key-signature": await sign(text),
        ...headers,
      },
      body: text,
    });
  }
  return { keys, sign, report, keyId };
}

async function sha256Hex(text) {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(text)));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * 50 verifies of the old password on `verifierOf()` services racing the replacement's first
 * verify on another: none that started after that verify completed is granted. Returns the
 * counts, for the runner to check the race was real.
 */
export async function raceOldAgainstFirstUse(api, store, { verifiers = 4, now } = {}) {
  const make = () => new api.AppPasswords({ store, hashing: LIGHT, ...(now ? { now } : {}) });
  const admin = make();
  const user = `racer-${Math.random().toString(36).slice(2)}`;
  const old = await admin.create({ user, label: "race", scopes: ["repository"] });
  const next = await admin.rotate(user, old.id);
  const services = Array.from({ length: verifiers }, make);
  let seq = 0;
  let completedAt = Infinity;
  const olds = [];
  const first = (async () => {
    await new Promise((r) => setTimeout(r, 5));
    const r = await make().verify({ username: user, password: next.password });
    completedAt = ++seq;
    return r;
  })();
  for (let i = 0; i < 50; i++) {
    const started = ++seq;
    const svc = services[i % services.length];
    olds.push(svc.verify({ username: user, password: old.password }).then((r) => ({ started, r })));
    if (i % 5 === 4) await new Promise((r) => setTimeout(r, 1));
  }
  const firstResult = await first;
  // Some more after it completed, so the "after" side is never empty.
  for (let i = 0; i < 5; i++) {
    const started = ++seq;
    olds.push(services[i % services.length].verify({ username: user, password: old.password }).then((r) => ({ started, r })));
  }
  const results = await Promise.all(olds);
  if (!firstResult.ok) throw new Error(`the replacement's first verify was refused: ${JSON.stringify(firstResult)}`);
  const after = results.filter((x) => x.started > completedAt);
  const grantedAfter = after.filter((x) => x.r.ok);
  if (grantedAfter.length) throw new Error(`${grantedAfter.length} verifies of the old password granted after the new one's first verify completed`);
  for (const x of after) if (x.r.reason !== "superseded") throw new Error(`refused for ${x.r.reason}`);
  return { before: results.length - after.length, after: after.length, grantedBefore: results.filter((x) => x.started < completedAt && x.r.ok).length };
}

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, harness, rejectsHost, countingStore } = ctx;

  // ----------------------------------------------------------------------------- rotation

  t(`[${runtime}] rotate: the old one works until the new one's first verify, then refuses "superseded"`, async () => {
    const h = harness();
    const expiresAt = T0 + 30 * 24 * HOUR;
    const old = await h.ap.create({ user: "alice", label: "CI", scopes: ["pullrequest:write"], expiresAt });
    h.clock.t = T0 + 10;
    const next = await h.ap.rotate("alice", old.id);
    deepEqual(Object.keys(next).sort(), ["createdAt", "expiresAt", "id", "label", "password", "replaces", "scopes"]);
    equal(next.replaces, old.id);
    notEqual(next.id, old.id);
    deepEqual([next.label, next.scopes, next.expiresAt, next.createdAt], ["CI", old.scopes, expiresAt, T0 + 10]);
    ok(api.looksLikeAppPassword(next.password));
    equal((await h.ap.verify({ username: "alice", password: old.password })).ok, true, "old, during the overlap");
    equal((await h.ap.verify({ username: "alice", password: next.password })).ok, true, "new");
    sameResult(await h.ap.verify({ username: "alice", password: old.password }), invalid("superseded"));
    const other = new api.AppPasswords({ store: api.memoryStore(h.map), hashing: LIGHT, now: () => h.clock.t });
    sameResult(await other.verify({ username: "alice", password: old.password }), invalid("superseded"), "another instance agrees");
    const listed = await h.ap.list("alice");
    const byId = Object.fromEntries(listed.map((l) => [l.id, l]));
    deepEqual([byId[old.id].replaces, byId[old.id].replacedBy, byId[old.id].enabled], [null, next.id, true]);
    deepEqual([byId[next.id].replaces, byId[next.id].replacedBy], [old.id, null]);
    deepEqual(Object.keys(byId[old.id]).sort(), ["createdAt", "enabled", "expiresAt", "id", "label", "lastUsedAt", "replacedBy", "replaces", "scopes"]);
  });

  t(`[${runtime}] rotate: the old one refuses 1 ms after overlapMs when the new one is never used; default 24 h`, async () => {
    const h = harness();
    const a = await h.ap.create({ user: "alice", label: "a", scopes: ["repository"] });
    const b = await h.ap.create({ user: "alice", label: "b", scopes: ["repository"] });
    await h.ap.rotate("alice", a.id, { overlapMs: 60_000 });
    await h.ap.rotate("alice", b.id);
    h.clock.t = T0 + 60_000 - 1;
    equal((await h.ap.verify({ username: "alice", password: a.password })).ok, true);
    h.clock.t = T0 + 60_000 + 1;
    sameResult(await h.ap.verify({ username: "alice", password: a.password }), invalid("superseded"));
    h.clock.t = T0 + 24 * HOUR - 1;
    equal((await h.ap.verify({ username: "alice", password: b.password })).ok, true);
    h.clock.t = T0 + 24 * HOUR + 1;
    sameResult(await h.ap.verify({ username: "alice", password: b.password }), invalid("superseded"));
    await rejectsHost(() => h.ap.rotate("alice", a.id, { overlapMs: -1 }), "invalid_argument");
  });

  t(`[${runtime}] rotate: twice → already_rotated; the replacement rotates (a chain); others' or unknown → null`, async () => {
    const h = harness();
    const a = await h.ap.create({ user: "alice", label: "a", scopes: ["repository"] });
    const b = await h.ap.rotate("alice", a.id);
    await rejectsHost(() => h.ap.rotate("alice", a.id), "already_rotated");
    const c = await h.ap.rotate("alice", b.id);
    equal(c.replaces, b.id);
    equal(await h.ap.rotate("bob", c.id), null, "another user's");
    equal(await h.ap.rotate("alice", "000000000001"), null, "unknown");
    equal(await h.ap.revoke("alice", c.id), true);
    equal(await h.ap.rotate("alice", c.id), null, "revoked");
    equal((await h.ap.list("alice")).length, 2);
  });

  t(`[${runtime}] rotate: the replacement's first verify costs one write more, once; the budget holds otherwise`, async () => {
    const counter = countingStore();
    const h = harness({ store: counter.store });
    const old = await h.ap.create({ user: "alice", label: "a", scopes: ["repository"] });
    const next = await h.ap.rotate("alice", old.id);
    counter.reset();
    equal((await h.ap.verify({ username: "alice", password: next.password })).ok, true);
    await h.settle();
    equal(counter.c.calls, 3, "bulk read, supersession marker, lastUsedAt");
    counter.reset();
    equal((await h.ap.verify({ username: "alice", password: old.password })).ok, false);
    equal(counter.c.calls, 1, "a superseded password: one bulk read");
  });

  // ----------------------------------------------------------------------------- setEnabled

  t(`[${runtime}] setEnabled: disabled refuses (401, reason "disabled") until enabled; list shows it`, async () => {
    const h = harness();
    const a = await h.ap.create({ user: "alice", label: "a", scopes: ["repository"] });
    equal(await h.ap.setEnabled("alice", a.id, false), true);
    sameResult(await h.ap.verify({ username: "alice", password: a.password }), invalid("disabled"));
    const refused = await h.ap.verifyRequest(request(basic("alice", a.password)));
    equal(h.ap.unauthorized(refused).status, 401);
    equal((await h.ap.list("alice"))[0].enabled, false);
    equal(await h.ap.setEnabled("bob", a.id, true), false, "not bob's");
    equal(await h.ap.setEnabled("alice", "000000000001", true), false, "unknown");
    equal(await h.ap.setEnabled("alice", a.id, true), true);
    equal((await h.ap.verify({ username: "alice", password: a.password })).ok, true);
    equal((await h.ap.list("alice"))[0].enabled, true);
    await rejectsHost(() => h.ap.setEnabled("alice", a.id, "no"), "invalid_argument");
    equal(await h.ap.revoke("alice", a.id), true);
    equal(await h.ap.setEnabled("alice", a.id, true), false, "revoked stays revoked");
  });

  // ----------------------------------------------------------------------------- canaries

  t(`[${runtime}] canary: answers exactly as an unknown id (result and HTTP response) and calls onCanary once per use`, async () => {
    const uses = [];
    const h = harness({ config: { onCanary: (u) => uses.push(u) } });
    h.clock.t = T0 + 7;
    const c = await h.ap.create({ user: "alice", label: "honeytoken", scopes: ["repository"], canary: true });
    deepEqual(Object.keys(c).sort(), ["createdAt", "expiresAt", "id", "label", "password", "scopes"]);
    const unknown = api.generatePassword().password;
    const canaryResult = await h.ap.verify({ username: "alice", password: c.password });
    const unknownResult = await h.ap.verify({ username: "alice", password: unknown });
    deepEqual(canaryResult, unknownResult);
    deepEqual(canaryResult, invalid("unknown_id"));
    await h.settle();
    deepEqual(uses, [{ id: c.id, user: "alice", label: "honeytoken", at: T0 + 7 }], "one use, one call");
    const responses = [];
    for (const password of [c.password, unknown]) {
      const r = h.ap.unauthorized(await h.ap.verifyRequest(request(basic("mallory", password))));
      responses.push({ status: r.status, headers: [...r.headers].sort(), body: await r.text() });
    }
    deepEqual(responses[0], responses[1], "same status, headers and body");
    await h.settle();
    equal(uses.length, 2, "verifyRequest reports too");
    equal(uses[1].user, "alice", "the owner, whatever username was sent");
    await h.ap.verify({ username: "alice", password: otherSecret(c.password) });
    await h.settle();
    equal(uses.length, 2, "the id alone is not a use");
    const listed = await h.ap.list("alice");
    deepEqual(Object.keys(listed[0]).sort(), ["createdAt", "enabled", "expiresAt", "id", "label", "lastUsedAt", "replacedBy", "replaces", "scopes"]);
    equal(listed[0].lastUsedAt, null);
  });

  t(`[${runtime}] canary: a hook that throws goes to onError and changes nothing; same store calls as an unknown id`, async () => {
    const counter = countingStore();
    const errors = [];
    const h = harness({
      store: counter.store,
      config: { onCanary: () => { throw new Error("hook down"); }, onError: (e) => errors.push(e) },
    });
    const c = await h.ap.create({ user: "alice", label: "c", scopes: ["repository"], canary: true });
    counter.reset();
    equal((await h.ap.verify({ username: "alice", password: c.password })).ok, false);
    await h.settle();
    equal(counter.c.calls, 1);
    counter.reset();
    await h.ap.verify({ username: "alice", password: api.generatePassword().password });
    equal(counter.c.calls, 1);
    equal(errors.length, 1);
    equal(errors[0].message, "hook down");
    ctx.throwsArg(() => new api.AppPasswords({ store: api.memoryStore(), onCanary: 5 }), "invalid_argument");
  });

  // ----------------------------------------------------------------------------- reportLeaked

  t(`[${runtime}] reportLeaked: bad checksum → no store call; id alone never revokes; real → revoked; replay found`, async () => {
    const counter = countingStore();
    const h = harness({ store: counter.store });
    const a = await h.ap.create({ user: "alice", label: "a", scopes: ["repository"] });
    counter.reset();
    const badCheck = mistype(a.password, a.password.length - 1);
    deepEqual(await h.ap.reportLeaked(badCheck), { found: false, revoked: false });
    deepEqual(await h.ap.reportLeaked("not a password"), { found: false, revoked: false });
    equal(counter.c.calls, 0, "zero store calls");
    deepEqual(await h.ap.reportLeaked(otherSecret(a.password)), { found: false, revoked: false });
    equal((await h.ap.verify({ username: "alice", password: a.password })).ok, true, "still works");
    deepEqual(await h.ap.reportLeaked(a.password), { found: true, revoked: true, id: a.id, user: "alice" });
    equal((await h.ap.verify({ username: "alice", password: a.password })).ok, false);
    deepEqual(await h.ap.list("alice"), []);
    deepEqual(await h.ap.reportLeaked(a.password), { found: true, revoked: false, id: a.id, user: "alice" }, "replay");
  });

  // ----------------------------------------------------------------------------- secret scanning

  t(`[${runtime}] secret scanning: a signed report revokes real passwords and labels every token`, async () => {
    const gh = await githubSigner();
    const leaks = [];
    const h = harness();
    const a = await h.ap.create({ user: "alice", label: "a", scopes: ["repository"] });
    const keep = await h.ap.create({ user: "alice", label: "keep", scopes: ["repository"] });
    const fake = otherSecret(keep.password);
    const items = [
      { token: a.password, type: "app_password", url: "https://github.com/o/r/blob/x/f", source: "content" },
      { token: fake, type: "app_password", url: "https://github.com/o/r/blob/x/g", source: "content" },
    ];
    const response = await h.ap.handleSecretScanningReport(await gh.report(items), {
      publicKeys: gh.keys,
      onLeak: (l) => leaks.push(l),
    });
    equal(response.status, 200);
    match(response.headers.get("content-type"), /^application\/json/);
    const body = await response.json();
    deepEqual(body, [
      { token_hash: await sha256Hex(a.password), token_type: "app_password", label: "true_positive" },
      { token_hash: await sha256Hex(fake), token_type: "app_password", label: "false_positive" },
    ]);
    deepEqual(leaks, [{ id: a.id, user: "alice", revoked: true, type: "app_password", url: items[0].url, source: "content" }]);
    equal((await h.ap.verify({ username: "alice", password: a.password })).ok, false, "revoked");
    equal((await h.ap.verify({ username: "alice", password: keep.password })).ok, true, "an id alone never revokes");
    // Replay: the same answer, nothing more revoked.
    const again = await h.ap.handleSecretScanningReport(await gh.report(items), { publicKeys: async () => gh.keys });
    deepEqual(await again.json(), body, "replay is idempotent");
    equal((await h.ap.list("alice")).length, 1);
  });

  t(`[${runtime}] secret scanning: bad or missing signature, unknown key, malformed body → 401/400 and no store write`, async () => {
    const gh = await githubSigner();
    const other = await githubSigner("gh-key-2");
    const counter = countingStore();
    const h = harness({ store: counter.store });
    const a = await h.ap.create({ user: "alice", label: "a", scopes: ["repository"] });
    const items = [{ token: a.password, type: "app_password", url: "u", source: "content" }];
    const signed = JSON.stringify(items);
    const cases = [
      ["missing signature", await gh.report(items, { headers: { "github-public-key-signature": "" } }), 401],
      ["missing key id", await gh.report(items, { headers: { "github-public-key-identifier": "" } }), 401],
      ["unknown key id", await gh.report(items, { headers: { "github-public-key-identifier": "nope" } }), 401],
      ["another key's signature", await gh.report(items, { headers: { "github-public-key-signature": await other.sign(signed) } }), 401],
      ["signature of another body", await gh.report(items, { headers: { "github-public-key-signature": await gh.sign(signed + " ") } }), 401],
      ["not base64", await gh.report(items, { headers: { "github-public-key-signature": "!!!" } }), 401],
      ["raw P1363, not DER", await gh.report(items, { headers: { "github-public-key-signature": base64(new Uint8Array(64)) } }), 401],
      ["not JSON", await gh.report(null, { body: "{not json" }), 400],
      ["not an array", await gh.report(null, { body: JSON.stringify({ token: a.password }) }), 400],
      ["token not a string", await gh.report(null, { body: JSON.stringify([{ token: 5 }]) }), 400],
    ];
    counter.reset();
    for (const [why, req, status] of cases) {
      const r = await h.ap.handleSecretScanningReport(req, { publicKeys: gh.keys });
      equal(r.status, status, why);
      equal(typeof (await r.json()).error.code, "string", why);
    }
    equal(counter.c.calls, 0, "no store call at all");
    equal((await h.ap.verify({ username: "alice", password: a.password })).ok, true);
    const unsigned = await gh.report(items);
    await rejectsHost(() => h.ap.handleSecretScanningReport(unsigned, {}), "invalid_argument");
  });

  t(`[${runtime}] secret scanning: bad checksums are not read; 100 tokens in one report within 1,000 store calls`, async () => {
    const gh = await githubSigner();
    const counter = countingStore();
    const h = harness({ store: counter.store, config: { maxPerUser: 1000 } });
    const made = [];
    for (let i = 0; i < 50; i++) made.push(await h.ap.create({ user: `u${i % 5}`, label: `l${i}`, scopes: ["repository"] }));
    const items = [];
    for (const c of made) items.push({ token: c.password, type: "app_password", url: "u", source: "content" });
    for (const c of made.slice(0, 25)) items.push({ token: mistype(c.password, c.password.length - 1), type: "app_password" });
    for (const c of made.slice(25)) items.push({ token: otherSecret(c.password), type: "app_password" });
    equal(items.length, 100);
    counter.reset();
    const bad = await h.ap.handleSecretScanningReport(await gh.report(items.slice(50, 75)), { publicKeys: gh.keys });
    equal(bad.status, 200);
    ok((await bad.json()).every((x) => x.label === "false_positive"));
    equal(counter.c.calls, 0, "bad checksums: no store read");
    const r = await h.ap.handleSecretScanningReport(await gh.report(items), { publicKeys: gh.keys });
    equal(r.status, 200);
    const labels = (await r.json()).map((x) => x.label);
    deepEqual(labels, [...Array(50).fill("true_positive"), ...Array(50).fill("false_positive")]);
    ok(counter.c.calls <= 1000, `${counter.c.calls} store calls`);
    ctx.figure(`secret scanning report of 100 tokens (50 real): ${counter.c.calls} store calls`);
    for (let u = 0; u < 5; u++) deepEqual(await h.ap.list(`u${u}`), []);
  });

  t(`[${runtime}] rotate: 50 verifies of the old password racing the new one's first verify (memoryStore)`, async () => {
    const counts = await raceOldAgainstFirstUse(api, api.memoryStore());
    ok(counts.after >= 5, JSON.stringify(counts));
  });
}

