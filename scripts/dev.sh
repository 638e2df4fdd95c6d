#!/usr/bin/env bash
# Builds the site and serves it through the local ALB emulator on http://127.0.0.1:3000,
# exactly as the ALB will call the Lambda function. Extra arguments go to the emulator, e.g.
#   scripts/dev.sh --single-value-headers     # ALB's default target-group mode
#   scripts/dev.sh --addr 127.0.0.1:8080
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/scripts/setup.sh"

step "Building the hydrate bundle, CSS and assets (release: the debug wasm would break ALB's 1 MB cap)"
cargo leptos build --release --precompress --frontend-only

step "Building bootstrap"
cargo build -p server-lambda

step "Serving through the local ALB emulator (Ctrl-C stops it)"
exec "$ROOT/target/debug/bootstrap" "$@"
