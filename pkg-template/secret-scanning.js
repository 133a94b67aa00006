// GitHub's secret scanning partner endpoint (docs/secret-scanning.md): GitHub POSTs the app
// passwords it found in public code, signed with one of its ECDSA P-256 keys; we check the
// signature with WebCrypto, revoke each token that is a real password (reportLeaked: the
// checksum first, then the secret against the stored hash), and answer one label per token.
// Only what only JavaScript can do is here (Request, Response, WebCrypto); the decision about
// each token is the core's.

import { AppPasswordError } from "./errors.js";

/** Largest report body read (GitHub sends small batches; a 100-token report is about 20 KB). */
export const MAX_REPORT_BYTES = 1024 * 1024;
/** Most tokens handled in one report: within Workers KV's 1,000 operations per invocation. */
export const MAX_REPORT_TOKENS = 150;

const encoder = new TextEncoder();

function answer(status, body) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

const refuse = (status, message) => answer(status, { error: { code: status === 401 ? "bad_signature" : "bad_request", message } });

function base64ToBytes(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(text.trim())) return null;
  try {
    const binary = atob(text.trim());
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

/** The DER body of a PEM `PUBLIC KEY` block, or null. */
export function pemToSpki(pem) {
  if (typeof pem !== "string") return null;
  const match = /-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----/.exec(pem);
  return match ? base64ToBytes(match[1].replace(/\s+/g, "")) : null;
}

/**
 * A DER ECDSA signature (SEQUENCE { INTEGER r, INTEGER s }) as the 64-byte r || s WebCrypto
 * verifies (IEEE P1363), or null when it is not exactly that shape for P-256.
 */
export function derToP1363(der) {
  if (!(der instanceof Uint8Array) || der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return null;
  const out = new Uint8Array(64);
  let at = 2;
  for (let half = 0; half < 2; half++) {
    if (der[at] !== 0x02) return null;
    const len = der[at + 1];
    if (len < 1 || len > 33 || at + 2 + len > der.length) return null;
    let int = der.subarray(at + 2, at + 2 + len);
    // DER: a leading zero only to keep a high bit positive, never a negative number.
    if (int[0] & 0x80) return null;
    if (int.length > 1 && int[0] === 0 && !(int[1] & 0x80)) return null;
    if (int.length === 33) int = int.subarray(1);
    out.set(int, half * 32 + (32 - int.length));
    at += 2 + len;
  }
  return at === der.length ? out : null;
}

async function sha256Hex(text) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function readBody(request) {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > MAX_REPORT_BYTES) return null;
  if (!request.body) return new Uint8Array(await request.arrayBuffer());
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_REPORT_BYTES) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

/** Whether `signature` (base64 DER) is the key `keyId`'s signature of `body`. */
async function signedByGitHub(body, keyId, signature, publicKeys) {
  const doc = typeof publicKeys === "function" ? await publicKeys(keyId) : publicKeys;
  const keys = doc && Array.isArray(doc.public_keys) ? doc.public_keys : [];
  const entry = keys.find((k) => k && k.key_identifier === keyId);
  const spki = entry && pemToSpki(entry.key);
  const raw = derToP1363(base64ToBytes(signature));
  if (!spki || !raw) return false;
  try {
    const key = await crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, raw, body);
  } catch {
    return false;
  }
}

/** The report's items, or null when the body is not a JSON array of `{ token: string, ... }`. */
function parseReport(body) {
  let items;
  try {
    items = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return null;
  }
  if (!Array.isArray(items) || items.length > MAX_REPORT_TOKENS) return null;
  const ok = items.every(
    (i) => i && typeof i === "object" && typeof i.token === "string" && i.token.length <= 1024 && (i.type === undefined || typeof i.type === "string"),
  );
  return ok ? items : null;
}

/**
 * Handles one POST of GitHub's secret scanning partner program for the service `ap`.
 * Answers 401 (missing or bad signature, unknown key) or 400 (malformed body) without any store
 * call; else revokes every token that is a real password and answers 200 with
 * `[{ token_hash, token_type, label }]`.
 */
export async function handleSecretScanningReport(ap, request, options = {}) {
  const { publicKeys, onLeak } = options ?? {};
  if (!publicKeys || (typeof publicKeys !== "function" && typeof publicKeys !== "object")) {
    throw new AppPasswordError("handleSecretScanningReport needs publicKeys (the document or a function)", "invalid_argument");
  }
  if (!request || !request.headers || typeof request.headers.get !== "function") {
    throw new AppPasswordError("handleSecretScanningReport needs a Request", "invalid_argument");
  }
  const keyId = request.headers.get("github-public-key-identifier");
  const signature = request.headers.get("github-public-key-signature");
  if (!keyId || !signature) return refuse(401, "missing Github-Public-Key-Identifier or Github-Public-Key-Signature");
  const body = await readBody(request);
  if (!body) return refuse(400, "report too large");
  if (!(await signedByGitHub(body, keyId, signature, publicKeys))) return refuse(401, "signature does not verify");
  const items = parseReport(body);
  if (!items) return refuse(400, "the body must be a JSON array of { token, type, url, source }");

  const out = [];
  const seen = new Map();
  // One token after the other: each real one costs about six store operations and one Argon2
  // run; a batch of MAX_REPORT_TOKENS stays within Workers KV's 1,000 operations per request.
  for (const item of items) {
    let report = seen.get(item.token);
    if (!report) {
      report = await ap.reportLeaked(item.token);
      seen.set(item.token, report);
      if (report.found && typeof onLeak === "function") {
        await onLeak({ id: report.id, user: report.user, revoked: report.revoked, type: item.type, url: item.url, source: item.source });
      }
    }
    out.push({
      token_hash: await sha256Hex(item.token),
      token_type: item.type ?? "",
      label: report.found ? "true_positive" : "false_positive",
    });
  }
  return answer(200, out);
}
