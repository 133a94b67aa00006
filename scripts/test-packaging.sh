#!/usr/bin/env bash
# The npm package as users build it (tests/packaging/run.mjs): npm pack the built package, then
# per tool a fresh project under tests/js/.tmp/ with the tarball installed by name: wrangler 4
# (dev over HTTP with KV and a restart; deploy --dry-run), esbuild (workerd in Miniflare, browser),
# Vite 7 (build and dev server), webpack 5, Node 20/22/24 (import and require), Bun, Deno 2,
# app-passwords/slim, publint, attw and tsc (bundler, node16, nodenext).
# Installs the pinned tools (tests/packaging/package-lock.json) with npm ci when missing; builds
# pkg/ when missing. PKG_DIR overrides the package directory; extra arguments pick paths
# (e.g. `bash scripts/test-packaging.sh wrangler vite-dev`). KEEP=1 keeps the temporary projects.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
start_ms=$(( $(date +%s%N) / 1000000 ))

bash scripts/tools.sh npm chromium packaging
if [ -z "${PKG_DIR:-}" ]; then
  bash scripts/tools.sh pkg
fi
require_pkg test-packaging package.json

make_run_work tests/js/.tmp packaging

pack_pkg "$pkg_dir"
echo "==> $(basename "$tarball") from ${pkg_dir#"$root"/}"

export PACKAGING_WORK="$work" PACKAGING_TARBALL="$tarball" PACKAGING_PIDFILE="$pidfile" PACKAGING_START_MS="$start_ms"
# Never a browser download; no telemetry from the tools.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PLAYWRIGHT_BROWSERS_PATH=/nonexistent
export WRANGLER_SEND_METRICS=false DO_NOT_TRACK=1 NO_UPDATE_NOTIFIER=1
node tests/packaging/run.mjs "$@" &
runner=$!
wait "$runner"
