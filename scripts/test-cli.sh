#!/usr/bin/env bash
# `make test-cli` (tests/cli/run.mjs): the `app-passwords` command, fileStore and
# app-passwords/hono from the packed package, installed by name in fresh projects under
# tests/js/.tmp/: the CLI through `npx` on the file store and on a real redis-server (Debian's, on
# a free loopback port, stopped at the end), fileStore under kill -9 and two writers, and one Hono
# app on Node (@hono/node-server), Bun, wrangler dev and Deno. node-redis 5 and Hono come from
# tests/cli/package-lock.json; Bun, Node 22, wrangler and TypeScript from tests/packaging's.
# Builds pkg/ when missing. PKG_DIR overrides the package directory; extra arguments pick
# sections (e.g. `bash scripts/test-cli.sh cli-file hono-node`). KEEP=1 keeps the projects (scripts/lib.sh).
# Ends with "N passed, M failed".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash scripts/tools.sh npm packaging redis
if [ -z "${PKG_DIR:-}" ]; then
  bash scripts/tools.sh pkg
fi
if [ ! -d tests/cli/node_modules/redis ] || [ ! -d tests/cli/node_modules/hono ] || [ ! -d tests/cli/node_modules/@hono/node-server ] \
   || [ tests/cli/package-lock.json -nt tests/cli/node_modules/.package-lock.json ]; then
  echo "==> npm ci in tests/cli (node-redis 5, hono, @hono/node-server)"
  (cd tests/cli && npm ci --no-audit --no-fund)
fi
require_pkg test-cli package.json
make_run_work tests/js/.tmp cli

(cd "$pkg_dir" && npm pack --ignore-scripts --silent --pack-destination "$work" --cache "$work/npm-cache") >/dev/null
tarball=$(ls "$work"/app-passwords-*.tgz)
echo "==> $(basename "$tarball") from ${pkg_dir#"$root"/}; node $(node --version), $(redis-server --version | cut -d' ' -f1-3)"

export CLI_WORK="$work" CLI_TARBALL="$tarball" CLI_PIDFILE="$pidfile"
export WRANGLER_SEND_METRICS=false DO_NOT_TRACK=1 NO_UPDATE_NOTIFIER=1
node tests/cli/run.mjs "$@" &
runner=$!
wait "$runner"
