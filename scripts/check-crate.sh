#!/usr/bin/env bash
# The crate as crates.io would get it (run by make test-rust):
#  1. `cargo package --list` holds exactly what a crate user needs: the sources, the build
#     script, the embedded scope catalogue, README (the crate docs), CHANGELOG, licences, and
#     cargo's own files. Anything else (a node_modules README, an example's files) fails.
#  2. `cargo publish --dry-run` packages and builds the crate from the packaged files alone.
#     It reads the crates.io index (the only network it needs).
#  3. The crate documents without a rustdoc warning (README.md is its docs.rs page).
#  4. The minimum Rust version (`rust-version` in Cargo.toml) holds: no resolved dependency
#     declares a higher `rust-version` (cargo metadata), and `cargo +1.85 check --lib` builds
#     the library with that toolchain (installed by rustup when missing).
#     Clippy's `incompatible_msrv` lint (on in make test-rust) already refuses std APIs newer
#     than rust-version.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok    $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; }

list="$(cargo package -p app-passwords --list --allow-dirty --offline 2>/dev/null || cargo package -p app-passwords --list --allow-dirty)"
extra="$(grep -vE '^(\.cargo_vcs_info\.json|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|README\.md|CHANGELOG\.md|build\.rs|LICENSE-(MIT|APACHE)|src/.+\.rs|scopes/[^/]+\.json)$' <<<"$list" || true)"
if [ -z "$extra" ]; then ok "cargo package --list: $(wc -l <<<"$list") files, none outside the allowed set"; else fail "cargo package --list has files a crate user does not need:"; echo "$extra" | head -20; fi
for need in README.md build.rs src/lib.rs scopes/bitbucket-app-password-scopes.json LICENSE-MIT LICENSE-APACHE CHANGELOG.md; do
  if grep -qx "$need" <<<"$list"; then ok "cargo package --list has $need"; else fail "cargo package --list lacks $need"; fi
done

for key in repository homepage documentation rust-version license description readme; do
  if grep -qE "^$key = \"[^\"]+\"" Cargo.toml; then ok "Cargo.toml has $key"; else fail "Cargo.toml lacks $key"; fi
done

# Its own target dir: a verify build in target/ once left a stale build there.
if out="$(cargo publish -p app-passwords --dry-run --allow-dirty --target-dir target/publish 2>&1)"; then
  ok "cargo publish --dry-run: $(grep -o 'Packaged [^)]*)' <<<"$out" || echo packaged), verified"
else
  fail "cargo publish --dry-run"; grep -v "^warning: ignoring" <<<"$out" | tail -20
fi

# README.md is the crate's documentation on docs.rs: no rustdoc warning (a fence attribute rustdoc
# cannot read, a broken intra-doc link).
if out="$(RUSTDOCFLAGS="-D warnings" cargo doc -p app-passwords --no-deps --lib 2>&1)"; then
  ok "cargo doc: no rustdoc warning"
else
  fail "cargo doc -D warnings"; tail -20 <<<"$out"
fi

msrv="$(sed -n 's/^rust-version = "\([0-9.]*\)"$/\1/p' Cargo.toml)"
meta="$(cargo metadata --format-version 1 --offline 2>/dev/null || cargo metadata --format-version 1)"
if over="$(python3 -c '
import json, sys
msrv = tuple(int(x) for x in sys.argv[1].split("."))
key = lambda v: tuple(int(x) for x in (v.split(".") + ["0", "0"])[:3])
meta = json.load(sys.stdin)
over = ["{} {} needs {}".format(p["name"], p["version"], p["rust_version"]) for p in meta["packages"]
        if p.get("rust_version") and key(p["rust_version"]) > key(sys.argv[1])]
print("; ".join(over)) if over else print(len(meta["packages"]))
sys.exit(1 if over else 0)' "$msrv" <<<"$meta")"; then
  ok "rust-version $msrv: none of the $over resolved packages declares a higher one"
else
  fail "rust-version $msrv: $over"
fi
# The toolchain of that version comes from rustup (scripts/tools.sh msrv), installed once when missing.
bash scripts/tools.sh msrv
if out="$(cargo "+$msrv" check -p app-passwords --lib --offline --target-dir target/msrv 2>&1)"; then
  ok "cargo +$msrv check --lib"
else
  fail "cargo +$msrv check --lib"; tail -20 <<<"$out"
fi

echo "crate: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
