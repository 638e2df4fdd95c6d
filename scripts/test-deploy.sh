#!/usr/bin/env bash
# shellcheck disable=SC2015 # `check && ok ... || fail ...` is if-then-else here: ok never fails
# End-to-end test of the deploy scripts on the MiniStack AWS emulator (127.0.0.1 only).
#
# One host-architecture release build of bootstrap (scripts/build.sh --arch host) serves every
# deploy here. "New code" is that same bootstrap in a zip with another marker file in its site
# (target/site/deploy-marker.txt, served at /deploy-marker.txt): a different zip, so a different
# content-addressed key and CodeSha256, which is what CloudFormation and Lambda see of new code.
#
#  1. bad input, each with its message and nothing changed in the emulator: no stage, unknown
#     stage, a missing and an invalid value, a certificate in another region and one that does
#     not exist, no credentials, another account's credentials, no aws CLI, a build failure
#  2. migrate and production deployed side by side through scripts/deploy.sh (smoke included)
#  3. their resources (`infra emulator check-resources`) and HTTP through the emulated ALB,
#     served by the real bootstrap (`infra emulator check-http`)
#  4. a dry run on production changes nothing
#  5. migrate updated (new code, new memory); production untouched
#  6. a failing migrate update is rolled back and the previous version keeps serving; the same
#     deploy again is a no-op
#  6b. releases.sh lists migrate's releases; rollback.sh refuses what it cannot put back
#     (nothing changed), puts v1 back from the artifact bucket (smoke test included), then v2
#     by a sha256 prefix
#  6c. a new version is smoke-tested by invoking it directly before the alias moves to it: one
#     that cannot start never takes traffic (v2 keeps serving)
#  6d. canaries: a --canary too big is refused; one that bakes quietly is promoted; one whose
#     alarm fires (the canary's 5xx metric put as the load balancer would) is rolled back with
#     the live version serving throughout; none starts while an alarm still fires; a plain
#     deploy leaves the rejected version aside; an interrupted one is rolled back; rollback.sh
#     during a bake ends the canary with the serving code
#  7. a temporary host name: refused while the certificate does not cover it; the stack's
#     record moves there; the cut-over back to the domain is refused (nothing changed) while
#     another record holds the name, and done once it is gone
#     ... and zip v2 uploaded to a function made by hand (the old stack's, in the README's
#     migration) answers an API Gateway REST event in that shape
#  8. destroy refuses production without --force-production and anything without --yes when
#     there is no terminal; both destroyed, one bucket kept, one deleted, nothing else left
#  9. every stage in infra/stages (whatever `infra stages` lists, as its owner wrote it; `local`
#     in step 10) deploys, passes its smoke test and is destroyed, on a MiniStack in its region
# 10. stage `local` the way a new user runs it: `scripts/deploy.sh local` as the first command
#     in a clean copy of the project (tracked files only, no target/ tools: it installs what it
#     needs), which starts its own MiniStack, seeds it, builds, deploys, smoke-tests; then
#     destroy.sh local; ministack.sh stop. The copy gets this checkout's compiled dependencies
#     (hard links) so the compiler does not start from nothing.
#
# Steps 1-8 deploy the fixture stages (infra/tests/fixtures/stages): their values are the
# test's own, so what they prove does not change with the owner's edits.
#
# Workarounds for MiniStack, in the harness: the stage copies get ids MiniStack
# generated (seeded VPC, subnets, zone, certificate, topic) and MiniStack's account
# (000000000000: its ALB data plane answers for its default account and region only); the
# emulator's missing target registration is done by scripts/ministack.sh register-targets,
# which deploy.sh runs only when AWS_ENDPOINT_URL answers MiniStack's health check.
#
# Every emulator started here is stopped by PID on exit; every step has a time limit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/deploy-lib.sh"

started=$SECONDS
BUILD_TIMEOUT_SECONDS=2700
STEP_TIMEOUT_SECONDS=300
export DEPLOY_TIMEOUT_SECONDS=240 CHANGE_SET_TIMEOUT_SECONDS=120 DELETE_TIMEOUT_SECONDS=240
FIXTURES="$ROOT/infra/tests/fixtures/stages"
EMULATOR_ACCOUNT="000000000000"
WORK="$ROOT/target/test-deploy"
rm -rf "$WORK"
mkdir -p "$WORK/logs" "$WORK/stages"
LOGS="$WORK/logs"

