#!/usr/bin/env bash
# `make demo`: the example host on http://127.0.0.1:${PORT:-8787} (workerd through Miniflare,
# KV persisted in .data/kv). Builds pkg/ first when it is missing. Ctrl-C stops it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/tools.sh npm pkg
exec node examples/host/serve.mjs
