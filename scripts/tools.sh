# The tools the scripts run, pinned, and one installer each. Every script that runs a tool
# calls its `ensure_*` first, so any documented command works as the first one on a fresh
# clone; each skips what is already installed and, when an install fails, stops with one line
# naming the tool. Sourced by lib.sh; don't run it.
# shellcheck shell=bash

CARGO_LEPTOS_VERSION="0.3.11"
CARGO_GENERATE_VERSION="0.26.0"
BINARYEN_VERSION="132.0.0"       # wasm-opt, from npm: cargo-leptos would download it from GitHub
CARGO_LAMBDA_VERSION="1.9.2"
CFN_LINT_VERSION="1.58.0"
CHECKOV_VERSION="3.3.30"
AWSCLI_VERSION="1.46.2"
MINISTACK_VERSION="1.5.33"

# awscli pins botocore exactly, and checkov (in target/tools/venv) pins it through boto3 to
# another version: sharing one venv would break one of them, so the AWS CLI and MiniStack get
# their own.
AWS_VENV="$TOOLS/aws-venv"

# The pinned toolchain (rust-toolchain.toml) with its components and targets. rustup does not
# install it by itself where RUSTUP_AUTO_INSTALL=0, so every script asks for it here.
ensure_rust_toolchain() {
  command -v rustup >/dev/null || die "rustup is required (https://rustup.rs): install it and re-run"
  if ! rustup toolchain list | grep -q "^$TOOLCHAIN-"; then
    echo "installing Rust $TOOLCHAIN (rust-toolchain.toml), once"
    rustup toolchain install "$TOOLCHAIN" --profile minimal --component rustfmt,clippy,rust-src \
      --target wasm32-unknown-unknown,aarch64-unknown-linux-gnu \
      || die "rustup could not install Rust $TOOLCHAIN (above)"
  fi
}

# One more target or component of the pinned toolchain.
ensure_rust_target() {
  rustup target list --installed --toolchain "$TOOLCHAIN" | grep -qx "$1" \
    || rustup target add --toolchain "$TOOLCHAIN" "$1" >/dev/null \
    || die "rustup could not add the $1 target to Rust $TOOLCHAIN (above)"
}
ensure_rust_component() {
  rustup component list --installed --toolchain "$TOOLCHAIN" | grep -q "^$1" \
    || rustup component add --toolchain "$TOOLCHAIN" "$1" >/dev/null \
    || die "rustup could not add the $1 component to Rust $TOOLCHAIN (above)"
}

# A cargo subcommand from crates.io, unless `cargo <command> --version` names the pin.
ensure_cargo_tool() { # crate, command, version, how long it compiles
  [[ "$(cargo "$2" --version 2>/dev/null || true)" == *"$3"* ]] && return 0
  echo "installing $1 $3 (compiles for $4 on 2 cores, once)"
  cargo install --locked "$1" --version "$3" || die "cargo install $1 $3 failed (above)"
}

ensure_cargo_leptos() { ensure_cargo_tool cargo-leptos leptos "$CARGO_LEPTOS_VERSION" "10-30 minutes"; }
ensure_cargo_generate() { ensure_cargo_tool cargo-generate generate "$CARGO_GENERATE_VERSION" "about 10 minutes"; }

# wasm-bindgen-cli at exactly the version of the wasm-bindgen crate in Cargo.lock.
ensure_wasm_bindgen() {
  local version
  version="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')"
  [[ -n "$version" ]] || die "wasm-bindgen is not in Cargo.lock"
  [[ "$(wasm-bindgen --version 2>/dev/null || true)" == "wasm-bindgen $version" ]] && return 0
  echo "installing wasm-bindgen-cli $version (matches Cargo.lock; compiles for 5-15 minutes, once)"
  # Without --locked: its own lock file pins a crate the registry mirror lacks.
  cargo install wasm-bindgen-cli --version "$version" --force || die "cargo install wasm-bindgen-cli $version failed (above)"
}

