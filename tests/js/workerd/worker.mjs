// The test Worker (modules format): the routes in routes.mjs over a KV namespace binding
// APP_PASSWORDS. suite-worker.mjs is the same plus GET /suite.
import { handle } from "./routes.mjs";

export default {
  fetch: (request, env, ctx) => handle(request, env, ctx),
};

// Durable Object classes (bound by run.mjs).
export { AppPasswordsDurableObject, ServiceObject } from "./objects.mjs";
