// Durable Object classes of the test Worker (exported by worker.mjs and suite-worker.mjs, bound
// by run.mjs through Miniflare's `durableObjects`):
//   AP_STORE   -> AppPasswordsDurableObject, the package's class serving durableObjectStore(stub)
//   AP_SERVICE -> ServiceObject: the routes of routes.mjs run inside the object, the service over
//                 durableObjectStore(this.state.storage) (x-store: do-inside)
import { handle, pkg } from "./routes.mjs";

export const { AppPasswordsDurableObject } = pkg;

export class ServiceObject {
  constructor(state, env) {
    this.state = state;
    this.env = env;
  }

  fetch(request) {
    const ctx = { waitUntil: (p) => (typeof this.state.waitUntil === "function" ? this.state.waitUntil(p) : p) };
    return handle(request, this.env, ctx, null, this.state.storage);
  }
}
