// The app-password checksum (docs/design.md#checksum), written from the design and not from the package,
// so the suites and benchmarks can make well-formed passwords and check the package's. No
// runtime-specific imports: the shared suite loads this in Node, Deno, Chromium and workerd.

export const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE, as zlib computes it) of bytes, or of a string's UTF-8 bytes. */
export function crc32(input) {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The 6-digit base62 check of a CRC, most significant digit first. */
export function checkDigits(crc) {
  let n = crc;
  let out = "";
  for (let i = 0; i < 6; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** `head` (`{prefix}_{id}{secret}`) followed by its check digits. */
export const withCheck = (head) => head + checkDigits(crc32(head));

/** `len` random characters of the alphabet (test data, not secrets: Math.random). */
export const randomBase62 = (len) =>
  Array.from({ length: len }, () => ALPHABET[Math.floor(Math.random() * 62)]).join("");
