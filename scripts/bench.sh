#!/usr/bin/env bash
# Measures the site against its performance goals and prints one table (README "Performance").
#
#   scripts/bench.sh [--quick]
#
# Builds the release site and the arm64 zip (scripts/build.sh), then `bootstrap` and the bare
# lambda_runtime fixture (server-lambda/examples/echo_bootstrap.rs) with the bench profile;
# runs the warm criterion benches (server-lambda/benches/warm.rs), then the start-up harness
# (benches/startup.rs), which measures cold starts, memory and the big site and prints the
# table with the warm medians in it. BENCH_SAMPLES sets the spawns per row (default 30).
#
# --quick proves the benchmarks still run, not how fast anything is: the dev profile, 3
# spawns, 200 invocations, criterion's shortest settings, and the site already built if there
# is one. scripts/test.sh runs it; the figures it prints mean nothing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { echo "usage: scripts/bench.sh [--quick]"; }
quick=false
while (($#)); do
  case "$1" in
    --quick) quick=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unexpected argument '$1'" ;;
  esac
done

ensure_rust_toolchain
if $quick; then
  profile=dev; out="$ROOT/target/debug"; samples=3; invocations=200
  criterion_args=(--warm-up-time 0.01 --measurement-time 0.02 --sample-size 10)
  [[ -d "$ROOT/target/site/pkg" ]] || "$ROOT/scripts/build-site.sh"
else
  profile=bench; out="$ROOT/target/release"; samples="${BENCH_SAMPLES:-30}"; invocations=10000
  criterion_args=()
  "$ROOT/scripts/build.sh" --arch arm64
fi

step "bootstrap and the bare lambda_runtime fixture ($profile profile)"
cargo build --profile "$profile" -p server-lambda --bin bootstrap --example echo_bootstrap

export BENCH_SITE_ROOT="$ROOT/target/site"
step "Warm invocations (criterion)"
cargo bench --profile "$profile" -p server-lambda --bench warm -- "${criterion_args[@]}"

step "Cold starts ($samples spawns per row), memory over $invocations invocations, sizes"
BENCH_ECHO_BOOTSTRAP="$out/examples/echo_bootstrap" \
BENCH_SAMPLES="$samples" \
BENCH_INVOCATIONS="$invocations" \
BENCH_ZIP="$ROOT/target/lambda/arm64/bootstrap/bootstrap.zip" \
BENCH_CRITERION_DIR="$ROOT/target/criterion" \
  cargo bench --profile "$profile" -p server-lambda --bench startup
# Linux names the CPU in /proc/cpuinfo, macOS through sysctl.
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n1)"
[[ -n "$cpu" ]] || cpu="$(sysctl -n machdep.cpu.brand_string 2>/dev/null || uname -m)"
echo "machine: $(getconf _NPROCESSORS_ONLN) cores, $cpu"
