// One use of the package, the same in every runtime and bundler of tests/packaging: generate,
// create, verify (granted, missing scope, login form, another user over Basic), revoke, and an
// AppPasswordError. `pkg` is the package's namespace (`import * as pkg from "app-passwords"`,
// `require("app-passwords")`, or "app-passwords/slim" after initialize). The result is a plain
// object the test compares with EXPECTED.
export async function exercise(pkg) {
  const { AppPasswords, AppPasswordError, generatePassword, isAppPasswordError, looksLikeAppPassword, memoryStore } = pkg;
  const { password: generated } = generatePassword();
  const ap = new AppPasswords({ store: memoryStore() });
  const { id, password } = await ap.create({ user: "alice", label: "CI", scopes: ["repository:write"] });
  const refusal = (r) => (r.ok ? "granted" : `${r.status} ${r.code}${r.missing ? ` ${r.missing}` : ""}`);
  const basic = (user) =>
    new Request("http://localhost/", { headers: { authorization: `Basic ${btoa(`${user}:${password}`)}` } });

  const granted = await ap.verify({ username: "alice", password, require: ["repository"] });
  const missing = await ap.verify({ username: "alice", password, require: ["pullrequest"] });
  const login = await ap.verify({ username: "alice", password, purpose: "login" });
  const overBasic = await ap.verifyRequest(basic("alice"), { require: ["repository:write"] });
  const otherUser = await ap.verifyRequest(basic("bob"));
  const challenge = ap.unauthorized(otherUser);
  let thrown = "nothing thrown";
  try {
    await ap.create({ user: "alice", label: "", scopes: ["repository"] });
  } catch (e) {
    thrown = isAppPasswordError(e) && e instanceof AppPasswordError ? e.code : `not an AppPasswordError: ${e}`;
  }
  const revoked = await ap.revoke("alice", id);
  const afterRevoke = await ap.verify({ username: "alice", password });

  return {
    generated: looksLikeAppPassword(generated),
    notAPassword: looksLikeAppPassword("hunter2"),
    granted: refusal(granted),
    missing: refusal(missing),
    login: refusal(login),
    overBasic: refusal(overBasic),
    otherUser: `${challenge.status} ${challenge.headers.get("www-authenticate")?.split(" ")[0]}`,
    thrown,
    revoked,
    afterRevoke: refusal(afterRevoke),
  };
}

export const EXPECTED = {
  generated: true,
  notAPassword: false,
  granted: "granted",
  missing: "403 insufficient_scope pullrequest",
  login: "403 login_not_allowed",
  overBasic: "granted",
  otherUser: "401 Basic",
  thrown: "invalid_label",
  revoked: true,
  afterRevoke: "401 invalid_credentials",
};
