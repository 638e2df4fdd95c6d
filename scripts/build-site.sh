#!/usr/bin/env bash
# Builds the release site into target/site (hydrate wasm with the wasm-release profile and
# wasm-opt, hashed file names, brotli and gzip twins), then guards ALB's response cap:
# every file the function could serve must fit in 1 MB of response JSON after base64.
#
# The wasm bundle is built the way the Leptos book shrinks it: std rebuilt for wasm32
# (-Zbuild-std) with panics compiled to a bare trap (-Cpanic=immediate-abort) and no panic
# locations, about 40 KiB (raw) less. Those flags are unstable; RUSTC_BOOTSTRAP=1 allows them
# on the pinned stable toolchain for this one frontend build (std's source comes from the
# rust-src component in rust-toolchain.toml). A browser panic then shows only as
# "RuntimeError: unreachable"; WASM_PANIC_MESSAGES=1 builds without these flags, so panics
# print their message (console_error_panic_hook) at the cost of a bigger bundle.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SITE="$ROOT/target/site"
ALB_MAX_RESPONSE_BYTES=1048576
# Room for statusCode, headers and JSON punctuation around the base64 body.
RESPONSE_OVERHEAD_BYTES=4096
# The starter's budget, in kB of 1000 bytes.
WASM_BUDGET_BROTLI_BYTES=100000
WASM_BUDGET_RAW_BYTES=320000

if [[ "${WASM_PANIC_MESSAGES:-0}" == 1 ]]; then
  panics="panic messages kept"
  build_env=()
else
  panics="std rebuilt with immediate-abort panics"
  build_env=(
    RUSTC_BOOTSTRAP=1
    CARGO_UNSTABLE_BUILD_STD="std,panic_abort"
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"
  )
fi
ensure_site_tools
step "Building the release site (wasm-release profile, $panics, wasm-opt, hashed names, br/gzip twins)"
# RUST_BACKTRACE=0: cargo-leptos reports its own errors; the compiler's output says the rest.
env "${build_env[@]}" RUST_BACKTRACE=0 RUST_LIB_BACKTRACE=0 cargo leptos build --release --precompress --frontend-only \
  || die "cargo-leptos could not build the site (its output is above)"

# wasm-bindgen's TypeScript declarations serve TypeScript builds, never a browser: keep them
# out of the function's zip.
find "$SITE/pkg" -name '*.d.*.ts*' -delete

# cargo-leptos writes its gzip twins at a fast level (the wasm's was 137 KB, 118 KB at -9).
# Browsers without brotli get these, and they are built once: write them again at gzip's best,
# without a name or time (-n), so the same site gives the same bytes. A .gz with no original
# beside it is a file of the site's own, left as it is.
while IFS= read -r -d '' twin; do
  original="${twin%.gz}"
  [[ -f "$original" ]] || continue
  if ! gzip -9 -n -c "$original" >"$twin.tmp"; then
    rm -f "$twin.tmp"
    die "gzip could not recompress ${twin#"$ROOT/"}"
  fi
  mv "$twin.tmp" "$twin"
  gzip -dc "$twin" | cmp -s - "$original" \
    || die "${twin#"$ROOT/"} does not decompress to ${original#"$ROOT/"}"
done < <(find "$SITE" -name '*.gz' -type f -print0)

[[ -f "$SITE/hash.txt" ]] || die "cargo-leptos wrote no $SITE/hash.txt; is hash-files on in Cargo.toml?"

size_of() { if [[ -f "$1" ]]; then file_bytes "$1"; else echo 0; fi; }
kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }

step "Checking every servable file against ALB's 1 MB response limit"
too_large=0
while IFS= read -r -d '' file; do
  bytes=$(size_of "$file")
  base64_bytes=$(( ((bytes + 2) / 3) * 4 )) # whole 3-byte groups, 4 characters each
  if (( base64_bytes + RESPONSE_OVERHEAD_BYTES > ALB_MAX_RESPONSE_BYTES )); then
    echo "error: ${file#"$ROOT/"} is $(kib "$bytes"), $(kib "$base64_bytes") once base64-encoded:" \
         "over ALB's 1 MB response limit, so ALB would answer 502. Shrink it or serve it from S3." >&2
    too_large=1
  fi
done < <(find "$SITE" -type f ! -name hash.txt -print0)
(( too_large == 0 )) || exit 1
echo "every file fits"

step "Sizes"
printf '%-6s %-48s %12s %12s %12s\n' kind file raw gzip brotli
for kind in wasm js css; do
  file=$(find "$SITE/pkg" -maxdepth 1 -name "*.$kind" | head -n1)
  [[ -n "$file" ]] || die "no .$kind file in $SITE/pkg"
  printf '%-6s %-48s %12s %12s %12s\n' "$kind" "${file#"$SITE/"}" \
    "$(kib "$(size_of "$file")")" "$(kib "$(size_of "$file.gz")")" "$(kib "$(size_of "$file.br")")"
done

wasm=$(find "$SITE/pkg" -maxdepth 1 -name '*.wasm' | head -n1)
wasm_raw=$(size_of "$wasm"); wasm_br=$(size_of "$wasm.br")
if (( wasm_raw > WASM_BUDGET_RAW_BYTES || wasm_br > WASM_BUDGET_BROTLI_BYTES )); then
  echo "warning: the hydrate bundle ($(kib "$wasm_raw") raw, $(kib "$wasm_br") brotli) is over the starter's" \
       "budget of $((WASM_BUDGET_RAW_BYTES / 1000)) kB raw / $((WASM_BUDGET_BROTLI_BYTES / 1000)) kB brotli" >&2
else
  echo "hydrate bundle within the starter's budget: $wasm_raw bytes raw (≤ $((WASM_BUDGET_RAW_BYTES / 1000)) kB), $wasm_br bytes brotli (≤ $((WASM_BUDGET_BROTLI_BYTES / 1000)) kB)"
fi
