#!/usr/bin/env bash
# Every code sample of the documentation, run in the runtime its fence names (tests/docs/run.mjs
# says how a fence says it): README.md, pkg-template/README.md, examples/host/README.md,
# SECURITY.md and docs/*.md. The package is the one users get: `npm pack` of pkg/, installed by
# name from the tarball into a temporary project under tests/docs/.tmp/ (the packages the samples
# import besides, such as node-redis, come from tests/docs/node_modules). Redis, for the Redis
# sample, is Debian's redis-server on a loopback port of the run's own, stopped at the end.
# Needs pkg/ (make pkg). An argument filters the samples (a file name, or part of "FILE:LINE").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash scripts/tools.sh wasm-target npm docs-npm redis chromium pkg

make_work tests/docs/.tmp run
pack_pkg pkg
echo "==> packed $(basename "$tarball"); installing it by name in a new project"
project="$work/project"
mkdir -p "$project"
printf '{ "name": "docs-samples", "private": true }\n' >"$project/package.json"
install_tarball "$project"

echo "==> node $(node --version): the documented samples"
node tests/docs/run.mjs --project "$project" --work "$work" "$@"
