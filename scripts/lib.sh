# Shared by every script: paths, tool locations and logging. Source it, don't run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/target/tools"
export PATH="$TOOLS/venv/bin:$TOOLS/npm/node_modules/.bin:$HOME/.cargo/bin:$PATH"
cd "$ROOT"

# The pinned Rust toolchain, read from rust-toolchain.toml so there is one source of truth.
TOOLCHAIN="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)"
export RUSTUP_TOOLCHAIN="$TOOLCHAIN"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
