# The front door. Every target installs what it needs when it is missing
# (scripts/tools.sh): the wasm32 target, the pinned wasm-bindgen CLI, npm tools, Chromium.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export CARGO_TERM_COLOR ?= never

.PHONY: help demo test test-rust test-wasm test-js test-node test-browser test-deno \
        test-workerd test-host test-fuzz test-leaks test-docs pkg bench bench-knobs fuzz clean

help:
	@echo "make demo          the example host on http://127.0.0.1:8787 (embedded store, persisted in .data/)"
	@echo "make test          every suite: Rust, wasm (Node + Chromium), the package in Node, Chromium,"
	@echo "                   workerd and Deno, the example host (HTTP + end to end), a fuzz smoke"
	@echo "make test-rust     the Rust suite only: clippy -D warnings, unit/integration/doc tests, wasm32 build"
	@echo "make test-node     one runtime only (also test-browser, test-deno, test-workerd, test-wasm, test-host)"
	@echo "make test-redis    redisStore against a real redis-server (node-redis 5, ioredis 5)"
	@echo "make test-cli      the app-passwords command, fileStore and app-passwords/hono from the packed package"
	@echo "make test-docs     every code sample of the docs, run in the runtime it names"
	@echo "make pkg           the npm package in pkg/"
	@echo "make test-packaging the packed package as users build it: wrangler, Vite, webpack, esbuild,"
	@echo "                   Node 20/22/24, Bun, Deno, app-passwords/slim, publint, attw, tsc"
	@echo "make bench         benchmarks; writes docs/BENCHMARKS.md (BENCH_QUICK=1 for a fast pass)"
	@echo "make bench-knobs   build variants (opt-level, simd128, LTO) measured; writes docs/BUILD-KNOBS.md"
	@echo "make fuzz          every fuzz target for FUZZ_SECONDS (default 60) each"

demo:
	bash scripts/demo.sh

test: test-rust test-wasm test-js test-redis test-cli test-host test-fuzz test-leaks test-docs test-packaging
	@echo "make test: every suite passed"

test-rust:
	bash scripts/tools.sh wasm-target
	cargo fmt --all --check
	cd fuzz && cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	# The core for wasm32 with no JS dependency: getrandom then has no web backend and refuses
	# to compile, so this check names its "unsupported" backend (an application picks the real
	# one; the bindings crate picks wasm_js). Own target dir: other RUSTFLAGS would rebuild all.
	RUSTFLAGS='--cfg getrandom_backend="unsupported" -C target-feature=+simd128' \
	  cargo clippy -p app-passwords --lib --target wasm32-unknown-unknown --target-dir target/core-wasm32 -- -D warnings
	! cargo tree -p app-passwords --target wasm32-unknown-unknown -e normal | grep -E 'wasm-bindgen|js-sys'
	cargo clippy -p app-passwords-wasm -p app-passwords-wasm-module --lib --target wasm32-unknown-unknown -- -D warnings
	cargo test
	cargo build -p app-passwords-wasm-module --lib --target wasm32-unknown-unknown
	bash scripts/check-crate.sh

test-wasm:
	bash scripts/test-wasm.sh

pkg:
	bash scripts/build-pkg.sh

test-js: pkg
	bash scripts/test-node.sh
	bash scripts/test-browser.sh
	bash scripts/test-deno.sh
	bash scripts/test-workerd.sh

test-node: pkg
	bash scripts/test-node.sh
test-browser: pkg
	bash scripts/test-browser.sh
test-deno: pkg
	bash scripts/test-deno.sh
test-workerd: pkg
	bash scripts/test-workerd.sh
test-host: pkg
	bash scripts/test-host.sh
.PHONY: test-redis
test-redis: pkg
	bash scripts/test-redis.sh
.PHONY: test-cli
test-cli: pkg
	bash scripts/test-cli.sh

test-leaks:
	python3 scripts/check-secret-scanning.py

.PHONY: test-packaging
test-packaging: pkg
	bash scripts/test-packaging.sh

test-docs: pkg
	bash scripts/test-docs.sh

test-fuzz:
	FUZZ_SMOKE=1 FUZZ_SECONDS=5 bash scripts/fuzz.sh

bench: pkg
	bash scripts/bench.sh

bench-knobs:
	bash scripts/bench-knobs.sh

fuzz:
	bash scripts/fuzz.sh

clean:
	cargo clean
	rm -rf pkg node_modules bench/node_modules fuzz/target
