#!/usr/bin/env bash
# Installs everything the site needs to build, run and test; skips whatever is already there.
# Idempotent: safe to run before every dev or test run. `--with-browser` adds Chromium.
# Each script also installs what it needs itself (scripts/tools.sh), so this is a shortcut,
# not a prerequisite.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

step "Rust $TOOLCHAIN with wasm32 and aarch64 targets, rustfmt, clippy and rust-src"
for target in wasm32-unknown-unknown aarch64-unknown-linux-gnu; do ensure_rust_target "$target"; done
for component in rustfmt clippy rust-src; do ensure_rust_component "$component"; done
rustc --version

step "Site tools: cargo-leptos $CARGO_LEPTOS_VERSION, wasm-bindgen-cli (as in Cargo.lock), wasm-opt (npm binaryen $BINARYEN_VERSION)"
ensure_site_tools
wasm-opt --version

step "cargo-generate $CARGO_GENERATE_VERSION"
ensure_cargo_generate

step "cargo-lambda $CARGO_LAMBDA_VERSION (Python venv in target/tools/venv)"
ensure_cargo_lambda
cargo lambda --version

if [[ " $* " == *" --with-browser "* ]]; then
  step "Chromium (Debian package) for the browser tests"
  ensure_chromium
  chromium --version 2>/dev/null | head -n1
fi

step "shellcheck (Debian package) for the scripts' lint"
ensure_shellcheck
shellcheck --version | sed -n 2p

step "tools ready"
