#!/usr/bin/env bash
# Builds, uploads and deploys one stage, then proves it answers.
#
#   scripts/deploy.sh <stage> [--dry-run] [--zip FILE | --release SHA256] [--canary PERCENT]
#                    [--stages-dir DIR]
#
#   <stage>          a file infra/stages/<stage>.toml: local, migrate, production, ...
#   --dry-run        build, then print the change set CloudFormation would run, delete it, stop:
#                    no bucket is created, nothing is uploaded, the stack is not touched
#   --zip FILE       deploy a zip built earlier by scripts/build.sh instead of building
#   --release SHA256 deploy the zip the artifact bucket keeps under this sha256 (an earlier
#                    release; scripts/rollback.sh chooses it): no build, no upload
#   --canary PERCENT the new version first takes PERCENT (1 to 50) of the requests, while its
#                    alarms are watched for the stage's canary.bake_seconds; then it takes all
#                    of them, or, when one of its alarms fires, none (rolled back; exit 1)
#   --stages-dir DIR read <stage>.toml from DIR instead of infra/stages
#
# Steps: validate the stage file (infra) and the AWS access (credentials for the stage's
# account; the certificate, hosted zone, subnets, topic and log bucket it names exist), build
# (scripts/build.sh), upload the zip to the stage's artifact bucket under its sha256 (the bucket
# is a stack of its own, `<stack>-artifacts`: private, encrypted, versioned, TLS only, created
# or updated here), synthesize the template (infra), deploy it through a change set while
# printing the stack's events. A deploy that changes the code or its configuration publishes
# a new Lambda version while the `live` alias, which the load balancer invokes, stays on the
# serving one; the new version is invoked directly with the load balancer's events for
# /healthz and / (infra version-smoke), and only if it answers well does a second change set
# move the alias to it (with --canary: first the canary alias, for a share of the requests
# through the canary target group, while the canary's alarms bake). Then: print the outputs,
# run scripts/smoke.sh through the load balancer, delete the published versions beyond the last
# few (never one an alias points at).
# A failed deploy is rolled back by CloudFormation: the previous version keeps serving, and the
# script says so.
#
# Stage `local` runs the same path against the MiniStack emulator on 127.0.0.1 (started when
# it is not running, port $MINISTACK_PORT or 4566, seeded with a VPC, subnets, hosted zone and
# certificate): no AWS account needed. Other stages use your AWS credentials as the AWS CLI
# finds them (AWS_PROFILE, environment, ...); AWS_ENDPOINT_URL pointing at a MiniStack makes
# them rehearse there (scripts/test-deploy.sh does).
#
# The AWS CLI: $AWS_CLI if set (e.g. AWS_CLI=aws), else awscli (pinned) in target/tools/aws-venv.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/deploy-lib.sh"
source "$ROOT/scripts/release-lib.sh"

CHANGE_SET_TIMEOUT_SECONDS="${CHANGE_SET_TIMEOUT_SECONDS:-600}"
DEPLOY_TIMEOUT_SECONDS="${DEPLOY_TIMEOUT_SECONDS:-3600}"
# CloudFormation's limit for an inline template body.
TEMPLATE_BODY_LIMIT=51200

HELP_LINES=16
CANARY_POLL_SECONDS="${CANARY_POLL_SECONDS:-30}"
dry_run=0 zip="" release="" canary_percent=""
while (($#)); do
  case "$1" in
    --dry-run) dry_run=1 ARGS_TAKEN=1 ;;
    --zip | --zip=*) option_value "$@"; zip="$(from_caller "$OPTION_VALUE")" ;;
    --release | --release=*) option_value "$@"; release="$OPTION_VALUE" ;;
    --canary | --canary=*) option_value "$@"; canary_percent="$OPTION_VALUE" ;;
    *) stage_script_argument "$@" ;;
  esac
  shift "$ARGS_TAKEN"
