#!/usr/bin/env bash
# Builds the npm package into pkg/: release wasm, wasm-bindgen (web target, which every
# runtime can load), wasm-opt from npm binaryen, and the shim from pkg-template/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${PKG_OUT:-pkg}"
# Build beside the target and swap it in at the end, so a test reading pkg/ never sees half a package.
stage="$(mktemp -d "${out%/}.build.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
chmod 755 "$stage"

# bindings/wasm-module links the bindings crate (bindings/wasm) into app_passwords.wasm.
#
# Built with a pinned nightly and -Zbuild-std so that std itself is compiled with
# panic=immediate-abort: a panic becomes a trap on the spot, and std's panic machinery (the
# message formatting of core::fmt, the hook, the location strings) is not linked at all. On
# stable, precompiled std keeps it reachable from every bounds check. That is 24 KB of the
# download (docs/BUILD-KNOBS.md). Panics are not reachable from input (clippy denies unwrap,
# expect, indexing and panic in the crates), and with panic=abort they trapped before too.
# WASM_TOOLCHAIN=stable builds the same code on stable (bigger, same behaviour).
#
# Without the reference-types and multivalue features (on by default since Rust 1.82):
# wasm-bindgen then keeps JS values in the glue's array instead of a wasm table, and every
# export shim is smaller. 1.9 KB raw and 1.1 KB gzip less; a cache hit 1-6% slower
# (bench/ab-cache.mjs), still well above its target.
target_dir="${CARGO_TARGET_DIR:-target}"
if [ "${WASM_TOOLCHAIN:-nightly}" = stable ]; then
  bash scripts/tools.sh wasm-target wasm-bindgen npm
  cargo build -p app-passwords-wasm-module --lib --release --target wasm32-unknown-unknown
  wasm="$target_dir/wasm32-unknown-unknown/release/app_passwords.wasm"
else
  bash scripts/tools.sh wasm-nightly wasm-bindgen npm
  nightly="$(sed -n 's/^WASM_NIGHTLY="\(.*\)"$/\1/p' scripts/tools.sh)"
  # Its own target dir: the stable builds of the tests keep theirs.
  RUSTFLAGS="-Ctarget-feature=+simd128,-reference-types,-multivalue -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none" \
    cargo "+$nightly" build -p app-passwords-wasm-module --lib --release --target wasm32-unknown-unknown \
    -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size --target-dir "$target_dir/wasm-nightly"
  wasm="$target_dir/wasm-nightly/wasm32-unknown-unknown/release/app_passwords.wasm"
fi
wasm-bindgen --target web --no-typescript --out-dir "$stage" --out-name app_passwords "$wasm"
# Never Debian's binaryen (old versions write modules that crash at load): the npm one only.
# --low-memory-unused lets binaryen fold `load(x + C)` into `load offset=C (x)` (C < 1024): the
# two differ only when x + C wraps past 2^32 to an address below C, which Rust's pointers never
# do; the stack's deepest kilobyte is still reached as before (x + C does not wrap there).
# 1.0 KB raw, 0.3 KB gzip (docs/BUILD-KNOBS.md, "Fifth round").
node_modules/.bin/wasm-opt -Oz --converge --low-memory-unused --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-reference-types --enable-sign-ext --enable-mutable-globals \
  "$stage/app_passwords_bg.wasm" -o "$stage/app_passwords_bg.wasm"
# Short import and export names (wasm-bindgen's carry 16-hex-digit hashes), and the glue renamed
# to match: scripts/minify-names.mjs checks every name it rewrites. -Oz once more after the
# renaming finds 0.2 KB it did not before; the target_features section is for linkers only.
node_modules/.bin/wasm-opt --minify-imports-and-exports-and-modules -Oz --strip-target-features --enable-bulk-memory \
  --enable-nontrapping-float-to-int --enable-reference-types --enable-sign-ext --enable-mutable-globals \
  "$stage/app_passwords_bg.wasm" -o "$stage/app_passwords_bg.wasm" >"$stage/names.json"
node scripts/minify-names.mjs "$stage" "$stage/names.json"
rm "$stage/names.json"
# The glue's fallback wasm URL is never taken (each entry hands it the module; slim's initialize()
# requires a source), but Vite and webpack see `new URL('app_passwords_bg.wasm', import.meta.url)`
# and copy the .wasm into every app as an unused asset: the fallback becomes an error.
fallback="module_or_path = new URL('app_passwords_bg.wasm', import.meta.url);"
if [ "$(grep -cF "$fallback" "$stage/app_passwords.js")" != 1 ]; then
  echo "build-pkg: the wasm-bindgen glue no longer has its default wasm URL; update this step" >&2
  exit 1
fi
sed -i "s|$fallback|throw new Error('app-passwords: no wasm source given');|" "$stage/app_passwords.js"
cp pkg-template/*.js pkg-template/*.d.ts pkg-template/package.json pkg-template/README.md "$stage/"
# The browser/Deno/default entry carries the wasm inside its JavaScript (see pkg-template/web.js).
node scripts/inline-wasm.mjs "$stage"
cp LICENSE-MIT LICENSE-APACHE "$stage/"
rm -rf "$out" && mv "$stage" "$out"
raw=$(stat -c %s "$out/app_passwords_bg.wasm")
gz=$(gzip -9 -c "$out/app_passwords_bg.wasm" | wc -c)
echo "$out/ built: app_passwords_bg.wasm ${raw} bytes, ${gz} gzipped"
