// The rule quoted in docs/secret-scanning.md must be the rule in docs/gitleaks.toml: every key the
// quote has, with the same value (Python's tomllib reads both).
export default async function (block, ctx, { run, root }) {
  const script = `
import sys, tomllib
quoted = tomllib.loads(sys.stdin.read())["rules"]
config = tomllib.load(open("docs/gitleaks.toml", "rb"))["rules"]
for q in quoted:
    rule = next((r for r in config if r.get("id") == q.get("id")), None)
    if rule is None:
        sys.exit(f"rule {q.get('id')!r} is not in docs/gitleaks.toml")
    for key, value in q.items():
        if rule.get(key) != value:
            sys.exit(f"{key}: quoted {value!r}, docs/gitleaks.toml has {rule.get(key)!r}")
`;
  const result = await run("python3", ["-c", script], { cwd: root, input: block.code });
  if (result.code !== 0) throw new Error(result.stderr || result.stdout);
  return { output: "" };
}