done
stage="$STAGE_ARG" stages_dir="$STAGES_DIR_ARG"
[[ -n "$stage" ]] || die "which stage? e.g. scripts/deploy.sh local (no AWS account needed) or scripts/deploy.sh migrate (--help for more)"
[[ -z "$zip" || -f "$zip" ]] || die "--zip $zip: no such file"
[[ -z "$zip" || -z "$release" ]] || die "--zip and --release each name the code to deploy: give one"
started=$SECONDS
nothing_changed="Nothing was changed."
# The listener's weights and the canary alias's version every change set passes: all requests
# to the live version unless a canary bakes.
live_weight=100 canary_weight=0 canary_version="" LIVE_WEIGHT="" CANARY_WEIGHT=""
if [[ -n "$canary_percent" ]]; then
  canary_weights="$(infra canary weights --percent "$canary_percent")" || die "$nothing_changed"
  eval "$canary_weights" # LIVE_WEIGHT, CANARY_WEIGHT: taken when the canary starts
fi

# The phases, in the order the bottom of this file runs them. Each sets the globals the next
# ones read (STACK, BUCKET, zip, key, template, change_set, ...) and dies, saying what was left
# unchanged, when it cannot go on.

# Preflight 1: the stage file is valid; stage `local` gets its emulator, started and seeded.
preflight_stage_file() {
  step "Stage $stage: checking the stage file"
  emulated_local=0
  if [[ "$stage" == local && -z "$stages_dir" ]]; then
    emulated_local=1
  fi
  load_stage "$stage" "${stages_dir:-$DEFAULT_STAGES_DIR}" || die "stage ${stage@Q} cannot be deployed: its stage file is missing or invalid (above). $nothing_changed"
  note "$STAGE_FILE: stack $STACK in account $ACCOUNT, region $REGION, $URL"

  if ((emulated_local)); then
    step "Stage local: the MiniStack emulator on 127.0.0.1:$MINISTACK_PORT (no AWS account involved)"
    "$ROOT/scripts/ministack.sh" start --port "$MINISTACK_PORT" --region "$REGION" --account "$ACCOUNT"
    stages_dir="$DEPLOY_DIR/local/stages"
    "$ROOT/scripts/ministack.sh" seed --port "$MINISTACK_PORT" --stage local --out "$stages_dir"
    use_ministack "$MINISTACK_PORT"
    load_stage local "$stages_dir" || die "the seeded copy of the local stage is invalid (above)"
  fi
  stages_dir="${stages_dir:-$DEFAULT_STAGES_DIR}"
}

# Preflight 2: working credentials for the stage's account (or the emulator's).
preflight_aws_access() {
  step "Checking AWS access"
  [[ -z "${AWS_ENDPOINT_URL:-}" ]] || export AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL%/}"
  resolve_aws_cli
  note "AWS CLI: $("$AWS_BIN" --version 2>&1 | head -n1)"
  emulator=0
  if on_ministack; then
    emulator=1
    note "endpoint: $AWS_ENDPOINT_URL (the MiniStack emulator, not AWS)"
    emulator_region="$(ministack_region_of_endpoint)"
    if [[ -n "$emulator_region" && "$emulator_region" != "$REGION" ]]; then
      warn "this MiniStack was started for region $emulator_region; its load balancers answer HTTP only there, so the smoke test of a $REGION stack will fail"
    fi
  elif [[ -n "${AWS_ENDPOINT_URL:-}" ]]; then
    note "endpoint: $AWS_ENDPOINT_URL (from AWS_ENDPOINT_URL)"
  fi
  if ! identity="$(aws_cli sts get-caller-identity --query '[Account,Arn]' --output text 2>&1)"; then
    die "no working AWS credentials: $(tail -n1 <<<"$identity")
  Configure credentials for account $ACCOUNT (aws configure / AWS_PROFILE / AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and re-run. $nothing_changed"
  fi
  read -r caller_account caller_arn <<<"$identity"
  [[ "$caller_account" == "$ACCOUNT" ]] || die "the AWS credentials are for account $caller_account ($caller_arn), but stage $stage deploys to account $ACCOUNT ($STAGE_FILE): use credentials for $ACCOUNT. $nothing_changed"
  note "credentials: $caller_arn"
}

