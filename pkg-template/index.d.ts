// Types of the app-passwords package. Times are epoch milliseconds.

/** The host's key-value store (docs/design.md#storage in the repository). All methods are async. */
export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string, cursor?: string): Promise<{ keys: string[]; cursor?: string }>;
  /**
   * Optional bulk read of up to 100 keys in one call (Workers KV bulk get, Redis MGET, Deno KV
   * getMany). Missing keys map to `null` (or are left out). When present, the core uses it for
   * every multi-key read: a verify reads its record and tombstone in one call, a list 100 keys
   * a call. Without it, the package calls `get` for each key, all of them together.
   */
  getMany?(keys: string[]): Promise<Map<string, string | null> | Record<string, string | null>>;
  /** Optional atomic add (absent counts as 0); resolves to the new value. */
  increment?(key: string, delta: number): Promise<number>;
  /** "eventual" for Workers KV: a revoke can take `propagationDelayMs` to be seen elsewhere. */
  readonly consistency?: "strong" | "eventual";
  readonly propagationDelayMs?: number;
}

/** Argon2id cost parameters. */
export interface HashParams {
  /** Memory in KiB (m), 8 x parallelism to 262144. */
  memoryKiB: number;
  /** Passes (t), 1 to 64. */
  iterations: number;
  /** Lanes (p), 1 to 16. */
  parallelism: number;
}

/** A scope catalogue in the shape of `scopes/bitbucket-app-password-scopes.json`. */
export interface CatalogDefinition {
  scopes: Array<{ name: string; implies?: string[]; grantable?: boolean; group?: string; level?: string }>;
}

