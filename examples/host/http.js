// HTTP plumbing of the example host: JSON errors, the security headers, request bodies read
// with a size cap while they stream in, cookies, the same-origin check. Nothing here knows
// about app passwords.

/** The largest request body accepted, in bytes (the JSON bodies here are a few hundred). */
export const MAX_BODY_BYTES = 16 * 1024;

const CSP = [
  "default-src 'self'",
  // wasm-unsafe-eval: the page compiles the package's WebAssembly to mint in the browser; it
  // allows WebAssembly compilation only, not eval or inline script.
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

/** A refusal the router turns into `{error: {code, message, ...extra}}` with `status`. */
export class HttpError extends Error {
  constructor(status, code, message, { extra = {}, headers = {} } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
    this.headers = headers;
  }
}

export function json(status, body, headers = {}) {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: body === null ? headers : { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** `{error: {code, message}}`; never a WWW-Authenticate header (session routes use this). */
export function errorResponse(status, code, message, { extra = {}, headers = {} } = {}) {
  return json(status, { error: { code, message, ...extra } }, headers);
}

export function methodNotAllowed(allowed) {
  return errorResponse(405, "method_not_allowed", "Method not allowed.", { headers: { allow: allowed.join(", ") } });
}

/** Security headers on every response; `no-store` on everything but the static page. */
export function secure(response, { api }) {
  const out = new Response(response.body, response);
  const h = out.headers;
  h.set("content-security-policy", CSP);
  h.set("x-content-type-options", "nosniff");
  h.set("referrer-policy", "no-referrer");
  h.set("x-frame-options", "DENY");
  h.set("cross-origin-opener-policy", "same-origin");
  h.set("cross-origin-resource-policy", "same-origin");
  if (api) h.set("cache-control", "no-store");
  else if (!h.has("cache-control")) h.set("cache-control", "no-cache");
  return out;
}

export function isApiPath(pathname) {
  return pathname === "/login" || pathname === "/logout" || pathname === "/api" || pathname.startsWith("/api/");
}

/** Cross-site protection for every state-changing request (README.md, "Cross-site protection"). */
export function checkSameOrigin(request, url) {
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== url.origin) {
    throw new HttpError(403, "cross_site", "Cross-site requests are not accepted.");
  }
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    throw new HttpError(403, "cross_site", "Cross-site requests are not accepted.");
  }
}

function tooLarge() {
  return new HttpError(413, "body_too_large", `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
}

/**
 * The body's bytes, read chunk by chunk: past `max` bytes the stream is cancelled and 413
 * thrown, so a large (or endless, chunked) body is never held in memory. A declared
 * Content-Length over `max` is refused before anything is read.
 */
async function readCapped(request, max) {
  const declared = request.headers.get("content-length");
  if (declared !== null && !(Number(declared) <= max)) throw tooLarge();
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

function isJson(request) {
  const type = (request.headers.get("content-type") || "").split(";")[0].trim().toLowerCase();
  return type === "application/json";
}

/** The JSON object of the body; 415 unless Content-Type is application/json; 413 past the cap. */
export async function readJson(request) {
  if (!isJson(request)) {
    throw new HttpError(415, "unsupported_media_type", "Send a JSON body with Content-Type: application/json.");
  }
  const bytes = await readCapped(request, MAX_BODY_BYTES);
  let value;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError(400, "invalid_json", "The request body is not valid JSON.");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, "invalid_json", "The request body must be a JSON object.");
  }
  return value;
}

/** DELETE takes no body: the first non-empty chunk is refused (and the rest never read). */
export async function requireNoBody(request) {
  const declared = request.headers.get("content-length");
  if (declared !== null && declared !== "0") throw new HttpError(400, "body_not_allowed", "This request takes no body.");
  if (!request.body) return;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (value.byteLength) {
      reader.cancel().catch(() => {});
      throw new HttpError(400, "body_not_allowed", "This request takes no body.");
    }
  }
}

/** Reads what is left of a small request body, so that the connection can be kept alive. */
export async function drain(request) {
  if (!request.body || request.bodyUsed) return;
  const length = Number(request.headers.get("content-length") ?? NaN);
  try {
    if (length <= MAX_BODY_BYTES) await request.arrayBuffer();
    else await request.body.cancel();
  } catch {
    // the client went away
  }
}

/** The value of cookie `name`, or null. */
export function cookie(request, name) {
  const header = request.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function base64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** `n` bytes from the CSPRNG, base64url. */
export function randomToken(n) {
  return base64url(crypto.getRandomValues(new Uint8Array(n)));
}

export async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** An error message as a sentence. */
export function friendly(message) {
  const text = String(message || "").trim();
  if (!text) return "The request was refused.";
  const first = text[0].toUpperCase() + text.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
