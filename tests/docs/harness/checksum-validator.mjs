// The checksum validators of docs/secret-scanning.md, without the package: the Python one is
// executed as a module, the JavaScript one imported as a module, and both are run over every
// password of tests/vectors/passwords.json (valid ones true, malformed ones false).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export default async function (block, ctx, { run, root }) {
  const vectors = JSON.parse(readFileSync(join(root, "tests/vectors/passwords.json"), "utf8"));
  const cases = [
    ...vectors.valid.map((v) => [v.password, v.prefix, true]),
    ...vectors.malformed.map((m) => [m.password, m.prefix, false]),
  ];
  if (block.lang === "python") {
    const script = `${block.code}\nimport json, sys\nbad = [c for c in json.loads(sys.stdin.read()) if looks_like_app_password(c[0], c[1]) is not c[2]]\nprint(len(bad))\nsys.exit(1 if bad else 0)\n`;
    const result = await run("python3", ["-c", script], { input: JSON.stringify(cases) });
    if (result.code !== 0) throw new Error(`python validator wrong on ${result.stdout.trim()} vectors\n${result.stderr}`);
  } else {
    const file = join(ctx.project, `validator-${block.line}.mjs`);
    writeFileSync(file, block.code);
    const { looksLikeAppPassword } = await import(pathToFileURL(file).href);
    const bad = cases.filter(([pw, prefix, expect]) => looksLikeAppPassword(pw, prefix) !== expect);
    if (bad.length) throw new Error(`javascript validator wrong on ${bad.length} vectors: ${JSON.stringify(bad.slice(0, 3))}`);
  }
  return { output: `${cases.length} vectors\n` };
}
