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
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
start_ms=$(( $(date +%s%N) / 1000000 ))

bash scripts/tools.sh npm chromium packaging
if [ -z "${PKG_DIR:-}" ]; then
  bash scripts/tools.sh pkg
fi
pkg_dir="$(cd "${PKG_DIR:-pkg}" 2>/dev/null && pwd || true)"
if [ -z "$pkg_dir" ] || [ ! -f "$pkg_dir/package.json" ]; then
  echo "test-packaging: no package in ${PKG_DIR:-pkg}/ (run make pkg first)" >&2
  exit 1
fi

mkdir -p tests/js/.tmp
work="$(mktemp -d "$root/tests/js/.tmp/packaging.XXXXXX")"
pidfile="$work/pids"
: >"$pidfile"
runner=""
cleanup() {
  local status=$? pid
  # The runner stops its servers itself; this catches what it could not (killed, crashed).
  if [ -n "$runner" ] && kill -0 "$runner" 2>/dev/null; then
    kill -TERM "$runner" 2>/dev/null || true
    wait "$runner" 2>/dev/null || true
  fi
  while read -r pid; do
    [ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null || true
  done <"$pidfile"
  if [ "${KEEP:-}" = 1 ]; then
    echo "kept $work"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

npm pack "$pkg_dir" --pack-destination "$work" --silent >/dev/null
tarball=$(ls "$work"/app-passwords-*.tgz)
echo "==> $(basename "$tarball") from ${pkg_dir#"$root"/}"

export PACKAGING_WORK="$work" PACKAGING_TARBALL="$tarball" PACKAGING_PIDFILE="$pidfile" PACKAGING_START_MS="$start_ms"
# Never a browser download; no telemetry from the tools.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PLAYWRIGHT_BROWSERS_PATH=/nonexistent
export WRANGLER_SEND_METRICS=false DO_NOT_TRACK=1 NO_UPDATE_NOTIFIER=1
node tests/packaging/run.mjs "$@" &
runner=$!
wait "$runner"
