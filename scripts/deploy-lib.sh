# Shared by build.sh, deploy.sh, smoke.sh, destroy.sh, releases.sh, rollback.sh, ministack.sh
# and test-deploy.sh: the AWS CLI, stage facts from the `infra` crate, stack events, release
# listings, and the MiniStack emulator's address (tool pins and installers are in tools.sh).
# Source it after lib.sh, don't run it.
# shellcheck shell=bash
# shellcheck disable=SC2034 # its variables are for the scripts that source it

DEPLOY_DIR="$ROOT/target/deploy"
DEFAULT_STAGES_DIR="$ROOT/infra/stages"
# The emulator's port for `scripts/deploy.sh local` (and smoke/destroy/ministack.sh).
MINISTACK_PORT="${MINISTACK_PORT:-4566}"
MINISTACK_STATE_ROOT="$ROOT/target/ministack"

export AWS_PAGER=""

note() { printf '    %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }

# The architecture of this machine, in Lambda's words.
host_arch() {
  case "$(uname -m)" in
    x86_64 | amd64) echo x86_64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) die "unsupported host architecture $(uname -m): Lambda runs arm64 or x86_64" ;;
  esac
}

# Sets AWS_BIN: $AWS_CLI when given (e.g. AWS_CLI=aws for an AWS CLI v2 on PATH), else the
# pinned awscli, installed on first use. Dies with a plain message when there is none.
resolve_aws_cli() {
  if [[ -n "${AWS_CLI:-}" ]]; then
    AWS_BIN="$(command -v "$AWS_CLI" || true)"
    [[ -n "$AWS_BIN" ]] || die "no aws CLI: AWS_CLI=$AWS_CLI is not an executable. Install the AWS CLI, or unset AWS_CLI to use the pinned awscli $AWSCLI_VERSION (installed from PyPI into ${AWS_VENV#"$ROOT/"}). Nothing was changed."
  else
    ensure_aws_tools
    AWS_BIN="$AWS_VENV/bin/aws"
  fi
  "$AWS_BIN" --version >/dev/null 2>&1 || die "no aws CLI: $AWS_BIN --version fails. Nothing was changed."
}

# The AWS CLI in the stage's region.
aws_cli() { "$AWS_BIN" --region "$REGION" "$@"; }


# ---------------------------------------------------------------------------------------------
# The command line the stage scripts share: `<stage> [--stages-dir DIR] [-h | --help]`, and
# options of their own, each `--name VALUE` or `--name=VALUE`. A script's loop handles its own
# options, hands the rest to stage_script_argument, and shifts ARGS_TAKEN each time.

STAGE_ARG="" STAGES_DIR_ARG="" OPTION_VALUE="" ARGS_TAKEN=1

# The value of the option in "$@" (`--name VALUE` or `--name=VALUE`): sets OPTION_VALUE.
option_value() {
  if [[ "$1" == --*=* ]]; then
    OPTION_VALUE="${1#*=}" ARGS_TAKEN=1
  else
    (($# >= 2)) || die "$1 needs a value"
    OPTION_VALUE="$2" ARGS_TAKEN=2
  fi
}

# The stage, --stages-dir, --help (the script's header comment, lines 2 to HELP_LINES) or an
# unknown option.
stage_script_argument() {
  ARGS_TAKEN=1
  case "$1" in
    --stages-dir | --stages-dir=*) option_value "$@"; STAGES_DIR_ARG="$(from_caller "$OPTION_VALUE")" ;;
    -h | --help) sed -n "2,${HELP_LINES:-3}p" "$(from_caller "$0")" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option ${1@Q} (--help lists them)" ;;
    *) [[ -z "$STAGE_ARG" ]] || die "one stage at a time, got ${STAGE_ARG@Q} and ${1@Q}"; STAGE_ARG="$1" ;;
  esac
}

# For stage `local` without --stages-dir (after the arguments are read): the running MiniStack,
# the AWS CLI pointed at it, and its seeded stage copy as STAGES_DIR_ARG. Dies when nothing was
# deployed there. Any other stage is left as it is.
attach_local_stage() {
  [[ "$STAGE_ARG" == local && -z "$STAGES_DIR_ARG" ]] || return 0
  ministack_up "$MINISTACK_PORT" || die "MiniStack is not running on 127.0.0.1:$MINISTACK_PORT: deploy first (scripts/deploy.sh local)"
  use_ministack "$MINISTACK_PORT"
  STAGES_DIR_ARG="$DEPLOY_DIR/local/stages"
  [[ -f "$STAGES_DIR_ARG/local.toml" ]] || die "no seeded local stage in ${STAGES_DIR_ARG#"$ROOT/"}: deploy first (scripts/deploy.sh local)"
}

