// Runs an operation of the wasm core against the host store. The core decides every store
// call (sans-I/O: bindings/wasm/src/operation.rs); this loop only makes each call, awaits it
// and hands back what the store answered or threw. So the wasm holds no async code.

/** Most keys one `getMany` call takes (Workers KV's bulk get limit). */
const MAX_GET_MANY = 100;

/**
 * Runs `operation` (an `Operation` of the core) on `store` to its end and resolves to its
 * output; rejects with the operation's `AppPasswordError`.
 */
export async function drive(store, operation) {
  try {
    let reply;
    let failed = false;
    for (let call = operation.step(reply, failed); call !== undefined; call = operation.step(reply, failed)) {
      try {
        reply = await perform(store, call);
        failed = false;
      } catch (error) {
        reply = error;
        failed = true;
      }
    }
    return operation.output();
  } finally {
    operation.free();
  }
}

/** One call: `[method, ...args]`; a bulk read of any number of keys, 100 a call, concurrently. */
function perform(store, [method, ...args]) {
  if (method !== "getMany") return store[method](...args);
  const [keys] = args;
  const calls = [];
  for (let i = 0; i < keys.length; i += MAX_GET_MANY) calls.push(store.getMany(keys.slice(i, i + MAX_GET_MANY)));
  return Promise.all(calls);
}
