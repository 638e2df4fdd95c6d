#!/usr/bin/env bash
# Lints the CloudFormation templates of every stage in infra/stages (whatever `infra stages`
# lists) and of the tests' fixture stages (infra/tests/fixtures/stages, which turn on the
# options the owner's stages may leave off: WAF, tracing, provisioned concurrency), the site's
# and its artifact bucket's, with cfn-lint and checkov.
#
#   scripts/lint-infra.sh [--stages-dir DIR]     (DIR: only the stages there)
#
# Synthesizes each stage to target/infra/<stage>.json and <stage>-artifacts.json (fixtures under
# target/infra/fixtures/), then fails on any cfn-lint finding or
# any failed checkov check. A check that does not apply is skipped inside the template itself
# (resource Metadata, with its reason, written in infra/src), never here.
# The tools go into target/tools/venv once and are reused while they are the pinned versions.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Each stages directory with the directory its templates go to.
stage_dirs=("$ROOT/infra/stages" "$ROOT/target/infra")
if [[ -d "$ROOT/infra/tests/fixtures/stages" ]]; then
  stage_dirs+=("$ROOT/infra/tests/fixtures/stages" "$ROOT/target/infra/fixtures")
fi
case "${1:-}" in
  "") ;;
  --stages-dir) (($# == 2)) || die "usage: scripts/lint-infra.sh [--stages-dir DIR]"; stage_dirs=("$(from_caller "$2")" "$ROOT/target/infra") ;;
  *) die "usage: scripts/lint-infra.sh [--stages-dir DIR]" ;;
esac

step "cfn-lint $CFN_LINT_VERSION and checkov $CHECKOV_VERSION (Python venv in target/tools/venv)"
ensure_lint_tools
echo "present"

stages=() templates=() label=""
for ((i = 0; i < ${#stage_dirs[@]}; i += 2)); do
  stages_dir="${stage_dirs[i]}" out="${stage_dirs[i + 1]}" found=0
  step "synthesize the stages of ${stages_dir#"$ROOT/"} into ${out#"$ROOT/"}"
  while IFS= read -r stage; do
    found=1
    infra synth --stage "$stage" --stages-dir "$stages_dir" --out "$out/$stage.json" || die "stage $stage does not synthesize (above)"
    infra synth --artifacts --stage "$stage" --stages-dir "$stages_dir" --out "$out/$stage-artifacts.json"
    templates+=("$out/$stage.json" "$out/$stage-artifacts.json")
    label="${out#"$ROOT/target/infra"}"
    label="${label#/}"
    stages+=("${label:+$label/}$stage")
  done < <(infra stages --stages-dir "$stages_dir")
  ((found)) || die "no stage files in $stages_dir"
done

failed=()

step "cfn-lint"
# Exits non-zero on any finding, informational ones included.
"$TOOLS/venv/bin/cfn-lint" -- "${templates[@]}" || failed+=("cfn-lint")

for template in "${templates[@]}"; do
  step "checkov ${template#"$ROOT/"}"
  # --skip-download: offline, no Prisma Cloud guidelines; exits non-zero on a failed check.
  "$TOOLS/venv/bin/checkov" --skip-download --framework cloudformation --quiet --compact -f "$template" \
    || failed+=("checkov ${template#"$ROOT/"}")
done

if ((${#failed[@]})); then
  die "findings from: $(IFS=,; echo "${failed[*]}")"
fi
step "infra templates clean (${stages[*]}): no cfn-lint findings, no failed checkov checks"
