// The host README's deployment commands cannot reach Cloudflare from here, so each line is checked
// as far as it can be offline, with the wrangler the packaging tests pin (tests/packaging, run on
// its Node 22): `make pkg` is a make target; every `npx wrangler ...` line is a command that
// wrangler knows (`... --help` succeeds); and `wrangler deploy` is run with `--dry-run --outdir`,
// which builds exactly what would be uploaded (worker.js, the package's workerd entry, the .wasm
// as a module), in a copy of examples/host beside links to pkg/ and www/.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";

export default async function (block, ctx, { run, root, work }) {
  const tools = join(root, "tests/packaging/node_modules");
  if (readFileSync(join(root, "scripts/tools.sh"), "utf8").includes("packaging)")) {
    const ensured = await run("bash", ["scripts/tools.sh", "packaging"], { cwd: root, timeoutMs: 600_000 });
    if (ensured.code !== 0) throw new Error(`scripts/tools.sh packaging failed:\n${ensured.stdout}${ensured.stderr}`);
  }
  const node22 = join(tools, "node22/bin/node");
  const wrangler = join(tools, "wrangler/bin/wrangler.js");
  if (!existsSync(node22) || !existsSync(wrangler)) throw new Error("no wrangler in tests/packaging/node_modules (scripts/tools.sh packaging)");
  const base = join(work, "deploy");
  mkdirSync(join(base, "examples"), { recursive: true });
  cpSync(join(root, "examples/host"), join(base, "examples/host"), { recursive: true });
  for (const name of ["pkg", "www"]) if (!existsSync(join(base, name))) symlinkSync(join(root, name), join(base, name));
  const env = {
    PATH: `${dirname(node22)}:${process.env.PATH}`,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    XDG_CONFIG_HOME: join(work, "wrangler-config"),
    WRANGLER_LOG_PATH: join(work, "wrangler-logs"),
  };
  let cwd = base;
  let deployed = false;
  const lines = block.code.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter(Boolean);
  for (const line of lines) {
    const words = line.split(/\s+/);
    if (line === "make pkg") {
      const result = await run("make", ["-n", "pkg"], { cwd: root });
      if (result.code !== 0) throw new Error(`make -n pkg: ${result.stderr}`);
    } else if (words[0] === "cd" && words.length === 2) {
      cwd = join(cwd, words[1]);
      if (!existsSync(cwd)) throw new Error(`${line}: no such folder`);
    } else if (words[0] === "npx" && words[1] === "wrangler") {
      const argv = words.slice(2);
      const help = await run(node22, [wrangler, ...argv, "--help"], { cwd, env, timeoutMs: 60_000 });
      if (help.code !== 0) throw new Error(`${line}: wrangler does not know this command\n${help.stdout}${help.stderr}`);
      if (argv[0] === "deploy") {
        const out = join(work, "deploy-out");
        const dry = await run(node22, [wrangler, ...argv, "--dry-run", "--outdir", out], { cwd, env, timeoutMs: 120_000 });
        if (dry.code !== 0) throw new Error(`wrangler deploy --dry-run failed\n${dry.stdout}${dry.stderr}`);
        const files = readdirSync(out);
        if (!files.some((f) => f.endsWith(".wasm"))) throw new Error(`no .wasm module in the upload: ${files}`);
        deployed = true;
      }
    } else {
      throw new Error(`${line}: not a command this harness knows how to check`);
    }
  }
  if (!deployed) throw new Error("no `npx wrangler deploy` line");
  return { output: "" };
}
