#!/usr/bin/env bash
# Everything CI checks: formatting, lints with warnings denied (shellcheck over scripts/ too),
# every Rust test, the CloudFormation lint (cfn-lint, checkov), the browser tests in headless
# Chromium, a quick run of the benchmarks (so they cannot rot) and the deploy rehearsal.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/scripts/setup.sh" --with-browser

step "rustfmt"
cargo fmt --all --check

step "shellcheck (scripts/)"
ensure_shellcheck
shellcheck scripts/*.sh

step "clippy (server side, warnings denied)"
cargo clippy --workspace --all-targets -- -D warnings

step "clippy (hydrate side, wasm32, warnings denied)"
cargo clippy -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate -- -D warnings

step "Rust tests"
cargo test --workspace

step "CloudFormation lint"
"$ROOT/scripts/lint-infra.sh"

step "Browser tests"
"$ROOT/scripts/e2e.sh"

step "Benchmarks still run (scripts/bench.sh --quick: figures not judged)"
"$ROOT/scripts/bench.sh" --quick

step "Deploy rehearsal on MiniStack"
"$ROOT/scripts/test-deploy.sh"

# Only the template itself has a cargo-generate.toml; a generated project skips this.
if [[ -f "$ROOT/cargo-generate.toml" ]]; then
  step "cargo generate starter"
  "$ROOT/scripts/test-template.sh"
fi

step "all checks passed"
