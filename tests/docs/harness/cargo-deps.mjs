// The [dependencies] a Rust sample of the same document needs: the next ```rust block is built
// in a new crate with exactly these (tests/docs/run.mjs, runRust).
export default async function (block, ctx) {
  if (!/^\[dependencies\]/m.test(block.code)) throw new Error("expected a [dependencies] table");
  ctx.state.cargoDeps = block.code;
  return { output: "" };
}
