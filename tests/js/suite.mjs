// The one JS test body of the `app-passwords` package, shared by every runtime runner
// (Node, Deno, Chromium, workerd). It uses only the language, the package and web-standard
// globals (Request, Response, TextEncoder, TextDecoder, btoa): no runtime-specific API.
//
//   defineSuite({ test, api, vectors, runtime }) -> number of tests registered
//
// `test(name, asyncFn)` registers a test; `api` is the imported package (all its exports);
// `vectors` is `{ passwords, scopes, phc, records }`, the parsed tests/vectors/*.json files;
// `runtime` names the runner ("node", "deno", "chromium", "workerd", ...), used in names only.
//
// The tests live in ./suite/, one file per topic, each exporting `define(ctx)`; what they share
// (fixtures, the counting store, the harness) is ./suite/support.mjs.
//
// Costs: Argon2 runs with LIGHT parameters (m=64 KiB) everywhere except one OWASP hash pair
// (about 50-90 ms each in wasm) and the phc.json vectors (three of them use m=64 MiB).

import { context } from "./suite/support.mjs";
import * as surface from "./suite/surface.mjs";
import * as roundtrip from "./suite/roundtrip.mjs";
import * as records from "./suite/records.mjs";
import * as cache from "./suite/cache.mjs";
import * as faults from "./suite/faults.mjs";
import * as refusals from "./suite/refusals.mjs";
import * as http from "./suite/http.mjs";
import * as matrix from "./suite/matrix.mjs";
import * as consistency from "./suite/consistency.mjs";
import * as format from "./suite/format.mjs";
import * as hashing from "./suite/hashing.mjs";
import * as scopes from "./suite/scopes.mjs";
import * as stores from "./suite/stores.mjs";
import * as budget from "./suite/budget.mjs";
import * as caveats from "./suite/caveats.mjs";
import * as lifecycle from "./suite/lifecycle.mjs";
import * as minting from "./suite/minting.mjs";

export { LIGHT } from "./suite/support.mjs";

/** The topics, in the order their tests run. */
export const TOPICS = Object.freeze({ surface, roundtrip, records, cache, faults, refusals, http, matrix, consistency, format, hashing, scopes, stores, budget, caveats, lifecycle, minting });

export function defineSuite({ test, api, vectors, runtime = "unknown" }) {
  const ctx = context({ test, api, vectors, runtime });
  for (const topic of Object.values(TOPICS)) topic.define(ctx);
  return ctx.count();
}
