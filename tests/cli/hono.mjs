// app-passwords/hono from the packed tarball, with Hono linked into fresh projects: its types
// (tsc under bundler and nodenext), the middleware's edges in-process, and the same app on Node
// (@hono/node-server), on Bun and on wrangler dev (a Worker with KV): Basic 200, 401 with the
// challenge, 403 with `missing`. On Node and Bun the server reads the file store the CLI writes.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { check, cli, expectExit, freePort, freshProject, must, ROOT, run, startProcess, TOOLS, waitForHttp, WORK } from "./lib.mjs";

const TSC7 = join(TOOLS, "typescript/bin/tsc");
const TSC5 = join(TOOLS, "typescript5/bin/tsc");
const BUN = join(TOOLS, "@oven/bun-linux-x64/bin/bun");
const NODE22 = join(TOOLS, "node22/bin/node");
const WRANGLER = join(TOOLS, "wrangler/bin/wrangler.js");
const DENO = join(ROOT, "node_modules/@deno/linux-x64-glibc/deno");

const basic = (user, password) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

/** The app's answers over HTTP at `base`, for alice's `password` (scopes repository:write). */
async function httpScenario(label, base, password, id) {
  const get = (path, headers) => fetch(base + path, { headers, signal: AbortSignal.timeout(20_000) });
  await check(`${label}: Basic with a scope it holds: 200, c.var.appPassword is { user, id, label, scopes }`, async () => {
    const res = await get("/api/repos", basic("alice", password));
    const text = await res.text();
    assert.equal(res.status, 200, text);
    const body = JSON.parse(text);
    assert.deepEqual(body, { user: "alice", id, label: "hono", scopes: ["repository", "repository:write"] });
  });
  await check(`${label}: no credentials, or another user: 401 with WWW-Authenticate: Basic`, async () => {
    for (const headers of [{}, basic("bob", password)]) {
      const res = await get("/api/repos", headers);
      const body = await res.json();
      assert.equal(res.status, 401);
      assert.match(res.headers.get("www-authenticate") ?? "", /^Basic realm="app-passwords", charset="UTF-8"$/);
      assert.deepEqual(body, { error: { code: "invalid_credentials", message: "Invalid username or app password." } });
    }
  });
  await check(`${label}: requireScopes("repository:admin"): 403 insufficient_scope with missing, no challenge`, async () => {
    const res = await get("/api/admin", basic("alice", password));
    const body = await res.json();
    assert.equal(res.status, 403);
    assert.equal(res.headers.get("www-authenticate"), null);
    assert.equal(body.error.code, "insufficient_scope");
    assert.deepEqual(body.error.missing, ["repository:admin"]);
  });
}

/** The Hono app of projects/hono on a file store the CLI fills, under `bin script`. */
async function fileServer(label, bin, script) {
  const dir = await freshProject(label, { files: { "hono/app.js": "app.js", [`hono/${script}`]: script }, peers: ["hono", "@hono/node-server"] });
  const storeFile = join(dir, "app-passwords.json");
  const created = await cli(dir, ["create", "--user", "alice", "--label", "hono", "--scopes", "repository:write", "--json"]);
  const { password, id } = JSON.parse(expectExit(created, 0).stdout);
  const port = await freePort();
  const server = startProcess(label, bin, [script], { cwd: dir, env: { PORT: String(port), STORE_FILE: storeFile } });
  const base = `http://127.0.0.1:${port}`;
  try {
    await must(`${label}: ${script} listens`, () => waitForHttp(`${base}/`, server, 30_000));
    await httpScenario(label, base, password, id);
    await check(`${label}: revoked with the CLI while the server runs: 401 at once (the server re-reads the file)`, async () => {
      expectExit(await cli(dir, ["revoke", "--user", "alice", id]), 0);
      const res = await fetch(`${base}/api/repos`, { headers: basic("alice", password) });
      await res.arrayBuffer();
      assert.equal(res.status, 401);
    });
  } finally {
    await server.stop();
  }
}

