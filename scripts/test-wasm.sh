#!/usr/bin/env bash
# The Rust core compiled to wasm32-unknown-unknown, tested through wasm-bindgen-test-runner
# (the runner set in .cargo/config.toml): tests/wasm_node.rs in Node, tests/wasm_browser.rs in
# headless Chromium (chromedriver on PATH; the runner passes --headless --no-sandbox itself).
# Both run the same bodies (tests/wasm_common/mod.rs). Fails if a suite ran no test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/tools.sh wasm-target wasm-bindgen chromium
# Seconds before the runner gives up on a browser suite (default 20; CI machines are slow).
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-180}"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
total=0
for suite in wasm_node wasm_browser; do
  echo "==> cargo test --target wasm32-unknown-unknown --test $suite"
  cargo test --target wasm32-unknown-unknown --test "$suite" 2>&1 | tee "$log"
  # pipefail made a failing cargo exit the script; also insist that tests really ran.
  n="$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log" | tail -n1)"
  if [ -z "$n" ] || [ "$n" -eq 0 ]; then
    echo "$suite: no test ran (expected 'test result: ok. N passed' with N > 0)" >&2
    exit 1
  fi
  total=$((total + n))
done
echo "wasm: $total tests passed (Node and Chromium)"
