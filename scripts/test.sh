#!/usr/bin/env bash
# Everything CI checks: formatting, lints with warnings denied, and every test.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/scripts/setup.sh"

step "rustfmt"
cargo fmt --all --check

step "clippy (server side, warnings denied)"
cargo clippy --workspace --all-targets -- -D warnings

step "clippy (hydrate side, wasm32, warnings denied)"
cargo clippy -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate -- -D warnings

step "tests"
cargo test --workspace

step "all checks passed"