# Preflight 3: the account resources the stage names but does not own exist, and fit it
# (certificate names, zone, DNS records it would take over, subnets, topic, log bucket).
preflight_account_resources() {
  # shellcheck disable=SC2016 # backquotes are JMESPath literals, not command substitution
  if ! cert="$(aws_cli acm describe-certificate --certificate-arn "$CERT_ARN" \
    --query 'Certificate.[Status,DomainName,join(`,`,SubjectAlternativeNames || `[]`)]' --output text 2>&1)"; then
    die "certificate_arn $CERT_ARN was not found in region $REGION ($(tail -n1 <<<"$cert")). An ALB uses ACM certificates of its own region only: request or import one for $DOMAIN in $REGION and put its ARN in $STAGE_FILE. $nothing_changed"
  fi
  read -r cert_status cert_domain cert_names <<<"$cert"
  [[ "$cert_status" == ISSUED ]] || die "certificate $CERT_ARN is $cert_status, not ISSUED: finish its validation first. $nothing_changed"
  infra check-certificate --stage "$stage" --stages-dir "$stages_dir" --names "$cert_domain,$cert_names" \
    || die "certificate $CERT_ARN cannot serve this stage (above). $nothing_changed"
  if ! zone_name="$(aws_cli route53 get-hosted-zone --id "$ZONE_ID" --query HostedZone.Name --output text 2>&1)"; then
    die "hosted_zone_id $ZONE_ID was not found ($(tail -n1 <<<"$zone_name")): use the id of the Route 53 zone that holds $DOMAIN. $nothing_changed"
  fi
  zone_name="${zone_name%.}"
  infra check-zone --stage "$stage" --stages-dir "$stages_dir" --zone "$zone_name" \
    || die "hosted_zone_id $ZONE_ID cannot hold this stage's records (above). $nothing_changed"
  # A record the stack would create but did not make (the old site's) would fail the deploy half-way.
  if ! existing_types="$(aws_cli route53 list-resource-record-sets --hosted-zone-id "$ZONE_ID" \
    --query "ResourceRecordSets[?Name=='$SITE_HOST.'].Type" --output text 2>&1)"; then
    die "the records of zone $ZONE_ID cannot be listed: $(tail -n1 <<<"$existing_types"). $nothing_changed"
  fi
  owned_records="$(aws_cli cloudformation describe-stack-resources --stack-name "$STACK" \
    --query "StackResources[?ResourceType=='AWS::Route53::RecordSet'].PhysicalResourceId" --output text 2>/dev/null || true)"
  infra check-records --stage "$stage" --stages-dir "$stages_dir" --existing "$existing_types" --owned "$owned_records" \
    || die "stage $stage cannot take over $SITE_HOST's DNS record (above). $nothing_changed"
  note "DNS: $DNS_PLAN"
  read -r -a subnets <<<"$SUBNET_IDS"
  if ! subnet_facts="$(aws_cli ec2 describe-subnets --subnet-ids "${subnets[@]}" --query 'Subnets[].[SubnetId,VpcId,AvailabilityZone]' --output text 2>&1)"; then
    die "network.subnet_ids: $(tail -n1 <<<"$subnet_facts") in region $REGION. $nothing_changed"
  fi
  while read -r subnet vpc _; do
    [[ "$vpc" == "$VPC_ID" ]] || die "subnet $subnet is in $vpc, not in network.vpc_id $VPC_ID. $nothing_changed"
  done <<<"$subnet_facts"
  (($(awk '{print $3}' <<<"$subnet_facts" | sort -u | wc -l) >= 2)) || die "network.subnet_ids are all in one availability zone; an ALB needs two or more. $nothing_changed"
  if [[ -n "$ALARM_TOPIC" ]] && ! aws_cli sns get-topic-attributes --topic-arn "$ALARM_TOPIC" >/dev/null 2>&1; then
    die "alarms.sns_topic_arn $ALARM_TOPIC does not exist. $nothing_changed"
  fi
  if [[ -n "$ACCESS_LOG_BUCKET" ]] && ! aws_cli s3api head-bucket --bucket "$ACCESS_LOG_BUCKET" >/dev/null 2>&1; then
    die "load_balancer.access_log_bucket $ACCESS_LOG_BUCKET does not exist or is not yours. $nothing_changed"
  fi
  note "certificate ISSUED for $DOMAIN, zone $zone_name, ${#subnets[@]} subnets in $VPC_ID"
}

