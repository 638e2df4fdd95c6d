#!/usr/bin/env bash
# Builds the site and serves it through the local ALB emulator on http://127.0.0.1:3000,
# exactly as the ALB will call the Lambda function. Extra arguments go to the emulator, e.g.
#   scripts/dev.sh --single-value-headers     # ALB's default target-group mode
#   scripts/dev.sh --addr 127.0.0.1:8080
# `scripts/dev.sh --watch` runs `cargo leptos watch --release` instead (hot reload; the same
# bootstrap in emulator mode), with the tools setup.sh installed on PATH.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# What the site build runs (cargo-leptos, wasm-bindgen, wasm-opt): installed once, then skipped.
ensure_site_tools

if [[ "${1:-}" == "--watch" ]]; then
  shift
  step "cargo leptos watch --release (rebuilds and reloads on change; Ctrl-C stops it)"
  # Release: a debug wasm bundle would break ALB's 1 MB response cap.
  exec cargo leptos watch --release "$@"
fi

# Release: a debug wasm bundle would break ALB's 1 MB response cap.
"$ROOT/scripts/build-site.sh"

step "Building bootstrap"
cargo build -p server-lambda

step "Serving through the local ALB emulator (Ctrl-C stops it)"
exec "$ROOT/target/debug/bootstrap" "$@"
