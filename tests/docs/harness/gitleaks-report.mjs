// The documented filter over a gitleaks JSON report, run as is in Node in the project: a
// leaks.json with one real app password (made by the package) and one that only has the shape
// (its checksum fails) must give one line, for the real one, and exit code 1.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export default async function (block, ctx, { run, sampleEnv, importPackage }) {
  const { generatePassword } = await importPackage(ctx.project);
  const real = generatePassword().password;
  const last = real.at(-1) === "0" ? "1" : "0";
  const fake = real.slice(0, -1) + last; // one character changed: the checksum fails
  const findings = [
    { RuleID: "app-password", File: "config/ci.env", StartLine: 3, Secret: real, Commit: "0123abcd" },
    { RuleID: "app-password", File: "docs/example.md", StartLine: 9, Secret: fake, Commit: "4567ef01" },
  ];
  writeFileSync(join(ctx.project, "leaks.json"), JSON.stringify(findings));
  const file = join(ctx.project, `sample-${ctx.slug}-${block.line}.mjs`);
  writeFileSync(file, block.code);
  const result = await run(process.execPath, [file], { cwd: ctx.project, env: sampleEnv });
  const lines = result.stdout.trim().split("\n").filter(Boolean);
  if (result.code !== 1) throw new Error(`exit code ${result.code}, expected 1\n${result.stdout}${result.stderr}`);
  if (lines.length !== 1 || !lines[0].startsWith("config/ci.env:3 0123abcd") || !lines[0].includes(real.slice(0, 16))) {
    throw new Error(`expected one line for the real password:\n${result.stdout}`);
  }
  return { output: result.stdout };
}