# Build: the zip (or the one given with --zip, or the release kept in the bucket under the
# sha256 given with --release), checked; its sha256 names the artifact.
build_zip() {
  if [[ -n "$release" ]]; then
    step "Release $release from the artifact bucket (no build, no upload)"
    key="$STACK/$release.zip"
    ZIP_SHA256="$release"
    ZIP_BYTES="$(aws_cli s3api head-object --bucket "$BUCKET" --key "$key" --query ContentLength --output text 2>&1)" \
      || die "s3://$BUCKET/$key cannot be read ($(tail -n1 <<<"$ZIP_BYTES")): scripts/releases.sh $stage lists the releases kept. $nothing_changed"
    note "s3://$BUCKET/$key, $(awk -v b="$ZIP_BYTES" 'BEGIN { printf "%.2f MiB", b / 1048576 }')"
    return 0
  fi
  # MiniStack runs `bootstrap` as a process on this machine: it needs this machine's architecture.
  build_arch="$ARCH"
  if ((emulator)); then
    build_arch="$(host_arch)"
    [[ "$build_arch" == "$ARCH" ]] || note "building for $build_arch (this machine) instead of the stage's $ARCH: the emulator runs bootstrap as a local process"
  fi

  if [[ -n "$zip" ]]; then
    step "Using the zip $zip (no build)"
  else
    step "Building for $build_arch"
    "$ROOT/scripts/build.sh" --arch "$build_arch" || die "the build failed (above). $nothing_changed"
    zip="$ROOT/target/lambda/$build_arch/bootstrap/bootstrap.zip"
  fi
  facts="$(infra zip-check --zip "$zip" --arch "$build_arch")" || die "$zip cannot be deployed (above). $nothing_changed"
  eval "$facts"
  key="$STACK/$ZIP_SHA256.zip"
  note "zip $(awk -v b="$ZIP_BYTES" 'BEGIN { printf "%.2f MiB", b / 1048576 }'), artifact s3://$BUCKET/$key"
}

# Deletes an artifact stack whose creation failed (it holds no bucket), so nothing is left.
delete_failed_artifact_stack() {
  delete_stack "$ARTIFACT_STACK" 600 >/dev/null || die "could not delete the failed stack $ARTIFACT_STACK (above)"
}

# Synthesize: the stage's template (infra).
synthesize() {
  step "Synthesizing the template (infra)"
  work="$DEPLOY_DIR/$stage"
  mkdir -p "$work"
  template="$work/template.json"
  infra synth --stage "$stage" --stages-dir "$stages_dir" --out "$template"
  template_bytes=$(file_bytes "$template")
  note "${template#"$ROOT/"} ($template_bytes bytes)"
}

