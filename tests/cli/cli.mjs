// The `app-passwords` command from the packed tarball, run as a user runs it (`npx
// app-passwords ...` in a fresh project, a child process each time): every command, every exit
// code, the --json shapes, a password on argv refused, on the file store and on Redis.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { check, cli, expectExit, freePort, freshProject, json, must, npx, WORK } from "./lib.mjs";

const PASSWORD = /^apw_[0-9A-Za-z]{50}$/;
const COMMANDS = ["create", "list", "revoke", "rotate", "verify", "generate", "hash", "scopes"];
const ARGV_REFUSED = /a password on the command line can be read by every user/;

/** Exit 0, one password line on stdout, the "not shown again" line on stderr. */
async function create(dir, args, extra = {}) {
  const r = expectExit(await cli(dir, ["create", ...args], extra), 0, "create: ");
  return r;
}

// ----------------------------------------------------------------------- both stores

/**
 * The commands that touch a store, the same on each: `store` is the --store value ("" for the
 * default ./app-passwords.json), `viaEnv` also selects it through APP_PASSWORDS_STORE.
 */
async function storeCommands(label, dir, store) {
  const s = store ? ["--store", store] : [];
  let password;
  let id;
  await must(`${label}: create prints the password once, on stdout only; stderr says it will not be shown again`, async () => {
    const r = await create(dir, ["--user", "alice", "--label", "ci", "--scopes", "repository:write", ...s]);
    assert.match(r.stdout, /^apw_[0-9A-Za-z]{50}\n$/);
    password = r.stdout.trim();
    id = password.slice(4, 16);
    assert.match(r.stderr, /will not be shown again/);
    assert.ok(!r.stderr.includes(password), "the password is not on stderr");
    assert.match(r.stderr, new RegExp(`app password ${id} for alice \\(ci; repository repository:write\\)`));
  });
  await check(`${label}: create --json --expires 30d: { user, id, password, label, scopes, createdAt, expiresAt }`, async () => {
    const before = Date.now();
    const r = await create(dir, ["--user", "bob", "--label", "deploy", "--scopes", "pullrequest", "--scopes", "repository", "--expires", "30d", "--json", ...s]);
    const doc = json(r);
    assert.deepEqual(Object.keys(doc), ["user", "id", "password", "label", "scopes", "createdAt", "expiresAt"]);
    assert.equal(doc.user, "bob");
    assert.match(doc.password, PASSWORD);
    assert.deepEqual(doc.scopes, ["repository", "pullrequest"]);
    assert.ok(Math.abs(doc.expiresAt - (before + 30 * 86_400_000)) < 60_000, `expiresAt ${doc.expiresAt}`);
    assert.match(r.stderr, /will not be shown again/);
  });
  await check(`${label}: verify, password on stdin: granted (exit 0)`, async () => {
    const r = expectExit(await cli(dir, ["verify", "--user", "alice", "--require", "repository", ...s], { input: `${password}\n` }), 0);
    assert.equal(r.stdout, `granted: alice, ${id} (ci), scopes repository repository:write\n`);
  });
  await check(`${label}: verify --json, password in APP_PASSWORD: { ok, user, id, label, scopes, cached }`, async () => {
    const r = expectExit(await cli(dir, ["verify", "--user", "alice", "--json", ...s], { env: { APP_PASSWORD: password } }), 0);
    assert.deepEqual(json(r), { ok: true, user: "alice", id, label: "ci", scopes: ["repository", "repository:write"], cached: false });
  });
  await check(`${label}: verify refused (exit 1): another user 401, a missing scope 403 with missing, --login 403`, async () => {
    const other = expectExit(await cli(dir, ["verify", "--user", "bob", "--json", ...s], { input: password }), 1);
    assert.deepEqual(json(other), { ok: false, status: 401, code: "invalid_credentials", reason: "wrong_user" });
    const scope = expectExit(await cli(dir, ["verify", "--user", "alice", "--require", "pullrequest", "--json", ...s], { input: password }), 1);
    assert.deepEqual(json(scope), { ok: false, status: 403, code: "insufficient_scope", reason: "missing_scopes", missing: ["pullrequest"] });
    const login = expectExit(await cli(dir, ["verify", "--user", "alice", "--login", ...s], { input: password }), 1);
    assert.equal(login.stdout, "refused: 403 login_not_allowed (login_refused)\n");
  });
  await check(`${label}: list: a table for people; --json { user, passwords: [...] } with lastUsedAt`, async () => {
    const table = expectExit(await cli(dir, ["list", "--user", "alice", ...s]), 0);
    const lines = table.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^ID\s+LABEL\s+SCOPES\s+CREATED\s+EXPIRES\s+LAST USED$/);
    assert.equal(lines.length, 2);
    assert.match(lines[1], new RegExp(`^${id}\\s+ci\\s+repository repository:write\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\dZ\\s+never\\s+\\d{4}-`));
    assert.ok(!table.stdout.includes(password));
    const doc = json(expectExit(await cli(dir, ["list", "--user", "alice", "--json", ...s]), 0));
    assert.equal(doc.user, "alice");
    assert.equal(doc.passwords.length, 1);
    const [p] = doc.passwords;
    assert.deepEqual(Object.keys(p), ["id", "label", "scopes", "createdAt", "expiresAt", "lastUsedAt", "enabled", "replaces", "replacedBy"]);
    assert.equal(p.id, id);
    assert.equal(typeof p.lastUsedAt, "number", "the verify above wrote lastUsedAt before the command ended");
  });
  await check(`${label}: revoke ID (exit 0), again (exit 1, not found), then verify refuses (exit 1)`, async () => {
    const r = expectExit(await cli(dir, ["revoke", "--user", "alice", id, ...s]), 0);
    assert.equal(r.stdout, `revoked ${id}\n`);
    const again = expectExit(await cli(dir, ["revoke", "--user", "alice", "--id", id, "--json", ...s]), 1);
    assert.deepEqual(json(again), { user: "alice", id, revoked: false });
    const after = expectExit(await cli(dir, ["verify", "--user", "alice", "--json", ...s], { input: password }), 1);
    assert.equal(json(after).code, "invalid_credentials");
    const empty = expectExit(await cli(dir, ["list", "--user", "alice", ...s]), 0);
    assert.equal(empty.stdout, "");
    assert.match(empty.stderr, /alice has no app passwords/);
  });
  await check(`${label}: rotate ID: the new password once (exit 0); again already_rotated (exit 1); unknown (exit 1); the old one stops at the new one's first use`, async () => {
    const made = json(await create(dir, ["--user", "rotor", "--label", "rot", "--scopes", "repository", "--json", ...s]));
    const r = expectExit(await cli(dir, ["rotate", "--user", "rotor", made.id, "--overlap", "2h", "--json", ...s]), 0);
    const next = json(r);
    assert.match(next.password, PASSWORD);
    assert.equal(next.replaces, made.id);
    assert.match(r.stderr, /will not be shown again/);
    const twice = expectExit(await cli(dir, ["rotate", "--user", "rotor", "--id", made.id, ...s]), 1);
    assert.match(twice.stderr, /already_rotated/);
    expectExit(await cli(dir, ["rotate", "--user", "rotor", "000000000001", ...s]), 1);
    expectExit(await cli(dir, ["rotate", "--user", "rotor", made.id, "--overlap", "soon", ...s]), 2);
    expectExit(await cli(dir, ["verify", "--user", "rotor", ...s], { input: made.password }), 0);
    expectExit(await cli(dir, ["verify", "--user", "rotor", ...s], { input: next.password }), 0);
    const old = expectExit(await cli(dir, ["verify", "--user", "rotor", ...s], { input: made.password }), 1);
    assert.equal(old.stdout, "refused: 401 invalid_credentials (superseded)\n");
  });
  await check(`${label}: revoke --all --json: { user, revoked: n }`, async () => {
    await create(dir, ["--user", "carol", "--label", "a", "--scopes", "repository", ...s]);
    await create(dir, ["--user", "carol", "--label", "b", "--scopes", "repository", ...s]);
    const r = expectExit(await cli(dir, ["revoke", "--user", "carol", "--all", "--json", ...s]), 0);
    assert.deepEqual(json(r), { user: "carol", revoked: 2 });
  });
  await check(`${label}: the user's cap: create past --max-per-user is refused (exit 1, too_many_passwords)`, async () => {
    await create(dir, ["--user", "dave", "--label", "one", "--scopes", "repository", "--max-per-user", "1", ...s]);
    const r = expectExit(await cli(dir, ["create", "--user", "dave", "--label", "two", "--scopes", "repository", "--max-per-user", "1", "--json", ...s]), 1);
    assert.equal(json(r).error.code, "too_many_passwords");
    assert.equal(r.stdout.match(/apw_/g), null, "no password printed");
  });
}

