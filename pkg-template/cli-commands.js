// The commands of `app-passwords` (cli.js runs them). One entry per command: its summary, its
// options and arguments for --help and the parser, and `run(ctx)`, which prints and answers an
// exit code. A new command is one more entry.
import { generatePassword, hashPassword, scopes, verifyPasswordHash } from "./node.js";
import { CliError, EXIT, catalogOption, integerOption, parseExpiry, readPassword, table, usage, when } from "./cli-support.js";

const user = { type: "string", value: "NAME", help: "the account the password belongs to", required: true };

export const COMMANDS = {
  create: {
    summary: "create an app password; prints it once, on stdout",
    options: {
      user,
      label: { type: "string", value: "TEXT", help: "what it is for (1 to 255 characters)", required: true },
      scopes: { type: "list", value: "A,B", help: "its scopes, comma-separated or repeated (see `app-passwords scopes`)", required: true },
      expires: { type: "string", value: "WHEN", help: "30d, 12h, 90m, 2w or a date (2027-01-31); default never" },
    },
    store: true,
    async run({ values, ap, out, err, json }) {
      const created = await ap.create({
        user: values.user,
        label: values.label,
        scopes: values.scopes,
        expiresAt: parseExpiry(values.expires),
      });
      out(json ? { user: values.user, ...created } : created.password);
      const expiry = created.expiresAt ? `, expires ${when(created.expiresAt)}` : "";
      err(`app password ${created.id} for ${values.user} (${created.label}; ${created.scopes.join(" ")}${expiry})`);
      err("It will not be shown again: store it now.");
      return EXIT.ok;
    },
  },

  list: {
    summary: "list a user's app passwords (never the password or its hash)",
    options: { user },
    store: true,
    async run({ values, ap, out, err, json }) {
      const passwords = await ap.list(values.user);
      if (json) out({ user: values.user, passwords });
      else if (passwords.length === 0) err(`${values.user} has no app passwords`);
      else {
        const rows = passwords.map((p) => [p.id, p.label, p.scopes.join(" "), when(p.createdAt), when(p.expiresAt, "never"), when(p.lastUsedAt, "never")]);
        out(table(["ID", "LABEL", "SCOPES", "CREATED", "EXPIRES", "LAST USED"], rows));
      }
      return EXIT.ok;
    },
  },

  revoke: {
    summary: "revoke an app password (it never verifies again), or all of a user's",
    args: "[ID]",
    options: {
      user,
      id: { type: "string", value: "ID", help: "the password's id (as `list` shows it); or give it as the argument" },
      all: { type: "boolean", help: "revoke every password of the user (account deletion)" },
    },
    positionals: 1,
    store: true,
    async run({ values, positionals, ap, out, err, json }) {
      const id = values.id ?? positionals[0];
      if (values.all) {
        if (id !== undefined) throw usage("revoke takes an id or --all, not both");
        const revoked = await ap.revokeAll(values.user);
        out(json ? { user: values.user, revoked } : `revoked ${revoked} app password${revoked === 1 ? "" : "s"} of ${values.user}`);
        return EXIT.ok;
      }
      if (id === undefined) throw usage("revoke needs the password's id (or --all)");
      if (values.id !== undefined && positionals.length) throw usage("give the id once");
      const revoked = await ap.revoke(values.user, id);
      if (json) out({ user: values.user, id, revoked });
      else if (revoked) out(`revoked ${id}`);
      else err(`${values.user} has no app password ${id}`);
      return revoked ? EXIT.ok : EXIT.refused;
    },
  },

  rotate: {
    summary: "replace an app password; prints the new one once; the old one works until the new one's first use",
    args: "[ID]",
    options: {
      user,
      id: { type: "string", value: "ID", help: "the password's id (as `list` shows it); or give it as the argument" },
      overlap: { type: "string", value: "TIME", help: "how long the old one keeps working at most: 30m, 12h, 1d (default 24h, at most 30d)" },
    },
    positionals: 1,
    store: true,
    async run({ values, positionals, ap, out, err, json }) {
      const id = values.id ?? positionals[0];
      if (id === undefined) throw usage("rotate needs the password's id");
      if (values.id !== undefined && positionals.length) throw usage("give the id once");
      let overlapMs;
      if (values.overlap !== undefined) {
        if (!/^\d{1,6}[smhdw]$/.test(values.overlap.trim())) throw usage(`--overlap takes a duration (30m, 12h, 1d), not "${values.overlap}"`);
        overlapMs = parseExpiry(values.overlap, 0);
      }
      const rotated = await ap.rotate(values.user, id, overlapMs === undefined ? {} : { overlapMs });
      if (!rotated) {
        if (json) out({ user: values.user, id, rotated: false });
        else err(`${values.user} has no app password ${id}`);
        return EXIT.refused;
      }
      out(json ? { user: values.user, ...rotated } : rotated.password);
      err(`app password ${rotated.id} replaces ${id} for ${values.user} (${rotated.label}); ${id} stops at ${rotated.id}'s first use`);
      err("It will not be shown again: store it now.");
      return EXIT.ok;
    },
  },

  verify: {
    summary: "check a password (stdin or APP_PASSWORD) as your service would",
    options: {
      user,
      require: { type: "list", value: "A,B", help: "scopes the request needs" },
      login: { type: "boolean", help: "as the website's login form (always refused: login_not_allowed)" },
    },
    password: true,
    store: true,
    async run({ values, ap, out, json, io }) {
      const password = (await readPassword(io)).trim();
      const result = await ap.verify({
        username: values.user,
        password,
        require: values.require,
        purpose: values.login ? "login" : "api",
      });
      if (json) out(result);
      else if (result.ok) out(`granted: ${result.user}, ${result.id} (${result.label}), scopes ${result.scopes.join(" ")}`);
      else {
        const missing = result.missing?.length ? `, missing ${result.missing.join(" ")}` : "";
        out(`refused: ${result.status} ${result.code}${result.reason ? ` (${result.reason})` : ""}${missing}`);
      }
      return result.ok ? EXIT.ok : EXIT.refused;
    },
  },

  generate: {
    summary: "generate a password in the package's format; stores nothing",
    options: {},
    async run({ values, out, err, json }) {
      const generated = generatePassword({ prefix: values.prefix });
      out(json ? generated : generated.password);
      err("generated only: nothing was stored");
      return EXIT.ok;
    },
  },

  hash: {
    summary: "Argon2id PHC string of a password (stdin or APP_PASSWORD), or --check one",
    options: {
      check: { type: "string", value: "PHC", help: "verify the password against this PHC string instead (exit 1: no match)" },
      memory: { type: "string", value: "KIB", help: "Argon2 memory (default 19456, OWASP)" },
      iterations: { type: "string", value: "N", help: "Argon2 passes (default 2)" },
      parallelism: { type: "string", value: "N", help: "Argon2 lanes (default 1)" },
    },
    password: true,
    async run({ values, out, json, io }) {
      const password = await readPassword(io);
      if (values.check !== undefined) {
        const match = verifyPasswordHash(password, values.check);
        out(json ? { match } : match ? "match" : "no match");
        return match ? EXIT.ok : EXIT.refused;
      }
      const custom = ["memory", "iterations", "parallelism"].some((k) => values[k] !== undefined);
      const params = custom
        ? {
            memoryKiB: integerOption(values, "memory") ?? 19456,
            iterations: integerOption(values, "iterations") ?? 2,
            parallelism: integerOption(values, "parallelism") ?? 1,
          }
        : "owasp";
      const phc = hashPassword(password, params);
      out(json ? { hash: phc } : phc);
      return EXIT.ok;
    },
  },

  scopes: {
    summary: "the scope catalogue, or what the named scopes grant (closed under implication)",
    args: "[SCOPE ...]",
    options: {},
    positionals: Infinity,
    async run({ values, positionals, out, json }) {
      const catalog = catalogOption(values);
      if (positionals.length) {
        const names = positionals.flatMap((p) => p.split(",")).filter(Boolean);
        const closed = scopes.normalize(names, catalog);
        out(json ? { scopes: closed } : closed.join("\n"));
        return EXIT.ok;
      }
      const all = scopes.catalog(catalog);
      if (json) out(all);
      else {
        const rows = all.map((s) => [s.name, s.grantable ? "yes" : "no", s.closure.join(" ") || "-"]);
        out(table(["SCOPE", "GRANTABLE", "IMPLIES"], rows));
      }
      return EXIT.ok;
    },
  },
};

/** Checks what the parser cannot: required options and the number of arguments. */
export function checkArgs(name, command, values, positionals) {
  for (const [option, spec] of Object.entries(command.options)) {
    if (spec.required && (values[option] === undefined || (spec.type === "list" && values[option].length === 0))) {
      throw usage(`${name} needs --${option} ${spec.value ?? ""}`.trimEnd());
    }
  }
  const allowed = command.positionals ?? 0;
  if (positionals.length > allowed) {
    const hint = command.password ? " (the password goes on stdin or in APP_PASSWORD)" : "";
    throw usage(`${name} takes ${allowed === 0 ? "no" : `at most ${allowed}`} argument${allowed === 1 ? "" : "s"}: "${positionals[allowed]}"${hint}`);
  }
}

export { CliError };
