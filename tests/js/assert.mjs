// A tiny dependency-free assert for the JS suites: it runs unchanged in Node, Deno, browsers
// and workerd (no `node:` imports, no globals beyond the language itself).

export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = "AssertionError";
  }
}

function show(value) {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "function") return `[function ${value.name || "anonymous"}]`;
  if (value instanceof Error) return `${value.name}(${JSON.stringify(value.message)}${"code" in value ? `, code ${JSON.stringify(value.code)}` : ""})`;
  if (value instanceof Uint8Array) return `Uint8Array[${Array.from(value).join(",")}]`;
  try {
    const text = JSON.stringify(value);
    if (text !== undefined) return text.length > 600 ? `${text.slice(0, 600)}…` : text;
  } catch {
    // cyclic or otherwise not JSON: fall through
  }
  return String(value);
}

function prefixed(message, text) {
  return message ? `${message}: ${text}` : text;
}

/** Fails unconditionally. */
export function fail(message = "failed") {
  throw new AssertionError(message);
}

/** `value` is truthy. */
export function ok(value, message) {
  if (!value) throw new AssertionError(prefixed(message, `expected a truthy value, got ${show(value)}`));
}

/** `Object.is(actual, expected)`. */
export function equal(actual, expected, message) {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(prefixed(message, `expected ${show(expected)}, got ${show(actual)}`));
  }
}

/** `!Object.is(actual, unexpected)`. */
export function notEqual(actual, unexpected, message) {
  if (Object.is(actual, unexpected)) {
    throw new AssertionError(prefixed(message, `expected anything but ${show(unexpected)}`));
  }
}

/** `text` matches `regexp`. */
export function match(text, regexp, message) {
  if (typeof text !== "string" || !regexp.test(text)) {
    throw new AssertionError(prefixed(message, `expected ${show(text)} to match ${regexp}`));
  }
}

function isPlainObject(value) {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Where `a` and `b` differ structurally (own enumerable keys, arrays, typed arrays), or null. */
function difference(a, b, path) {
  if (Object.is(a, b)) return null;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return `${path}: ${show(a)} vs ${show(b)}`;
    if (a.length !== b.length) return `${path}: length ${a.length} vs ${b.length} (${show(a)} vs ${show(b)})`;
    for (let i = 0; i < a.length; i++) {
      const d = difference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) {
      return `${path}: ${show(a)} vs ${show(b)}`;
    }
    if (a.length !== b.length) return `${path}: length ${a.length} vs ${b.length}`;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `${path}[${i}]: ${a[i]} vs ${b[i]}`;
    return null;
  }
  if (a instanceof Date || b instanceof Date) {
    if (!(a instanceof Date) || !(b instanceof Date) || a.getTime() !== b.getTime()) {
      return `${path}: ${show(a)} vs ${show(b)}`;
    }
    return null;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    const extra = ka.filter((k) => !(k in b) || !Object.prototype.hasOwnProperty.call(b, k));
    const lacking = kb.filter((k) => !Object.prototype.hasOwnProperty.call(a, k));
    if (extra.length || lacking.length) {
      return `${path}: keys differ (unexpected ${show(extra)}, missing ${show(lacking)})`;
    }
    for (const k of ka) {
      const d = difference(a[k], b[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return `${path}: ${show(a)} vs ${show(b)}`;
}

/** Structural equality of plain data (objects, arrays, primitives, typed arrays, dates). */
export function deepEqual(actual, expected, message) {
  const d = difference(actual, expected, "value");
  if (d) {
    throw new AssertionError(prefixed(message, `not deeply equal at ${d}\n  actual:   ${show(actual)}\n  expected: ${show(expected)}`));
  }
}

function checkError(err, expected, message, what) {
  if (expected === undefined) return err;
  if (typeof expected === "function") {
    if (!(err instanceof expected)) {
      throw new AssertionError(prefixed(message, `${what} ${show(err)}, not an instance of ${expected.name}`));
    }
    return err;
  }
  if (!(err instanceof Error)) throw new AssertionError(prefixed(message, `${what} a non-Error ${show(err)}`));
  if (expected.instanceOf && !(err instanceof expected.instanceOf)) {
    throw new AssertionError(prefixed(message, `${what} ${show(err)}, not an instance of ${expected.instanceOf.name}`));
  }
  for (const key of ["code", "name", "message"]) {
    if (!(key in expected)) continue;
    const want = expected[key];
    const got = err[key];
    const good = want instanceof RegExp ? typeof got === "string" && want.test(got) : Object.is(got, want);
    if (!good) throw new AssertionError(prefixed(message, `${what} ${show(err)}: ${key} should be ${show(want)}`));
  }
  return err;
}

/**
 * `fn()` throws synchronously. `expected`: an Error class, or `{ code?, name?, message?,
 * instanceOf? }` (strings or RegExps). Returns the error.
 */
export function throws(fn, expected, message) {
  let result;
  try {
    result = fn();
  } catch (err) {
    return checkError(err, expected, message, "threw");
  }
  throw new AssertionError(prefixed(message, `expected a throw, got a return of ${show(result)}`));
}

/**
 * `promiseOrFn` (a Promise, or a function returning one, or throwing) rejects. A synchronous
 * throw from the function counts as a rejection. Same `expected` as `throws`. Resolves to the
 * error.
 */
export async function rejects(promiseOrFn, expected, message) {
  let value;
  try {
    value = await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
  } catch (err) {
    return checkError(err, expected, message, "rejected with");
  }
  throw new AssertionError(prefixed(message, `expected a rejection, got a resolution to ${show(value)}`));
}
