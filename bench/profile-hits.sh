#!/usr/bin/env bash
# Profiles cache hits (bench/profile-hits.mjs): bash bench/profile-hits.sh [verify|verifyRequest]
# Needs `make pkg` first: it reuses pkg/ with the release wasm of target/wasm-nightly, bound
# again by wasm-bindgen with its names kept and optimised by wasm-opt -O3 keeping them (the
# shipped build strips them; the code is the same release build of the crates).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
wasm="${CARGO_TARGET_DIR:-target}/wasm-nightly/wasm32-unknown-unknown/release/app_passwords.wasm"
[ -f pkg/node.js ] && [ -f "$wasm" ] || { echo "profile-hits: run make pkg first" >&2; exit 1; }
bash scripts/tools.sh wasm-bindgen npm
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -a pkg "$work/pkg"
wasm-bindgen --target web --no-typescript --keep-debug --out-dir "$work/pkg" --out-name app_passwords "$wasm"
node_modules/.bin/wasm-opt -O3 --debuginfo --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-reference-types --enable-sign-ext --enable-mutable-globals --enable-simd \
  "$work/pkg/app_passwords_bg.wasm" -o "$work/pkg/app_passwords_bg.wasm"
node --cpu-prof --cpu-prof-dir "$work/profile" bench/profile-hits.mjs loop "$work/pkg" "${1:-verify}"
node bench/profile-hits.mjs summary "$work"/profile/*.cpuprofile 30
