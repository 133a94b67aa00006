#!/usr/bin/env bash
# Where the wasm's code is (docs/BUILD-KNOBS.md "Fourth round"): the release module that
# `make pkg` links, through wasm-bindgen and `wasm-opt -Oz -g` (the same passes, names kept),
# then twiggy, its items summed by part (the name section left out) and the largest machines.
# Import and export names are counted as wasm-bindgen writes them (build-pkg then shortens them).
# Needs twiggy (`cargo install twiggy`). Run `make pkg` first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
command -v twiggy >/dev/null || { echo "wasm-parts: needs twiggy (cargo install twiggy)" >&2; exit 1; }
wasm="${CARGO_TARGET_DIR:-target}/wasm-nightly/wasm32-unknown-unknown/release/app_passwords.wasm"
test -f "$wasm" || { echo "wasm-parts: no $wasm: run make pkg" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
wasm-bindgen --target web --no-typescript --out-dir "$work" --out-name app_passwords "$wasm"
node_modules/.bin/wasm-opt -Oz -g --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-reference-types --enable-sign-ext --enable-mutable-globals \
  "$work/app_passwords_bg.wasm" -o "$work/named.wasm"
twiggy top -n 1000000 -f csv "$work/named.wasm" >"$work/items.csv"
python3 - "$work/items.csv" <<'PY'
import csv, re, sys
PARTS = [  # first match wins
    ("name section (not shipped)", r'function names|data names'),
    ("data", r'^data segment'),
    ("Argon2 and BLAKE2b", r'argon2|blake2|Blake2'),
    ("allocator", r'talc|dlmalloc|__rust_realloc|__rust_alloc|__rdl'),
    (SHIMS := "export shims (with the bodies inlined into them) and wasm-bindgen glue",
     r'shim|^export |^import |wasm_bindgen|js_sys|__wbindgen|__wbg|externref|^type\[|^table|^elem'),
    ("the operations as machines (with the bindings' answers inlined)", r'operation::Answering|io::Machine|::io::'),
    ("the bindings' readers and JS object builders", r'app_passwords_bindings'),
    ("JSON reader and writer", r'json'),
    ("the core's synchronous code", r'app_passwords'),
    ("std and small crates", r'.'),
]
rows = list(csv.DictReader(open(sys.argv[1])))
# Without reference types, wasm-bindgen names a shim by its export alone.
exported = {row["Name"][len("export "):].strip('"') for row in rows if row["Name"].startswith("export ")}
sizes, machines = {}, []
for row in rows:
    name, size = row["Name"], int(row["ShallowSize"])
    part = next(p for p, pattern in PARTS if re.search(pattern, name))
    if name in exported and part.startswith("std"):
        part = SHIMS
    sizes[part] = sizes.get(part, 0) + size
    m = re.search(r'Answering<app_passwords\[\w+\]::([\w:]+)|<app_passwords\[\w+\]::([\w:]+) as app_passwords\[\w+\]::io::Machine', name)
    if m:
        machines.append((size, m.group(1) or m.group(2)))
print("| part | bytes |\n|---|---:|")
for part, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
    print(f"| {part} | {size:,} |")
print("\nlargest machines:", ", ".join(f"{n} {s:,}" for s, n in sorted(machines, reverse=True)[:12]))
PY
