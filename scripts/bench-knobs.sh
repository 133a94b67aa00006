#!/usr/bin/env bash
# Builds the wasm package in several variants (opt-level, simd128, LTO) and measures each:
# writes docs/BUILD-KNOBS.md. Several minutes: one release build per variant.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/tools.sh wasm-target wasm-bindgen npm
mkdir -p bench/.results
# bench/knobs.mjs rewrites docs/BUILD-KNOBS.md; the hand-measured section after the marker
# (size levers of the redesign, each with its command) is kept as it is.
marker='<!-- hand-measured section, kept by make bench-knobs -->'
kept="$(sed -n "/^$marker\$/,\$p" docs/BUILD-KNOBS.md)"
node bench/knobs.mjs
if [ -n "$kept" ]; then printf '\n%s\n' "$kept" >> docs/BUILD-KNOBS.md; fi