export async function honoTypes() {
  const dir = await freshProject("hono-types", {
    files: { "types/hono-consumer.ts": "hono-consumer.ts", "types/node-consumer.ts": "node-consumer.ts" },
    peers: ["hono"],
  });
  const runs = [];
  for (const [tsc, name] of [[TSC7, "typescript 7"], [TSC5, "typescript 5.9"]]) {
    for (const [resolution, module, files, extra = []] of [
      ["bundler", "esnext", ["hono-consumer.ts"]],
      ["bundler", "esnext", ["node-consumer.ts"], ["--customConditions", "node"]],
      ["nodenext", "nodenext", ["hono-consumer.ts", "node-consumer.ts"]],
      ["node16", "node16", ["node-consumer.ts"]],
    ]) {
      const args = ["--strict", "--noEmit", "--skipLibCheck", "--target", "es2022", "--module", module, "--moduleResolution", resolution, ...extra, ...files];
      const done = tsc === TSC5 ? run(process.execPath, [tsc, ...args], { cwd: dir }) : run(tsc, args, { cwd: dir });
      runs.push([`hono-types: ${name}, moduleResolution ${resolution}${extra.length ? ` ${extra.join(" ")}` : ""}: ${files.join(", ")}`, done]);
    }
  }
  for (const [label, done] of runs) {
    await check(label, async () => {
      const r = await done;
      assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    });
  }
}

export async function honoInProcess() {
  const dir = await freshProject("hono-unit", { files: { "hono/app.js": "app.js", "hono/deno-app.js": "deno-app.js" }, peers: ["hono"] });
  const req = createRequire(join(dir, "package.json"));
  const load = (name) => import(pathToFileURL(req.resolve(name)).href);
  const { Hono } = await load("hono");
  const { AppPasswords, memoryStore } = await load("app-passwords");
  const { appPasswordAuth, requireScopes } = await load("app-passwords/hono");
  const ap = new AppPasswords({ store: memoryStore() });
  const { password } = await ap.create({ user: "alice", label: "x", scopes: ["repository:write"] });
  const auth = basic("alice", password);

  await check("hono-unit: appPasswordAuth({ require }) and requireScopes: 403 bodies are unauthorized()'s", async () => {
    const app = new Hono();
    app.use("/a/*", appPasswordAuth({ appPasswords: ap, require: ["pullrequest"] }));
    app.get("/a/x", (c) => c.text("no"));
    app.use("/b/*", appPasswordAuth({ appPasswords: ap }));
    app.get("/b/admin", requireScopes("workspace:admin"), (c) => c.text("no"));
    app.get("/b/two", requireScopes("repository", "pullrequest:write", "account"), (c) => c.text("no"));
    const viaCore = ap.unauthorized(await ap.verify({ username: "alice", password, require: ["pullrequest"] }));
    const a = await app.request("/a/x", { headers: auth });
    assert.equal(a.status, 403);
    assert.deepEqual(await a.json(), await viaCore.json());
    const admin = await app.request("/b/admin", { headers: auth });
    assert.equal(admin.status, 403);
    assert.equal((await admin.json()).error.code, "not_allowed_for_app_passwords");
    const two = await app.request("/b/two", { headers: auth });
    assert.deepEqual((await two.json()).error.missing, ["pullrequest:write", "account"]);
  });
  await check("hono-unit: appPasswords as a function of the context; clientIp handed to verifyRequest", async () => {
    const seen = [];
    const spy = {
      verifyRequest: (request, options) => {
        seen.push(options.clientIp);
        return ap.verifyRequest(request, options);
      },
      unauthorized: (result) => ap.unauthorized(result),
      catalog: () => ap.catalog(),
    };
    const app = new Hono();
    app.use("*", appPasswordAuth({ appPasswords: () => spy, clientIp: (c) => c.req.header("x-test-ip") }));
    app.get("/", requireScopes("repository:write"), (c) => c.json(c.var.appPassword));
    const res = await app.request("/", { headers: { ...auth, "x-test-ip": "192.0.2.7" } });
    assert.equal(res.status, 200);
    assert.deepEqual(seen, ["192.0.2.7"]);
  });
  await check("hono-unit: clientIp reaches the caveats: allowIps grants inside the range, 403 request_not_allowed outside or without one", async () => {
    const office = await ap.create({ user: "alice", label: "office", scopes: ["repository"], allowIps: ["192.0.2.0/24"], methods: ["GET"] });
    const app = new Hono();
    app.use("*", appPasswordAuth({ appPasswords: ap, clientIp: (c) => c.req.header("x-test-ip") }));
    app.get("/", (c) => c.json(c.var.appPassword));
    app.post("/", (c) => c.json(c.var.appPassword));
    const as = (headers, method = "GET") => app.request("/", { method, headers: { ...basic("alice", office.password), ...headers } });
    assert.equal((await as({ "x-test-ip": "192.0.2.7" })).status, 200);
    for (const [headers, method] of [[{ "x-test-ip": "198.51.100.7" }, "GET"], [{}, "GET"], [{ "x-test-ip": "192.0.2.7" }, "POST"]]) {
      const res = await as(headers, method);
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.equal((await res.json()).error.code, "request_not_allowed");
    }
  });
  await check("hono-unit: a route bug fails closed (500): requireScopes without appPasswordAuth, an unknown scope; bad options throw", async () => {
    const app = new Hono();
    const errors = [];
    app.onError((err, c) => (errors.push(err), c.text("error", 500)));
    app.get("/bare", requireScopes("repository"), (c) => c.text("no"));
    app.use("/typo/*", appPasswordAuth({ appPasswords: ap }));
    app.get("/typo/x", requireScopes("repositry"), (c) => c.text("no"));
    assert.equal((await app.request("/bare", { headers: auth })).status, 500);
    assert.equal((await app.request("/typo/x", { headers: auth })).status, 500);
    assert.match(errors[0].message, /requireScopes runs after appPasswordAuth/);
    assert.equal(errors[1].code, "unknown_scope");
    assert.throws(() => appPasswordAuth({}), TypeError);
    assert.throws(() => appPasswordAuth({ appPasswords: ap, require: "repository" }), TypeError);
    assert.throws(() => requireScopes(""), TypeError);
  });
  await honoDeno(dir);
}

