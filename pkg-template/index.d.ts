// Types of the app-passwords package. Times are epoch milliseconds.

/** The host's key-value store (SPEC section 4). All methods are async. */
export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string, cursor?: string): Promise<{ keys: string[]; cursor?: string }>;
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
  /** `lastUsedAt` is written at most once per interval per password and isolate (default 60000). */
  touchIntervalMs?: number;
  /** Keeps the background `lastUsedAt` write alive, e.g. `(p) => ctx.waitUntil(p)` on Workers. */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Receives errors of background writes (they never change a verify's answer). */
  onError?: (error: unknown) => void;
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

export interface CreateOptions {
  user: string;
  /** 1 to 255 characters. */
  label: string;
  /** Non-empty; grantable scopes only; closed under implication before storing. */
  scopes: string[];
  expiresAt?: number | Date;
}

export interface CreatedAppPassword {
  id: string;
  /** Shown once: it is never available again. */
  password: string;
  label: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
}

export interface ListedAppPassword {
  id: string;
  label: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

export interface VerifyOptions {
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
  | "not_allowed_for_app_passwords";

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

export class AppPasswords {
  constructor(options: AppPasswordsOptions);
  create(options: CreateOptions): Promise<CreatedAppPassword>;
  list(user: string): Promise<ListedAppPassword[]>;
  revoke(user: string, id: string): Promise<boolean>;
  verify(options: VerifyOptions): Promise<VerifyResult>;
  verifyRequest(
    request: Request | { headers: Headers | Record<string, string | string[] | undefined> },
    options?: { require?: string[]; waitUntil?: (promise: Promise<unknown>) => void },
  ): Promise<VerifyResult>;
  /** 401 with `WWW-Authenticate: Basic`, or 403, with a JSON body `{ error: { code, message, missing? } }`. */
  unauthorized(result: VerifyResult): Response;
  catalog(): ScopeInfo[];
  readonly prefix: string;
}

/** Thrown for bad arguments and host failures; `code` is stable. */
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
    | (string & {});
}

export function generatePassword(options?: { prefix?: string }): { id: string; password: string };
export function looksLikeAppPassword(candidate: string): boolean;
export function hashPassword(password: string, params?: HashParams | "owasp"): string;
export function verifyPasswordHash(password: string, phc: string): boolean;

export const scopes: {
  catalog(catalog?: CatalogDefinition | string): ScopeInfo[];
  normalize(names: string[], catalog?: CatalogDefinition | string): string[];
  encode(names: string[], catalog?: CatalogDefinition | string): string;
  decode(encoded: string, catalog?: CatalogDefinition | string): string[];
  satisfies(granted: string[], required: string[], catalog?: CatalogDefinition | string): boolean;
  missing(granted: string[], required: string[], catalog?: CatalogDefinition | string): string[];
};

export function memoryStore(map?: Map<string, string>): KeyValueStore;
export function workersKvStore(namespace: unknown): KeyValueStore;
export function denoKvStore(kv: unknown, options?: { base?: string }): KeyValueStore;
export function redisStore(client: unknown): KeyValueStore;
export function withTimeout(store: KeyValueStore, ms: number): KeyValueStore;
