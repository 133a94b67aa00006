#!/usr/bin/env bash
# The shared JS suite in Node, against the package as published: `npm pack` of pkg/, installed
# from the tarball into a throwaway project, imported there by name ("app-passwords").
# Needs pkg/ (make pkg). PKG_DIR overrides the package directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/tools.sh npm

pkg_dir="$(cd "${PKG_DIR:-pkg}" 2>/dev/null && pwd || true)"
if [ -z "$pkg_dir" ] || [ ! -f "$pkg_dir/package.json" ]; then
  echo "test-node: no package in ${PKG_DIR:-pkg}/ (run make pkg first)" >&2
  exit 1
fi

mkdir -p tests/js/.tmp
work="$(mktemp -d "$root/tests/js/.tmp/node.XXXXXX")"
trap 'rm -rf "$work"' EXIT
start=$(date +%s%N)

# Pack into the work dir (no scripts run: the package has none, and none should run here).
(cd "$pkg_dir" && npm pack --ignore-scripts --json --pack-destination "$work" --cache "$work/npm-cache") >"$work/pack.json"
tarball="$work/$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].filename)' "$work/pack.json")"
echo "==> packed $(basename "$tarball") ($(stat -c %s "$tarball") bytes)"

# A consumer project: install the tarball offline (it has no dependencies: no registry needed).
project="$work/project"
mkdir -p "$project/tests/js/node" "$project/tests/vectors"
printf '{ "name": "app-passwords-consumer", "private": true, "type": "module" }\n' >"$project/package.json"
(cd "$project" && npm install --offline --no-audit --no-fund --ignore-scripts --no-package-lock \
  --cache "$work/npm-cache" "$tarball" >/dev/null)
test -f "$project/node_modules/app-passwords/package.json"
cp tests/js/suite.mjs tests/js/assert.mjs tests/js/checksum.mjs "$project/tests/js/"
cp tests/js/node/run.test.mjs tests/js/node/package.test.mjs "$project/tests/js/node/"
cp tests/vectors/*.json "$project/tests/vectors/"

echo "==> node $(node --version): node --test (package checks + shared suite)"
set +e
(cd "$project" && APP_PASSWORDS_PACK_JSON="$work/pack.json" node --test \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$work/tap.txt" \
  tests/js/node/package.test.mjs tests/js/node/run.test.mjs)
status=$?
set -e
passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$work/tap.txt" | tail -n1)
failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$work/tap.txt" | tail -n1)
passed=${passed:-0}
failed=${failed:-0}
secs=$(( ($(date +%s%N) - start) / 1000000 ))
echo "node: ${secs} ms"
echo "${passed} passed, ${failed} failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  [ "$passed" -eq 0 ] && echo "test-node: no tests ran" >&2
  exit 1
fi
