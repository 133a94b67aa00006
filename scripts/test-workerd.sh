#!/usr/bin/env bash
# The package inside workerd (Cloudflare's runtime) through Miniflare, with a real KV
# namespace binding: HTTP flow tests, a concurrency storm (tests/js/workerd/concurrency.mjs:
# 1,200 mixed requests, 50 in flight, on KV and on an isolate memory store), then the shared JS
# suite (tests/js/suite.mjs and tests/js/suite/) run inside the Worker. Builds pkg/ first if it is missing. Extra
# arguments go to run.mjs (a test-name filter; "suite" runs only the shared suite,
# "concurrency" only the storm).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash scripts/tools.sh npm pkg
exec node tests/js/workerd/run.mjs "$@"
