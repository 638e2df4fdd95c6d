#!/usr/bin/env bash
# The MiniStack AWS emulator on 127.0.0.1, for rehearsing deploys without an AWS account.
# Used by `scripts/deploy.sh local` (which starts it when it is not running) and by
# scripts/test-deploy.sh. Nothing here ever talks to AWS: every command points the AWS CLI at
# http://127.0.0.1:<port>.
#
#   scripts/ministack.sh start  [--port P] [--region R] [--account A]  start unless running
#   scripts/ministack.sh stop   [--port P]          stop the one this script started (by PID)
#   scripts/ministack.sh status [--port P]
#   scripts/ministack.sh seed --stage S [--stages-dir D] --out DIR [--port P] [--set KEY=VALUE ...]
#       create what a real account already has for stage S (VPC, subnets in distinct AZs,
#       hosted zone, ISSUED certificate, and the SNS topic / access-log bucket if the stage
#       names them), or find them from an earlier seed, and write DIR/S.toml: a copy of the
#       stage file with those ids replaced (and any KEY=VALUE given, as `infra stage-copy`
#       takes it), everything else as is.
#   scripts/ministack.sh register-targets --stack NAME --region R [--port P]
#       MiniStack gap: register the stack's function in its target group (see below).
#
# Port: --port, else $MINISTACK_PORT, else 4566. State (PID, log, region, the emulator's
# temporary files) lives in target/ministack/<port>/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/deploy-lib.sh"

START_TIMEOUT_SECONDS=30
STOP_TIMEOUT_SECONDS=15

command="${1:-}"
(($#)) && shift
port="$MINISTACK_PORT"
region="${MINISTACK_REGION:-us-east-1}"
account="${MINISTACK_ACCOUNT_ID:-000000000000}"
stage="" stages_dir="$DEFAULT_STAGES_DIR" out="" stack=""
overrides=()
while (($#)); do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --region) region="$2"; shift 2 ;;
    --account) account="$2"; shift 2 ;;
    --stage) stage="$2"; shift 2 ;;
    --stages-dir) stages_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --stack) stack="$2"; shift 2 ;;
    --set) overrides+=(--set "$2"); shift 2 ;;
    *) die "ministack.sh: unexpected argument ${1@Q} (see the header of scripts/ministack.sh)" ;;
  esac
done
[[ "$port" =~ ^[0-9]+$ ]] || die "ministack.sh: --port must be a number, got ${port@Q}"
state="$(ministack_state_dir "$port")"
endpoint="$(ministack_endpoint "$port")"

# The emulator's process and all its descendants (the bootstrap processes it runs).
descendants() {
  local pid child
  for pid in "$@"; do
    for child in $(pgrep -P "$pid" 2>/dev/null); do
      echo "$child"
      descendants "$child"
    done
  done
}

start() {
  if ministack_up "$port"; then
    echo "MiniStack is already running on $endpoint (region $(cat "$state/region" 2>/dev/null || echo "unknown: not started by this script"))"
    return 0
  fi
  ensure_aws_tools
  mkdir -p "$state/tmp"
  rm -f "$state/pid"
  echo "$region" >"$state/region"
  echo "starting MiniStack $MINISTACK_VERSION on $endpoint (region $region, account $account; log ${state#"$ROOT/"}/log)"
  # Its own session (setsid, where there is one: not on macOS), so it keeps serving after the
  # deploy that started it; stopped by PID (`scripts/ministack.sh stop`). TMPDIR keeps the
  # unpacked functions under target/.
  local detach=()
  if command -v setsid >/dev/null; then detach=(setsid); fi
  BIND_HOST=127.0.0.1 GATEWAY_PORT="$port" MINISTACK_REGION="$region" MINISTACK_ACCOUNT_ID="$account" \
    TMPDIR="$state/tmp" LOG_LEVEL="${MINISTACK_LOG_LEVEL:-WARNING}" \
    "${detach[@]}" "$AWS_VENV/bin/ministack" >"$state/log" 2>&1 </dev/null &
  echo "$!" >"$state/pid"
  local deadline=$((SECONDS + START_TIMEOUT_SECONDS))
  until ministack_up "$port"; do
    if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then
      tail -n 20 "$state/log" >&2
      die "MiniStack exited while starting (log above: ${state#"$ROOT/"}/log)"
    fi
    ((SECONDS < deadline)) || { stop; die "MiniStack did not answer on $endpoint within ${START_TIMEOUT_SECONDS}s"; }
    sleep 0.2
  done
  echo "MiniStack ready (PID $(cat "$state/pid"))"
}

