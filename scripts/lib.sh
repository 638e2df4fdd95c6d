# Shared by every script: paths, tool locations, logging and the tool installers (tools.sh).
# Source it, don't run it: it also makes sure the pinned Rust toolchain is there.
# shellcheck shell=bash

# Bash 4.4 or newer (`${x@Q}`, associative arrays, `mapfile`, empty arrays under `set -u`).
# macOS ships bash 3.2 as /bin/bash; `#!/usr/bin/env bash` picks up Homebrew's newer one.
if ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 4))); then
  printf 'error: the scripts need bash 4.4 or newer, this is %s. On macOS: brew install bash, then open a new terminal.\n' "$BASH_VERSION" >&2
  exit 1
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Where the script was called from: paths on its command line are relative to it.
CALLER_PWD="$PWD"
TOOLS="$ROOT/target/tools"
# PATH as it was before any script of a project added its tools (a test can hand it on clean).
export PROJECT_ORIGINAL_PATH="${PROJECT_ORIGINAL_PATH:-$PATH}"
export PATH="$TOOLS/venv/bin:$TOOLS/npm/node_modules/.bin:$HOME/.cargo/bin:$PATH"
cd "$ROOT" || exit 1

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

# The sha256 of stdin in hex: sha256sum where there is one (Linux), shasum elsewhere (macOS).
sha256_hex() {
  if command -v sha256sum >/dev/null; then sha256sum; else shasum -a 256; fi | cut -c1-64
}
# A file's size in bytes (GNU and BSD `stat` disagree on how to ask).
file_bytes() { wc -c <"$1" | tr -d ' '; }

# A path from the command line, made absolute against CALLER_PWD (empty stays empty).
from_caller() { if [[ -z "$1" || "$1" == /* ]]; then echo "$1"; else echo "$CALLER_PWD/$1"; fi; }

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

source "$ROOT/scripts/tools.sh"
ensure_rust_toolchain

# The infra crate's command line, where every decision about a stage lives (builds it on first
# use).
infra() { cargo run -q -p infra -- "$@"; }

# Copies the project as git hands it out (tracked and unignored files, as a fresh clone or
# `cargo generate --git` would see it, uncommitted edits included) into DEST, and prints the
# files copied, NUL-separated, for callers that compare them.
copy_tracked_tree() {
  local dest="$1" files=() file
  while IFS= read -r -d '' file; do
    if [[ -e "$file" ]]; then files+=("$file"); fi # deleted but not yet committed
  done < <(git -C "$ROOT" ls-files -z --cached --others --exclude-standard)
  mkdir -p "$dest"
  tar -C "$ROOT" -cf - -- "${files[@]}" | tar -C "$dest" -xf -
  printf '%s\0' "${files[@]}"
}
