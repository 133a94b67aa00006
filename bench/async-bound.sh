#!/usr/bin/env bash
# How much of the wasm was async (docs/BUILD-KNOBS.md "Fourth round"): builds 283e485, the last
# commit before the sans-I/O core, twice: as it was, and with every `async` and `.await` deleted
# (the JS store's methods then answer as if at once, the operations' result is a resolved
# Promise). The second build cannot work; it is only measured, as the bound of what removing the
# async state machines could save. Prints both sizes. Takes a few minutes (std is rebuilt).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base=283e485
work="$(mktemp -d)"
trap 'git -C "$root" worktree remove --force "$work/src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$root" worktree add --detach -q "$work/src" "$base"
ln -s "$root/node_modules" "$work/src/node_modules"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/async-bound}"
cd "$work/src"
PKG_OUT="$work/as-was" bash scripts/build-pkg.sh | tail -1
python3 - <<'PY'
import glob, re
for path in glob.glob("src/**/*.rs", recursive=True) + glob.glob("bindings/wasm/src/*.rs"):
    text = open(path).read()
    new = text.replace("async fn ", "fn ").replace(".await", "").replace("async move {", "{").replace("async {", "{")
    if path == "src/service.rs":
        new = new.replace("use futures_util::future::join_all;\n", "").replace("for chunk in join_all(calls) {", "for chunk in calls {")
    if path == "bindings/wasm/src/store.rs":
        new = re.sub(r"fn settle\(called: core::result::Result<JsValue, JsValue>\) -> Result<JsValue> \{.*?\n\}\n",
                     "fn settle(called: core::result::Result<JsValue, JsValue>) -> Result<JsValue> {\n    called.map_err(|e| failure(&e))\n}\n",
                     new, flags=re.S)
        new = new.replace("use wasm_bindgen_futures::JsFuture;\n", "").replace("use js_sys::{Array, Map, Promise, Reflect};", "use js_sys::{Array, Map, Reflect};")
    if path == "bindings/wasm/src/ops.rs":
        new = new.replace("    future_to_promise({\n        match op {", "    let answer = {\n        match op {")
        end = "JsValue::UNDEFINED),\n        }\n    })\n}\n"
        new = new.replace(end, "JsValue::UNDEFINED),\n        }\n    };\n    match answer { Ok(v) => Promise::resolve(&v), Err(e) => Promise::reject(&e) }\n}\n")
        new = new.replace("use wasm_bindgen_futures::future_to_promise;\n", "")
    if new != text:
        open(path, "w").write(new)
PY
sed -i 's/^wasm-bindgen-futures/#wasm-bindgen-futures/' bindings/wasm/Cargo.toml
PKG_OUT="$work/without-async" bash scripts/build-pkg.sh | tail -1
