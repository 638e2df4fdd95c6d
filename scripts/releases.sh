#!/usr/bin/env bash
# Lists a stage's releases: the Lambda versions it keeps, newest first, with when each was
# published, its code (the first digits of the zip's sha256) and configuration digest, and the
# share of traffic the `live` alias gives it; then the zips in the artifact bucket that no kept
# version runs (scripts/rollback.sh --to SHA256 can still deploy them).
#
#   scripts/releases.sh <stage> [--stages-dir DIR]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/deploy-lib.sh"

HELP_LINES=7
while (($#)); do
  stage_script_argument "$@"
  shift "$ARGS_TAKEN"
done
[[ -n "$STAGE_ARG" ]] || die "which stage? e.g. scripts/releases.sh migrate"
attach_local_stage
stage="$STAGE_ARG"
load_stage "$stage" "${STAGES_DIR_ARG:-$DEFAULT_STAGES_DIR}" || die "stage ${stage@Q} cannot be read (above)"
resolve_aws_cli

listings="$DEPLOY_DIR/$stage/releases"
list_releases "$listings" || die "the releases of $STACK cannot be read (above): is the stage deployed?"
echo "Releases of $FUNCTION_NAME (stack $STACK, $REGION):"
infra_releases list "$listings"
