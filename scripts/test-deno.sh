#!/usr/bin/env bash
# The shared JS suite in Deno (deno test), plus Deno KV through denoKvStore, and a type check of
# the package's index.d.ts (deno check). The package is pkg/web.js (its `deno` export), imported
# by name through tests/js/deno/import_map.json. Read permission only: no network, no env, no
# write; nothing is downloaded (--no-remote --no-npm, no config, no lockfile).
# Needs pkg/ (make pkg). PKG_DIR overrides the package directory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash scripts/tools.sh npm

deno="$root/node_modules/@deno/linux-x64-glibc/deno" # the .bin/deno wrapper is a Node script
require_pkg test-deno web.js
make_work tests/js/.tmp deno
# DENO_DIR holds only Deno's own caches (type-check results); it stays between runs, gitignored.
export DENO_DIR="$root/tests/js/.tmp/deno-dir" DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1 NO_COLOR=1
import_map="tests/js/deno/import_map.json"
if [ "$pkg_dir" != "$root/pkg" ]; then
  import_map="$work/import_map.json"
  printf '{ "imports": { "app-passwords": "file://%s/web.js", "app-passwords/": "file://%s/" } }\n' "$pkg_dir" "$pkg_dir" >"$import_map"
fi
flags=(--no-config --no-lock --no-remote --no-npm --import-map "$import_map")
timer_start

echo "==> $("$deno" --version | head -n1): deno check (index.d.ts against the documented API)"
"$deno" check "${flags[@]}" tests/js/deno/types_check.ts

echo "==> deno test (shared suite + Deno KV)"
set +e
"$deno" test "${flags[@]}" --unstable-kv --allow-read="$pkg_dir,$root/tests" \
  tests/js/deno/run.test.mjs 2>&1 | tee "$work/out.txt"
status=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$work/out.txt" | tail -n1 || true)
passed=$(sed -n 's/.*| \([0-9]*\) passed.*/\1/p' <<<"$summary")
failed=$(sed -n 's/.*| \([0-9]*\) failed.*/\1/p' <<<"$summary")
passed=${passed:-0}
failed=${failed:-0}
finish deno
