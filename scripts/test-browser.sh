#!/usr/bin/env bash
# The shared JS suite in headless Chromium (Debian's, driven by playwright-core; no browser is
# ever downloaded), loading the package's browser entry pkg/web.js from a local static server.
# Needs pkg/ (make pkg). PKG_DIR overrides the package directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/tools.sh npm chromium
if [ ! -f "${PKG_DIR:-pkg}/web.js" ]; then
  echo "test-browser: no package in ${PKG_DIR:-pkg}/ (run make pkg first)" >&2
  exit 1
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PLAYWRIGHT_BROWSERS_PATH=/nonexistent
exec node tests/js/browser/run.mjs
