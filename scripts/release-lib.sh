# deploy.sh's release phase, apart for its length: the smoke test of a new version invoked
# directly, the canary (--canary: a share of the requests while its alarms bake, then promoted
# or rolled back) and the move of the `live` alias. It uses deploy.sh's globals and change-set
# functions (submit_change_set, execute_change_set, stack_output); source it from deploy.sh
# only, don't run it.
# shellcheck shell=bash
# shellcheck disable=SC2154,SC2153,SC2034 # the globals are deploy.sh's, set and read there too

# Release: a version published by this deploy is invoked directly, as the load balancer would,
# and takes the traffic (the alias moves to it, through the stack) only once it answers well;
# with --canary, a share of it first. A version an earlier deploy published but did not release
# (its smoke test failed, or its canary was rolled back) is tried again only when asked for:
# with --canary, or --release of its code; a plain deploy leaves it aside and says so.
release_new_version() {
  local newest live path
  newest="$(stack_output NewestVersion)" live="$(stack_output LiveVersion)"
  if [[ -z "$newest" || "$newest" == "$live" ]]; then
    [[ -z "$canary_percent" || -z "$live" ]] || note "--canary: version $live serves already; no new version to bake"
    return 0
  fi
  if [[ "$newest" == "$newest_before" && -z "$canary_percent" && -z "$release" ]]; then
    note "version $newest was published by an earlier deploy and never released (its smoke test failed or its canary was rolled back): it stays aside, version $live serves. To try it again: scripts/deploy.sh $stage --canary PERCENT"
    return 0
  fi
  step "Smoke test of version $newest before it takes traffic (invoked directly; version $live serves)"
  for path in $(infra version-smoke paths); do
    infra version-smoke event --path "$path" --host "$SITE_HOST" >"$work/smoke-event.json"
    if ! aws_cli lambda invoke --function-name "$FUNCTION_NAME" --qualifier "$newest" \
      --payload "fileb://$work/smoke-event.json" "$work/smoke-answer.json" >/dev/null \
      || ! infra version-smoke check --path "$path" --answer "$work/smoke-answer.json"; then
      die "version $newest FAILED its smoke test (above) and takes no traffic: version $live keeps serving. Fix it and deploy again"
    fi
  done
  [[ -z "$canary_percent" ]] || bake_canary "$newest" "$live"
  step "Version $newest takes the traffic (alias $ALIAS moves from $live)"
  change_set_type=UPDATE canary_version="" live_weight=100 canary_weight=0
  submit_change_set "release-$(date -u +%Y%m%d-%H%M%S)-v$newest" "$newest" "scripts/deploy.sh $stage: version $newest takes the traffic"
  ((up_to_date)) || execute_change_set
  canary_done
}

# A stack parameter's value as the stack runs it now.
stack_parameter() {
  aws_cli cloudformation describe-stacks --stack-name "$STACK" \
    --query "Stacks[0].Parameters[?ParameterKey=='$1'].ParameterValue | [0]" --output text
}

# Sets CANARY_VERDICT (healthy or alarm) and CANARY_REASON from the canary's alarms (infra
# decides); fails, saying why, when they cannot be read.
read_canary_verdict() {
  local listing="$work/canary-alarms.json" errors="$work/canary-alarms.err" out
  # shellcheck disable=SC2086 # CANARY_ALARMS is a list of names
  aws_cli cloudwatch describe-alarms --alarm-names $CANARY_ALARMS --output json >"$listing" 2>"$errors" \
    || { echo "error: the canary alarms cannot be read: $(tail -n1 "$errors")" >&2; return 1; }
  out="$(infra canary verdict --stage "$stage" --stages-dir "$stages_dir" --alarms "$listing")" || return 1
  eval "$out"
}

# From the split until the promotion or the rollback has run, a canary may take its share:
# CANARY_IN_FLIGHT says which, and any exit before that point says so (what still serves and
# how to end it), whatever stopped the script.
CANARY_IN_FLIGHT="" CANARY_INTERRUPTED=0
canary_exit_warning() {
  [[ -n "$CANARY_IN_FLIGHT" ]] || return 0
  warn "the deploy stopped while $CANARY_IN_FLIGHT. Check stack $STACK (scripts/releases.sh $stage); scripts/deploy.sh $stage (any release) or scripts/rollback.sh $stage ends the canary"
}
canary_done() {
  CANARY_IN_FLIGHT=""
  trap - HUP INT TERM
}

