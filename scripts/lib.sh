#!/usr/bin/env bash
# What the test scripts share. Sourced, never run: `source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"`.
# Sets `root` (the repository) and changes to it. The functions set globals the caller reads:
#   require_pkg NAME FILE        pkg_dir: ${PKG_DIR:-pkg} made absolute; exits when FILE is not in it
#   make_work DIR NAME           work: a new folder DIR/NAME.XXXXXX, removed on exit unless KEEP is set
#   make_run_work DIR NAME       make_work, plus pidfile ($work/pids, one process group a line) and
#                                runner (a background pid): on exit both are stopped, whatever happens
#   pack_pkg DIR                 tarball: `npm pack` of DIR into $work (no scripts run), $work/pack.json
#   install_tarball PROJECT ...  installs $tarball by name into PROJECT, offline (extra npm flags after)
#   node_test TAP FILE...        node --test: spec lines on stdout, TAP into TAP; sets status
#   tap_counts TAP               passed, failed (fail + cancelled) from node --test's TAP summary
#   timer_start / finish LABEL   prints "LABEL: T ms" and "N passed, M failed"; exits 1 when
#                                $status is non-zero, a test failed, or none ran
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

require_pkg() {
  local name=$1 file=$2
  pkg_dir="$(cd "${PKG_DIR:-pkg}" 2>/dev/null && pwd || true)"
  if [ -z "$pkg_dir" ] || [ ! -f "$pkg_dir/$file" ]; then
    echo "$name: no package in ${PKG_DIR:-pkg}/ (run make pkg first)" >&2
    exit 1
  fi
}

make_work() {
  mkdir -p "$root/$1"
  work="$(mktemp -d "$root/$1/$2.XXXXXX")"
  if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; fi
}

make_run_work() {
  mkdir -p "$root/$1"
  work="$(mktemp -d "$root/$1/$2.XXXXXX")"
  pidfile="$work/pids"
  : >"$pidfile"
  runner=""
  trap lib_stop_all EXIT
  trap 'exit 130' INT TERM
}

lib_stop_all() {
  local status=$? pid
  # The runner stops its servers itself; this catches what it could not (killed, crashed).
  if [ -n "$runner" ] && kill -0 "$runner" 2>/dev/null; then
    kill -TERM "$runner" 2>/dev/null || true
    wait "$runner" 2>/dev/null || true
  fi
  while read -r pid; do
    [ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null || true
  done <"$pidfile"
  if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
  exit "$status"
}

pack_pkg() {
  (cd "$1" && npm pack --ignore-scripts --json --pack-destination "$work" --cache "$work/npm-cache") >"$work/pack.json"
  tarball="$work/$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].filename)' "$work/pack.json")"
}

install_tarball() {
  local project=$1
  shift
  # The package has no dependencies: no registry is needed, and no install script runs.
  (cd "$project" && npm install --offline --no-audit --no-fund --ignore-scripts --cache "$work/npm-cache" "$@" "$tarball" >/dev/null)
}

node_test() {
  local tap=$1
  shift
  status=0
  node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "$@" || status=$?
}

# The TAP summary counts tests (suites are not counted in `# pass` / `# fail`).
tap_counts() {
  local fail cancelled
  passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$1" | tail -n1)
  fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$1" | tail -n1)
  cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$1" | tail -n1)
  passed=${passed:-0}
  failed=$((${fail:-0} + ${cancelled:-0}))
}

timer_start() {
  lib_start=$(date +%s%N)
}

finish() {
  local label=$1
  echo "$label: $((($(date +%s%N) - lib_start) / 1000000)) ms"
  echo "${passed} passed, ${failed} failed"
  if [ "${status:-0}" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
    if [ "$passed" -eq 0 ]; then echo "$label: no tests ran" >&2; fi
    exit 1
  fi
}
