// `make demo`, as the host README shows it: started as written, with PORT=0 (a free port) and a
// temporary DATA_DIR, both documented variables, so the test never touches .data/ or port 8787.
// Its printed lines are compared with the documented output (the URL's port and the data folder
// normalised, "..." in a documented line matches any text). The launcher keeps running for the
// later blocks of the document (demo-curl) and is stopped at the end with SIGINT, as Ctrl-C does.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default async function (block, ctx, { root, sampleEnv }) {
  const dataDir = mkdtempSync(join(tmpdir(), "app-passwords-docs-demo-"));
  const env = { ...process.env, ...sampleEnv, PORT: "0", DATA_DIR: dataDir };
  for (const name of ["DEMO_PASSWORD", "EXTRA_ACCOUNTS", "PEPPER"]) delete env[name];
  const child = spawn("bash", ["-e", "-c", block.code], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (out += d));
  const exited = new Promise((done) => child.on("exit", (code, signal) => done(code ?? signal)));
  const stop = async () => {
    try {
      process.kill(-child.pid, "SIGINT");
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // gone
      }
    }, 15_000);
    await exited;
    clearTimeout(timer);
    rmSync(dataDir, { recursive: true, force: true });
  };
  ctx.cleanups.push(stop);
  // If the run itself dies before its cleanups, the demo (and its workerd) must not outlive it.
  process.on("exit", () => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already stopped
    }
  });
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`make demo did not print its URL in 120 s:\n${out}`)), 120_000);
    const check = () => {
      if (/Press Ctrl-C to stop\./.test(out)) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout.on("data", check);
    child.stderr.on("data", check);
    exited.then((code) => fail(new Error(`make demo exited (${code}):\n${out}`)));
  });
  const url = out.match(/URL:\s+(http:\/\/127\.0\.0\.1:\d+\/)/)?.[1];
  const password = out.match(/Password:\s+(\S+)/)?.[1];
  if (!url || !password) throw new Error(`no URL or password in the output:\n${out}`);
  ctx.state.demo = { url, origin: url.replace(/\/$/, ""), password };

  const compare = (actual, expected) => {
    const norm = (s) => s.replace(/\r/g, "").split("\n").map((l) => l.trimEnd());
    const got = norm(actual.split(url).join("http://127.0.0.1:8787/").split(join(dataDir, "kv")).join(".data/kv"));
    const want = norm(expected.trim());
    // "..." in a documented line stands for any text (the generated password, say).
    const matches = (line, pattern) =>
      new RegExp(`^${pattern.split("...").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".+")}$`).test(line);
    for (let start = 0; start + want.length <= got.length; start++) {
      if (want.every((pattern, i) => matches(got[start + i], pattern))) return;
    }
    throw new Error(`the documented output is not what make demo printed\n--- documented\n${want.join("\n")}\n--- printed\n${got.join("\n")}`);
  };
  return { output: out, compare };
}
