#!/usr/bin/env bash
# Lints the CloudFormation templates of every stage in infra/stages (whatever `infra stages`
# lists), the site's and its artifact bucket's, with cfn-lint and checkov.
#
#   scripts/lint-infra.sh [--stages-dir DIR]
#
# Synthesizes each stage to target/infra/<stage>.json and <stage>-artifacts.json, then fails on any cfn-lint finding or
# any failed checkov check. A check that does not apply is skipped inside the template itself
# (resource Metadata, with its reason, written in infra/src), never here.
# The tools go into target/tools/venv once and are reused while they are the pinned versions.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stages_dir="$ROOT/infra/stages"
case "${1:-}" in
  "") ;;
  --stages-dir) (($# == 2)) || die "usage: scripts/lint-infra.sh [--stages-dir DIR]"; stages_dir="$2" ;;
  *) die "usage: scripts/lint-infra.sh [--stages-dir DIR]" ;;
esac
stages_dir="$(from_caller "$stages_dir")"
OUT="$ROOT/target/infra"

step "cfn-lint $CFN_LINT_VERSION and checkov $CHECKOV_VERSION (Python venv in target/tools/venv)"
ensure_lint_tools
echo "present"

stages=()
while IFS= read -r stage; do stages+=("$stage"); done < <(infra stages --stages-dir "$stages_dir")
((${#stages[@]})) || die "no stage files in $stages_dir"

step "synthesize ${stages[*]} into target/infra"
templates=()
for stage in "${stages[@]}"; do
  infra synth --stage "$stage" --stages-dir "$stages_dir" --out "$OUT/$stage.json" || die "stage $stage does not synthesize (above)"
  infra synth --artifacts --stage "$stage" --stages-dir "$stages_dir" --out "$OUT/$stage-artifacts.json"
  templates+=("$OUT/$stage.json" "$OUT/$stage-artifacts.json")
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
