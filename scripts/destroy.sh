#!/usr/bin/env bash
# Deletes a stage's stack, after confirmation.
#
#   scripts/destroy.sh <stage> [--yes] [--force-production] [--delete-artifacts] [--stages-dir DIR]
#
#   --yes                 do not ask (needed when there is no terminal to ask on)
#   --force-production    required to destroy `production`; also turns off the load balancer's
#                         deletion protection, which would make CloudFormation fail otherwise
#   --delete-artifacts    also empty (every version) and delete the artifact bucket with its
#                         stack (<stack>-artifacts); by default it is kept, with every zip
#                         ever deployed
#
# Stage `local` is destroyed on the MiniStack emulator (scripts/ministack.sh stop ends the
# emulator itself).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/deploy-lib.sh"

DELETE_TIMEOUT_SECONDS="${DELETE_TIMEOUT_SECONDS:-3600}"

HELP_LINES=15
yes=0 force_production=0 delete_artifacts=0
while (($#)); do
  case "$1" in
    --yes | -y) yes=1 ARGS_TAKEN=1 ;;
    --force-production) force_production=1 ARGS_TAKEN=1 ;;
    --delete-artifacts) delete_artifacts=1 ARGS_TAKEN=1 ;;
    *) stage_script_argument "$@" ;;
  esac
  shift "$ARGS_TAKEN"
done
stage="$STAGE_ARG" stages_dir="$STAGES_DIR_ARG"
[[ -n "$stage" ]] || die "usage: scripts/destroy.sh <stage> [--yes] [--force-production] [--delete-artifacts]"
nothing_changed="Nothing was changed."

if [[ "$stage" == production && $force_production -eq 0 ]]; then
  die "refusing to destroy production without --force-production. $nothing_changed"
fi

if [[ "$stage" == local && -z "$stages_dir" ]]; then
  if ! ministack_up "$MINISTACK_PORT"; then
    echo "MiniStack is not running on 127.0.0.1:$MINISTACK_PORT: there is no local stack to destroy (the emulator keeps nothing once stopped)"
    exit 0
  fi
  use_ministack "$MINISTACK_PORT"
  stages_dir="$DEPLOY_DIR/local/stages"
  [[ -f "$stages_dir/local.toml" ]] || stages_dir="$DEFAULT_STAGES_DIR"
fi
load_stage "$stage" "${stages_dir:-$DEFAULT_STAGES_DIR}" || die "stage ${stage@Q} cannot be read (above). $nothing_changed"
resolve_aws_cli
if ! caller="$(aws_cli sts get-caller-identity --query Account --output text 2>&1)"; then
  die "no working AWS credentials: $(tail -n1 <<<"$caller"). $nothing_changed"
fi
[[ "$caller" == "$ACCOUNT" ]] || die "the AWS credentials are for account $caller, but stage $stage is in account $ACCOUNT. $nothing_changed"

stack_status="$(stack_status "$STACK")" || die "the stack's status is unknown (above). $nothing_changed"
[[ "$stack_status" != NONE ]] || stack_status=""
bucket_exists=0
aws_cli s3api head-bucket --bucket "$BUCKET" >/dev/null 2>&1 && bucket_exists=1
if [[ -z "$stack_status" ]] && ! ((delete_artifacts && bucket_exists)); then
  echo "stack $STACK does not exist in account $ACCOUNT, region $REGION: nothing to destroy"
  ((bucket_exists)) && echo "(the artifact bucket $BUCKET is kept; --delete-artifacts deletes it)"
  exit 0
fi

what="stack $STACK${stack_status:+ ($stack_status)}"
((delete_artifacts && bucket_exists)) && what+=" and the artifact bucket $BUCKET with every version in it"
step "About to delete $what in account $ACCOUNT, region $REGION"
if ((!yes)); then
  [[ -t 0 ]] || die "refusing to delete without confirmation: pass --yes (there is no terminal to ask on). $nothing_changed"
  read -r -p "Type the stage name ($stage) to confirm: " answer
  [[ "$answer" == "$stage" ]] || die "not confirmed. $nothing_changed"
fi

if [[ -n "$stack_status" ]]; then
  if [[ "$DELETION_PROTECTION" == true ]]; then
    lb_arn="$(aws_cli cloudformation describe-stack-resource --stack-name "$STACK" --logical-resource-id LoadBalancer \
      --query StackResourceDetail.PhysicalResourceId --output text 2>/dev/null || true)"
    if [[ -n "$lb_arn" && "$lb_arn" != None ]]; then
      aws_cli elbv2 modify-load-balancer-attributes --load-balancer-arn "$lb_arn" \
        --attributes Key=deletion_protection.enabled,Value=false >/dev/null
      note "turned off the load balancer's deletion protection (CloudFormation cannot delete it otherwise)"
    fi
  fi
  step "Deleting stack $STACK"
  delete_stack "$STACK" "$DELETE_TIMEOUT_SECONDS" || die "fix the cause (above) and run this again"
  echo "stack $STACK deleted"
  if [[ -n "$ACCESS_LOG_BUCKET_CREATED" ]]; then
    echo "access-log bucket $ACCESS_LOG_BUCKET_CREATED kept with its logs (the stack retains it): delete it yourself once they are no longer needed"
  fi
fi

if ((delete_artifacts && bucket_exists)); then
  step "Deleting the artifact bucket $BUCKET (every version)"
  while :; do
    # Up to 1,000 versions and delete markers as a delete-objects batch (JMESPath).
    # shellcheck disable=SC2016 # backquotes are JMESPath literals, not command substitution
    batch="$(aws_cli s3api list-object-versions --bucket "$BUCKET" --max-keys 1000 --no-paginate --output json \
      --query '{Objects: [not_null(Versions, `[]`)[].{Key: Key, VersionId: VersionId}, not_null(DeleteMarkers, `[]`)[].{Key: Key, VersionId: VersionId}][], Quiet: `true`}')"
    [[ "$batch" == *'"Key"'* ]] || break
    aws_cli s3api delete-objects --bucket "$BUCKET" --delete "$batch" >/dev/null
  done
  artifact_status="$(stack_status "$ARTIFACT_STACK")" || die "the artifact stack's status is unknown (above)"
  if [[ "$artifact_status" == NONE ]]; then
    # Created by an earlier version of deploy.sh, outside CloudFormation.
    aws_cli s3api delete-bucket --bucket "$BUCKET"
  else
    delete_stack "$ARTIFACT_STACK" "$DELETE_TIMEOUT_SECONDS" || die "the artifact bucket is empty but still there (above)"
  fi
  echo "artifact bucket $BUCKET deleted"
elif ((bucket_exists)); then
  echo "artifact bucket $BUCKET kept (--delete-artifacts deletes it)"
fi
[[ "$stage" == local && -n "${AWS_ENDPOINT_URL:-}" ]] && echo "MiniStack keeps running; scripts/ministack.sh stop ends it"
exit 0