# Publish: the artifact bucket's stack created or updated, the zip uploaded under its sha256.
publish() {
  step "Artifact bucket $BUCKET (stack $ARTIFACT_STACK)"
  infra synth --artifacts --stage "$stage" --stages-dir "$stages_dir" --out "$work/artifacts.json"
  artifact_status="$(stack_status "$ARTIFACT_STACK")" || die "the artifact stack's status is unknown (above). $nothing_changed"
  if [[ "$artifact_status" == ROLLBACK_COMPLETE ]]; then
    note "an earlier attempt left $ARTIFACT_STACK in ROLLBACK_COMPLETE, without a bucket: deleting it first"
    delete_failed_artifact_stack
    artifact_status=NONE
  fi
  if [[ "$artifact_status" == NONE ]] && aws_cli s3api head-bucket --bucket "$BUCKET" >/dev/null 2>&1; then
    note "present, created outside CloudFormation (by an earlier version of deploy.sh): used as it is"
  else
    mark_stack_events_seen "$ARTIFACT_STACK"
    if ! aws_cli cloudformation deploy --stack-name "$ARTIFACT_STACK" --template-file "$work/artifacts.json" \
      --no-fail-on-empty-changeset >/dev/null; then
      print_new_stack_events "$ARTIFACT_STACK"
      [[ "$(stack_status "$ARTIFACT_STACK" 2>/dev/null)" != ROLLBACK_COMPLETE ]] || delete_failed_artifact_stack
      die "the artifact bucket could not be created${NEW_STACK_FAILURE:+ ($NEW_STACK_FAILURE)}. Bucket names are global: if $BUCKET is someone else's, set artifact_bucket in $STAGE_FILE. $nothing_changed"
    fi
    note "private (public access blocked), encrypted (SSE-S3), versioned, TLS only: stack $ARTIFACT_STACK is $(stack_status "$ARTIFACT_STACK")"
  fi

  step "Uploading the zip"
  if aws_cli s3api head-object --bucket "$BUCKET" --key "$key" >/dev/null 2>&1; then
    note "s3://$BUCKET/$key is there already (same sha256, same content)"
  else
    aws_cli s3api put-object --bucket "$BUCKET" --key "$key" --body "$zip" \
      --metadata "sha256=$ZIP_SHA256" --query VersionId --output text >/dev/null
    uploaded="$(aws_cli s3api head-object --bucket "$BUCKET" --key "$key" --query ContentLength --output text)"
    [[ "$uploaded" == "$ZIP_BYTES" ]] || die "upload of s3://$BUCKET/$key is $uploaded bytes, expected $ZIP_BYTES"
    note "uploaded s3://$BUCKET/$key"
  fi
}

# Where CloudFormation reads the template: inline, or from the bucket when it is too big.
template_location() {
  template_args=(--template-body "file://$template")
  if ((template_bytes > TEMPLATE_BODY_LIMIT)); then
    ((!dry_run)) || aws_cli s3api head-bucket --bucket "$BUCKET" >/dev/null 2>&1 \
      || die "the template is over CloudFormation's ${TEMPLATE_BODY_LIMIT}-byte inline limit and the artifact bucket does not exist yet: deploy once without --dry-run"
    template_key="$STACK/templates/$(sha256_hex <"$template").json"
    ((dry_run)) || aws_cli s3api put-object --bucket "$BUCKET" --key "$template_key" --body "$template" >/dev/null
    template_args=(--template-url "$BUCKET_URL/$template_key")
  fi
}

# A stack output's value (empty when the stack or the output is missing).
stack_output() {
  local value
  value="$(aws_cli cloudformation describe-stacks --stack-name "$STACK" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue | [0]" --output text 2>/dev/null || true)"
  [[ "$value" == None ]] || echo "$value"
}

# Change set: created and waited for; up_to_date=1 when it holds no change (then discarded).
# The alias stays on the version serving now (LiveVersion): a new version takes traffic only
# after its own smoke test (release_new_version).
create_change_set() {
  step "Change set for stack $STACK"
  stack_status="$(stack_status "$STACK")" || die "the stack's status is unknown (above). $nothing_changed"
  case "$stack_status" in
    NONE | REVIEW_IN_PROGRESS) change_set_type=CREATE ;;
    ROLLBACK_COMPLETE | ROLLBACK_FAILED | DELETE_FAILED)
      die "stack $STACK is $stack_status: its first deploy failed and nothing serves from it. Delete it (scripts/destroy.sh $stage) and deploy again. $nothing_changed" ;;
    *_IN_PROGRESS) die "stack $STACK is $stack_status: another deploy or delete is running; wait for it. $nothing_changed" ;;
    *) change_set_type=UPDATE ;;
  esac
  serving_version="" newest_before=""
  if [[ "$change_set_type" != CREATE ]]; then
    serving_version="$(stack_output LiveVersion)" newest_before="$(stack_output NewestVersion)"
  fi
  note "stack is ${stack_status/NONE/new}: change set of type $change_set_type${serving_version:+; version $serving_version serves until the new one passes its smoke test}"
  if [[ -n "$canary_percent" && "$change_set_type" == CREATE ]]; then
    note "--canary: a first deploy has no serving version to compare with; its version takes every request"
  fi
  submit_change_set "deploy-$(date -u +%Y%m%d-%H%M%S)-${ZIP_SHA256:0:12}" "$serving_version" "scripts/deploy.sh $stage: $key"
}

