// Type-checked (never run) by scripts/test-deno.sh with `deno check`: the package's index.d.ts
// is valid TypeScript and describes the documented API (pkg-template/README.md). Lines marked @ts-expect-error
// must stay errors, so the types are not looser than the contract.
// @ts-types="app-passwords/index.d.ts"
import {
  AppPasswordError,
  AppPasswords,
  denoKvStore,
  generatePassword,
  hashPassword,
  looksLikeAppPassword,
  memoryStore,
  mintAppPassword,
  scopes,
  verifyPasswordHash,
  workersKvStore,
} from "app-passwords";
import type {
  CanaryUse,
  HashParams,
  KeyValueStore,
  LeakReport,
  ListedAppPassword,
  RotatedAppPassword,
  ScopeInfo,
  VerifyResult,
} from "app-passwords/index.d.ts";

export async function usage(kv: Deno.Kv, request: Request): Promise<Response | null> {
  const store: KeyValueStore = denoKvStore(kv);
  const light: HashParams = { memoryKiB: 64, iterations: 1, parallelism: 1 };
  const ap = new AppPasswords({ store, hashing: light, pepper: new Uint8Array(32), now: () => Date.now() });
  new AppPasswords({ store: memoryStore(), hashing: "owasp", prefix: "acme", pepper: "secret", realm: "x" });
  new AppPasswords({ store: workersKvStore({}), touchIntervalMs: 1000, waitUntil: (p: Promise<unknown>) => void p, onError: (e: unknown) => console.error(e) });

  const created = await ap.create({ user: "alice", label: "ci", scopes: ["repository:write"], expiresAt: new Date() });
  const password: string = created.password;
  const expires: number | null = created.expiresAt;
  const listed: ListedAppPassword[] = await ap.list("alice");
  const lastUsed: number | null = listed[0].lastUsedAt;
  const revoked: boolean = await ap.revoke("alice", created.id);

  const result: VerifyResult = await ap.verify({ username: "alice", password, require: ["repository"], purpose: "login" });
  if (result.ok) {
    const user: string = result.user;
    const granted: string[] = result.scopes;
    void user, granted;
  } else {
    const status: 401 | 403 = result.status;
    const missing: string[] | undefined = result.missing;
    void status, missing;
  }
  const fromRequest = await ap.verifyRequest(request, { require: ["issue"] });
  if (!fromRequest.ok) return ap.unauthorized(fromRequest);

  // Caveats: create options, what create and list show, the request context of verify.
  const narrowed = await ap.create({
    user: "alice",
    label: "backup",
    scopes: ["repository"],
    allowIps: ["203.0.113.0/24"],
    denyIps: ["203.0.113.7"],
    notBefore: new Date(),
    methods: ["GET", "HEAD"],
    paths: ["/api/repositories/"],
    maxUses: 10,
  });
  const ranges: string[] | undefined = narrowed.allowIps;
  const uses: number | undefined = listed[0].maxUses;
  const notBefore: number | undefined = listed[0].notBefore;
  void ranges, uses, notBefore;
  await ap.verifyRequest(request, { require: ["repository"], clientIp: request.headers.get("CF-Connecting-IP") });
  await ap.verify({ username: "alice", password, clientIp: "::1", method: "GET", path: "/api/repositories/x" });
  // @ts-expect-error maxUses is a number
  await ap.create({ user: "alice", label: "x", scopes: ["repository"], maxUses: "10" });
  // @ts-expect-error allowIps is a list
  await ap.create({ user: "alice", label: "x", scopes: ["repository"], allowIps: "10.0.0.0/8" });

  const catalog: ScopeInfo[] = scopes.catalog();
  const closure: string[] = catalog[0].closure;
  const encoded: string = scopes.encode(["repository"]);
  const names: string[] = scopes.decode(encoded);
  const enough: boolean = scopes.satisfies(names, ["repository"]);
  const lacking: string[] = scopes.missing(names, ["issue"]);
  const g: { id: string; password: string } = generatePassword({ prefix: "acme" });
  const looks: boolean = looksLikeAppPassword(g.password);
  const phc: string = hashPassword("pw", light);
  const same: boolean = verifyPasswordHash("pw", phc);
  try {
    hashPassword("pw", "owasp");
  } catch (e) {
    if (e instanceof AppPasswordError) {
      const code: string = e.code;
      const asError: Error = e;
      void code, asError;
    }
  }
  const minted: { id: string; password: string; phc: string } = await mintAppPassword({ prefix: ap.prefix, hashing: ap.hashing });
  await mintAppPassword({ hashing: "owasp" });
  await mintAppPassword();
  const stored: ListedAppPassword = await ap.createFromHash({ user: "alice", label: "ci", scopes: ["issue"], id: minted.id, phc: minted.phc });
  const profile: HashParams = ap.hashing;
  void expires, lastUsed, revoked, closure, enough, lacking, looks, same, stored, profile;

  // The lifecycle (design.md#lifecycle).
  const withHook = new AppPasswords({ store, onCanary: (use: CanaryUse) => console.warn(use.id, use.user, use.label, use.at) });
  await withHook.create({ user: "alice", label: "trap", scopes: ["repository"], canary: true });
  const next: RotatedAppPassword | null = await ap.rotate("alice", created.id, { overlapMs: 3_600_000 });
  const replaces: string | undefined = next?.replaces;
  const toggled: boolean = await ap.setEnabled("alice", created.id, false);
  const state: [boolean, string | null, string | null] = [listed[0].enabled, listed[0].replaces, listed[0].replacedBy];
  const leak: LeakReport = await ap.reportLeaked(password);
  const found: boolean = leak.found && leak.revoked;
  const answer: Response = await ap.handleSecretScanningReport(request, {
    publicKeys: async () => ({ public_keys: [{ key_identifier: "k", key: "-----BEGIN PUBLIC KEY-----", is_current: true }] }),
    onLeak: (l) => console.warn(l.id, l.url),
  });
  void replaces, toggled, state, found, answer;
  // @ts-expect-error: enabled is a boolean
  await ap.setEnabled("alice", created.id, "no");

  // @ts-expect-error: the user is a string
  await ap.create({ user: 1, label: "x", scopes: ["email"] });
  // @ts-expect-error: scopes is an array of names
  await ap.create({ user: "a", label: "x", scopes: "email" });
  // @ts-expect-error: createFromHash needs the minted hash
  await ap.createFromHash({ user: "a", label: "x", scopes: ["issue"], id: minted.id });
  // @ts-expect-error: the profile is read-only
  ap.hashing = light;
  // @ts-expect-error: a store is required
  new AppPasswords({});
  // @ts-expect-error: purpose is "api" or "login"
  await ap.verify({ username: "a", password: "b", purpose: "admin" });
  // @ts-expect-error: no update API (design.md#scopes-are-fixed-at-creation)
  ap.update;
  return null;
}
