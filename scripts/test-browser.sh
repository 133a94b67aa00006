#!/usr/bin/env bash
# The shared JS suite in headless Chromium (Debian's, driven by playwright-core; no browser is
# ever downloaded), loading the package's browser entry pkg/web.js from a local static server.
# Needs pkg/ (make pkg). PKG_DIR overrides the package directory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash scripts/tools.sh npm chromium
require_pkg test-browser web.js
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PLAYWRIGHT_BROWSERS_PATH=/nonexistent
exec node tests/js/browser/run.mjs
