#!/usr/bin/env bash
# Builds the function zip: the release site (scripts/build-site.sh, skipped when its inputs and
# outputs are unchanged since the last build here), then `bootstrap` through cargo-lambda (zig)
# with the site included at target/site/, rewritten reproducibly (same inputs, same bytes, same
# sha256), checked and measured.
#
#   scripts/build.sh [--arch arm64|x86_64|host]     arm64 by default; host = this machine
#
# Each architecture has its own output: target/lambda/<arch>/bootstrap/bootstrap.zip.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/deploy-lib.sh"

usage() { echo "usage: scripts/build.sh [--arch arm64|x86_64|host]"; }

arch="arm64"
while (($#)); do
  case "$1" in
    --arch) (($# >= 2)) || { usage >&2; exit 2; }; arch="$2"; shift 2 ;;
    --arch=*) arch="${1#--arch=}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unexpected argument ${1@Q}" ;;
  esac
done
[[ "$arch" == host ]] && arch="$(host_arch)"
case "$arch" in
  arm64) lambda_flag="--arm64"; rust_target="aarch64-unknown-linux-gnu" ;;
  x86_64) lambda_flag="--x86-64"; rust_target="x86_64-unknown-linux-gnu" ;;
  *) usage >&2; die "--arch must be arm64, x86_64 or host, got ${arch@Q}" ;;
esac

SITE="$ROOT/target/site"
LAMBDA_DIR="$ROOT/target/lambda/$arch"
ZIP="$LAMBDA_DIR/bootstrap/bootstrap.zip"
STAMP="$DEPLOY_DIR/site.stamp"
mkdir -p "$DEPLOY_DIR"

step "cargo-lambda $CARGO_LAMBDA_VERSION and the $rust_target target"
ensure_cargo_lambda
ensure_rust_target "$rust_target"
echo "present"

# What the release site is built from, and what it is: the site is reused only when both are
# what the last build here recorded (a debug `cargo leptos build` in between changes the
# outputs, an edit to app/ the inputs).
site_inputs() {
  {
    find app -path app/end2end -prune -o -type f -print
    printf '%s\n' Cargo.toml Cargo.lock .cargo/config.toml rust-toolchain.toml scripts/build-site.sh
  } | LC_ALL=C sort | while IFS= read -r file; do
    printf '%s %s\n' "$(sha256_hex <"$file")" "$file"
  done
  cargo leptos --version 2>/dev/null || true
  wasm-bindgen --version 2>/dev/null || true
  wasm-opt --version 2>/dev/null || true
}
site_outputs() {
  [[ -f "$SITE/hash.txt" ]] || return 0
  local file
  (cd "$SITE" && find . -type f | LC_ALL=C sort | while IFS= read -r file; do
    printf '%s %s\n' "$(sha256_hex <"$file")" "$file"
  done)
}
fingerprint() { sha256_hex; }

step "Release site"
inputs="$(site_inputs | fingerprint)"
if [[ -f "$SITE/hash.txt" && -f "$STAMP" ]] \
  && [[ "$(cat "$STAMP")" == "inputs $inputs outputs $(site_outputs | fingerprint)" ]]; then
  echo "up to date: target/site was built from these sources by this script (${STAMP#"$ROOT/"})"
else
  rm -f "$STAMP"
  "$ROOT/scripts/build-site.sh"
  echo "inputs $inputs outputs $(site_outputs | fingerprint)" >"$STAMP"
fi

step "bootstrap for $arch (cargo lambda build --release $lambda_flag, zip with target/site)"
cargo lambda build --release "$lambda_flag" -p server-lambda --bin bootstrap \
  --output-format zip --include target/site --lambda-dir "$LAMBDA_DIR" \
  || die "cargo-lambda could not build bootstrap for $arch (its output is above)"
[[ -f "$ZIP" ]] || die "cargo lambda wrote no $ZIP"
# Fixed timestamps and order: the same build gives the same bytes, so the content-addressed
# artifact key (its sha256) only changes when the function does.
infra zip-normalize --zip "$ZIP"
facts="$(infra zip-check --zip "$ZIP" --arch "$arch")" || die "the zip is not a deployable function (above)"
eval "$facts"

mib() { awk -v b="$1" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }
step "Sizes ($arch)"
printf '    %-28s %s\n' "bootstrap" "$(mib "$ZIP_BOOTSTRAP_BYTES")" \
  "site ($ZIP_SITE_FILES files)" "$(mib "$ZIP_SITE_BYTES")" \
  "unzipped (limit 250 MiB)" "$(mib "$ZIP_UNZIPPED_BYTES")" \
  "zip (limit 50 MiB)" "$(mib "$ZIP_BYTES")"
printf '    %-28s %s\n' "sha256" "$ZIP_SHA256" "zip" "${ZIP#"$ROOT/"}"
