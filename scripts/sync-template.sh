#!/usr/bin/env bash
# Writes the `.liquid` twins that `cargo generate` renders, from their buildable originals:
# the template's own values become placeholders. Run it after editing any of the originals;
# scripts/test-template.sh fails while a twin is stale.
set -euo pipefail

# The template's own values, which the placeholders replace. test-template.sh sources this
# file for them (and expands with them to get this tree back); it stops here when sourced.
TEMPLATE_NAME="leptos-alb-site" TEMPLATE_CRATE_NAME="leptos_alb_site"
TEMPLATE_DOMAIN="www.example.com" TEMPLATE_REGION="eu-west-1"
[[ "${BASH_SOURCE[0]}" == "$0" ]] || return 0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

twin() {
  local original="$1"; shift
  [[ -f "$original" ]] || die "$original is missing"
  sed -e "s/$TEMPLATE_NAME/{{project-name}}/g" -e "s/$TEMPLATE_CRATE_NAME/{{crate_name}}/g" "$@" \
    "$original" >"$original.liquid"
}

twin Cargo.toml
twin .cargo/config.toml
twin README.md
twin infra/stages/local.toml
twin infra/stages/migrate.toml -e "s/$TEMPLATE_REGION/{{region}}/g"
twin infra/stages/production.toml -e "s/$TEMPLATE_REGION/{{region}}/g" -e "s/$TEMPLATE_DOMAIN/{{domain}}/g"

for file in Cargo.toml .cargo/config.toml README.md infra/stages/{local,migrate,production}.toml; do
  if grep -q -e '{%' -e '{{' "$file"; then
    die "$file contains Liquid-like syntax that cargo generate would render; escape it"
  fi
done
echo "twins written"