# wasm-opt from npm's binaryen, under target/tools/npm (on PATH through lib.sh).
ensure_wasm_opt() {
  if [[ -x "$TOOLS/npm/node_modules/.bin/wasm-opt" ]] \
    && grep -q "\"version\": \"$BINARYEN_VERSION\"" "$TOOLS/npm/node_modules/binaryen/package.json" 2>/dev/null; then
    return 0
  fi
  command -v npm >/dev/null || die "npm is required for wasm-opt (binaryen): install Node.js and re-run"
  echo "installing wasm-opt (npm binaryen $BINARYEN_VERSION) into ${TOOLS#"$ROOT/"}/npm"
  mkdir -p "$TOOLS/npm"
  npm install --prefix "$TOOLS/npm" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION" \
    || die "npm could not install binaryen $BINARYEN_VERSION (wasm-opt) (above)"
}

# Everything `cargo leptos build` runs: the wasm32 target, std's source, cargo-leptos,
# wasm-bindgen and wasm-opt. Present on PATH, none is downloaded from GitHub.
ensure_site_tools() {
  ensure_rust_target wasm32-unknown-unknown
  ensure_rust_component rust-src
  ensure_cargo_leptos
  ensure_wasm_bindgen
  ensure_wasm_opt
}

# A Python venv under target/tools.
ensure_venv() {
  [[ -x "$1/bin/python" ]] && return 0
  command -v python3 >/dev/null || die "python3 is required for ${2:-the Python tools}: install it and re-run"
  python3 -m venv "$1" || die "python3 could not create the venv ${1#"$ROOT/"} (is the venv module installed?)"
}

# Whether the venv's packages are at the pins: venv, then name==version pairs.
venv_has() {
  local venv="$1"
  shift
  "$venv/bin/python" - "$@" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
pins = [pin.split("==") for pin in sys.argv[1:]]
sys.exit(0 if all(version(name) == wanted for name, wanted in pins) else 1)
PY
}

# Pinned PyPI packages in a venv, installed once.
ensure_pip_packages() { # venv, what they are for, name==version...
  local venv="$1" purpose="$2"
  shift 2
  ensure_venv "$venv" "$purpose"
  venv_has "$venv" "$@" && return 0
  echo "installing $* into ${venv#"$ROOT/"} (once)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$@" \
    || die "pip could not install $* for $purpose (above)"
  venv_has "$venv" "$@" || die "$* did not install for $purpose"
}

ensure_cargo_lambda() { ensure_pip_packages "$TOOLS/venv" cargo-lambda "cargo-lambda==$CARGO_LAMBDA_VERSION"; }
ensure_lint_tools() { ensure_pip_packages "$TOOLS/venv" "the CloudFormation lint" "cfn-lint==$CFN_LINT_VERSION" "checkov==$CHECKOV_VERSION"; }
ensure_aws_tools() { ensure_pip_packages "$AWS_VENV" "the AWS CLI and MiniStack" "awscli==$AWSCLI_VERSION" "ministack==$MINISTACK_VERSION"; }

# A command from a Debian package (apt-get, with sudo unless root): command, package, what for.
ensure_debian_package() {
  local command="$1" package="$2" purpose="$3" sudo_if_needed=""
  command -v "$command" >/dev/null && return 0
  command -v apt-get >/dev/null \
    || die "$command is required for $purpose: install $package (Debian/Ubuntu: apt-get install $package; macOS: brew install $package) and re-run"
  [[ "$(id -u)" -eq 0 ]] || sudo_if_needed="sudo"
  echo "installing $package (Debian package) for $purpose"
  if ! { $sudo_if_needed apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq "$package"; }; then
    die "apt-get could not install $package (above)"
  fi
}

ensure_chromium() { ensure_debian_package chromium chromium "the browser tests"; }
ensure_shellcheck() { ensure_debian_package shellcheck shellcheck "the scripts' lint"; }