stop() {
  local pid
  pid="$(cat "$state/pid" 2>/dev/null || true)"
  if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$state/pid"
    if ministack_up "$port"; then
      die "a MiniStack answers on $endpoint, but not one this script started: stop it yourself"
    fi
    echo "MiniStack is not running on port $port"
    return 0
  fi
  local children
  children="$(descendants "$pid")"
  kill "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT_SECONDS))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  # The function processes it ran normally go with it; any left are stopped by their PIDs.
  for child in $children; do kill "$child" 2>/dev/null || true; done
  rm -f "$state/pid"
  rm -rf "$state/tmp"
  echo "MiniStack stopped (PID $pid)"
}

status() {
  if ministack_up "$port"; then
    echo "MiniStack running on $endpoint (PID $(cat "$state/pid" 2>/dev/null || echo "not started by this script"), region $(cat "$state/region" 2>/dev/null || echo unknown))"
  else
    echo "MiniStack is not running on port $port"
    return 1
  fi
}

seed() {
  [[ -n "$stage" && -n "$out" ]] || die "ministack.sh seed needs --stage and --out"
  ministack_up "$port" || die "MiniStack is not running on $endpoint: scripts/ministack.sh start --port $port"
  ensure_aws_tools
  # The seeded ids replace the stage file's; every other value is copied from it.
  echo "seeding MiniStack $endpoint for stage $stage (what a real account already has):"
  local seeded sets=() assignment
  seeded="$(infra emulator seed --endpoint "$endpoint" --aws-cli "$AWS_VENV/bin/aws" --stage "$stage" --stages-dir "$stages_dir")" \
    || die "seeding MiniStack on $endpoint for stage $stage failed (above)"
  while IFS= read -r assignment; do sets+=(--set "$assignment"); done <<<"$seeded"
  infra stage-copy --stage "$stage" --stages-dir "$stages_dir" --out "$out/$stage.toml" "${sets[@]}" "${overrides[@]}"
  note "stage file for the emulator: ${out#"$ROOT/"}/$stage.toml"
}

# MiniStack gap (seen in ministack 1.5.33): CloudFormation's `Targets` on an
# AWS::ElasticLoadBalancingV2::TargetGroup are not registered, so the emulated ALB has no
# function to invoke. On AWS, ELB registers them itself; this only ever runs against the
# emulator (deploy.sh calls it when AWS_ENDPOINT_URL answers MiniStack's health check).
register_targets() {
  [[ -n "$stack" ]] || die "ministack.sh register-targets needs --stack"
  REGION="$region"
  use_ministack "$port"
  resolve_aws_cli
  # Each target group's target is an alias (its qualified ARN is the alias's physical id).
  local target_group alias_arn registered pair
  physical_id() { aws_cli cloudformation describe-stack-resource --stack-name "$stack" --logical-resource-id "$1" \
    --query StackResourceDetail.PhysicalResourceId --output text; }
  for pair in TargetGroup:LiveAlias CanaryTargetGroup:CanaryAlias; do
    target_group="$(physical_id "${pair%:*}")"
    alias_arn="$(physical_id "${pair#*:}")"
    registered="$(aws_cli elbv2 describe-target-health --target-group-arn "$target_group" \
      --query "TargetHealthDescriptions[?Target.Id=='$alias_arn'].Target.Id | [0]" --output text | sed 's/^None$//')"
    if [[ -n "$registered" ]]; then
      echo "MiniStack: alias ${alias_arn##*:} is registered in its target group already"
    else
      aws_cli elbv2 register-targets --target-group-arn "$target_group" --targets "Id=$alias_arn"
      echo "MiniStack gap worked around: registered $alias_arn in ${target_group##*:} (MiniStack does not apply a target group's Targets)"
    fi
  done
}

case "$command" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  seed) seed ;;
  register-targets) register_targets ;;
  *) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
