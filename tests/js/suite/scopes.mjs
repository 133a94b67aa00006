// Scopes: the catalogue, satisfies / missing, vectors/scopes.json.

import { deepEqual, equal, ok } from "../assert.mjs";
import { each } from "./support.mjs";

/** Registers this topic's tests through `ctx` (see ./support.mjs `context`). */
export function define(ctx) {
  const { t, runtime, api, SC, rejectsHost, throwsArg, harness } = ctx;

  t(`[${runtime}] scopes.catalog(): 26 entries with closure arrays`, async () => {
    const cat = api.scopes.catalog();
    equal(cat.length, 26);
    equal(cat.length, SC.catalog_size);
    const all = SC.sets[SC.sets.length - 1];
    deepEqual(cat.map((s) => s.name), all.names, "catalogue order (scopes.json)");
    for (const s of cat) {
      deepEqual(Object.keys(s).sort(), ["closure", "grantable", "group", "implies", "level", "name"], s.name);
      equal(typeof s.name, "string");
      equal(typeof s.group, "string");
      equal(typeof s.level, "string");
      equal(typeof s.grantable, "boolean");
      ok(Array.isArray(s.implies) && s.implies.every((n) => typeof n === "string"), `${s.name} implies`);
      ok(Array.isArray(s.closure) && s.closure.every((n) => typeof n === "string"), `${s.name} closure`);
      ok(!s.closure.includes(s.name), `${s.name}: closure excludes itself`);
      for (const n of s.implies) ok(s.closure.includes(n), `${s.name}: closure includes what it implies`);
      deepEqual(api.scopes.normalize([s.name]), cat.map((x) => x.name).filter((n) => n === s.name || s.closure.includes(n)), `${s.name}: normalize = itself + closure`);
    }
    deepEqual(cat.filter((s) => !s.grantable).map((s) => s.name), ["workspace:admin", "account:login"]);
    for (const set of SC.sets.filter((x) => x.names.length === 1)) {
      const entry = cat.find((s) => s.name === set.names[0]);
      deepEqual([...entry.closure, entry.name].sort(), set.closure.split(" ").sort(), `${entry.name} closure per scopes.json`);
      equal(entry.grantable, set.grantable, `${entry.name} grantable`);
    }
    const { ap } = harness();
    deepEqual(ap.catalog(), cat, "AppPasswords#catalog() is the same default catalogue");
  });

  t(`[${runtime}] scopes: satisfies and missing`, async () => {
    equal(api.scopes.satisfies(["pullrequest:write"], ["repository", "repository:write"]), true);
    equal(api.scopes.satisfies(["repository"], ["repository:write"]), false);
    equal(api.scopes.satisfies(["email"], []), true);
    deepEqual(api.scopes.missing(["repository"], ["issue", "pullrequest", "repository"]), ["pullrequest", "issue"]);
    deepEqual(api.scopes.missing(["project"], ["repository"]), [], "project implies repository");
    throwsArg(() => api.scopes.satisfies(["nope"], []), "unknown_scope");
    throwsArg(() => api.scopes.missing([], ["nope"]), "unknown_scope");
  });

  t(`[${runtime}] vectors/scopes: every set encodes to "encoded" and decodes to its closure`, async () => {
    ok(SC.sets.length > 0);
    await each(SC.sets, (s) => JSON.stringify(s.names), async (s) => {
      const closure = s.closure === "" ? [] : s.closure.split(" ");
      equal(api.scopes.encode(s.names), s.encoded, "encode");
      deepEqual(api.scopes.decode(s.encoded), closure, "decode");
      deepEqual(api.scopes.normalize(s.names), closure, "normalize");
      equal(api.scopes.encode(closure), s.encoded, "encode(closure)");
      equal(closure.join(" "), s.closure, "text form");
      equal(api.scopes.satisfies(s.names, closure), true, "names satisfy their closure");
      deepEqual(api.scopes.missing(s.names, closure), []);
    });
    equal(api.scopes.encode([]), SC.empty_set.encoded, "empty set");
    deepEqual(api.scopes.decode(SC.empty_set.encoded), []);
  });

  t(`[${runtime}] vectors/scopes: every invalid encoding throws invalid_scope_encoding`, async () => {
    ok(SC.invalid_encodings.length > 0);
    await each(SC.invalid_encodings, (v) => `${v.why} ${JSON.stringify(v.encoded)}`, async (v) => {
      throwsArg(() => api.scopes.decode(v.encoded), v.error);
    });
  });

  t(`[${runtime}] vectors/scopes: unknown names throw unknown_scope`, async () => {
    ok(SC.unknown_names.length > 0);
    await each(SC.unknown_names, (v) => JSON.stringify(v.names), async (v) => {
      throwsArg(() => api.scopes.encode(v.names), v.error, "encode");
      throwsArg(() => api.scopes.normalize(v.names), v.error, "normalize");
      throwsArg(() => api.scopes.satisfies(v.names, []), v.error, "satisfies");
      const { ap } = harness();
      await rejectsHost(() => ap.create({ user: "u", label: "l", scopes: v.names }), v.error, "create");
    });
  });
}
