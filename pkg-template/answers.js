// Verify answers from the JSON text the wasm writes (the glue imports `answer`:
// bindings/wasm/src/answers.rs). A server gives the same few answers again and again: the cache
// hits of its clients' passwords and a handful of refusals. Parsing the text was a sixth of a
// cache hit; copying an object parsed before costs a fraction of that.

/**
 * Parsed answers by their text; cleared when full, so a stream of new answers cannot grow it.
 * With more distinct answers than this in rotation (a cache of over a thousand passwords, all
 * in use) most calls parse again, and pay about 1.4 times a plain `JSON.parse` instead of a
 * tenth of it (`node bench/answers.mjs`).
 */
const parsed = new Map();
const MOST_REMEMBERED = 1024;

/**
 * The answer `text` stands for, as a new object each call (a caller may change what it gets).
 * @param {string} text
 */
export function answer(text) {
  let known = parsed.get(text);
  if (known === undefined) {
    known = JSON.parse(text);
    if (parsed.size >= MOST_REMEMBERED) parsed.clear();
    parsed.set(text, known);
  }
  const copy = { ...known };
  // The only nested values of an answer are the scope lists.
  if (copy.scopes) copy.scopes = copy.scopes.slice();
  if (copy.missing) copy.missing = copy.missing.slice();
  return copy;
}
