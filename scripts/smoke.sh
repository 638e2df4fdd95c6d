#!/usr/bin/env bash
# Proves a deployed stage answers: HTTP is a 301 to HTTPS, /healthz is `ok`, / is a 200 HTML
# page carrying the hydration script, and that script comes back brotli-compressed.
#
#   scripts/smoke.sh <stage> [--stages-dir DIR] [--timeout SECONDS]
#
# On AWS it asks http://<domain> and https://<domain>, retrying while a new DNS record
# propagates (--timeout, default 300 s). On the MiniStack emulator (stage `local`, or
# AWS_ENDPOINT_URL pointing at one) it asks the emulator's gateway with
# `Host: <load balancer DNS name>:80` or `:443`, which is how MiniStack routes to its ALB.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/deploy-lib.sh"

HELP_LINES=10
timeout=""
while (($#)); do
  case "$1" in
    --timeout | --timeout=*) option_value "$@"; timeout="$OPTION_VALUE" ;;
    *) stage_script_argument "$@" ;;
  esac
  shift "$ARGS_TAKEN"
done
[[ -n "$STAGE_ARG" ]] || die "usage: scripts/smoke.sh <stage> [--stages-dir DIR] [--timeout SECONDS]"
[[ -z "$timeout" || "$timeout" =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds, got ${timeout@Q}"
attach_local_stage
stage="$STAGE_ARG" stages_dir="$STAGES_DIR_ARG"
load_stage "$stage" "${stages_dir:-$DEFAULT_STAGES_DIR}" || die "stage ${stage@Q} cannot be read (above)"
resolve_aws_cli

emulator=0
on_ministack && emulator=1
timeout="${timeout:-$( ((emulator)) && echo 20 || echo 300)}"
outputs="$(aws_cli cloudformation describe-stacks --stack-name "$STACK" \
  --query "Stacks[0].Outputs[?OutputKey=='LoadBalancerDnsName'].OutputValue | [0]" --output text 2>&1)" \
  || die "stack $STACK cannot be read: $(tail -n1 <<<"$outputs")"
lb_dns="$outputs"
[[ -n "$lb_dns" && "$lb_dns" != None ]] || die "stack $STACK has no LoadBalancerDnsName output"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0

# fetch PORT PATH [curl args...]: status code to stdout; headers and body into $work.
fetch() {
  local port="$1" path="$2"
  shift 2
  local url scheme=https
  [[ "$port" == 80 ]] && scheme=http
  local args=(-sS --max-time 15 -o "$work/body" -D "$work/headers" -w '%{http_code}')
  if ((emulator)); then
    url="${AWS_ENDPOINT_URL%/}$path"
    args+=(-H "Host: $lb_dns:$port")
  else
    url="$scheme://$SITE_HOST$path"
  fi
  curl "${args[@]}" "$@" "$url" 2>"$work/error" || echo "000"
}
header() { sed -n "s/^$1: *//Ip" "$work/headers" | tr -d '\r' | head -n1; }
pass() { printf '    ok    %s\n' "$*"; }
fail() { printf '    FAIL  %s\n' "$*" >&2; failures=$((failures + 1)); }

where="$( ((emulator)) && echo "MiniStack $AWS_ENDPOINT_URL, load balancer $lb_dns" || echo "$URL")"
step "Smoke test of $stage ($where)"

# The first request waits for DNS (AWS) or the function's cold start, bounded by --timeout.
deadline=$((SECONDS + timeout))
until code="$(fetch 443 /healthz)"; [[ "$code" == 200 ]] || ((SECONDS >= deadline)); do sleep 3; done

code="$(fetch 80 /)"
location="$(header location)"
if [[ "$code" == 301 && "$location" == https://* ]]; then pass "http:// answers 301 to $location"; else fail "http:// / answered $code (location ${location:-none}), expected 301 to https://"; fi

code="$(fetch 443 /healthz)"
if [[ "$code" == 200 && "$(cat "$work/body")" == ok ]]; then pass "/healthz is 200 ok"; else fail "/healthz answered $code: $(head -c 200 "$work/body") $(cat "$work/error")"; fi

code="$(fetch 443 /)"
script="$(grep -o '/pkg/[A-Za-z0-9._-]*\.js' "$work/body" | head -n1 || true)"
if [[ "$code" == 200 && "$(header content-type)" == text/html* && -n "$script" ]] && grep -q '<script' "$work/body"; then
  pass "/ is 200 HTML with the hydration script $script"
else
  fail "/ answered $code ($(header content-type)) without a /pkg/*.js hydration script"
fi

if [[ -n "$script" ]]; then
  code="$(fetch 443 "$script" -H 'accept-encoding: br')"
  if [[ "$code" == 200 && "$(header content-encoding)" == br ]]; then
    pass "$script is 200 with content-encoding br ($(file_bytes "$work/body") bytes)"
  else
    fail "$script answered $code with content-encoding '$(header content-encoding)', expected br"
  fi
fi

((failures == 0)) || die "smoke test of $stage: $failures check(s) failed"
echo "smoke test of $stage passed"
