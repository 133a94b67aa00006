#!/usr/bin/env bash
# `make bench`: the benchmarks behind docs/design.md#hashing, written to docs/BENCHMARKS.md.
# Installs what it needs when missing: the root dev tools (Miniflare, playwright-core, wasm-opt),
# Chromium, the package in pkg/, and the peers in bench/ (pinned in bench/package-lock.json).
# BENCH_QUICK=1: fewer rounds (about 1 minute instead of about 5). Extra arguments go to
# bench/run.mjs (section names run only those sections and leave the document alone).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/tools.sh npm chromium pkg
if [ ! -d bench/node_modules ]; then
  echo "==> npm ci in bench/ (the peers: hash-wasm, @node-rs/argon2, argon2, @noble/hashes)"
  (cd bench && npm ci --no-audit --no-fund)
fi
exec node bench/run.mjs "$@"
