// Node runner of the shared suite (`node --test`). scripts/test-node.sh copies this file,
// ../suite.mjs, ../assert.mjs and ../../vectors/*.json, keeping their relative layout, into a
// temporary project where the packed tarball is installed, so `app-passwords` below is the
// published package resolved by name under the `node` condition.
import { test } from "node:test";
import { readFile } from "node:fs/promises";
import * as api from "app-passwords";
import { defineSuite } from "../suite.mjs";

const vectorsDir = new URL("../../vectors/", import.meta.url);
const load = async (name) => JSON.parse(await readFile(new URL(`${name}.json`, vectorsDir), "utf8"));
const vectors = {
  passwords: await load("passwords"),
  scopes: await load("scopes"),
  phc: await load("phc"),
  records: await load("records"),
};

const count = defineSuite({ test, api, vectors, runtime: "node" });
if (!(count > 0)) {
  test("the shared suite registered tests", () => {
    throw new Error(`defineSuite registered ${count} tests`);
  });
}