export interface AppPasswordsOptions {
  store: KeyValueStore;
  /** `[a-z][a-z0-9]{0,15}`, default `"apw"`. */
  prefix?: string;
  /** Default: Bitbucket Cloud's app-password scopes. */
  catalog?: CatalogDefinition | string;
  /** Argon2id profile for new records: default light (190-bit secrets), or "owasp". */
  hashing?: HashParams | "owasp" | "default";
  /** Argon2's secret input, kept outside the store (string as UTF-8, or bytes; max 64 bytes). */
  pepper?: string | Uint8Array;
  /** Clock, epoch milliseconds (default `Date.now`). */
  now?: () => number;
  /**
   * `lastUsedAt` is written at most once per interval per password and isolate (default 600000,
   * 10 minutes: a password used every minute costs at most 144 writes a day).
   */
  touchIntervalMs?: number;
  /**
   * Most passwords one user may hold, 1 to 1000 (default 100): `create` past it throws
   * `too_many_passwords`. `list` always returns every password.
   */
  maxPerUser?: number;
  /** Keeps the background `lastUsedAt` write alive, e.g. `(p) => ctx.waitUntil(p)` on Workers. */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Receives errors of background writes (they never change a verify's answer). */
  onError?: (error: unknown) => void;
  /**
   * Called once per use of a canary (`create({ canary: true })`), after the answer, kept alive
   * through `waitUntil` like the `lastUsedAt` write. The verify itself answers as for an unknown id.
   */
  onCanary?: (use: CanaryUse) => void | Promise<void>;
  /** Realm of the `WWW-Authenticate: Basic` challenge (default "app-passwords"). */
  realm?: string;
  /** Any store call slower than this fails with `store_timeout` (fail closed). */
  storeTimeoutMs?: number;
  /**
   * Opt-in cache of verified credentials in this isolate, keyed by a keyed hash (never the
   * password): repeated calls skip the store read and Argon2 for `ttlMs`. `revoke` through this
   * instance evicts at once; a revoke elsewhere is seen here within `ttlMs`.
   */
  cache?: { ttlMs: number; maxEntries: number };
}

export interface CreateOptions extends CaveatOptions {
  user: string;
  /** 1 to 255 characters. */
  label: string;
  /** Non-empty; grantable scopes only; closed under implication before storing. */
  scopes: string[];
  expiresAt?: number | Date;
  /**
   * A canary: lists like any other password and never grants; a verify with it answers exactly as
   * for an unknown id and calls the service's `onCanary`.
   */
  canary?: boolean;
}

/** One use of a canary, as `onCanary` receives it. */
export interface CanaryUse {
  id: string;
  /** The canary's owner (not the username the client sent). */
  user: string;
  label: string;
  /** When, epoch milliseconds. */
  at: number;
}

/** What `reportLeaked` found. */
export interface LeakReport {
  /** A real password of this service (live, or revoked as leaked before: a replay). */
  found: boolean;
  /** This call revoked it. */
  revoked: boolean;
  id?: string;
  user?: string;
}

/** One entry of GitHub's public keys document (`publicKeys`). */
export interface SecretScanningPublicKey {
  key_identifier: string;
  /** PEM `-----BEGIN PUBLIC KEY-----` of an ECDSA P-256 key. */
  key: string;
  is_current?: boolean;
}

export interface SecretScanningOptions {
  /** GitHub's `{ public_keys: [...] }` document, or a (cached) function that fetches it. */
  publicKeys:
    | { public_keys: SecretScanningPublicKey[] }
    | ((keyIdentifier: string) => Promise<{ public_keys: SecretScanningPublicKey[] }> | { public_keys: SecretScanningPublicKey[] });
  /** Called for each reported token that is a real password (after its revoke). */
  onLeak?: (leak: {
    id?: string;
    user?: string;
    revoked: boolean;
    type?: string;
    url?: string;
    source?: string;
  }) => void | Promise<void>;
}

/**
 * Caveats: limits a password carries besides its scopes, fixed at creation and checked on every
 * verify (docs/design.md#caveats in the repository). A request that fails one is refused with
 * 403 `request_not_allowed` (its `reason` names which, for logs) and uses nothing up. Leave an
 * option out for no limit; an empty array throws `invalid_caveat`.
 */
export interface CaveatOptions {
  /**
   * Client IP ranges allowed, IPv4 or IPv6 CIDR or single address (at most 32), e.g.
   * `["203.0.113.0/24", "2001:db8::/32"]`. An IPv4 range also matches the IPv4-mapped form
   * (`::ffff:203.0.113.7`). The host passes the client IP to verify (`clientIp`); without it the
   * request is refused.
   */
  allowIps?: string[];
  /** Client IP ranges refused (at most 32); wins over `allowIps`. */
  denyIps?: string[];
  /** No verify succeeds before this time. */
  notBefore?: number | Date;
  /**
   * HTTP methods allowed (at most 16), upper-cased at creation and then compared exactly
   * (`["GET", "HEAD"]` for read-only).
   */
  methods?: string[];
  /**
   * Path prefixes allowed (at most 16, each at most 256 bytes of ASCII, no `?`, `#`, `%`, `\`,
   * `.` or `..` segment). `/api/repos/` matches `/api/repos/1`; `/api/repos` matches `/api/repos`
   * and `/api/repos/1`; neither matches `/api/reposX`. The request's query is ignored; a path with
   * a dot segment or an encoded `.`, `/` or `\` is refused.
   */
  paths?: string[];
  /**
   * Most verifies that succeed (1 to 2^53 - 1), counted with the store's atomic `increment`:
   * exactly this many succeed however many run at once. A store without `increment` (Workers KV)
   * throws `store_lacks_atomic` at create.
   */
  maxUses?: number;
}

/** The caveats of a password as `create` and `list` answer them: only those it has. */
export interface CaveatFields {
  allowIps?: string[];
  denyIps?: string[];
  notBefore?: number;
  methods?: string[];
  paths?: string[];
  maxUses?: number;
}

/** What verify needs to know about the request for a password's caveats. */
export interface RequestContextOptions {
  /**
   * The client's IP address as the host knows it: `request.headers.get("CF-Connecting-IP")` on
   * Workers, `info.remoteAddr.hostname` in a Deno.serve handler, `req.socket.remoteAddress` in
   * Node; behind a proxy, only the header that proxy is configured to set. The library never reads
   * `X-Forwarded-For` itself (SECURITY.md).
   */
  clientIp?: string | null;
  /** The request method (`verifyRequest` reads `request.method` unless given). */
  method?: string;
  /** The request path (`verifyRequest` reads it from `request.url` unless given); a query is ignored. */
  path?: string;
}

/** The options of `createFromHash`: those of `create`, and the id and hash of a minted password. */
export interface CreateFromHashOptions extends CreateOptions {
  /** The minted password's id (12 base62 characters). */
  id: string;
  /** Its Argon2id PHC string, as `mintAppPassword` returned it. */
  phc: string;
}

/** What `mintAppPassword` returns. */
export interface MintedAppPassword {
  id: string;
  /** Show it once; never send it to the server. */
  password: string;
  /** Argon2id v=19 PHC string of the password: send this to `createFromHash`. */
  phc: string;
}

export interface CreatedAppPassword extends CaveatFields {
  id: string;
  /** Shown once: it is never available again. */
  password: string;
  label: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
}

export interface ListedAppPassword extends CaveatFields {
  id: string;
  label: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  /** `false` while disabled (`setEnabled`). */
  enabled: boolean;
  /** The id of the password this one replaced (`rotate`), or null. */
  replaces: string | null;
  /** The id of the listed password that replaced this one, or null. */
  replacedBy: string | null;
}

/** A replacement made by `rotate`: shown once, like `create`'s. */
export interface RotatedAppPassword extends CreatedAppPassword {
  /** The id of the password it replaces. */
  replaces: string;
}

export interface VerifyOptions extends RequestContextOptions {
  username: string;
  password: string;
  /** Scopes the request needs. */
  require?: string[];
  /** "login" is always refused with `login_not_allowed`. */
  purpose?: "api" | "login";
  waitUntil?: (promise: Promise<unknown>) => void;
}

export type RefusalCode =
  | "invalid_credentials"
  | "login_not_allowed"
  | "insufficient_scope"
  | "not_allowed_for_app_passwords"
  | "request_not_allowed";

export type VerifyResult =
  | { ok: true; user: string; id: string; label: string; scopes: string[]; /** from the cache */ cached: boolean }
  | {
      ok: false;
      status: 401 | 403;
      code: RefusalCode | (string & {});
      /** For the host's logs only; never send it to the client. */
      reason?: string;
      missing?: string[];
    };

export interface ScopeInfo {
  name: string;
  group: string;
  level: string;
  implies: string[];
  grantable: boolean;
  /** Everything it implies, transitively, excluding itself. */
  closure: string[];
}

/**
 * The app-password service over a host key-value store: create, list, revoke and verify.
 *
 * @example
 * import { AppPasswords, memoryStore } from "app-passwords";
 * const ap = new AppPasswords({ store: memoryStore() });
 * const { password } = await ap.create({ user: "alice", label: "CI", scopes: ["repository:write"] });
 * const result = await ap.verify({ username: "alice", password, require: ["repository"] });
 * // result.ok === true
 */
export class AppPasswords {
  /**
   * @param options the store and optional prefix, catalogue, hashing profile, pepper, clock, cache.
   * @throws {AppPasswordError} `invalid_prefix`, `invalid_catalog`, `invalid_hash_params`, `invalid_argument`.
   * @example
   * const ap = new AppPasswords({ store: workersKvStore(env.APP_PASSWORDS), waitUntil: (p) => ctx.waitUntil(p) });
   */
  constructor(options: AppPasswordsOptions);
  /**
   * Creates a password for `user`. The result holds the password: the only time it is available.
   * @returns the password, its id, label, closed scopes, creation and expiry times.
   * @throws {AppPasswordError} `invalid_user`, `invalid_label`, `unknown_scope`, `scope_not_grantable`,
   *   `no_scopes`, `invalid_expiry`, `too_many_passwords` (the user holds `maxPerUser` already),
   *   `invalid_caveat`, `store_lacks_atomic` (`maxUses` on a store without `increment`), or a
   *   store error (`store_unavailable`, ...); nothing is stored then.
   * @example
   * const { id, password } = await ap.create({ user: "alice", label: "CI deploy", scopes: ["repository:write"] });
   * // Read-only, from one network, for the repository API only:
   * await ap.create({ user: "alice", label: "backup", scopes: ["repository"], allowIps: ["203.0.113.0/24"],
   *   methods: ["GET", "HEAD"], paths: ["/api/repositories"] });
   */
  create(options: CreateOptions): Promise<CreatedAppPassword>;
  /**
   * Stores a password minted elsewhere (`mintAppPassword`, e.g. in the user's browser) from its id
   * and PHC string: the server never sees the password. The hash must be what `create` would have
   * written: Argon2id v=19, m, t and p at or above this service's `hashing` profile (and at most
   * OWASP's or the profile's, whichever is higher), a salt of 16 bytes or more, an output of 32
   * bytes or more, an unused id. The server cannot check that the hash is of the password the
   * client holds (docs/design.md, "Minting in the browser").
   * @returns the password as `list` shows it.
   * @throws {AppPasswordError} `invalid_hash` (id or hash refused; nothing is stored), every error
   *   of `create`, `invalid_argument` when the service has a `pepper` (the browser cannot use it).
   * @example
   * // Server side, with { label, scopes, id, phc } from the page:
   * const listed = await ap.createFromHash({ user: "alice", label, scopes, id, phc });
   */
  createFromHash(options: CreateFromHashOptions): Promise<ListedAppPassword>;
  /**
   * Every password of the user (never truncated), without the password or its hash. A password
   * is listed exactly when it can verify (expiry aside). On Workers KV: one list call per 1,000
   * keys and one bulk read per 100 keys (31 calls for 1,000 passwords).
   * @throws {AppPasswordError} a store error.
   * @example
   * for (const p of await ap.list("alice")) console.log(p.id, p.label, p.lastUsedAt);
   */
  list(user: string): Promise<ListedAppPassword[]>;
  /**
   * Revokes one password; it never verifies again.
   * @returns `true` if that user had it, `false` otherwise.
   * @throws {AppPasswordError} a store error.
   * @example
   * await ap.revoke("alice", id); // true
   */
  revoke(user: string, id: string): Promise<boolean>;
  /**
   * Revokes every password of the user (e.g. when the account is deleted). Costs three writes per
   * password: on Workers KV (1,000 operations per request) about 330 passwords per call; call it
   * again until it resolves to 0.
   * @returns how many passwords were revoked (as many `revoke` calls would have answered `true`).
   * @throws {AppPasswordError} `invalid_user`, or a store error (then some may be revoked: call it again).
   * @example
   * const revoked = await ap.revokeAll("alice"); // e.g. 3
   */
  revokeAll(user: string): Promise<number>;
  /**
   * Rotates a password: a replacement with the same label, scopes, caveats and expiry, shown once.
   * The old one keeps working until the replacement is first verified (granted) or `overlapMs`
   * (default 24 h, at most 30 days) has passed, whichever is first; then it refuses (401
   * `invalid_credentials`, reason `superseded`). `list` shows `replaces` / `replacedBy`.
   * Rotating the replacement is fine (a chain); rotating the same password twice is not.
   * @returns the replacement, or `null` when that user has no such password (or a revoke won).
   * @throws {AppPasswordError} `already_rotated`, `invalid_expiry` (it expired), `too_many_passwords`,
   *   `invalid_argument` (overlapMs), or a store error.
   * @example
   * const next = await ap.rotate("alice", id, { overlapMs: 60 * 60 * 1000 });
   * // next.password: show it once; the old one stops at next's first use, or in an hour
   */
  rotate(user: string, id: string, options?: { overlapMs?: number }): Promise<RotatedAppPassword | null>;
  /**
   * Disables (`false`) or enables (`true`) a password. A disabled one refuses (401
   * `invalid_credentials`, reason `disabled`) until enabled again; `list` shows `enabled`.
   * @returns `true` if that user had it (not revoked), `false` otherwise.
   * @throws {AppPasswordError} `invalid_argument`, or a store error.
   * @example
   * await ap.setEnabled("alice", id, false); // true
   */
  setEnabled(user: string, id: string, enabled: boolean): Promise<boolean>;
  /**
   * Revokes a password found in public: the checksum first (no store access at all when it
   * fails), then the secret against the stored hash (an id alone never revokes), then the revoke.
   * A replayed report finds it again (`found: true, revoked: false`).
   * @throws {AppPasswordError} a store error.
   * @example
   * const { found, revoked } = await ap.reportLeaked(pastedText);
   */
  reportLeaked(password: string): Promise<LeakReport>;
  /**
   * GitHub's secret scanning partner endpoint (docs/secret-scanning.md): checks the
   * `Github-Public-Key-Signature` (ECDSA P-256 / SHA-256 over the raw body) with the key named by
   * `Github-Public-Key-Identifier`; answers 401 (missing, unknown or bad signature) or 400
   * (malformed body) without touching the store; else revokes each token that is a real password
   * and answers 200 `[{ token_hash, token_type, label: "true_positive" | "false_positive" }]`.
   * At most 150 tokens a report (Workers KV: 1,000 operations a request).
   * @example
   * if (url.pathname === "/api/secret-scanning" && request.method === "POST")
   *   return ap.handleSecretScanningReport(request, { publicKeys: () => githubKeys(env) });
   */
  handleSecretScanningReport(request: Request, options: SecretScanningOptions): Promise<Response>;
  /**
   * Verifies a username and app password. Never throws for wrong credentials: the result says why.
   * @throws {AppPasswordError} bad arguments or a store error (fails closed; never `ok: true`).
   * @example
   * const r = await ap.verify({ username: "alice", password, require: ["repository"] });
   * if (!r.ok) console.log(r.status, r.code); // e.g. 403 "insufficient_scope"
   */
  verify(options: VerifyOptions): Promise<VerifyResult>;
  /**
   * Verifies the request's `Authorization: Basic` header (RFC 7617), as curl `-u user:password` sends it.
   * @throws {AppPasswordError} `invalid_argument` without headers, or a store error.
   * @example
   * const result = await ap.verifyRequest(request, {
   *   require: ["repository"],
   *   clientIp: request.headers.get("CF-Connecting-IP"), // on Workers; method and path come from the request
   * });
   * if (!result.ok) return ap.unauthorized(result);
   */
  verifyRequest(
    request:
      | Request
      | { headers: Headers | Record<string, string | string[] | undefined>; method?: string; url?: string },
    options?: { require?: string[]; waitUntil?: (promise: Promise<unknown>) => void } & RequestContextOptions,
  ): Promise<VerifyResult>;
  /**
   * 401 with `WWW-Authenticate: Basic`, or 403, with a JSON body `{ error: { code, message, missing? } }`.
   * @example
   * if (!result.ok) return ap.unauthorized(result);
   */
  unauthorized(result: VerifyResult): Response;
  /**
   * This service's scope catalogue, in catalogue order.
   * @example
   * ap.catalog().filter((s) => s.grantable).map((s) => s.name);
   */
  catalog(): ScopeInfo[];
  /** The password prefix, e.g. `"apw"`. */
  readonly prefix: string;
  /**
   * The hashing profile of new records: hand it to the page that mints for `createFromHash`.
   * @example
   * return Response.json({ prefix: ap.prefix, hashing: ap.hashing });
   */
  readonly hashing: HashParams;
}

/**
 * Thrown for bad arguments and host failures; `code` is stable.
 * @example
 * try { await ap.create({ user: "alice", label: "", scopes: ["repository"] }); }
 * catch (e) { if (isAppPasswordError(e)) console.log(e.code); } // "invalid_label"
 */
export class AppPasswordError extends Error {
  constructor(message: string, code: string);
  readonly name: "AppPasswordError";
  readonly code:
    | "invalid_argument"
    | "invalid_label"
    | "invalid_user"
    | "unknown_scope"
    | "scope_not_grantable"
    | "no_scopes"
    | "too_many_scopes"
    | "invalid_prefix"
    | "invalid_expiry"
    | "invalid_hash_params"
    | "invalid_catalog"
    | "invalid_scope_encoding"
    | "invalid_hash"
    | "random_unavailable"
    | "store_unavailable"
    | "store_corrupt"
    | "store_timeout"
    | "id_collision"
    | "too_many_passwords"
    | "store_lacks_atomic"
    | "invalid_caveat"
    | "already_rotated"
    | "not_initialized"
    | "wasm_load_failed"
    | (string & {});
}

/**
 * Whether `value` is an error thrown by this package (by shape, so it also holds across copies).
 * @example
 * catch (e) { if (isAppPasswordError(e) && e.code === "store_timeout") retryLater(); }
 */
export function isAppPasswordError(value: unknown): value is AppPasswordError;

/**
 * A new password in the package's format from the platform CSPRNG; nothing is stored.
 * @throws {AppPasswordError} `invalid_prefix`, `random_unavailable`.
 * @example
 * const { id, password } = generatePassword(); // password: "apw_" + 50 base62 characters
 */
export function generatePassword(options?: { prefix?: string }): { id: string; password: string };
/**
 * A new password and its Argon2id PHC string, computed where it runs (a browser): send
 * `{ id, phc }` to a server that calls `createFromHash`, and show `password` once. Use the
 * server's `prefix` and `hashing` profile (default `"apw"` and the light default profile).
 * @throws {AppPasswordError} `invalid_prefix`, `invalid_hash_params`, `invalid_argument`, `random_unavailable`.
 * @example
 * const { id, password, phc } = await mintAppPassword({ prefix: "apw", hashing: { memoryKiB: 256, iterations: 1, parallelism: 1 } });
 */
export function mintAppPassword(options?: {
  prefix?: string;
  hashing?: HashParams | "owasp" | "default";
}): Promise<MintedAppPassword>;
/**
 * Prefix, length, alphabet and CRC32 checksum of an app password; no store access. Lets a login
 * form tell a person that app passwords cannot sign in.
 * @example
 * if (looksLikeAppPassword(form.password)) showError("Use your account password to sign in.");
 */
export function looksLikeAppPassword(candidate: string): boolean;
/**
 * Argon2id PHC string of a (human) password; OWASP profile (m=19456 KiB, t=2, p=1) by default.
 * @throws {AppPasswordError} `invalid_hash_params`, `random_unavailable`.
 * @example
 * const phc = hashPassword("correct horse battery staple"); // "$argon2id$v=19$m=19456,t=2,p=1$..."
 */
export function hashPassword(password: string, params?: HashParams | "owasp"): string;
/**
 * Whether `password` matches an Argon2 PHC string (argon2id/i/d, v=16/19, any parameter order).
 * @throws {AppPasswordError} `invalid_hash` when the string cannot be read.
 * @example
 * verifyPasswordHash("correct horse battery staple", phc); // true
 */
export function verifyPasswordHash(password: string, phc: string): boolean;

/**
 * Scope helpers over the default catalogue, or the catalogue passed last.
 * @example
 * scopes.normalize(["repository:write"]);                 // ["repository", "repository:write"]
 * scopes.missing(["repository"], ["repository:write"]);   // ["repository:write"]
 */
export const scopes: {
  catalog(catalog?: CatalogDefinition | string): ScopeInfo[];
  normalize(names: string[], catalog?: CatalogDefinition | string): string[];
  encode(names: string[], catalog?: CatalogDefinition | string): string;
  decode(encoded: string, catalog?: CatalogDefinition | string): string[];
  satisfies(granted: string[], required: string[], catalog?: CatalogDefinition | string): boolean;
  missing(granted: string[], required: string[], catalog?: CatalogDefinition | string): string[];
};

/**
 * A store in a JavaScript `Map`: tests, demos, one-process scripts. Strongly consistent.
 * @example
 * const ap = new AppPasswords({ store: memoryStore() });
 */
export function memoryStore(map?: Map<string, string>): KeyValueStore;
/**
 * A Workers KV namespace binding. Eventually consistent: a revoke can take about 60 s to reach
 * other locations (`propagationDelayMs`).
 * @example
 * const ap = new AppPasswords({ store: workersKvStore(env.APP_PASSWORDS) });
 */
export function workersKvStore(namespace: unknown): KeyValueStore;
/**
 * A Deno KV handle (`await Deno.openKv()`); strongly consistent. Needs `--unstable-kv`.
 * @example
 * const ap = new AppPasswords({ store: denoKvStore(await Deno.openKv()) });
 */
export function denoKvStore(kv: unknown, options?: { base?: string }): KeyValueStore;
/**
 * A connected node-redis (v4, v5) or ioredis (v5) client; strongly consistent. MGET for bulk
 * reads, INCRBY for `increment`, SCAN for `list`. Create node-redis clients with
 * `disableOfflineQueue: true` (ioredis: `enableOfflineQueue: false`) or pass `storeTimeoutMs`, so
 * calls fail while Redis is down instead of waiting for it.
 * @example
 * const client = await createClient({ url: "redis://127.0.0.1:6379" }).connect();
 * const ap = new AppPasswords({ store: redisStore(client) });
 */
export function redisStore(client: unknown): KeyValueStore;
/**
 * A Durable Object's storage (`ctx.storage`, inside the object); or the namespace binding of a
 * class that serves this store (`AppPasswordsDurableObject`), whose object `options.name`
 * (default "app-passwords") answers every call; or a stub of such an object (valid only within
 * the request that made it). Strongly consistent: a revoke is seen at once everywhere. Bulk
 * reads and an atomic `increment`.
 * @example
 * // Inside a Durable Object:
 * const ap = new AppPasswords({ store: durableObjectStore(this.ctx.storage) });
 * // In a Worker (the service may be kept across requests):
 * const ap2 = new AppPasswords({ store: durableObjectStore(env.APP_PASSWORDS_DO) });
 */
export function durableObjectStore(storageOrStub: unknown, options?: { name?: string }): KeyValueStore;
/**
 * Answers one `durableObjectStore(stub)` request inside a Durable Object, from its storage.
 * @example
 * export class MyObject { constructor(state) { this.state = state; }
 *   fetch(request) { return serveDurableObjectStore(this.state.storage, request); } }
 */
export function serveDurableObjectStore(storage: unknown, request: Request): Promise<Response>;
/**
 * A Durable Object class serving `durableObjectStore(stub)`: export it from the Worker and bind it.
 * @example
 * export { AppPasswordsDurableObject } from "app-passwords";
 */
export class AppPasswordsDurableObject {
  constructor(state: { storage: unknown }, env?: unknown);
  fetch(request: Request): Promise<Response>;
}
/**
 * Wraps a store so that any call slower than `ms` fails with `store_timeout` (fail closed).
 * Same as the `storeTimeoutMs` option.
 * @example
 * const store = withTimeout(workersKvStore(env.APP_PASSWORDS), 2000);
 */
export function withTimeout(store: KeyValueStore, ms: number): KeyValueStore;
