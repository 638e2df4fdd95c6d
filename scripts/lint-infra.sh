#!/usr/bin/env bash
# Lints the CloudFormation template of every shipped stage with cfn-lint and checkov.
#
# Synthesizes each stage to target/infra/<stage>.json, then fails on any cfn-lint finding or
# any failed checkov check. A check that does not apply is skipped inside the template itself
# (resource Metadata, with its reason, written in infra/src), never here.
# Idempotent: the tools go into target/tools/venv once and are reused while they are the
# pinned versions.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CFN_LINT_VERSION="1.58.0"
CHECKOV_VERSION="3.3.30"
STAGES=(local migrate production)
OUT="$ROOT/target/infra"

has_pinned_tools() {
  [[ -x "$TOOLS/venv/bin/cfn-lint" && -x "$TOOLS/venv/bin/checkov" ]] || return 1
  "$TOOLS/venv/bin/python" - "$CFN_LINT_VERSION" "$CHECKOV_VERSION" 2>/dev/null <<'EOF'
import sys
from importlib.metadata import version
sys.exit(0 if (version("cfn-lint"), version("checkov")) == (sys.argv[1], sys.argv[2]) else 1)
EOF
}

step "cfn-lint $CFN_LINT_VERSION and checkov $CHECKOV_VERSION (Python venv in target/tools/venv)"
if has_pinned_tools; then
  echo "present"
else
  if [[ ! -x "$TOOLS/venv/bin/python" ]]; then
    command -v python3 >/dev/null || die "python3 is required for cfn-lint and checkov; install it and re-run"
    python3 -m venv "$TOOLS/venv"
  fi
  echo "installing (about a minute, once)"
  "$TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check \
    "cfn-lint==$CFN_LINT_VERSION" "checkov==$CHECKOV_VERSION"
  has_pinned_tools || die "cfn-lint $CFN_LINT_VERSION and checkov $CHECKOV_VERSION did not install"
fi

step "synthesize ${STAGES[*]} into target/infra"
templates=()
for stage in "${STAGES[@]}"; do
  cargo "+$TOOLCHAIN" run -q -p infra -- synth --stage "$stage" --out "$OUT/$stage.json"
  templates+=("$OUT/$stage.json")
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
step "infra templates clean: no cfn-lint findings, no failed checkov checks"
