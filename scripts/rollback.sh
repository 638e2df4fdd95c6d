#!/usr/bin/env bash
# Puts an earlier release of a stage back, then smoke-tests it: the zip the artifact bucket
# keeps under its sha256 is deployed again by scripts/deploy.sh (no build, no upload), which
# publishes it as a new version and moves the `live` alias, and so all traffic, to it.
#
#   scripts/rollback.sh <stage> [--to VERSION|SHA256] [--dry-run] [--stages-dir DIR]
#
#   --to VERSION|SHA256  the release to put back: a version number, or 7 or more hex digits of
#                        the zip's sha256 (scripts/releases.sh lists both; a zip whose version
#                        was pruned can still be named by its sha256). Default: the newest
#                        release older than the serving one whose code differs, so a second
#                        rollback undoes the first.
#   --dry-run            say which release, print the change set, change nothing
#
# The old code runs with the stage file's current configuration: a rollback undoes a code
# change, not an edit of the stage file (revert that in git and deploy).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/deploy-lib.sh"

HELP_LINES=16
to="" dry_run=()
while (($#)); do
  case "$1" in
    --to | --to=*) option_value "$@"; to="$OPTION_VALUE" ;;
    --dry-run) dry_run=(--dry-run) ARGS_TAKEN=1 ;;
    *) stage_script_argument "$@" ;;
  esac
  shift "$ARGS_TAKEN"
done
[[ -n "$STAGE_ARG" ]] || die "which stage? e.g. scripts/rollback.sh migrate (--help for more)"
attach_local_stage
stage="$STAGE_ARG" stages_dir="${STAGES_DIR_ARG:-$DEFAULT_STAGES_DIR}"
load_stage "$stage" "$stages_dir" || die "stage ${stage@Q} cannot be read (above). Nothing was changed."
resolve_aws_cli

step "Stage $stage: choosing the release to put back"
listings="$DEPLOY_DIR/$stage/releases"
list_releases "$listings" || die "the releases of $STACK cannot be read (above). Nothing was changed."
choice="$(infra_releases rollback-target "$listings" ${to:+--to "$to"})" || die "no rollback (above). Nothing was changed."
eval "$choice"
note "$RELEASE_SUMMARY"

exec "$ROOT/scripts/deploy.sh" "$stage" --stages-dir "$stages_dir" --release "$RELEASE_SHA256" "${dry_run[@]}"
