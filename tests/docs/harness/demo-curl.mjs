// The host README's curl line, against the demo the `demo` harness started: signs in as `demo`
// with the printed password, creates an app password through the API as the page does, then runs
// the documented command with `apw_...` replaced by it and the URL by the demo's.
export default async function (block, ctx, { run, sampleEnv }) {
  const demo = ctx.state.demo;
  if (!demo) throw new Error("no demo running: a ```sh fragment:demo block must come first");
  const json = { "content-type": "application/json" };
  const login = await fetch(`${demo.origin}/login`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ username: "demo", password: demo.password }),
  });
  if (login.status !== 200) throw new Error(`sign-in with the printed password: ${login.status} ${await login.text()}`);
  const cookie = login.headers.get("set-cookie").split(";")[0];
  const created = await fetch(`${demo.origin}/api/app-passwords`, {
    method: "POST",
    headers: { ...json, cookie },
    body: JSON.stringify({ label: "docs", scopes: ["repository"] }),
  });
  const body = await created.json();
  if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(body)}`);
  if (!block.code.includes("apw_...") || !block.code.includes("http://127.0.0.1:8787")) {
    throw new Error("expected the placeholders apw_... and http://127.0.0.1:8787 in the command");
  }
  const code = block.code.split("apw_...").join(body.password).split("http://127.0.0.1:8787").join(demo.origin);
  const result = await run("bash", ["-e", "-c", code], { env: sampleEnv, timeoutMs: 30_000 });
  if (result.code !== 0) throw new Error(`curl failed (${result.code}): ${result.stderr}`);
  const answer = JSON.parse(result.stdout);
  if (answer.username !== "demo" || !answer.scopes.includes("repository")) {
    throw new Error(`unexpected answer: ${result.stdout}`);
  }
  return { output: result.stdout.split(body.password).join("apw_...") };
}