/** Deno 2 (`deno run`, no permission flag): the app's answers through app.request. */
async function honoDeno(dir) {
  await check("hono-unit: Deno 2 (deno run, no flags; the deno entry): the same app answers 200, 401 with the challenge, 403 with missing", async () => {
    const env = { DENO_DIR: join(WORK, "deno-dir"), DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" };
    const r = await run(DENO, ["run", "deno-app.js"], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    const [granted, anonymous, forbidden] = JSON.parse(r.stdout);
    assert.equal(granted[0], 200);
    assert.equal(granted[2].user, "alice");
    assert.deepEqual(anonymous.slice(0, 2), [401, 'Basic realm="app-passwords", charset="UTF-8"']);
    assert.deepEqual([forbidden[0], forbidden[2].error.code, forbidden[2].error.missing], [403, "insufficient_scope", ["repository:admin"]]);
  });
}

export const honoNode = () => fileServer("hono-node", process.execPath, "node-server.mjs");
export const honoBun = () => fileServer("hono-bun", BUN, "bun-server.mjs");

export async function honoWrangler() {
  const dir = await freshProject("hono-wrangler", {
    files: { "hono/wrangler.toml": "wrangler.toml", "hono/src/index.js": "src/index.js", "hono/src/test-entry.js": "src/test-entry.js" },
    peers: ["hono"],
  });
  // As tests/packaging runs wrangler 4: Node 22 first on PATH, offline, no metrics.
  const env = {
    PATH: `${dirname(NODE22)}:${process.env.PATH}`,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_HIDE_BANNER: "true",
    XDG_CONFIG_HOME: join(WORK, "wrangler-config"),
    WRANGLER_LOG_PATH: join(WORK, "logs"),
  };
  const port = await freePort();
  const inspector = await freePort();
  const server = startProcess("hono-wrangler-dev", NODE22, [
    WRANGLER, "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector), "--persist-to", join(dir, ".state"),
  ], { cwd: dir, env });
  const base = `http://127.0.0.1:${port}`;
  try {
    await must("hono-wrangler: wrangler dev (Worker + KV, Hono bundled from the project) answers", () => waitForHttp(`${base}/`, server, 90_000));
    let password;
    let id;
    await must("hono-wrangler: a password in the Worker's KV (POST /setup)", async () => {
      const res = await fetch(`${base}/setup`, { method: "POST", signal: AbortSignal.timeout(20_000) });
      const text = await res.text();
      assert.equal(res.status, 201, text);
      ({ password, id } = JSON.parse(text));
    });
    await httpScenario("hono-wrangler", base, password, id);
  } finally {
    await server.stop();
  }
}
