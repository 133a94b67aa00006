#!/usr/bin/env node
// Copies the package's browser files (the `app-passwords/slim` entry and its wasm) from pkg/ into
// www/vendor/app-passwords/, where the page loads them for "generate in this browser"
// (www/mint.js). serve.mjs runs it at every start; wrangler.toml's [build] runs it before a
// deploy. The copy is generated (gitignored): `make pkg` rebuilds pkg/, the next start copies it.

import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { root } from "./miniflare.mjs";

/** The package's JavaScript modules (the slim entry and whatever it imports) and its wasm. */
const wanted = (file) => file.endsWith(".js") || file === "app_passwords_bg.wasm";

/** Copies FILES from pkg/ to www/vendor/app-passwords/; returns that folder. */
export function vendorPackage() {
  const from = join(root, "pkg");
  const to = join(root, "www", "vendor", "app-passwords");
  for (const file of ["slim.js", "app_passwords_bg.wasm"]) {
    if (!existsSync(join(from, file))) throw new Error(`pkg/${file} is missing: run \`make pkg\``);
  }
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(from).filter(wanted)) copyFileSync(join(from, file), join(to, file));
  return to;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(`copied the package's browser files to ${vendorPackage()}`);
}