# The canary: version NEWEST takes the --canary share of the requests (the canary alias, its
# target group, the listener's weights), LIVE the rest, while the canary's alarms are read
# every CANARY_POLL_SECONDS for the stage's bake time. Returns when they stayed quiet (the
# caller promotes it); else rolls back, and the deploy ends there. A hang-up, Ctrl-C or TERM
# from the split on rolls it back (once the split's update has ended).
bake_canary() {
  local newest="$1" live="$2" deadline left running watched unreadable=0 poll="$CANARY_POLL_SECONDS"
  if on_ministack; then poll=1; fi
  read_canary_verdict || die "version $newest passed its smoke test but takes no traffic: the canary alarms cannot be judged (above); version $live keeps serving"
  [[ "$CANARY_VERDICT" == healthy ]] || die "the canary alarms are not quiet yet ($CANARY_REASON), so they cannot judge a new canary: version $newest passed its smoke test but takes no traffic; version $live keeps serving. Deploy again once they are OK"
  step "Canary: version $newest takes $CANARY_WEIGHT % of the requests, version $live the rest"
  change_set_type=UPDATE canary_version="$newest" live_weight="$LIVE_WEIGHT" canary_weight="$CANARY_WEIGHT"
  CANARY_IN_FLIGHT="version $newest may take $CANARY_WEIGHT % of the requests as a canary"
  trap canary_exit_warning EXIT
  # The handler only takes note: it may run inside a command's redirections (a function's
  # output going to a file), where the rollback's own output would be lost. The loop below
  # rolls back at its next step.
  CANARY_INTERRUPTED=0
  trap 'CANARY_INTERRUPTED=1' HUP INT TERM
  submit_change_set "canary-$(date -u +%Y%m%d-%H%M%S)-v$newest" "$live" "scripts/deploy.sh $stage: version $newest bakes on $CANARY_WEIGHT % of the requests"
  ((up_to_date)) || execute_change_set
  step "Canary: baking ${CANARY_BAKE_SECONDS}s while its alarms are watched ($CANARY_ALARMS)"
  deadline=$((SECONDS + CANARY_BAKE_SECONDS))
  while :; do
    ((CANARY_INTERRUPTED == 0)) || end_canary "$live" "the deploy was interrupted"
    # A rollback (or another deploy) run meanwhile ended the canary: nothing here may undo it.
    # (A stack that cannot be read is judged by the alarms alone.)
    running="$(stack_parameter "$PARAM_CANARY_VERSION" 2>/dev/null)" || running="$newest"
    if [[ "$running" != "$newest" ]]; then
      canary_done
      die "the canary of version $newest was ended while it baked (another deploy or a rollback changed stack $STACK): nothing was promoted or rolled back here"
    fi
    if read_canary_verdict; then
      unreadable=0 watched="alarms quiet"
      [[ "$CANARY_VERDICT" == healthy ]] || end_canary "$live" "$CANARY_REASON"
    else
      unreadable=$((unreadable + 1)) watched="alarms unreadable ($unreadable of 3 times in a row)"
      ((unreadable < 3)) || end_canary "$live" "its alarms could not be read three times in a row (above)"
    fi
    left=$((deadline - SECONDS))
    ((left > 0 || CANARY_INTERRUPTED)) || break
    if ((CANARY_INTERRUPTED)); then continue; fi
    note "$((CANARY_BAKE_SECONDS - left))s of ${CANARY_BAKE_SECONDS}s: $watched"
    sleep "$((left < poll ? left : poll))"
  done
  CANARY_IN_FLIGHT="version $newest baked with its alarms quiet but may still take $CANARY_WEIGHT % of the requests (the promotion did not finish)"
  step "Canary: version $newest baked ${CANARY_BAKE_SECONDS}s with its alarms quiet: PROMOTED"
}

# Rolls a canary back (the listener's weights back to the live target group, the canary alias
# back on LIVE) and ends the deploy, saying why. Signals wait until it is done; an update still
# running (the split, when interrupted) is waited for first.
end_canary() {
  local live="$1" why="$2" status
  trap '' HUP INT TERM
  step "Canary: ROLLING BACK, $why"
  status="$(stack_status "$STACK" 2>/dev/null || true)"
  if [[ "$status" == *_IN_PROGRESS ]]; then
    note "stack $STACK is $status: waiting for it before the rollback"
    follow_stack "$STACK" "$DEPLOY_TIMEOUT_SECONDS" || true
  fi
  CANARY_IN_FLIGHT="its rollback was under way (the canary may still take its share)"
  change_set_type=UPDATE canary_version="" live_weight=100 canary_weight=0
  submit_change_set "canary-rollback-$(date -u +%Y%m%d-%H%M%S)" "$live" "scripts/deploy.sh $stage: canary rolled back"
  ((up_to_date)) || execute_change_set
  canary_done
  die "the canary was ROLLED BACK ($why): version $live serves every request again"
}
