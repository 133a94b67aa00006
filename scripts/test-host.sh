#!/usr/bin/env bash
# The example host's tests: HTTP and in-process (tests/host/*.test.mjs) and end to end in headless Chromium
# (tests/e2e/). Each file starts the host itself (workerd through Miniflare) on a free port of
# 127.0.0.1 over a temporary data folder, and always stops it.
# Prints one line per test and ends with "N passed, M failed"; exits non-zero on any failure
# or when no test ran.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/tools.sh npm chromium pkg

tap="$(mktemp -t app-passwords-host-tap.XXXXXX)"
trap 'rm -f "$tap"' EXIT
start=$(date +%s)
status=0
node --test --test-concurrency=1 --test-timeout=180000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  tests/host/*.test.mjs tests/e2e/page.test.mjs || status=$?

# The TAP summary counts tests (suites are not counted in `# pass` / `# fail`).
passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -n1)
failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -n1)
cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$tap" | tail -n1)
passed=${passed:-0}
failed=$(( ${failed:-0} + ${cancelled:-0} ))
echo "example host tests: $(( $(date +%s) - start )) s"
echo "${passed} passed, ${failed} failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
