#!/usr/bin/env bash
# Browser tests: builds the release site and bootstrap, starts the local ALB emulator in both
# header modes on 127.0.0.1, and runs the Playwright suite in app/end2end with Debian Chromium.
# The emulators are stopped by PID whatever happens.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

E2E_DIR="$ROOT/app/end2end"
LOGS="$ROOT/target/e2e"
mkdir -p "$LOGS"

ensure_chromium
"$ROOT/scripts/build-site.sh"
step "Building bootstrap"
cargo build -p server-lambda

step "Installing the Playwright runner (no browser download: Debian Chromium is used)"
if [[ ! -d "$E2E_DIR/node_modules/@playwright/test" ]] || [[ "$E2E_DIR/package-lock.json" -nt "$E2E_DIR/node_modules/.package-lock.json" ]]; then
  command -v npm >/dev/null || die "npm is required for the browser tests (Playwright): install Node.js and re-run"
  (cd "$E2E_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund) || die "npm could not install the Playwright runner (above)"
fi

pids=()
stop_emulators() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop_emulators EXIT

# Prints the URL an emulator logged once it listens (bounded wait).
url_of_emulator() {
  local log="$1"
  for _ in $(seq 1 100); do
    local url
    url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$log" | head -n1)
    if [[ -n "$url" ]]; then echo "$url"; return 0; fi
    sleep 0.1
  done
  cat "$log" >&2
  die "the emulator did not start listening within 10 s"
}

step "Starting the local ALB emulator in both header modes"
export MULTI_LOG="$LOGS/emulator-multi.log" SINGLE_LOG="$LOGS/emulator-single.log"
"$ROOT/target/debug/bootstrap" --addr 127.0.0.1:0 --multi-value-headers >"$MULTI_LOG" 2>&1 &
pids+=("$!")
"$ROOT/target/debug/bootstrap" --addr 127.0.0.1:0 --single-value-headers >"$SINGLE_LOG" 2>&1 &
pids+=("$!")
MULTI_URL=$(url_of_emulator "$MULTI_LOG")
SINGLE_URL=$(url_of_emulator "$SINGLE_LOG")
export MULTI_URL SINGLE_URL
echo "multi-value:  $MULTI_URL"
echo "single-value: $SINGLE_URL"

step "Running the browser tests"
(cd "$E2E_DIR" && npx --no-install playwright test)
