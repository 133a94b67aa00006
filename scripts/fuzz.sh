#!/usr/bin/env bash
# Fuzzes every cargo-fuzz target in fuzz/ for FUZZ_SECONDS each (default 60) and prints, per
# target, the executions, executions per second and whether it crashed. Exits non-zero on any
# crash, timeout or out-of-memory.
#
#   bash scripts/fuzz.sh                              # make fuzz: 60 s per target
#   FUZZ_SECONDS=300 bash scripts/fuzz.sh             # a longer run
#   FUZZ_SMOKE=1 FUZZ_SECONDS=5 bash scripts/fuzz.sh  # make test: a short smoke of each target
#   FUZZ_TARGETS="phc_verify basic_header" bash scripts/fuzz.sh
#
# Needs a nightly toolchain (installed with rustup when missing; failing that, the stable one
# with RUSTC_BOOTSTRAP=1) and cargo-fuzz (cargo install, pinned). The targets are built once
# (cargo fuzz build -O -a: release, debug assertions, overflow checks, AddressSanitizer) and
# the binaries run directly. Each run writes new inputs to a temporary corpus and only reads
# the committed seeds in fuzz/corpus/<target>/, so those stay clean (regenerate them with
# fuzz/make_seeds.py). Crash inputs go to fuzz/artifacts/<target>/, logs to
# fuzz/artifacts/logs/ (both ignored by git). Reproduce a crash with
#   fuzz/target/x86_64-unknown-linux-gnu/release/<target> fuzz/artifacts/<target>/crash-...
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

CARGO_FUZZ_VERSION=0.13.2
seconds="${FUZZ_SECONDS:-60}"
smoke="${FUZZ_SMOKE:-0}"
all_targets="password_parse basic_header scope_decode record_decode catalog_json phc_verify caveat_parse"
targets="${FUZZ_TARGETS:-$all_targets}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
bin_dir="$root/fuzz/target/$triple/release"
artifacts="$root/fuzz/artifacts"

case "$seconds" in ''|*[!0-9]*) echo "FUZZ_SECONDS must be a whole number of seconds" >&2; exit 2 ;; esac

say() { echo "==> $*"; }

# Leaves the toolchain choice in $toolchain (a "+name" argument for cargo, or empty).
toolchain=""
ensure_nightly() {
  if rustup toolchain list 2>/dev/null | grep -q '^nightly' && cargo +nightly --version >/dev/null 2>&1; then
    toolchain="+nightly"
    return
  fi
  say "rustup toolchain install nightly --profile minimal"
  if timeout 900 rustup toolchain install nightly --profile minimal && cargo +nightly --version >/dev/null 2>&1; then
    toolchain="+nightly"
    return
  fi
  # cargo-fuzz needs -Z flags (sanitizers, coverage passes). The stable toolchain ships the
  # sanitizer runtimes too and takes -Z flags with RUSTC_BOOTSTRAP=1.
  say "no nightly toolchain: using the default toolchain with RUSTC_BOOTSTRAP=1"
  export RUSTC_BOOTSTRAP=1
  toolchain=""
}

ensure_cargo_fuzz() {
  local have
  have="$(cargo fuzz --version 2>/dev/null | awk '{print $2}' || true)"
  if [ -z "$have" ]; then
    say "cargo install cargo-fuzz $CARGO_FUZZ_VERSION (a minute or two, once)"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
  fi
}

# Longest input per target: the PHC parser refuses more than 512 bytes, so 1024 is plenty and
# keeps unbounded allocation in view; the catalogue seed (the Bitbucket file) is ~6 KB.
max_len() {
  case "$1" in
    phc_verify|password_parse|scope_decode) echo 1024 ;;
    basic_header) echo 2048 ;;
    catalog_json) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

ensure_nightly
ensure_cargo_fuzz
say "cargo ${toolchain:-(default)} fuzz build -O -a ($(cargo $toolchain --version))"
build_start=$SECONDS
# shellcheck disable=SC2086 # $toolchain is empty or one word
if [ "$targets" = "$all_targets" ]; then
  cargo $toolchain fuzz build -O -a
else
  for t in $targets; do cargo $toolchain fuzz build -O -a "$t"; done
fi
echo "built in $((SECONDS - build_start)) s"

mkdir -p "$artifacts/logs"
work_root="$(mktemp -d "${TMPDIR:-/tmp}/app-passwords-fuzz.XXXXXX")"
trap 'rm -rf "$work_root"' EXIT

failed=0
results=()
for t in $targets; do
  bin="$bin_dir/$t"
  [ -x "$bin" ] || { echo "no binary $bin" >&2; exit 2; }
  [ -d "fuzz/corpus/$t" ] || { echo "no seed corpus fuzz/corpus/$t" >&2; exit 2; }
  mkdir -p "$work_root/$t" "$artifacts/$t"
  log="$artifacts/logs/$t.log"
  say "$t: ${seconds} s"
  set +e
  # First corpus directory receives new inputs; the committed seeds are read only.
  "$bin" "$work_root/$t" "fuzz/corpus/$t" \
    -max_total_time="$seconds" \
    -print_final_stats=1 \
    -rss_limit_mb=2048 \
    -malloc_limit_mb=2048 \
    -max_len="$(max_len "$t")" \
    -timeout=20 \
    -artifact_prefix="$artifacts/$t/" \
    >"$log" 2>&1
  rc=$?
  set -e
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)"
  units="$(find "$work_root/$t" -type f | wc -l)"
  if [ "$rc" -eq 0 ]; then
    verdict="ok"
  else
    failed=1
    crash="$(grep -o -m1 "Test unit written to .*" "$log" | sed 's/Test unit written to //' || true)"
    kind="$(grep -o -m1 -E 'ERROR: libFuzzer: [a-z-]+|deadly signal|panicked at' "$log" || echo "exit $rc")"
    verdict="CRASH ($kind) ${crash:-}"
    echo "---- $t: last lines of $log" >&2
    grep -n -m1 -A 40 -E "panicked at|ERROR: (libFuzzer|AddressSanitizer)" "$log" >&2 || tail -n 40 "$log" >&2
  fi
  [ "$smoke" = 1 ] || echo "$t: ${execs:-?} executions, ${rate:-?} exec/s, $units new corpus units, $verdict"
  results+=("$(printf '%-15s %6ss %12s %9s  %s' "$t" "$seconds" "${execs:-?}" "${rate:-?}" "$verdict")")
done

echo
printf '%-15s %7s %12s %9s  %s\n' target time executions exec/s result
printf '%s\n' "${results[@]}"
if [ "$failed" -ne 0 ]; then
  echo "fuzz: FAILED (inputs in fuzz/artifacts/<target>/, logs in fuzz/artifacts/logs/)" >&2
  exit 1
fi
echo "fuzz: $(echo $targets | wc -w) targets, no crash"
