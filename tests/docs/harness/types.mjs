// A TypeScript declaration quoted in the docs (an interface or a type) must say what the package's
// index.d.ts says: `deno check` proves each declared name and the package's export of the same
// name assignable both ways.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export default async function (block, ctx, { run, sampleEnv, deno }) {
  const names = [...block.code.matchAll(/^\s*(?:export\s+)?(?:interface|type)\s+(\w+)/gm)].map((m) => m[1]);
  if (!names.length) throw new Error("no interface or type declared");
  const checks = names
    .map((n) => `const _${n}_a: pkg.${n} = null as unknown as ${n};\nconst _${n}_b: ${n} = null as unknown as pkg.${n};`)
    .join("\n");
  const file = join(ctx.project, `types-${ctx.slug}-${block.line}.ts`);
  writeFileSync(file, `import type * as pkg from "app-passwords";\n\n${block.code}\n${checks}\n`);
  const result = await run(deno, ["check", "--cached-only", file], { cwd: ctx.project, env: sampleEnv, timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`deno check: the documented ${names.join(", ")} differs from index.d.ts\n${result.stderr}${result.stdout}`);
  return { output: "" };
}
