#!/usr/bin/env bash
# The example host's tests: HTTP and in-process (tests/host/*.test.mjs) and end to end in headless Chromium
# (tests/e2e/). Each file starts the host itself (workerd through Miniflare) on a free port of
# 127.0.0.1 over a temporary data folder, and always stops it.
# Prints one line per test and ends with "N passed, M failed"; exits non-zero on any failure
# or when no test ran.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash scripts/tools.sh npm chromium pkg

make_work tests/js/.tmp host
timer_start
node_test "$work/tap.txt" --test-concurrency=1 --test-timeout=180000 \
  tests/host/*.test.mjs tests/e2e/*.test.mjs
tap_counts "$work/tap.txt"
finish "example host tests"
