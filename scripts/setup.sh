#!/usr/bin/env bash
# Installs everything the site needs to build, run and test; skips whatever is already there.
# Idempotent: safe to run before every dev or test run. `--with-browser` adds Chromium.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CARGO_LEPTOS_VERSION="0.3.11"
BINARYEN_VERSION="132.0.0"
CARGO_LAMBDA_VERSION="1.9.2"
CARGO_GENERATE_VERSION="0.26.0"

command -v rustup >/dev/null || die "rustup is required (https://rustup.rs); install it and re-run"

step "Rust $TOOLCHAIN with wasm32 and aarch64 targets, rustfmt, clippy and rust-src"
if ! rustup toolchain list | grep -q "^$TOOLCHAIN-"; then
  rustup toolchain install "$TOOLCHAIN" --profile minimal --component rustfmt,clippy,rust-src
fi
installed_targets="$(rustup target list --installed --toolchain "$TOOLCHAIN")"
for target in wasm32-unknown-unknown aarch64-unknown-linux-gnu; do
  grep -qx "$target" <<<"$installed_targets" || rustup target add --toolchain "$TOOLCHAIN" "$target"
done
installed_components="$(rustup component list --installed --toolchain "$TOOLCHAIN")"
for component in rustfmt clippy rust-src; do
  grep -q "^$component" <<<"$installed_components" || rustup component add --toolchain "$TOOLCHAIN" "$component"
done

# Installs a cargo subcommand from crates.io unless `cargo <command> --version` names the pin.
install_cargo_tool() { # crate, command, version, how long it compiles
  step "$1 $3"
  if [[ "$(cargo "$2" --version 2>/dev/null || true)" != *"$3"* ]]; then
    echo "installing (compiles for $4 on 2 cores, once)"
    cargo install --locked "$1" --version "$3"
  else
    echo "present"
  fi
}

install_cargo_tool cargo-leptos leptos "$CARGO_LEPTOS_VERSION" "10-30 minutes"
install_cargo_tool cargo-generate generate "$CARGO_GENERATE_VERSION" "about 10 minutes"

# The CLI must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')"
[[ -n "$WASM_BINDGEN_VERSION" ]] || die "wasm-bindgen is not in Cargo.lock"
step "wasm-bindgen-cli $WASM_BINDGEN_VERSION (matches Cargo.lock)"
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  # Without --locked: its own lock file pins a crate the registry mirror lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
else
  echo "present"
fi

step "wasm-opt (npm binaryen $BINARYEN_VERSION)"
if [[ ! -x "$TOOLS/npm/node_modules/.bin/wasm-opt" ]] || ! grep -q "\"version\": \"$BINARYEN_VERSION\"" "$TOOLS/npm/node_modules/binaryen/package.json" 2>/dev/null; then
  command -v npm >/dev/null || die "npm is required for wasm-opt (binaryen); install Node.js and re-run"
  mkdir -p "$TOOLS/npm"
  npm install --prefix "$TOOLS/npm" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
fi
wasm-opt --version

step "cargo-lambda $CARGO_LAMBDA_VERSION (Python venv in target/tools/venv)"
if [[ ! -x "$TOOLS/venv/bin/python" ]]; then
  command -v python3 >/dev/null || die "python3 is required for cargo-lambda; install it and re-run"
  python3 -m venv "$TOOLS/venv"
fi
if [[ "$(cargo lambda --version 2>/dev/null || true)" != *"$CARGO_LAMBDA_VERSION"* ]]; then
  "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check "cargo-lambda==$CARGO_LAMBDA_VERSION"
fi
cargo lambda --version

if [[ " $* " == *" --with-browser "* ]]; then
  step "Chromium (Debian package) for the browser tests"
  if ! command -v chromium >/dev/null; then
    command -v apt-get >/dev/null || die "install Chromium (Debian/Ubuntu: apt-get install chromium) and re-run"
    sudo_if_needed=""
    [[ "$(id -u)" -eq 0 ]] || sudo_if_needed="sudo"
    $sudo_if_needed apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq chromium
  fi
  chromium --version 2>/dev/null | head -n1
fi

step "tools ready"