passed=0
ok() { passed=$((passed + 1)); printf '    ok    %s\n' "$*"; }
fail() { printf '    FAIL  %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$((SECONDS - ${1:-$started}))s"; }

ports=() background=()
cleanup() {
  local status=$? pid
  for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
  for port in "${ports[@]}"; do
    "$ROOT/scripts/ministack.sh" stop --port "$port" >/dev/null 2>&1 || true
    # The clean copy's MiniStack keeps its PID under the copy's own target/.
    if [[ -x "${CLEAN:-}/scripts/ministack.sh" ]]; then "$CLEAN/scripts/ministack.sh" stop --port "$port" >/dev/null 2>&1 || true; fi
    # The emulator's log joins the test's; its state directory goes.
    if [[ -f "$MINISTACK_STATE_ROOT/$port/log" ]]; then mv "$MINISTACK_STATE_ROOT/$port/log" "$LOGS/ministack-$port.log"; fi
    ministack_up "$port" || rm -rf "${MINISTACK_STATE_ROOT:?}/$port"
  done
  if ((status != 0)); then echo "deploy e2e FAILED after $(elapsed) (logs in ${LOGS#"$ROOT/"})" >&2; fi
}
trap cleanup EXIT

free_port() { infra emulator free-port; }

# run NAME TIMEOUT CMD...: runs a step with a time limit, output to $LOGS/NAME.log.
run() {
  local name="$1" limit="$2"
  shift 2
  timeout --kill-after=10 "$limit" "$@" >"$LOGS/$name.log" 2>&1
}
# expect_ok NAME CMD...: the step must succeed.
expect_ok() {
  local name="$1"
  shift
  local t=$SECONDS
  run "$name" "$STEP_TIMEOUT_SECONDS" "$@" || { tail -n 40 "$LOGS/$name.log" >&2; fail "$name failed (log ${LOGS#"$ROOT/"}/$name.log)"; }
  ok "$name ($(elapsed "$t"))"
}
# expect_refused NAME MESSAGE CMD...: the step must fail and say MESSAGE.
expect_refused() {
  local name="$1" message="$2"
  shift 2
  if run "$name" "$STEP_TIMEOUT_SECONDS" "$@"; then
    tail -n 20 "$LOGS/$name.log" >&2
    fail "$name succeeded; it must fail with: $message"
  fi
  grep -qF -- "$message" "$LOGS/$name.log" || { tail -n 20 "$LOGS/$name.log" >&2; fail "$name failed without saying: $message"; }
  ok "$name: $(grep -F -m1 -- "$message" "$LOGS/$name.log" | sed 's/^error: //' | cut -c1-150)"
}
# The emulator's state, and its checks (`infra emulator`): their lines are printed, their
# count added.
state() { infra emulator "$1" --endpoint "$ENDPOINT" --aws-cli "$AWS_VENV/bin/aws" "${@:2}"; }
checks() {
  local out
  out="$(state "check-$1" "${@:2}")" || { printf '%s\n' "$out"; fail "checks $1 failed"; }
  printf '%s\n' "$out" | sed '$d'
  passed=$((passed + $(tail -n1 <<<"$out" | cut -d' ' -f1)))
}
same_state() {
  local now
  now="$(state snapshot --region "$REGION_UNDER_TEST")"
  [[ "$now" == "$BASELINE" ]] || fail "$1 changed the emulator: before $BASELINE, after $now"
}
# fact VARIABLE --stage S [--stages-dir D]: one of the stage's facts, by its shell name (`infra
# describe --format shell`).
fact() { (eval "$(infra describe "${@:2}" --format shell)" && printf '%s\n' "${!1}"); }

step "Deploy e2e on MiniStack: tools"
ensure_aws_tools
# Nothing here may reach a cloud metadata service or a real AWS profile.
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN
echo "awscli $AWSCLI_VERSION, ministack $MINISTACK_VERSION"

step "One release build of bootstrap for this machine ($(host_arch)), reused by every deploy"
t=$SECONDS
run build "$BUILD_TIMEOUT_SECONDS" "$ROOT/scripts/build.sh" --arch host || { tail -n 40 "$LOGS/build.log" >&2; fail "the build failed"; }
sed -n '/==> Sizes/,$p' "$LOGS/build.log"
ok "build ($(elapsed "$t"))"
BASE_ZIP="$ROOT/target/lambda/$(host_arch)/bootstrap/bootstrap.zip"
for version in v1 v2 v3; do
  infra zip-add --zip "$BASE_ZIP" --out "$WORK/$version.zip" --name target/site/deploy-marker.txt --text "$version"
done

# The fixtures' region (migrate and production share it).
REGION_UNDER_TEST="$(fact REGION --stage migrate --stages-dir "$FIXTURES")"

step "MiniStack for $REGION_UNDER_TEST (the fixtures' migrate and production side by side)"
PORT="$(free_port)"
ports+=("$PORT")
"$ROOT/scripts/ministack.sh" start --port "$PORT" --region "$REGION_UNDER_TEST" --account "$EMULATOR_ACCOUNT"
use_ministack "$PORT"
ENDPOINT="$AWS_ENDPOINT_URL"
STAGES="$WORK/stages"
for stage in migrate production; do
  # Seeded ids and MiniStack's account replace the placeholders; everything else is the stage file.
  expect_ok "seed-$stage" "$ROOT/scripts/ministack.sh" seed --port "$PORT" --stage "$stage" --stages-dir "$FIXTURES" --out "$STAGES" \
    --set "account_id=\"$EMULATOR_ACCOUNT\""
done
copy() { infra stage-copy --stage migrate --stages-dir "$STAGES" --out "$1/migrate.toml" "${@:2}"; }
MIGRATE=(--stage migrate --stages-dir "$STAGES")
PRODUCTION=(--stage production --stages-dir "$STAGES")
# Every name the stacks create starts with the service name (<service>-<stage>...).
SERVICE_PREFIX="$(fact STACK "${MIGRATE[@]}")"
SERVICE_PREFIX="${SERVICE_PREFIX%-migrate}-"

step "Bad input: a specific message, and nothing changed"
BASELINE="$(state snapshot --region "$REGION_UNDER_TEST")"
DEPLOY="$ROOT/scripts/deploy.sh"
expect_refused no-stage "which stage?" "$DEPLOY"
expect_refused unknown-stage 'unknown stage "staging"' "$DEPLOY" staging --stages-dir "$STAGES" --zip "$WORK/v1.zip"
mkdir -p "$WORK/bad-missing" "$WORK/bad-invalid" "$WORK/bad-region" "$WORK/bad-certificate"
copy "$WORK/bad-missing" --unset region
expect_refused missing-value "missing field \`region\`" "$DEPLOY" migrate --stages-dir "$WORK/bad-missing" --zip "$WORK/v1.zip"
copy "$WORK/bad-invalid" --set function.memory_mb=64
expect_refused invalid-value "\`function.memory_mb\` must be between 128 and 10240" "$DEPLOY" migrate --stages-dir "$WORK/bad-invalid" --zip "$WORK/v1.zip"
certificate="$(fact CERT_ARN "${MIGRATE[@]}")"
copy "$WORK/bad-region" --set "certificate_arn=\"${certificate/:$REGION_UNDER_TEST:/:us-east-1:}\""
expect_refused certificate-other-region "must be a certificate in the stage's region" "$DEPLOY" migrate --stages-dir "$WORK/bad-region" --zip "$WORK/v1.zip"
copy "$WORK/bad-certificate" --set "certificate_arn=\"arn:aws:acm:$REGION_UNDER_TEST:$EMULATOR_ACCOUNT:certificate/00000000-0000-0000-0000-000000000000\""
expect_refused certificate-missing "was not found in region $REGION_UNDER_TEST" "$DEPLOY" migrate --stages-dir "$WORK/bad-certificate" --zip "$WORK/v1.zip"
expect_refused no-credentials "no working AWS credentials" env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
  AWS_SHARED_CREDENTIALS_FILE="$WORK/none" AWS_CONFIG_FILE="$WORK/none" "$ROOT/scripts/deploy.sh" migrate --stages-dir "$STAGES" --zip "$WORK/v1.zip"
# A 12-digit access key is that account on MiniStack: credentials for the wrong account.
expect_refused other-account "the AWS credentials are for account 111111111111" env AWS_ACCESS_KEY_ID=111111111111 \
  "$ROOT/scripts/deploy.sh" migrate --stages-dir "$STAGES" --zip "$WORK/v1.zip"
expect_refused no-aws-cli "no aws CLI" env AWS_CLI=/nonexistent/aws "$ROOT/scripts/deploy.sh" migrate --stages-dir "$STAGES"
# A build that fails at once (cargo-lambda told to use `cross`, which is not installed): the
# deploy stops there.
expect_refused build-failure "the build failed" env CARGO_LAMBDA_COMPILER=cross "$DEPLOY" migrate --stages-dir "$STAGES"
same_state "the bad input"
ok "the emulator is as before: no stack, bucket, function or load balancer was created"

step "Deploying migrate and production side by side (scripts/deploy.sh, smoke test included)"
expect_ok deploy-migrate "$DEPLOY" migrate --stages-dir "$STAGES" --zip "$WORK/v1.zip"
grep -q "smoke test of migrate passed" "$LOGS/deploy-migrate.log" && ok "deploy.sh ran the smoke test of migrate" || fail "deploy.sh did not run the smoke test"
expect_ok deploy-production "$DEPLOY" production --stages-dir "$STAGES" --zip "$WORK/v1.zip"
grep -q "smoke test of production passed" "$LOGS/deploy-production.log" && ok "deploy.sh ran the smoke test of production" || fail "deploy.sh did not run the smoke test"
grep -q "MiniStack gap worked around" "$LOGS/deploy-production.log" \
  && ok "MiniStack still does not register a target group's Targets: the emulator-only workaround registered it" \
  || echo "    note  MiniStack registered the target itself: scripts/ministack.sh register-targets can go"

step "Resources and HTTP of both stages"
for stage in migrate production; do
  checks resources --stage "$stage" --stages-dir "$STAGES" --zip "$WORK/v1.zip"
  checks http --stage "$stage" --stages-dir "$STAGES" --zip "$WORK/v1.zip" --marker v1
done
expect_ok smoke-production "$ROOT/scripts/smoke.sh" production --stages-dir "$STAGES"

step "A dry run on production changes nothing"
before="$(state function-state "${PRODUCTION[@]}")"
expect_ok dry-run-production "$DEPLOY" production --stages-dir "$STAGES" --zip "$WORK/v2.zip" --dry-run
grep -Eq 'Modify +Function +AWS::Lambda::Function .*Code' "$LOGS/dry-run-production.log" && ok "the dry run printed the change set (Function: Code)" || fail "no change set printed"
[[ "$(state function-state "${PRODUCTION[@]}")" == "$before" ]] && ok "production unchanged, its change set deleted" || fail "the dry run changed production"

step "Update migrate: new code (zip v2) and new memory (384 MB); production untouched"
production_before="$(state function-state "${PRODUCTION[@]}")"
mkdir -p "$WORK/update"
copy "$WORK/update" --set function.memory_mb=384
cp "$STAGES/production.toml" "$WORK/update/"
expect_ok update-migrate "$DEPLOY" migrate --stages-dir "$WORK/update" --zip "$WORK/v2.zip"
MIGRATE_V2=(--stage migrate --stages-dir "$WORK/update")
versions="$("$AWS_VENV/bin/aws" --region "$REGION_UNDER_TEST" lambda list-versions-by-function \
  --function-name "$(fact FUNCTION_NAME "${MIGRATE_V2[@]}")" --query 'Versions[].Version' --output text)"
[[ "$(wc -w <<<"$versions")" -ge 3 ]] && ok "v2 is a new published version; v1's is kept for a rollback (versions: ${versions//$'\t'/ })" \
  || fail "the update did not keep the previous version: $versions"
checks resources "${MIGRATE_V2[@]}" --zip "$WORK/v2.zip"
checks http "${MIGRATE_V2[@]}" --zip "$WORK/v2.zip" --marker v2
[[ "$(state function-state "${PRODUCTION[@]}")" == "$production_before" ]] \
  && ok "production: same code, memory, stack events and last update as before" || fail "updating migrate changed production"
checks resources "${PRODUCTION[@]}" --zip "$WORK/v1.zip"
checks http "${PRODUCTION[@]}" --zip "$WORK/v1.zip" --marker v1

step "A failing update of migrate is rolled back; the previous version keeps serving"
# Someone made an AAAA record for migrate's domain by hand; the update turns dualstack on (and
# ships new code, v3): Route 53 refuses the stack's own AAAA record, so CloudFormation rolls
# the whole update back.
zone="$(fact ZONE_ID "${MIGRATE[@]}")"
domain="$(fact DOMAIN "${MIGRATE[@]}")"
hand_made_record() {
  "$AWS_VENV/bin/aws" --region "$REGION_UNDER_TEST" route53 change-resource-record-sets --hosted-zone-id "$zone" --change-batch \
    "{\"Changes\":[{\"Action\":\"$1\",\"ResourceRecordSet\":{\"Name\":\"$domain\",\"Type\":\"AAAA\",\"TTL\":60,\"ResourceRecords\":[{\"Value\":\"2001:db8::1\"}]}}]}" >/dev/null
}
hand_made_record CREATE
mkdir -p "$WORK/failing"
infra stage-copy --stage migrate --stages-dir "$WORK/update" --out "$WORK/failing/migrate.toml" --set network.dualstack=true
expect_refused failing-update "the PREVIOUS version is still serving" "$DEPLOY" migrate --stages-dir "$WORK/failing" --zip "$WORK/v3.zip"
grep -q "Cause: DnsRecordAAAA" "$LOGS/failing-update.log" && ok "the failure names its cause: $(grep -o 'Cause: .*' "$LOGS/failing-update.log" | head -n1 | cut -c1-120)" \
  || fail "the failed deploy does not name its cause"
state function-state "${MIGRATE_V2[@]}" | grep -qF '"StackStatus":"UPDATE_ROLLBACK_COMPLETE"' \
  && ok "migrate is UPDATE_ROLLBACK_COMPLETE" || fail "migrate is not rolled back"
checks http "${MIGRATE_V2[@]}" --zip "$WORK/v2.zip" --marker v2
hand_made_record DELETE
checks resources "${MIGRATE_V2[@]}" --zip "$WORK/v2.zip"
expect_ok redeploy-unchanged "$DEPLOY" migrate --stages-dir "$WORK/update" --zip "$WORK/v2.zip"
grep -q "No changes: stack" "$LOGS/redeploy-unchanged.log" && ok "deploying the serving version again changes nothing" || fail "no 'No changes' on a re-deploy"

step "Releases of migrate: listed, rolled back to v1 and forward to v2 by sha256, without a build"
zip_sha() { (eval "$(infra zip-check --zip "$1" --arch "$(host_arch)")" && echo "$ZIP_SHA256"); }
v1_sha="$(zip_sha "$WORK/v1.zip")" v2_sha="$(zip_sha "$WORK/v2.zip")"
RELEASES=("$ROOT/scripts/releases.sh" migrate --stages-dir "$WORK/update")
ROLLBACK=("$ROOT/scripts/rollback.sh" migrate --stages-dir "$WORK/update")
serving_line() { grep -E "^ +[0-9]+ .* ${1:0:12} .* live: 100 %$" "$LOGS/$2.log"; }
expect_ok releases-before "${RELEASES[@]}"
serving_line "$v2_sha" releases-before >/dev/null && grep -q " ${v1_sha:0:12} " "$LOGS/releases-before.log" \
  && ok "releases.sh: v2 serves (100 %), v1 is kept" || { cat "$LOGS/releases-before.log"; fail "releases.sh does not show v2 serving and v1 kept"; }
snapshot="$(state function-state "${MIGRATE_V2[@]}")"
expect_refused rollback-unknown-sha "no kept version and no zip in the artifact bucket" "${ROLLBACK[@]}" --to 0000000
expect_refused rollback-unkept-version "version 999 is not kept" "${ROLLBACK[@]}" --to 999
expect_refused rollback-to-serving "runs the code that serves now" "${ROLLBACK[@]}" --to "${v2_sha:0:7}"
[[ "$(state function-state "${MIGRATE_V2[@]}")" == "$snapshot" ]] && ok "the refused rollbacks changed nothing" || fail "a refused rollback changed migrate"
expect_ok rollback "${ROLLBACK[@]}"
grep -q "the code of version .* (code ${v1_sha:0:12}" "$LOGS/rollback.log" && grep -q "no build, no upload" "$LOGS/rollback.log" \
  && ok "rollback.sh chose v1's release and deployed it from the bucket: $(grep -o 'version [0-9]* (code [0-9a-f]*) → .*' "$LOGS/rollback.log" | cut -c1-110)" \
  || fail "rollback.sh did not put v1's zip back from the bucket"
grep -q "smoke test of migrate passed" "$LOGS/rollback.log" && ok "the rollback ran the smoke test" || fail "no smoke test after the rollback"
checks resources "${MIGRATE_V2[@]}" --zip "$WORK/v1.zip"
checks http "${MIGRATE_V2[@]}" --zip "$WORK/v1.zip" --marker v1
expect_ok rollforward "${ROLLBACK[@]}" --to "${v2_sha:0:10}"
checks http "${MIGRATE_V2[@]}" --zip "$WORK/v2.zip" --marker v2
expect_ok releases-after "${RELEASES[@]}"
serving_line "$v2_sha" releases-after >/dev/null && ok "releases.sh: v2 serves again, as a new version" \
  || { cat "$LOGS/releases-after.log"; fail "releases.sh does not show v2 serving after the roll forward"; }

step "A new version that fails its smoke test never takes traffic"
# LEPTOS_ENV=broken stops bootstrap at start-up: the new version cannot answer.
mkdir -p "$WORK/broken"
infra stage-copy --stage migrate --stages-dir "$WORK/update" --out "$WORK/broken/migrate.toml" --set 'function.environment.LEPTOS_ENV="broken"'
expect_refused broken-version "FAILED its smoke test" "$DEPLOY" migrate --stages-dir "$WORK/broken" --zip "$WORK/v3.zip"
grep -q "keeps serving" "$LOGS/broken-version.log" && ! grep -q "takes the traffic" "$LOGS/broken-version.log" \
  && ok "the deploy stopped before moving the alias: $(grep -o 'version [0-9]* FAILED.*' "$LOGS/broken-version.log" | cut -c1-100)" \
  || fail "the broken version's deploy did not stop before the alias moved"
checks http "${MIGRATE_V2[@]}" --zip "$WORK/v2.zip" --marker v2

step "Canary releases of migrate: a quiet one is promoted, one whose alarm fires is rolled back"
# What MiniStack lets a rehearsal see: its load balancer forwards to the first target group of a
# weighted action, and its alarms change state only when a metric is put. So this proves the
# stack's configuration before, during and after each canary and the deploy's decisions, with
# the live version answering through the load balancer throughout; not the split itself.
aws_here() { "$AWS_VENV/bin/aws" --region "$REGION_UNDER_TEST" "$@"; }
migrate_stack="$(fact STACK "${MIGRATE_V2[@]}")" migrate_function="$(fact FUNCTION_NAME "${MIGRATE_V2[@]}")"
stack_parameters() { # the canary's parameters as the stack runs them: CanaryVersion/LiveWeight/CanaryWeight
  aws_here cloudformation describe-stacks --stack-name "$migrate_stack" --output text --query "join('/', \
    [Stacks[0].Parameters[?ParameterKey=='CanaryVersion'].ParameterValue | [0], Stacks[0].Parameters[?ParameterKey=='LiveWeight'].ParameterValue | [0], Stacks[0].Parameters[?ParameterKey=='CanaryWeight'].ParameterValue | [0]])"
}
alias_version() { aws_here lambda get-alias --function-name "$migrate_function" --name "$1" --query FunctionVersion --output text; }
snapshot="$(state function-state "${MIGRATE_V2[@]}")"
expect_refused canary-too-big "a whole percent from 1 to 50" "$DEPLOY" migrate --stages-dir "$WORK/update" --zip "$WORK/v3.zip" --canary 80
[[ "$(state function-state "${MIGRATE_V2[@]}")" == "$snapshot" ]] && ok "the refused canary changed nothing" || fail "a refused --canary changed migrate"
expect_ok canary-promoted "$DEPLOY" migrate --stages-dir "$WORK/update" --zip "$WORK/v3.zip" --canary 10
grep -q "Canary: version [0-9]* takes 10 % of the requests" "$LOGS/canary-promoted.log" && grep -q "alarms quiet: PROMOTED" "$LOGS/canary-promoted.log" \
  && ok "a canary at 10 % baked with its alarms quiet and was promoted: $(grep -o 'Canary: version [0-9]* baked.*' "$LOGS/canary-promoted.log")" \
  || fail "the quiet canary was not promoted"
IFS=/ read -r canary_version live_weight canary_weight < <(stack_parameters)
[[ -z "$canary_version" ]] && [[ "$live_weight/$canary_weight" == 100/0 ]] \
  && ok "after the promotion no canary runs: listener weights 100/0" || fail "after the promotion: CanaryVersion=$canary_version weights $live_weight/$canary_weight"
checks http "${MIGRATE_V2[@]}" --zip "$WORK/v3.zip" --marker v3
checks resources "${MIGRATE_V2[@]}" --zip "$WORK/v3.zip"
v3_version="$(alias_version live)"

# A longer bake, so that the rehearsal can look at the stack while the canary runs, then feed
# the canary's 5xx metric as the load balancer would.
mkdir -p "$WORK/long-bake"
infra stage-copy --stage migrate --stages-dir "$WORK/update" --out "$WORK/long-bake/migrate.toml" --set canary.bake_seconds=240
bake_in_background() { # bake_in_background NAME: the long-bake canary of zip v2 started, baking; sets canary_pid
  timeout --kill-after=10 "$STEP_TIMEOUT_SECONDS" "$DEPLOY" migrate --stages-dir "$WORK/long-bake" --zip "$WORK/v2.zip" --canary 25 \
    >"$LOGS/$1.log" 2>&1 &
  canary_pid=$!
  background+=("$canary_pid")
  for _ in $(seq 120); do
    grep -q "Canary: baking" "$LOGS/$1.log" && return 0
    kill -0 "$canary_pid" 2>/dev/null || break
    sleep 1
  done
  tail -n 30 "$LOGS/$1.log" >&2
  fail "the canary did not start baking within 120s"
}
bake_in_background canary-rolled-back
IFS=/ read -r canary_version live_weight canary_weight < <(stack_parameters)
[[ "$canary_version" =~ ^[0-9]+$ && "$canary_version" != "$v3_version" && "$live_weight/$canary_weight" == 75/25 ]] \
  && ok "while it bakes: version $canary_version is the canary, listener weights 75/25" || fail "while it bakes: CanaryVersion=$canary_version weights $live_weight/$canary_weight"
[[ "$(alias_version canary)" == "$canary_version" && "$(alias_version live)" == "$v3_version" ]] \
  && ok "alias canary is on version $canary_version, alias live still on $v3_version" || fail "aliases while baking: canary $(alias_version canary), live $(alias_version live)"
expect_ok releases-baking "${RELEASES[@]}"
grep -Eq "^ +$canary_version .* canary: baking$" "$LOGS/releases-baking.log" && ok "releases.sh marks version $canary_version as the baking canary" \
  || { cat "$LOGS/releases-baking.log"; fail "releases.sh does not show the baking canary"; }
checks http "${MIGRATE_V2[@]}" --zip "$WORK/v3.zip" --marker v3
physical_id() { aws_here cloudformation describe-stack-resource --stack-name "$migrate_stack" --logical-resource-id "$1" --query StackResourceDetail.PhysicalResourceId --output text; }
canary_tg="$(physical_id CanaryTargetGroup)" load_balancer="$(physical_id LoadBalancer)"
aws_here cloudwatch put-metric-data --namespace AWS/ApplicationELB --metric-data \
  "MetricName=HTTPCode_Target_5XX_Count,Value=3,Unit=Count,Dimensions=[{Name=LoadBalancer,Value=${load_balancer#*:loadbalancer/}},{Name=TargetGroup,Value=targetgroup/${canary_tg#*:targetgroup/}}]"
canary_status=0
wait "$canary_pid" || canary_status=$?
((canary_status != 0)) && grep -q "the canary was ROLLED BACK (.*canary-target-5xx is ALARM" "$LOGS/canary-rolled-back.log" \
  && ok "the fired alarm rolled the canary back (exit $canary_status): $(grep -o 'the canary was ROLLED BACK.*' "$LOGS/canary-rolled-back.log" | cut -c1-110)" \
  || { tail -n 30 "$LOGS/canary-rolled-back.log" >&2; fail "the canary was not rolled back when its alarm fired (exit $canary_status)"; }
IFS=/ read -r canary_version live_weight canary_weight < <(stack_parameters)
[[ -z "$canary_version" ]] && [[ "$live_weight/$canary_weight" == 100/0 && "$(alias_version live)/$(alias_version canary)" == "$v3_version/$v3_version" ]] \
  && ok "after the rollback: weights 100/0, aliases live and canary both on $v3_version" \
  || fail "after the rollback: CanaryVersion=$canary_version weights $live_weight/$canary_weight, aliases $(alias_version live)/$(alias_version canary)"
checks http "${MIGRATE_V2[@]}" --zip "$WORK/v3.zip" --marker v3
# The alarm still fires (MiniStack judges it again only on new data): no canary starts under it.
snapshot="$(state function-state "${MIGRATE_V2[@]}")"
expect_refused canary-alarm-firing "the canary alarms are not quiet yet" "$DEPLOY" migrate --stages-dir "$WORK/long-bake" --zip "$WORK/v2.zip" --canary 25
[[ "$(state function-state "${MIGRATE_V2[@]}")" == "$snapshot" ]] && ok "a canary under a firing alarm changed nothing" || fail "a canary under a firing alarm changed migrate"
# A plain deploy of the same code never releases the version its canary rejected.
expect_ok rejected-stays-aside "$DEPLOY" migrate --stages-dir "$WORK/long-bake" --zip "$WORK/v2.zip"
grep -q "never released .* it stays aside" "$LOGS/rejected-stays-aside.log" && [[ "$(alias_version live)" == "$v3_version" ]] \
  && ok "a plain deploy of the rejected code leaves its version aside: version $v3_version keeps serving" \
  || fail "a plain deploy released the version whose canary was rolled back"
aws_here cloudwatch set-alarm-state --alarm-name "$(fact ALARM_PREFIX "${MIGRATE_V2[@]}")-canary-target-5xx" --state-value OK --state-reason "rehearsal: reset"
# Interrupted while it bakes (Ctrl-C, a cancelled CI job): rolled back before the deploy ends.
bake_in_background canary-interrupted
pkill -TERM -P "$canary_pid" # deploy.sh itself, the child of `timeout`, as a cancelled job's runner stops it
canary_status=0
wait "$canary_pid" || canary_status=$?
IFS=/ read -r canary_version live_weight canary_weight < <(stack_parameters)
((canary_status != 0)) && grep -q "the canary was ROLLED BACK (the deploy was interrupted)" "$LOGS/canary-interrupted.log" \
  && [[ -z "$canary_version" && "$live_weight/$canary_weight" == 100/0 && "$(alias_version canary)" == "$v3_version" ]] \
  && ok "an interrupted canary was rolled back before the deploy ended: weights 100/0, alias canary on $v3_version" \
  || { tail -n 20 "$LOGS/canary-interrupted.log" >&2; fail "the interrupted canary was not rolled back (exit $canary_status, CanaryVersion=$canary_version weights $live_weight/$canary_weight)"; }
# rollback.sh while a canary bakes ends it with the serving code; the baking deploy stops.
bake_in_background canary-ended-by-rollback
expect_ok rollback-during-canary "${ROLLBACK[@]}"
canary_status=0
wait "$canary_pid" || canary_status=$?
grep -q "the canary of version [0-9]* ends: the code of the serving version $v3_version" "$LOGS/rollback-during-canary.log" \
  && ((canary_status != 0)) && grep -q "was ended while it baked" "$LOGS/canary-ended-by-rollback.log" \
  && ok "rollback.sh ended the baking canary with the serving code; the baking deploy stopped without touching the stack" \
  || { tail -n 10 "$LOGS/rollback-during-canary.log" "$LOGS/canary-ended-by-rollback.log" >&2; fail "rollback.sh during a canary (exit of the baking deploy: $canary_status)"; }
IFS=/ read -r canary_version live_weight canary_weight < <(stack_parameters)
[[ -z "$canary_version" && "$live_weight/$canary_weight" == 100/0 && "$(alias_version canary)" == "$(alias_version live)" ]] \
  && ok "after it: no canary, both aliases on version $(alias_version live)" || fail "after the rollback during a canary: CanaryVersion=$canary_version weights $live_weight/$canary_weight"
checks http "${MIGRATE_V2[@]}" --zip "$WORK/v3.zip" --marker v3

step "A temporary host name: the stage moves to it, the old site's record is never touched, the cut-over refuses until it is gone"
preview="preview.${domain#*.}"
zone_types() { # zone_types NAME: the record types the zone has for NAME
  "$AWS_VENV/bin/aws" --region "$REGION_UNDER_TEST" route53 list-resource-record-sets --hosted-zone-id "$zone" \
    --query "ResourceRecordSets[?Name=='$1.'].Type" --output text
}
old_site_record() { # the record the old CloudFront or API Gateway site has for the domain
  "$AWS_VENV/bin/aws" --region "$REGION_UNDER_TEST" route53 change-resource-record-sets --hosted-zone-id "$zone" --change-batch \
    "{\"Changes\":[{\"Action\":\"$1\",\"ResourceRecordSet\":{\"Name\":\"$domain\",\"Type\":\"A\",\"TTL\":60,\"ResourceRecords\":[{\"Value\":\"192.0.2.10\"}]}}]}" >/dev/null
}
mkdir -p "$WORK/temporary-uncovered" "$WORK/temporary"
infra stage-copy --stage migrate --stages-dir "$WORK/update" --out "$WORK/temporary-uncovered/migrate.toml" --set "temporary_hostname=\"$preview\""
expect_refused temporary-uncovered "does not cover $preview" "$DEPLOY" migrate --stages-dir "$WORK/temporary-uncovered" --zip "$WORK/v2.zip"
both_names="$("$AWS_VENV/bin/aws" --region "$REGION_UNDER_TEST" acm request-certificate --domain-name "$domain" \
  --subject-alternative-names "$domain" "$preview" --validation-method DNS --query CertificateArn --output text)"
infra stage-copy --stage migrate --stages-dir "$WORK/temporary-uncovered" --out "$WORK/temporary/migrate.toml" --set "certificate_arn=\"$both_names\""
expect_ok temporary-hostname "$DEPLOY" migrate --stages-dir "$WORK/temporary" --zip "$WORK/v2.zip"
grep -q "DNS: A alias records for $preview (temporary_hostname)" "$LOGS/temporary-hostname.log" \
  && ok "the deploy said which records it touches before touching them" || fail "no DNS plan printed"
[[ "$(zone_types "$preview")" == A && -z "$(zone_types "$domain")" ]] \
  && ok "the stack's record moved to $preview; $domain has none of the stack's" || fail "records: $preview [$(zone_types "$preview")], $domain [$(zone_types "$domain")]"
old_site_record CREATE
mkdir -p "$WORK/cutover"
infra stage-copy --stage migrate --stages-dir "$WORK/temporary" --out "$WORK/cutover/migrate.toml" --unset temporary_hostname
snapshot="$(state function-state "${MIGRATE_V2[@]}")"
expect_refused cutover-blocked "$domain already has a DNS record of type A that this stack did not create" \
  "$DEPLOY" migrate --stages-dir "$WORK/cutover" --zip "$WORK/v2.zip"
[[ "$(state function-state "${MIGRATE_V2[@]}")" == "$snapshot" && "$(zone_types "$preview")" == A ]] \
  && ok "the refused cut-over changed nothing: the stack still answers at $preview" || fail "the refused cut-over changed the stack"
old_site_record DELETE
expect_ok cutover "$DEPLOY" migrate --stages-dir "$WORK/cutover" --zip "$WORK/v2.zip"
[[ "$(zone_types "$domain")" == A && -z "$(zone_types "$preview")" ]] \
  && ok "cut over: the stack's record is $domain's, $preview's is gone" || fail "records after the cut-over: $domain [$(zone_types "$domain")], $preview [$(zone_types "$preview")]"

step "The same zip on the old stack: a function made by hand answers an API Gateway REST event in its shape"
# README, Migrating: "upload that zip to the old function". The function stands in for the old
# CloudFront + API Gateway stack's; the event is the REST proxy shape API Gateway sends it.
lambda_cli=("$AWS_VENV/bin/aws" --region "$REGION_UNDER_TEST" lambda)
"${lambda_cli[@]}" create-function --function-name old-site --runtime provided.al2023 --handler bootstrap \
  --role "arn:aws:iam::$EMULATOR_ACCOUNT:role/old-site" --zip-file "fileb://$WORK/v1.zip" >/dev/null
expect_ok old-function-update "${lambda_cli[@]}" update-function-code --function-name old-site --zip-file "fileb://$WORK/v2.zip"
cat >"$WORK/rest-event.json" <<'JSON'
{"resource": "/{proxy+}", "path": "/deploy-marker.txt", "httpMethod": "GET",
 "headers": {"Host": "abc.execute-api.example.com"}, "multiValueHeaders": {"Host": ["abc.execute-api.example.com"]},
 "queryStringParameters": null, "multiValueQueryStringParameters": null,
 "requestContext": {"apiId": "abc", "stage": "prod", "path": "/prod/deploy-marker.txt", "domainName": "abc.execute-api.example.com"},
 "body": null, "isBase64Encoded": false}
JSON
expect_ok old-function-invoke "${lambda_cli[@]}" invoke --function-name old-site \
  --payload "fileb://$WORK/rest-event.json" "$WORK/rest-answer.json"
python3 - "$WORK/rest-answer.json" <<'PY' && ok "the old function serves zip v2 and answers in API Gateway's shape" || fail "the old function's answer: $(cat "$WORK/rest-answer.json")"
import base64, json, sys
answer = json.load(open(sys.argv[1]))
body = base64.b64decode(answer["body"]) if answer["isBase64Encoded"] else answer["body"].encode()
assert answer["statusCode"] == 200 and "statusDescription" not in answer, answer
assert isinstance(answer["multiValueHeaders"], dict) and body.strip() == b"v2", answer
PY
"${lambda_cli[@]}" delete-function --function-name old-site >/dev/null

step "Destroy"
expect_refused destroy-production-unforced "refusing to destroy production without --force-production" \
  "$ROOT/scripts/destroy.sh" production --yes --stages-dir "$STAGES"
expect_refused destroy-unconfirmed "refusing to delete without confirmation" \
  "$ROOT/scripts/destroy.sh" migrate --stages-dir "$STAGES" </dev/null
checks http "${PRODUCTION[@]}" --zip "$WORK/v1.zip" --marker v1
expect_ok destroy-migrate "$ROOT/scripts/destroy.sh" migrate --yes --delete-artifacts --stages-dir "$WORK/update"
expect_ok destroy-production "$ROOT/scripts/destroy.sh" production --yes --force-production --stages-dir "$STAGES"
grep -q "turned off the load balancer's deletion protection" "$LOGS/destroy-production.log" \
  && ok "destroy.sh turned off production's deletion protection first (MiniStack would not have refused; AWS does)" \
  || fail "destroy.sh did not turn off deletion protection"
checks leftovers --region "$REGION_UNDER_TEST" --prefix "$SERVICE_PREFIX" --zone "$zone" \
  --bucket-gone "$(fact BUCKET "${MIGRATE[@]}")" --bucket-kept "$(fact BUCKET "${PRODUCTION[@]}")" \
  --stack-kept "$(fact ARTIFACT_STACK "${PRODUCTION[@]}")"
expect_ok delete-production-artifacts "$ROOT/scripts/destroy.sh" production --yes --force-production --delete-artifacts --stages-dir "$STAGES"
checks leftovers --region "$REGION_UNDER_TEST" --prefix "$SERVICE_PREFIX" --zone "$zone" \
  --bucket-gone "$(fact BUCKET "${PRODUCTION[@]}")"
"$ROOT/scripts/ministack.sh" stop --port "$PORT"

step "Every stage in infra/stages deploys as its owner wrote it (emulator ids and account swapped in)"
owner_stages=()
while IFS= read -r stage; do [[ "$stage" == local ]] || owner_stages+=("$stage"); done < <(infra stages)
for stage in "${owner_stages[@]}"; do
  region="$(fact REGION --stage "$stage")"
  # MiniStack's load balancers answer only in the region it was started for: one per stage.
  OWNER_PORT="$(free_port)"
  ports+=("$OWNER_PORT")
  "$ROOT/scripts/ministack.sh" start --port "$OWNER_PORT" --region "$region" --account "$EMULATOR_ACCOUNT" >"$LOGS/ministack-$stage.log"
  mkdir -p "$WORK/owner-$stage"
  expect_ok "owner-seed-$stage" env MINISTACK_PORT="$OWNER_PORT" "$ROOT/scripts/ministack.sh" seed --port "$OWNER_PORT" \
    --stage "$stage" --out "$WORK/owner-$stage" --set "account_id=\"$EMULATOR_ACCOUNT\""
  expect_ok "owner-deploy-$stage" env AWS_ENDPOINT_URL="http://127.0.0.1:$OWNER_PORT" "$DEPLOY" "$stage" \
    --stages-dir "$WORK/owner-$stage" --zip "$WORK/v1.zip"
  grep -q "smoke test of $stage passed" "$LOGS/owner-deploy-$stage.log" && ok "stage $stage ($region) deployed and passed its smoke test" \
    || fail "deploy.sh $stage did not pass its smoke test"
  expect_ok "owner-destroy-$stage" env AWS_ENDPOINT_URL="http://127.0.0.1:$OWNER_PORT" "$ROOT/scripts/destroy.sh" "$stage" \
    --yes --force-production --delete-artifacts --stages-dir "$WORK/owner-$stage"
  "$ROOT/scripts/ministack.sh" stop --port "$OWNER_PORT" >/dev/null
done

step "Stage local as a new user runs it: deploy.sh local first thing in a clean copy of the project"
CLEAN="$WORK/clean-clone"
copy_tracked_tree "$CLEAN" >/dev/null
[[ -x "$CLEAN/scripts/deploy.sh" && ! -e "$CLEAN/target" ]] || fail "the clean copy is not clean"
LOCAL_PORT="$(free_port)"
ports+=("$LOCAL_PORT")
# Nothing of this checkout's environment but the compiler's cache: its build directories are
# hard-linked into the copy's target/ (cargo never rewrites a file in place, and the copy's own
# crates get new file names), so only the project's crates compile again. Tools under target/
# (wasm-opt, cargo-lambda, the AWS CLI, MiniStack) and the site are the copy's own, installed
# and built by deploy.sh.
mkdir -p "$CLEAN/target"
for cache in debug release front wasm32-unknown-unknown x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu; do
  if [[ -d "$ROOT/target/$cache" ]]; then cp -al "$ROOT/target/$cache" "$CLEAN/target/"; fi
done
first_run=(env -u AWS_ENDPOINT_URL -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u CARGO_TARGET_DIR
  PATH="$PROJECT_ORIGINAL_PATH" MINISTACK_PORT="$LOCAL_PORT")
run deploy-local-first "$BUILD_TIMEOUT_SECONDS" "${first_run[@]}" "$CLEAN/scripts/deploy.sh" local \
  || { tail -n 40 "$LOGS/deploy-local-first.log" >&2; fail "scripts/deploy.sh local failed as the first command (log ${LOGS#"$ROOT/"}/deploy-local-first.log)"; }
ok "scripts/deploy.sh local worked as the first command in a clean copy"
grep -q "installing wasm-opt" "$LOGS/deploy-local-first.log" && ok "it installed wasm-opt itself" || fail "deploy.sh local did not install wasm-opt"
grep -q "starting MiniStack" "$LOGS/deploy-local-first.log" && ok "it started MiniStack on 127.0.0.1:$LOCAL_PORT" \
  || fail "deploy.sh local did not start MiniStack"
grep -q "smoke test of local passed" "$LOGS/deploy-local-first.log" && ok "its smoke test passed" || fail "no smoke test of local"
expect_ok smoke-local "${first_run[@]}" "$CLEAN/scripts/smoke.sh" local
expect_ok destroy-local "${first_run[@]}" "$CLEAN/scripts/destroy.sh" local --yes --delete-artifacts
expect_ok stop-local-ministack "${first_run[@]}" "$CLEAN/scripts/ministack.sh" stop --port "$LOCAL_PORT"

step "deploy e2e passed in $(elapsed)"
echo "deploy-e2e: $passed passed, 0 failed"
