# Shared by every script: paths, tool locations and logging. Source it, don't run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/target/tools"
export PATH="$TOOLS/venv/bin:$TOOLS/npm/node_modules/.bin:$HOME/.cargo/bin:$PATH"
cd "$ROOT"

# Scripts create target/ before cargo does (tools, venvs), and cargo only tags a directory it
# creates itself. The tag keeps backups and `cargo generate --path .` from copying build output.
if [[ ! -f target/CACHEDIR.TAG ]]; then
  mkdir -p target
  printf '%s\n' 'Signature: 8a477f597d28d172789f06886806bc55' \
    '# This file is a cache directory tag created by cargo.' \
    '# For information about cache directory tags see https://bford.info/cachedir/' >target/CACHEDIR.TAG
fi

# The pinned Rust toolchain, read from rust-toolchain.toml so there is one source of truth.
TOOLCHAIN="$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)"
export RUSTUP_TOOLCHAIN="$TOOLCHAIN"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