# The stage's facts, set by load_stage (named here so every script sees where they come from).
STAGE_NAME="" STAGE_FILE="" STACK="" REGION="" ACCOUNT="" BUCKET="" BUCKET_URL="" ARTIFACT_STACK="" PARTITION=""
PARAM_BUCKET="" PARAM_KEY="" PARAM_LIVE_VERSION="" PARAM_CANARY_VERSION="" PARAM_LIVE_WEIGHT="" PARAM_CANARY_WEIGHT=""
CANARY_ALIAS="" CANARY_TG_NAME="" CANARY_BAKE_SECONDS="" CANARY_ALARMS=""
CAPABILITIES="" ARCH="" DOMAIN="" URL="" FUNCTION_NAME="" LOG_GROUP="" TG_NAME="" DASHBOARD=""
DELETION_PROTECTION="" DUALSTACK="" ZONE_ID="" CERT_ARN="" VPC_ID="" SUBNET_IDS=""
ALARM_PREFIX="" ALARM_TOPIC="" ACCESS_LOG_BUCKET="" ACCESS_LOG_BUCKET_CREATED="" DESCRIBE_JSON=""

# Reads the stage through `infra describe` (which validates the stage file) and sets STAGE_*
# shell variables: STACK, REGION, ACCOUNT, BUCKET, ARCH, DOMAIN, ... (`infra describe --format
# shell`; infra/src/describe.rs lists them).
# Returns non-zero, after infra's own message, when the stage is unknown or invalid.
load_stage() {
  local stage="$1" stages_dir="$2" out assignments
  mkdir -p "$DEPLOY_DIR/$stage"
  out="$DEPLOY_DIR/$stage/describe.json"
  assignments="$(infra describe --stage "$stage" --stages-dir "$stages_dir" --format shell --json-out "$out.tmp")" \
    || { rm -f "$out.tmp"; return 1; }
  mv "$out.tmp" "$out"
  eval "$assignments"
  DESCRIBE_JSON="$out"
}

# ---------------------------------------------------------------------------------------------
# CloudFormation stacks: status and events, as deploy.sh and destroy.sh follow them.

# The stack's status, or NONE when there is no such stack. Fails, saying why, on any other
# error (credentials, throttling, ...).
stack_status() {
  local status
  if ! status="$(aws_cli cloudformation describe-stacks --stack-name "$1" --query 'Stacks[0].StackStatus' --output text 2>&1)"; then
    [[ "$status" == *"does not exist"* ]] || { echo "error: cannot read stack $1: $(tail -n1 <<<"$status")" >&2; return 1; }
    status=NONE
  fi
  echo "$status"
}

# Event ids already printed or from before this operation: those are not news.
declare -gA SEEN_STACK_EVENTS=()
mark_stack_events_seen() {
  local id
  while IFS=$'\t' read -r id _; do [[ -z "$id" ]] || SEEN_STACK_EVENTS[$id]=1; done < <(aws_cli cloudformation \
    describe-stack-events --stack-name "$1" --no-paginate --query 'StackEvents[].[EventId]' --output text 2>/dev/null || true)
}

