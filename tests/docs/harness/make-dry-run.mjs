// Commands that `make test` itself runs, or the make targets a reader types: each `make TARGET`
// line must be a target that `make -n` accepts, and any other command must be a recipe line of
// the targets `make test` runs (so `make test` does execute it). Running them here would run the
// whole suite inside itself.
export default async function (block, ctx, { run, root }) {
  const lines = block.code
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter(Boolean);
  if (!lines.length) throw new Error("no command in the block");
  const all = await run("make", ["-n", "test"], { cwd: root });
  if (all.code !== 0) throw new Error(`make -n test failed:\n${all.stderr}`);
  const recipes = new Set(all.stdout.split("\n").map((l) => l.trim()));
  for (const line of lines) {
    const make = line.match(/^make((?:\s+[\w-]+)+)$/);
    if (make) {
      const result = await run("make", ["-n", ...make[1].trim().split(/\s+/)], { cwd: root });
      if (result.code !== 0) throw new Error(`${line}: make -n failed\n${result.stderr}`);
    } else if (!recipes.has(line)) {
      throw new Error(`${line}: not a command that make test runs`);
    }
  }
  return { output: "" };
}
