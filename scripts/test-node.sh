#!/usr/bin/env bash
# The shared JS suite in Node, against the package as published: `npm pack` of pkg/, installed
# from the tarball into a throwaway project, imported there by name ("app-passwords").
# Needs pkg/ (make pkg). PKG_DIR overrides the package directory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash scripts/tools.sh npm
require_pkg test-node package.json
make_work tests/js/.tmp node
timer_start

# Pack into the work dir (no scripts run: the package has none, and none should run here).
pack_pkg "$pkg_dir"
echo "==> packed $(basename "$tarball") ($(stat -c %s "$tarball") bytes)"

# A consumer project: install the tarball offline (it has no dependencies: no registry needed).
project="$work/project"
mkdir -p "$project/tests/js/node" "$project/tests/js/suite" "$project/tests/vectors"
printf '{ "name": "app-passwords-consumer", "private": true, "type": "module" }\n' >"$project/package.json"
install_tarball "$project" --no-package-lock
test -f "$project/node_modules/app-passwords/package.json"
cp tests/js/suite.mjs tests/js/assert.mjs tests/js/checksum.mjs "$project/tests/js/"
cp tests/js/suite/*.mjs "$project/tests/js/suite/"
cp tests/js/node/run.test.mjs tests/js/node/package.test.mjs "$project/tests/js/node/"
cp tests/vectors/*.json "$project/tests/vectors/"

echo "==> node $(node --version): node --test (package checks + shared suite)"
cd "$project"
APP_PASSWORDS_PACK_JSON="$work/pack.json" node_test "$work/tap.txt" \
  tests/js/node/package.test.mjs tests/js/node/run.test.mjs
tap_counts "$work/tap.txt"
finish node