# Prints the stack's events not seen yet, oldest first. Sets NEW_STACK_FAILURE to the earliest
# failure among them ("logical id: reason"): the cause, where later failures are its effects.
print_new_stack_events() {
  local id time logical type status reason lines=()
  NEW_STACK_FAILURE=""
  # Newest first: the last failure read is the earliest.
  while IFS=$'\t' read -r id time logical type status reason; do
    [[ -n "$id" && -z "${SEEN_STACK_EVENTS[$id]:-}" ]] || continue
    SEEN_STACK_EVENTS[$id]=1
    reason="${reason/#None/}"
    lines=("$(printf '    %s  %-30s %-44s %-20s %s' "${time:11:8}" "$logical" "$type" "$status" "$reason")" "${lines[@]}")
    if [[ "$status" == *FAILED && -n "$reason" ]]; then NEW_STACK_FAILURE="$logical: $reason"; fi
  done < <(aws_cli cloudformation describe-stack-events --stack-name "$1" --no-paginate \
    --query 'StackEvents[].[EventId,Timestamp,LogicalResourceId,ResourceType,ResourceStatus,ResourceStatusReason]' \
    --output text 2>/dev/null || true)
  if ((${#lines[@]})); then printf '%s\n' "${lines[@]}"; fi
}

# Follows the operation running on a stack until it ends, printing its events as they come
# (every 5 s, 1 s on MiniStack), for at most TIMEOUT seconds. Sets STACK_STATUS to where it
# ended (NONE once deleted) and STACK_FAILURE to the earliest failure reported.
follow_stack() {
  local stack="$1" timeout="$2" deadline=$((SECONDS + $2)) poll=5
  if on_ministack; then poll=1; fi
  STACK_FAILURE=""
  while :; do
    sleep "$poll"
    print_new_stack_events "$stack"
    [[ -n "$STACK_FAILURE" ]] || STACK_FAILURE="$NEW_STACK_FAILURE"
    STACK_STATUS="$(stack_status "$stack")" || return 1
    [[ "$STACK_STATUS" == *_IN_PROGRESS ]] || return 0
    ((SECONDS < deadline)) || die "stack $stack is still $STACK_STATUS after ${timeout}s; watch it in the CloudFormation console"
  done
}

# Deletes a stack and follows the deletion to its end, printing its events; fails, saying why,
# when the stack is still there.
delete_stack() {
  local stack="$1" timeout="$2"
  mark_stack_events_seen "$stack"
  aws_cli cloudformation delete-stack --stack-name "$stack" || return 1
  follow_stack "$stack" "$timeout" || return 1
  case "$STACK_STATUS" in
    NONE | DELETE_COMPLETE) return 0 ;;
    *) echo "error: stack $stack could not be deleted ($STACK_STATUS${STACK_FAILURE:+: $STACK_FAILURE}; events above)" >&2; return 1 ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# MiniStack: where it listens and how the AWS CLI reaches it.

ministack_state_dir() { echo "$MINISTACK_STATE_ROOT/${1:-$MINISTACK_PORT}"; }
ministack_endpoint() { echo "http://127.0.0.1:${1:-$MINISTACK_PORT}"; }

# Whether a MiniStack answers on the port.
ministack_up() { curl -fsS --max-time 2 "$(ministack_endpoint "${1:-}")/_ministack/health" 2>/dev/null | grep -q '"edition"'; }

# Points the AWS CLI at the MiniStack on the port, with the emulator's dummy credentials (a
# 12-digit access key id selects that account; anything else is MiniStack's default account).
use_ministack() {
  local port="${1:-$MINISTACK_PORT}"
  export AWS_ENDPOINT_URL
  AWS_ENDPOINT_URL="$(ministack_endpoint "$port")"
  export AWS_ACCESS_KEY_ID="${MINISTACK_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="test"
  unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE
  # Nothing on the emulator's path may ask a cloud metadata service for credentials.
  export AWS_EC2_METADATA_DISABLED=true
}

# Whether the AWS CLI talks to a MiniStack emulator (AWS_ENDPOINT_URL answering its health
# check), rather than AWS. Decides the host-architecture build and the emulator's fix-ups.
on_ministack() {
  [[ -n "${AWS_ENDPOINT_URL:-}" ]] || return 1
  curl -fsS --max-time 2 "${AWS_ENDPOINT_URL%/}/_ministack/health" 2>/dev/null | grep -q '"edition"'
}

# The region a MiniStack serves its data plane (ALB) in: the one it was started with.
ministack_region_of_endpoint() {
  local port="${AWS_ENDPOINT_URL##*:}"
  port="${port%%/*}"
  cat "$(ministack_state_dir "$port")/region" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
# Releases: what the AWS CLI lists about them, for `infra releases` to decide on.

# Writes the function's versions and aliases (versions.json, aliases.json) and, unless
# --no-zips, the artifact bucket's zips (zips.json) into DIR as the AWS CLI's JSON. Fails,
# saying why, when the function or the bucket cannot be listed.
list_releases() {
  local dir="$1" out
  mkdir -p "$dir"
  out="$(aws_cli lambda list-versions-by-function --function-name "$FUNCTION_NAME" --output json 2>&1)" \
    || { echo "error: the versions of $FUNCTION_NAME cannot be listed: $(tail -n1 <<<"$out")" >&2; return 1; }
  printf '%s\n' "$out" >"$dir/versions.json"
  aws_cli lambda list-aliases --function-name "$FUNCTION_NAME" --output json >"$dir/aliases.json" || return 1
  rm -f "$dir/zips.json" # an earlier listing's: this one's, or none
  if [[ "${2:-}" != --no-zips ]]; then
    out="$(aws_cli s3api list-objects-v2 --bucket "$BUCKET" --prefix "$STACK/" --output json 2>&1)" \
      || { echo "error: the artifact bucket $BUCKET cannot be listed: $(tail -n1 <<<"$out")" >&2; return 1; }
    printf '%s\n' "$out" >"$dir/zips.json"
  fi
}

# `infra releases COMMAND` over the listings list_releases wrote into DIR.
infra_releases() {
  local command="$1" dir="$2"
  shift 2
  local zips=()
  if [[ -f "$dir/zips.json" ]]; then zips=(--zips "$dir/zips.json"); fi
  infra releases "$command" --versions "$dir/versions.json" --aliases "$dir/aliases.json" "${zips[@]}" "$@"
}
