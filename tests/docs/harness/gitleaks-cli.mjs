// gitleaks itself cannot be installed here (no Debian or npm package of it), so the documented
// command lines are checked against gitleaks 8.19+'s CLI (the subcommands and flags they use), and
// what they would do to this repository is done by scripts/check-secret-scanning.py: the rule's
// regex, entropy and allowlists over every tracked file and the whole history, which must find
// nothing that is not allowlisted.
const ARG = new Set(["--config", "-c", "--report-format", "-f", "--report-path", "-r", "--log-opts", "--exit-code", "--baseline-path"]);
const FLAG = { git: new Set(["-v", "--verbose", "--pre-commit", "--staged", "--redact", "--no-banner"]), dir: new Set(["-v", "--verbose", "--redact", "--no-banner", "--follow-symlinks"]) };

export default async function (block, ctx, { run, root }) {
  const lines = block.code.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter(Boolean);
  if (!lines.length) throw new Error("no command");
  for (const line of lines) {
    const [cmd, sub, ...rest] = line.split(/\s+/);
    if (cmd !== "gitleaks" || !FLAG[sub]) throw new Error(`${line}: expected gitleaks git|dir`);
    let paths = 0;
    for (let i = 0; i < rest.length; i++) {
      if (ARG.has(rest[i])) {
        if (rest[i] === "--config" && rest[i + 1] !== "docs/gitleaks.toml") throw new Error(`${line}: --config docs/gitleaks.toml`);
        if (rest[i] === "--report-format" && !["json", "csv", "junit", "sarif", "template"].includes(rest[i + 1])) {
          throw new Error(`${line}: unknown report format ${rest[i + 1]}`);
        }
        i++;
      } else if (FLAG[sub].has(rest[i])) {
        // a flag this subcommand has
      } else if (rest[i].startsWith("-")) {
        throw new Error(`${line}: gitleaks ${sub} has no flag ${rest[i]}`);
      } else paths++;
    }
    if (paths > 1) throw new Error(`${line}: one path at most`);
  }
  const result = await run("python3", ["scripts/check-secret-scanning.py"], { cwd: root, timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`scripts/check-secret-scanning.py failed:\n${result.stdout}${result.stderr}`);
  return { output: "" };
}