# Creates the change set NAME of the template with the zip's key, LiveVersion=VERSION and the
# canary's parameters (none unless one bakes), and waits until it is ready.
submit_change_set() {
  change_set="$1"
  read -r -a capabilities <<<"$CAPABILITIES"
  aws_cli cloudformation create-change-set --stack-name "$STACK" --change-set-name "$change_set" \
    --change-set-type "$change_set_type" "${template_args[@]}" \
    --parameters "ParameterKey=$PARAM_BUCKET,ParameterValue=$BUCKET" "ParameterKey=$PARAM_KEY,ParameterValue=$key" \
    "ParameterKey=$PARAM_LIVE_VERSION,ParameterValue=$2" "ParameterKey=$PARAM_CANARY_VERSION,ParameterValue=$canary_version" \
    "ParameterKey=$PARAM_LIVE_WEIGHT,ParameterValue=$live_weight" "ParameterKey=$PARAM_CANARY_WEIGHT,ParameterValue=$canary_weight" \
    --capabilities "${capabilities[@]}" --description "$3" >/dev/null
  wait_for_change_set
}

# Removes the change set, and the empty stack a CREATE change set leaves behind.
discard_change_set() {
  aws_cli cloudformation delete-change-set --stack-name "$STACK" --change-set-name "$change_set" >/dev/null 2>&1 || true
  if [[ "$change_set_type" == CREATE ]]; then
    local status
    status="$(stack_status "$STACK" 2>/dev/null || true)"
    if [[ "$status" == REVIEW_IN_PROGRESS ]]; then
      aws_cli cloudformation delete-stack --stack-name "$STACK" >/dev/null 2>&1 || true
    fi
  fi
}

# Waits until the change set is ready, or discards it and stops.
wait_for_change_set() {
  local deadline=$((SECONDS + CHANGE_SET_TIMEOUT_SECONDS)) cs_status cs_reason
  up_to_date=0
  while :; do
    IFS=$'\t' read -r cs_status cs_reason < <(aws_cli cloudformation describe-change-set --stack-name "$STACK" \
      --change-set-name "$change_set" --query '[Status,StatusReason]' --output text || true) || true
    case "$cs_status" in
      CREATE_COMPLETE) break ;;
      FAILED)
        if [[ "$cs_reason" == *"didn't contain changes"* || "$cs_reason" == *"No updates are to be performed"* ]]; then
          discard_change_set
          step "No changes: stack $STACK already runs this template with s3://$BUCKET/$key"
          up_to_date=1
          break
        fi
        discard_change_set
        die "CloudFormation refused the change set: $cs_reason. $nothing_changed" ;;
    esac
    ((SECONDS < deadline)) || { discard_change_set; die "the change set was not ready within ${CHANGE_SET_TIMEOUT_SECONDS}s. $nothing_changed"; }
    sleep 1
  done
}

# Shows what the change set will do.
show_change_set() {
  aws_cli cloudformation describe-change-set --stack-name "$STACK" --change-set-name "$change_set" --output json \
    | infra change-table
}

