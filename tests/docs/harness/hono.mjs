// A Hono sample (```js fragment:hono): a complete Node script that also imports "hono", which the
// docs project does not have. It runs as `node` in the project with Hono linked in from
// tests/cli/node_modules (the version tests/cli/package-lock.json pins; npm ci there when missing).
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export default async function (block, ctx, { run, sampleEnv, root }) {
  const peers = join(root, "tests/cli/node_modules");
  if (!existsSync(join(peers, "hono"))) {
    const ci = await run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: join(root, "tests/cli"), timeoutMs: 300_000 });
    if (ci.code !== 0) throw new Error(`npm ci in tests/cli failed:\n${ci.stderr}`);
  }
  const link = join(ctx.project, "node_modules/hono");
  if (!existsSync(link)) {
    mkdirSync(join(ctx.project, "node_modules"), { recursive: true });
    symlinkSync(join(peers, "hono"), link, "dir");
  }
  const file = join(ctx.project, `sample-${ctx.slug}-${block.line}.mjs`);
  writeFileSync(file, block.code);
  const result = await run(process.execPath, [file], { cwd: ctx.project, env: sampleEnv, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`node (exit ${result.code})\n${result.stdout}${result.stderr}`);
  return { output: result.stdout };
}
