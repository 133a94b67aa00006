#!/usr/bin/env bash
# Installs what the build and tests need, each only when missing. Sourced or run with the
# names of the tools to ensure: wasm-target wasm-bindgen wasm-nightly npm chromium pkg redis docs-npm.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    echo "==> rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
}

# The CLI must match the wasm-bindgen crate pinned in Cargo.toml (and Cargo.lock).
wasm_bindgen_version() {
  sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"$/\1/p' "$root/Cargo.toml" | head -n1
}

ensure_wasm_bindgen() {
  local want have
  want="$(wasm_bindgen_version)"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have" != "$want" ]; then
    echo "==> cargo install wasm-bindgen-cli $want (a few minutes, once)"
    # No --locked: its lockfile names a webpki-roots release the registry here lacks.
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

ensure_npm() {
  if [ ! -x "$root/node_modules/.bin/wasm-opt" ] || [ ! -d "$root/node_modules/miniflare" ] \
     || [ ! -d "$root/node_modules/playwright-core" ] || [ ! -e "$root/node_modules/@deno/linux-x64-glibc/deno" ]; then
    echo "==> npm ci (build and test tools)"
    (cd "$root" && npm ci --no-audit --no-fund)
  fi
}

ensure_chromium() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "==> apt-get install chromium chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  fi
}

# Debian's Redis, for the Redis sample of the package README (scripts/test-docs.sh starts it on
# a loopback port of its own and stops it).
ensure_redis() {
  if ! command -v redis-server >/dev/null; then
    echo "==> apt-get install redis-server"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  fi
}

# The third-party packages the documented samples import (tests/docs/package.json: node-redis).
ensure_docs_npm() {
  if [ ! -d "$root/tests/docs/node_modules/redis" ]; then
    echo "==> npm ci in tests/docs (packages the documented samples use)"
    (cd "$root/tests/docs" && npm ci --no-audit --no-fund)
  fi
}

# The tools users build the package with, pinned in tests/packaging/package-lock.json (wrangler,
# Vite, webpack, esbuild, Node 22 and 24, Bun, TypeScript, publint, attw): npm ci when one is
# missing or the lockfile is newer than the install.
ensure_packaging() {
  local dir="$root/tests/packaging" f
  for f in wrangler/bin/wrangler.js vite/bin/vite.js webpack-cli/bin/cli.js esbuild/bin/esbuild \
           node22/bin/node node24/bin/node @oven/bun-linux-x64/bin/bun typescript/bin/tsc \
           typescript5/bin/tsc publint/src/cli.js @arethetypeswrong/cli/dist/index.js; do
    if [ ! -e "$dir/node_modules/$f" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
      echo "==> npm ci in tests/packaging (wrangler, vite, webpack, esbuild, node 22/24, bun, tsc, publint, attw)"
      (cd "$dir" && npm ci --no-audit --no-fund)
      return
    fi
  done
}

# The toolchain of Cargo.toml's rust-version (the MSRV check in scripts/check-crate.sh).
ensure_msrv() {
  local msrv
  msrv="$(sed -n 's/^rust-version = "\([0-9.]*\)"$/\1/p' "$root/Cargo.toml")"
  if ! rustup toolchain list | grep -q "^$msrv"; then
    echo "==> rustup toolchain install $msrv --profile minimal (the MSRV check, once)"
    rustup toolchain install "$msrv" --profile minimal
  fi
}

# The shipped wasm is built with a pinned nightly (scripts/build-pkg.sh says why): that
# toolchain and its rust-src, for -Zbuild-std.
WASM_NIGHTLY="nightly-2026-05-19"
ensure_wasm_nightly() {
  if ! rustup component list --toolchain "$WASM_NIGHTLY" --installed 2>/dev/null | grep -q '^rust-src'; then
    echo "==> rustup toolchain install $WASM_NIGHTLY --profile minimal --component rust-src (the wasm build, once)"
    rustup toolchain install "$WASM_NIGHTLY" --profile minimal --component rust-src
  fi
}

# The npm package in pkg/, built when any entry is missing (make pkg rebuilds it always).
ensure_pkg() {
  local f
  for f in app_passwords_bg.wasm app_passwords.js node.js workerd.js web.js; do
    if [ ! -f "$root/pkg/$f" ]; then
      bash "$root/scripts/build-pkg.sh"
      return
    fi
  done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  for tool in "$@"; do
    case "$tool" in
      wasm-target) ensure_wasm_target ;;
      wasm-bindgen) ensure_wasm_bindgen ;;
      wasm-nightly) ensure_wasm_nightly ;;
      npm) ensure_npm ;;
      chromium) ensure_chromium ;;
      pkg) ensure_pkg ;;
      msrv) ensure_msrv ;;
      packaging) ensure_packaging ;;
      redis) ensure_redis ;;
      docs-npm) ensure_docs_npm ;;
      *) echo "unknown tool $tool" >&2; exit 2 ;;
    esac
  done
fi
