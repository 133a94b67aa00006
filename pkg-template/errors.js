// The package's error class. It lives apart from api.js so that the start-up code
// (internal.js) and the API can both use it without importing each other.

/** An error with a stable `code` (e.g. `store_unavailable`, `unknown_scope`, `not_initialized`). */
export class AppPasswordError extends Error {
  /**
   * @param {string} message
   * @param {string} code
   */
  constructor(message, code) {
    super(message);
    this.name = "AppPasswordError";
    this.code = code;
  }
}

/**
 * Whether `value` is an error thrown by this package. Checks the shape, not `instanceof`, so it
 * also holds for an error from another copy of the package (two bundles, a worker thread).
 * @param {unknown} value
 * @returns {value is AppPasswordError}
 */
export function isAppPasswordError(value) {
  return (
    value instanceof Error &&
    value.name === "AppPasswordError" &&
    typeof (/** @type {{ code?: unknown }} */ (value).code) === "string"
  );
}
