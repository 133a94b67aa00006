// "Generate in this browser": the password is made and hashed here, by the package's WebAssembly
// (mintAppPassword), with the server's prefix and hashing profile; the server receives only the
// id and the Argon2id hash and stores them with createFromHash. The package is loaded on first
// use, from the copy the host serves under vendor/ (examples/host/vendor.mjs).

import { getMintingProfile } from "./api.js";

const PACKAGE = new URL("./vendor/app-passwords/slim.js", import.meta.url);
const WASM = new URL("./vendor/app-passwords/app_passwords_bg.wasm", import.meta.url);

let profile = null;
let loading = null;

/** Whether the server accepts passwords minted here (not when it hashes with a pepper). */
export async function mintingAvailable() {
  try {
    profile = await getMintingProfile();
  } catch {
    profile = null;
  }
  return Boolean(profile && profile.available);
}

function loadPackage() {
  loading ??= import(PACKAGE.href).then(
    async (pkg) => {
      await pkg.initialize(WASM);
      return pkg;
    },
    (err) => {
      loading = null; // a failed load may be retried
      throw err;
    },
  );
  return loading;
}

/** `{id, password, phc}`, minted here with the server's profile. */
export async function mintHere() {
  if (!profile) await mintingAvailable();
  if (!profile || !profile.available) throw new Error("This server does not accept passwords generated in the browser.");
  const pkg = await loadPackage();
  return pkg.mintAppPassword({ prefix: profile.prefix, hashing: profile.hashing });
}
