// Runs an operation of the wasm core against the host store. The core decides every store
// call (sans-I/O: bindings/wasm/src/operation.rs); this loop only makes each call, awaits it
// and hands back what the store answered or threw. So the wasm holds no async code.

/**
 * Runs `operation` (an `Operation` of the core) on `store` to its end and resolves to its
 * output; rejects with the operation's `AppPasswordError`.
 */
export async function drive(store, operation) {
  try {
    let reply;
    let failed = false;
    for (;;) {
      // A call is `[method, ...args]` (two or three items); the end is `[output]`.
      const next = operation.step(reply, failed);
      if (next.length === 1) return next[0];
      try {
        reply = await perform(store, next);
        failed = false;
      } catch (error) {
        reply = error;
        failed = true;
      }
    }
  } finally {
    operation.free();
  }
}

/**
 * One call: `[method, ...args]`. A bulk read comes as batches of keys (the core keeps each within
 * the store's limit): one `getMany` per batch, all at once.
 */
function perform(store, [method, ...args]) {
  if (method !== "getMany") return store[method](...args);
  return Promise.all(args[0].map((keys) => store.getMany(keys)));
}
