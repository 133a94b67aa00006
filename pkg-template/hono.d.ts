// Types of "app-passwords/hono": Hono middleware over an AppPasswords instance.
import type { Context, MiddlewareHandler } from "hono";
import type { AppPasswords } from "./index.js";

/** What `appPasswordAuth` sets as `c.var.appPassword` for a granted request. */
export interface AppPasswordInfo {
  readonly user: string;
  readonly id: string;
  readonly label: string;
  /** The password's scopes, closed under implication. */
  readonly scopes: readonly string[];
}

/** Hono `Variables` with `appPassword`: `new Hono<{ Variables: AppPasswordVariables }>()`. */
export type AppPasswordVariables = { appPassword: AppPasswordInfo };

/** The Hono environment the middleware declares. */
export type AppPasswordEnv = { Variables: AppPasswordVariables };

export interface AppPasswordAuthOptions {
  /**
   * The service, `new AppPasswords({ store })` with your runtime's store; or a function of the
   * context that answers it, for a store that needs the request's environment (a Worker's
   * `c.env` bindings). Create it once and keep it (an instance remembers when it last wrote each
   * password's `lastUsedAt`).
   */
  appPasswords: AppPasswords | ((c: Context) => AppPasswords | Promise<AppPasswords>);
  /** Scopes every request through this middleware needs (403 `insufficient_scope` with `missing`). */
  require?: string[];
  /**
   * The client's address, as your platform provides it (e.g. `c.req.header("cf-connecting-ip")`
   * on Workers): passed to `verifyRequest` as `clientIp`, for passwords with `allowIps` /
   * `denyIps` caveats (without it they are refused). The middleware never guesses it from
   * `X-Forwarded-For`.
   */
  clientIp?: (c: Context) => string | null | undefined | Promise<string | null | undefined>;
}

/**
 * Verifies the request's `Authorization: Basic` app password. Granted: `c.var.appPassword` is
 * `{ user, id, label, scopes }` and the next handler runs. Refused: the answer is
 * `appPasswords.unauthorized(result)`: 401 with `WWW-Authenticate: Basic`, or 403.
 * @example
 * import { Hono } from "hono";
 * import { appPasswordAuth, requireScopes } from "app-passwords/hono";
 * const app = new Hono();
 * app.use("/api/*", appPasswordAuth({ appPasswords }));
 * app.get("/api/repos", requireScopes("repository"), (c) => c.json({ user: c.var.appPassword.user }));
 */
export function appPasswordAuth(options: AppPasswordAuthOptions): MiddlewareHandler<AppPasswordEnv>;

/**
 * Per route, after `appPasswordAuth`: 403 `insufficient_scope` with `missing` (the body of
 * `unauthorized`) unless the password holds every named scope; 403
 * `not_allowed_for_app_passwords` for a scope no app password may hold. An unknown name throws
 * `AppPasswordError` `unknown_scope`.
 * @example
 * app.delete("/api/repos/:name", requireScopes("repository:delete"), handler);
 */
export function requireScopes(...scopes: string[]): MiddlewareHandler<AppPasswordEnv>;