// ----------------------------------------------------------------------------- sections

export async function cliFile() {
  const dir = await freshProject("cli-file");
  const storeFile = join(dir, "app-passwords.json");

  await check("cli-file: through npx, as the README shows: every command once, and exit codes 0, 1, 2 and 3", async () => {
    const store = ["--store", "file:npx.json"];
    const created = json(expectExit(await npx(dir, ["create", "--user", "alice", "--label", "ci", "--scopes", "repository:write", "--json", ...store]), 0, "create: "));
    expectExit(await npx(dir, ["verify", "--user", "alice", ...store], { input: created.password }), 0, "verify: ");
    expectExit(await npx(dir, ["verify", "--user", "bob", ...store], { input: created.password }), 1, "verify bob: ");
    assert.match(expectExit(await npx(dir, ["list", "--user", "alice", ...store]), 0, "list: ").stdout, new RegExp(`^${created.id}\\s+ci\\s`, "m"));
    expectExit(await npx(dir, ["revoke", "--user", "alice", created.id, ...store]), 0, "revoke: ");
    assert.match(expectExit(await npx(dir, ["generate"]), 0, "generate: ").stdout.trim(), PASSWORD);
    assert.match(expectExit(await npx(dir, ["hash"], { input: "pw" }), 0, "hash: ").stdout, /^\$argon2id\$/);
    assert.match(expectExit(await npx(dir, ["scopes"]), 0, "scopes: ").stdout, /^repository:write\s/m);
    assert.match(expectExit(await npx(dir, ["verify", "--user", "alice", created.password]), 2, "argv: ").stderr, ARGV_REFUSED);
    writeFileSync(join(dir, "npx-foreign.json"), "{}");
    expectExit(await npx(dir, ["list", "--user", "alice", "--store", "file:npx-foreign.json"]), 3, "corrupt: ");
  });

  await check("cli-file: --help lists every command (exit 0); no command: the help on stderr (exit 2)", async () => {
    const help = expectExit(await cli(dir, ["--help"]), 0);
    for (const name of COMMANDS) assert.match(help.stdout, new RegExp(`^  ${name} `, "m"));
    assert.match(help.stdout, /Exit codes: 0 ok, 1 refused or not found, 2 usage, 3 store error/);
    const none = expectExit(await cli(dir, []), 2);
    assert.equal(none.stdout, "");
    assert.match(none.stderr, /Usage: app-passwords <command>/);
    const version = expectExit(await cli(dir, ["--version"]), 0);
    assert.equal(version.stdout, "0.1.0\n");
  });
  await check("cli-file: <command> --help and help <command> for each of the 7 commands (exit 0)", async () => {
    for (const name of COMMANDS) {
      const r = expectExit(await cli(dir, [name, "--help"]), 0, `${name} --help: `);
      assert.match(r.stdout, new RegExp(`^Usage: app-passwords ${name} `, "m"));
    }
    const r = expectExit(await cli(dir, ["help", "verify"]), 0);
    assert.match(r.stdout, /--require A,B/);
    assert.match(r.stdout, /read from stdin .* or APP_PASSWORD/);
  });
  await check("cli-file: usage errors (exit 2): unknown command, unknown option, missing --user, bad --expires, extra argument", async () => {
    for (const args of [["frob"], ["list", "--user", "a", "--bogus"], ["list"], ["create", "--user", "a", "--label", "x", "--scopes", "repository", "--expires", "soon"], ["list", "--user", "a", "extra"], ["list", "--store", "app-passwords.json", "--user", "a"]]) {
      const r = expectExit(await cli(dir, args), 2, `${args.join(" ")}: `);
      assert.match(r.stderr, /^app-passwords: /);
    }
  });
  await check("cli-file: bad arguments the service refuses are usage errors (exit 2): scope_not_grantable, unknown_scope, invalid_label", async () => {
    const codes = [];
    for (const args of [["--scopes", "workspace:admin", "--label", "x"], ["--scopes", "nope", "--label", "x"], ["--scopes", "repository", "--label", " "]]) {
      const r = expectExit(await cli(dir, ["create", "--user", "a", ...args, "--json"]), 2);
      codes.push(json(r).error.code);
    }
    assert.deepEqual(codes, ["scope_not_grantable", "unknown_scope", "invalid_label"]);
    assert.ok(!existsSync(storeFile), "nothing was written");
  });
  await check("cli-file: a password on argv is refused (exit 2), whatever the command, before anything runs", async () => {
    const pw = json(expectExit(await cli(dir, ["generate", "--json"]), 0)).password;
    const attempts = [
      ["verify", "--user", "alice", pw],
      ["verify", "--user", "alice", `--require=${pw}`],
      ["create", "--user", "alice", "--label", pw, "--scopes", "repository"],
      ["hash", pw],
      ["list", "--user", "alice", "--password", "hunter2"],
      ["verify", "--user", "alice", "--password=hunter2"],
      ["revoke", "--user", "alice", `${pw.slice(0, -1)}${pw.at(-1) === "a" ? "b" : "a"}`], // a mistyped one too
    ];
    for (const args of attempts) {
      const r = expectExit(await cli(dir, args), 2, `${args[0]}: `);
      assert.match(r.stderr, ARGV_REFUSED);
      assert.match(r.stderr, /stdin or set APP_PASSWORD/);
      assert.equal(r.stdout, "");
    }
    const h = expectExit(await cli(dir, ["hash", "hunter2"]), 2);
    assert.match(h.stderr, /hash takes no arguments: "hunter2" \(the password goes on stdin or in APP_PASSWORD\)/);
    assert.ok(!existsSync(storeFile), "nothing was written");
  });
  await check("cli-file: verify with no password on stdin nor in APP_PASSWORD (exit 2)", async () => {
    const r = expectExit(await cli(dir, ["verify", "--user", "alice"], { input: "" }), 2);
    assert.match(r.stderr, /no password: pipe it on stdin or set APP_PASSWORD/);
  });

  await storeCommands("cli-file", dir, "");
  await check("cli-file: the default store is ./app-passwords.json, in the file store's format", async () => {
    const doc = JSON.parse(readFileSync(storeFile, "utf8"));
    assert.equal(doc.format, "app-passwords-file-store");
    assert.equal(doc.version, 1);
    assert.ok(Object.keys(doc.entries).some((k) => k.startsWith("app-passwords/v1/record/")));
  });
  await check("cli-file: --store file:PATH and APP_PASSWORDS_STORE select another file", async () => {
    const flag = json(await create(dir, ["--user", "erin", "--label", "x", "--scopes", "repository", "--json", "--store", "file:other.json"]));
    const viaEnv = json(expectExit(await cli(dir, ["list", "--user", "erin", "--json"], { env: { APP_PASSWORDS_STORE: "file:other.json" } }), 0));
    assert.deepEqual(viaEnv.passwords.map((p) => p.id), [flag.id]);
    const defaultFile = json(expectExit(await cli(dir, ["list", "--user", "erin", "--json"]), 0));
    assert.deepEqual(defaultFile.passwords, []);
  });

  await check("cli-file: generate (exit 0): a password on stdout, nothing stored; --json { id, password }; --prefix", async () => {
    const before = readFileSync(storeFile, "utf8");
    const r = expectExit(await cli(dir, ["generate"]), 0);
    assert.match(r.stdout, /^apw_[0-9A-Za-z]{50}\n$/);
    assert.match(r.stderr, /nothing was stored/);
    const doc = json(expectExit(await cli(dir, ["generate", "--json", "--prefix", "acme"]), 0));
    assert.deepEqual(Object.keys(doc), ["id", "password"]);
    assert.ok(doc.password.startsWith(`acme_${doc.id}`));
    assert.equal(readFileSync(storeFile, "utf8"), before);
  });
  await check("cli-file: hash (stdin, OWASP by default), --check (exit 0 match, 1 not), --json, custom parameters, invalid_hash (exit 2)", async () => {
    const phc = expectExit(await cli(dir, ["hash"], { input: "correct horse\n" }), 0).stdout.trim();
    assert.match(phc, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expectExit(await cli(dir, ["hash", "--check", phc], { input: "correct horse\n" }), 0);
    const no = expectExit(await cli(dir, ["hash", "--check", phc, "--json"], { env: { APP_PASSWORD: "wrong horse" } }), 1);
    assert.deepEqual(json(no), { match: false });
    const custom = json(expectExit(await cli(dir, ["hash", "--json", "--memory", "64", "--iterations", "1"], { input: "x" }), 0));
    assert.match(custom.hash, /^\$argon2id\$v=19\$m=64,t=1,p=1\$/);
    const bad = expectExit(await cli(dir, ["hash", "--check", "not-a-phc", "--json"], { input: "x" }), 2);
    assert.equal(json(bad).error.code, "invalid_hash");
  });
  await check("cli-file: scopes: the catalogue as a table and as JSON; names closed under implication; unknown (exit 2)", async () => {
    const table = expectExit(await cli(dir, ["scopes"]), 0);
    assert.match(table.stdout, /^SCOPE\s+GRANTABLE\s+IMPLIES$/m);
    assert.match(table.stdout, /^repository:write\s+yes\s+repository$/m);
    assert.match(table.stdout, /^workspace:admin\s+no\s/m);
    const all = json(expectExit(await cli(dir, ["scopes", "--json"]), 0));
    assert.deepEqual(Object.keys(all[0]), ["name", "group", "level", "implies", "grantable", "closure"]);
    const closed = json(expectExit(await cli(dir, ["scopes", "repository:write", "pullrequest", "--json"]), 0));
    assert.deepEqual(closed, { scopes: ["repository", "repository:write", "pullrequest"] });
    const unknown = expectExit(await cli(dir, ["scopes", "nope", "--json"]), 2);
    assert.equal(json(unknown).error.code, "unknown_scope");
  });

  // Store errors: exit 3, a clear code, the file left as it was.
  await check("cli-file: a file that is not a store: store_corrupt (exit 3), the file untouched, for list and create", async () => {
    for (const content of ['{"users":{"alice":1}}\n', "", "garbage\n", '{"format":"app-passwords-file-store","version":2,"entries":{}}\n']) {
      writeFileSync(join(dir, "foreign.json"), content);
      for (const args of [["list", "--user", "alice"], ["create", "--user", "alice", "--label", "x", "--scopes", "repository"]]) {
        const r = expectExit(await cli(dir, [...args, "--store", "file:foreign.json", "--json"]), 3, `${JSON.stringify(content)}: `);
        assert.equal(json(r).error.code, "store_corrupt");
        assert.match(r.stderr, /is not an app-passwords store .* move it away/);
        assert.equal(readFileSync(join(dir, "foreign.json"), "utf8"), content);
      }
    }
  });
  await check("cli-file: a directory that does not exist: store_unavailable (exit 3)", async () => {
    const r = expectExit(await cli(dir, ["create", "--user", "a", "--label", "x", "--scopes", "repository", "--store", "file:no/such/dir/s.json", "--json"]), 3);
    assert.equal(json(r).error.code, "store_unavailable");
  });
  await check("cli-file: a lock held by a live process: store_locked (exit 3) after APP_PASSWORDS_LOCK_TIMEOUT_MS; once it is dead, taken over", async () => {
    const file = join(dir, "locked.json");
    await create(dir, ["--user", "alice", "--label", "x", "--scopes", "repository", "--store", "file:locked.json"]);
    const before = readFileSync(file, "utf8");
    const holder = spawn("sleep", ["60"], { stdio: "ignore" });
    try {
      writeFileSync(`${file}.lock`, lockContent(holder.pid));
      const started = Date.now();
      const r = expectExit(await cli(dir, ["create", "--user", "alice", "--label", "y", "--scopes", "repository", "--store", "file:locked.json", "--json"], { env: { APP_PASSWORDS_LOCK_TIMEOUT_MS: "400" } }), 3);
      const { error } = json(r);
      assert.equal(error.code, "store_locked");
      assert.match(error.message, new RegExp(`locked by process ${holder.pid} on `));
      assert.equal(r.stdout.match(/"password"/), null);
      assert.equal(readFileSync(file, "utf8"), before, "nothing written");
      assert.ok(Date.now() - started >= 400);
      // Reads need no lock.
      expectExit(await cli(dir, ["list", "--user", "alice", "--store", "file:locked.json"]), 0);
    } finally {
      holder.kill("SIGKILL");
      await new Promise((r) => (holder.exitCode !== null || holder.signalCode !== null ? r() : holder.once("exit", r)));
    }
    await create(dir, ["--user", "alice", "--label", "y", "--scopes", "repository", "--store", "file:locked.json"]);
    assert.ok(!existsSync(`${file}.lock`), "the stale lock was taken over and released");
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith("locked.json.")), []);
  });

  // node-redis is an optional peer: this project has none.
  await check("cli-file: --store redis://... without the redis package: a message naming it (exit 3)", async () => {
    const r = expectExit(await cli(dir, ["list", "--user", "alice", "--store", "redis://127.0.0.1:6390", "--json"]), 3);
    assert.equal(json(r).error.code, "redis_missing");
    assert.match(r.stderr, /needs node-redis, the package "redis" .*: npm install redis/);
  });
}

