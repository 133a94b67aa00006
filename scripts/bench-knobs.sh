#!/usr/bin/env bash
# Builds the wasm package in several variants (opt-level, simd128, LTO) and measures each:
# writes docs/BUILD-KNOBS.md. Several minutes: one release build per variant.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/tools.sh wasm-target wasm-bindgen npm
mkdir -p bench/.results
node bench/knobs.mjs
