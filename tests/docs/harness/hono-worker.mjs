// The Hono Worker of the docs (```js fragment:hono-worker) is tests/cli/projects/hono/src/index.js,
// which `make test-cli` runs in wrangler dev with a KV binding (200, 401 with the Basic challenge,
// 403 with missing): the block must be that file, byte for byte.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export default async function (block, ctx, { root }) {
  const file = "tests/cli/projects/hono/src/index.js";
  if (block.code !== readFileSync(join(root, file), "utf8")) throw new Error(`the block differs from ${file}, which make test-cli runs`);
  return { output: "" };
}