/** The content of PATH.lock as a process `pid` of this machine writes it. */
export function lockContent(pid) {
  let start = null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    start = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    // not Linux
  }
  return `${JSON.stringify({ pid, host: hostname(), start, nonce: "0123456789abcdef", since: new Date().toISOString() })}\n`;
}

export async function cliRedis() {
  const dir = await freshProject("cli-redis", { peers: ["redis"] });
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes", "--dir", WORK];
  const stop = () => {
    try {
      execFileSync("redis-cli", ["-p", String(port), "shutdown", "nosave"], { stdio: "ignore" });
    } catch {
      // stopped already
    }
  };
  try {
    await must(`cli-redis: redis-server on 127.0.0.1:${port} (node-redis 5 in the project)`, async () => {
      execFileSync("redis-server", args, { stdio: "ignore" });
      for (let i = 0; i < 100; i++) {
        try {
          if (execFileSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" }).trim() === "PONG") return;
        } catch {
          // not yet
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error("redis-server did not answer");
    });
    await storeCommands("cli-redis", dir, url);
    await check("cli-redis: APP_PASSWORDS_STORE=redis://... selects Redis; nothing was written to a file", async () => {
      const created = json(await create(dir, ["--user", "frank", "--label", "x", "--scopes", "repository", "--json"], { env: { APP_PASSWORDS_STORE: url } }));
      const listed = json(expectExit(await cli(dir, ["list", "--user", "frank", "--json", "--store", url]), 0));
      assert.deepEqual(listed.passwords.map((p) => p.id), [created.id]);
      assert.ok(!existsSync(join(dir, "app-passwords.json")));
      const keys = execFileSync("redis-cli", ["-p", String(port), "--scan", "--pattern", "app-passwords/v1/record/*"], { encoding: "utf8" });
      assert.ok(keys.includes(created.id));
    });
    let password;
    await check("cli-redis: the server stopped: every command fails closed (exit 3, store_unavailable), nothing granted", async () => {
      password = (await create(dir, ["--user", "gina", "--label", "x", "--scopes", "repository", "--store", url])).stdout.trim();
      stop();
      for (const [argv, input] of [[["verify", "--user", "gina"], password], [["list", "--user", "gina"]], [["create", "--user", "gina", "--label", "y", "--scopes", "repository"]]]) {
        const r = expectExit(await cli(dir, [...argv, "--store", url, "--json"], { input }), 3, `${argv[0]}: `);
        assert.equal(json(r).error.code, "store_unavailable");
        assert.match(r.stderr, new RegExp(`cannot connect to redis://127\\.0\\.0\\.1:${port}`));
        assert.doesNotMatch(r.stdout, /granted|"ok": true/);
      }
    });
  } finally {
    stop();
  }
}
