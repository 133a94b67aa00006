#!/usr/bin/env node
// `app-passwords`, the package's command line (`npx app-passwords --help`): create, list, revoke,
// verify, generate, hash, scopes, on a file store (default ./app-passwords.json) or Redis.
// Passwords are read from stdin or APP_PASSWORD, never from argv (`ps` shows argv to everyone).
// Exit codes: 0 ok, 1 refused or not found, 2 usage, 3 store or system error.
import { readFileSync } from "node:fs";
import { isAppPasswordError } from "./node.js";
import { COMMANDS, checkArgs } from "./cli-commands.js";
import { CliError, EXIT, GLOBAL_OPTIONS, parseArgs, refusePasswordsOnArgv, service, usage } from "./cli-support.js";

const NAME = "app-passwords";

/** Errors of the caller's arguments (exit 2); a store's or the system's are exit 3. */
const ARGUMENT_CODES = new Set([
  "invalid_argument", "invalid_label", "invalid_user", "unknown_scope", "scope_not_grantable", "no_scopes",
  "too_many_scopes", "invalid_prefix", "invalid_expiry", "invalid_hash_params", "invalid_catalog",
  "invalid_scope_encoding", "invalid_hash", "invalid_caveat",
]);
/** Library errors that are a refusal of this request (exit 1), not a fault. */
const REFUSED_CODES = new Set(["too_many_passwords", "already_rotated"]);

function version() {
  return JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")).version;
}

function optionLines(options) {
  const rows = Object.entries(options).map(([name, o]) => [`--${name}${o.value ? ` ${o.value}` : ""}`, `${o.help}${o.required ? " (required)" : ""}`]);
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join("\n");
}

function mainHelp() {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return `${NAME} ${version()}: app passwords from the command line

Usage: ${NAME} <command> [options]

Commands:
${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`).join("\n")}

Options of every command:
${optionLines(GLOBAL_OPTIONS)}

Passwords are read from stdin or APP_PASSWORD, never from the command line.
Environment: APP_PASSWORDS_STORE (the store), APP_PASSWORDS_PEPPER (your service's pepper),
APP_PASSWORDS_LOCK_TIMEOUT_MS (how long a file store write waits for another process, 5000).
Exit codes: 0 ok, 1 refused or not found, 2 usage, 3 store error.
\`${NAME} <command> --help\` describes one command.`;
}

function commandHelp(name) {
  const c = COMMANDS[name];
  const options = Object.keys(c.options).length ? `Options:\n${optionLines(c.options)}\n\n` : "";
  const input = c.password ? "The password is read from stdin (without echo on a terminal) or APP_PASSWORD.\n" : "";
  return `${NAME} ${name}: ${c.summary}

Usage: ${NAME} ${name} [options]${c.args ? ` ${c.args}` : ""}

${options}${input}Options of every command: ${Object.keys(GLOBAL_OPTIONS).map((o) => `--${o}`).join(", ")} (${NAME} --help)`;
}

/** Runs one command line; resolves to the exit code. `io` is { argv, env, stdin, stdout, stderr }. */
export async function main(io) {
  const { argv, env, stdout, stderr } = io;
  const json = argv.includes("--json");
  const print = (stream) => (value) => stream.write(`${typeof value === "string" ? value : JSON.stringify(value, null, 2)}\n`);
  const out = print(stdout);
  const err = print(stderr);
  let opened;
  try {
    refusePasswordsOnArgv(argv);
    const [name, ...rest] = argv;
    if (name === undefined) {
      err(mainHelp());
      return EXIT.usage;
    }
    if (name === "--help" || name === "-h" || name === "help") {
      const topic = rest[0];
      if (topic !== undefined && !(topic in COMMANDS)) throw usage(`unknown command "${topic}"`);
      out(topic ? commandHelp(topic) : mainHelp());
      return EXIT.ok;
    }
    if (name === "--version") {
      out(version());
      return EXIT.ok;
    }
    if (!Object.hasOwn(COMMANDS, name)) throw usage(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(", ")}`);
    const command = COMMANDS[name];
    const { values, positionals } = parseArgs(rest, { ...GLOBAL_OPTIONS, ...command.options });
    if (values.help) {
      out(commandHelp(name));
      return EXIT.ok;
    }
    checkArgs(name, command, values, positionals);
    const ctx = { values, positionals, out, err, json, io };
    if (command.store) {
      opened = await service(values, env);
      ctx.ap = opened.ap;
    }
    return await command.run(ctx);
  } catch (error) {
    const { exit, code, message } = describe(error, opened);
    if (json) out({ error: { code, message } });
    err(`${NAME}: ${message}`);
    if (exit === EXIT.usage && !json) err(`(${NAME} --help for usage)`);
    return exit;
  } finally {
    if (opened) await opened.close().catch(() => {});
  }
}

/** The exit code, stable code and message of a failure. */
function describe(error, opened) {
  if (error instanceof CliError) return { exit: error.exit, code: error.code, message: error.message };
  if (isAppPasswordError(error)) {
    // The service reports any store failure as store_unavailable: name the store's own error.
    const cause = opened?.seen.error;
    if (error.code === "store_unavailable" && isAppPasswordError(cause)) {
      return { exit: EXIT.store, code: cause.code, message: `${cause.code}: ${cause.message}` };
    }
    const exit = ARGUMENT_CODES.has(error.code) ? EXIT.usage : REFUSED_CODES.has(error.code) ? EXIT.refused : EXIT.store;
    const where = exit === EXIT.store && opened ? ` (store ${opened.name})` : "";
    return { exit, code: error.code, message: `${error.code}: ${error.message}${where}` };
  }
  return { exit: EXIT.store, code: "error", message: String(error?.stack || error) };
}

const exitCode = await main({ argv: process.argv.slice(2), env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
process.exitCode = exitCode;