# Execute: the change set runs while its events print; a failure says what still serves.
execute_change_set() {
  step "Deploying stack $STACK (events as they happen)"
  mark_stack_events_seen "$STACK"
  aws_cli cloudformation execute-change-set --stack-name "$STACK" --change-set-name "$change_set"
  follow_stack "$STACK" "$DEPLOY_TIMEOUT_SECONDS" || die "lost track of stack $STACK (above); watch it in the CloudFormation console"
  stack_status="$STACK_STATUS" failure="$STACK_FAILURE"

  case "$stack_status" in
    CREATE_COMPLETE | UPDATE_COMPLETE) ;;
    UPDATE_ROLLBACK_COMPLETE)
      die "the deploy FAILED and CloudFormation rolled stack $STACK back: the PREVIOUS version is still serving, unchanged. Cause: ${failure:-see the events above}" ;;
    ROLLBACK_COMPLETE)
      die "the first deploy of $STACK FAILED and was rolled back: nothing is serving. Cause: ${failure:-see the events above}. Fix it, delete the stack (scripts/destroy.sh $stage) and deploy again" ;;
    *)
      die "stack $STACK ended $stack_status: it needs attention in the CloudFormation console (for UPDATE_ROLLBACK_FAILED: continue-update-rollback). Cause: ${failure:-see the events above}" ;;
  esac
  step "Stack $STACK is $stack_status"
}

# Verify: the outputs printed, the smoke test run against the stage's URL.
# The stack retains the versions its releases replaced (for putting one back); all but the
# newest few, and any an alias points at, are deleted (infra decides which).
prune_versions() {
  local listings="$work/releases" version
  if ! list_releases "$listings" --no-zips; then
    warn "the stage is deployed, but its old versions could not be listed for pruning (above); the next deploy prunes them"
    return 0
  fi
  for version in $(infra_releases prune "$listings"); do
    aws_cli lambda delete-function --function-name "$FUNCTION_NAME" --qualifier "$version"
    note "deleted version $version of $FUNCTION_NAME (the last $VERSIONS_KEPT releases are kept)"
  done
}

verify() {
  if ((emulator)); then
    "$ROOT/scripts/ministack.sh" register-targets --port "${AWS_ENDPOINT_URL##*:}" --stack "$STACK" --region "$REGION"
  fi

  step "Outputs"
  aws_cli cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output text \
    | sort | while IFS=$'\t' read -r name value; do printf '    %-22s %s\n' "$name" "$value"; done
  printf '    %-22s %s\n' "Dashboard" "https://$REGION.console.aws.amazon.com/cloudwatch/home?region=$REGION#dashboards/dashboard/$DASHBOARD"
  printf '    %-22s %s\n' "Artifact" "s3://$BUCKET/$key"

  step "Smoke test"
  "$ROOT/scripts/smoke.sh" "$stage" --stages-dir "$stages_dir" \
    || die "stack $STACK is deployed, but the smoke test FAILED (above): the new version is live. scripts/rollback.sh $stage puts the previous release back"

  prune_versions
  step "Deployed $stage in $((SECONDS - started))s: $URL"
  if ((emulator)); then
    lb_dns="$(stack_output LoadBalancerDnsName)"
    echo "On MiniStack the load balancer answers on its gateway, by Host header (:443 reaches the function):"
    echo "    curl -H 'Host: $lb_dns:443' ${AWS_ENDPOINT_URL%/}/"
    if ((emulated_local)); then
      echo "The emulator keeps running: scripts/destroy.sh local --yes deletes the stack, scripts/ministack.sh stop ends it."
    fi
  fi
}

preflight_stage_file
preflight_aws_access
preflight_account_resources
build_zip
synthesize
((dry_run)) || [[ -n "$release" ]] || publish
template_location
create_change_set
if ((!up_to_date)); then
  show_change_set
  if ((dry_run)); then
    discard_change_set
    step "Dry run: the change set above was deleted; nothing was uploaded or changed ($((SECONDS - started))s)"
    exit 0
  fi
  execute_change_set
elif ((dry_run)); then
  step "Dry run: nothing would change ($((SECONDS - started))s)"
  exit 0
fi
release_new_version
verify
