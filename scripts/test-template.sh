#!/usr/bin/env bash
# Proves the `cargo generate` starter: (1) expanding with the template's own values gives back
# this very tree, so no `.liquid` twin is stale; (2) expanding under another name gives a
# project with no Liquid syntax or template name left, whose unit tests pass and whose
# production template synthesizes and lints clean.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WORK="$ROOT/target/template-check"
# A target dir of its own: LEPTOS_OUTPUT_NAME is compiled into the leptos crates, so sharing
# $ROOT/target would rebuild the whole leptos stack twice on every run.
GENERATED_TARGET="$ROOT/target/generated"
NAME="acme-shop"
CRATE_NAME="acme_shop"
DOMAIN="shop.acme.test"
REGION="us-west-2"
rm -rf "$WORK"
mkdir -p "$WORK"

# The template is what git would hand a user of `cargo generate --git`: tracked and unignored
# files only. Expanding from this copy keeps build output out of the expansion whatever the
# state of the working tree. The same list is what the self-expansion below must reproduce.
TEMPLATE="$WORK/template"
template_files=()
while IFS= read -r -d '' file; do
  if [[ -e "$file" ]]; then template_files+=("$file"); fi # deleted but not yet committed
done < <(git ls-files -z --cached --others --exclude-standard)
mkdir -p "$TEMPLATE"
tar -cf - -- "${template_files[@]}" | tar -C "$TEMPLATE" -xf -

expand() { # destination, name, domain, region
  cargo generate --path "$TEMPLATE" --destination "$1" --name "$2" --silent --vcs none --no-workspace \
    --define "domain=$3" --define "region=$4" >"$1.log" 2>&1 || { cat "$1.log" >&2; die "cargo generate failed"; }
}

step "Expanding with the template's own values reproduces the tree"
mkdir -p "$WORK/self"
expand "$WORK/self" leptos-alb-site www.example.com eu-west-1
self_tree="$WORK/self/leptos-alb-site"
stale=0
for file in "${template_files[@]}"; do
  case "$file" in *.liquid | cargo-generate.toml | scripts/sync-template.sh | scripts/test-template.sh) continue ;; esac
  if ! cmp -s "$ROOT/$file" "$self_tree/$file"; then
    echo "differs after expansion: $file" >&2
    diff -u "$ROOT/$file" "$self_tree/$file" | head -20 >&2 || true
    stale=1
  fi
done
(( stale == 0 )) || die "the expansion differs from the template: run scripts/sync-template.sh (or escape Liquid syntax)"
echo "identical"

step "Expanding as $NAME ($DOMAIN, $REGION)"
mkdir -p "$WORK/new"
expand "$WORK/new" "$NAME" "$DOMAIN" "$REGION"
project="$WORK/new/$NAME"
find "$project" -maxdepth 2 -not -path '*/.git*' | sed "s|$WORK/new/||" | sort

step "No Liquid syntax, .liquid twin or template name left behind"
# Liquid left unrendered would show as a placeholder name in braces, or a {% tag.
liquid='\{\{ *(project-name|project_name|crate_name|domain|region|authors) *\}\}|\{%'
leftovers=$(grep -rIlE -e "$liquid" -e 'leptos-alb-site|leptos_alb_site' "$project" || true)
[[ -z "$leftovers" ]] || die "left behind in: $leftovers"
[[ -z "$(find "$project" -name '*.liquid' -o -name cargo-generate.toml)" ]] || die ".liquid twins were copied"
grep -qx "# $NAME" "$project/README.md" || die "README title is not the project name"
grep -qx "output-name = \"$CRATE_NAME\"" "$project/Cargo.toml" || die "output-name is not $CRATE_NAME"
grep -qx "LEPTOS_OUTPUT_NAME = \"$CRATE_NAME\"" "$project/.cargo/config.toml" || die "LEPTOS_OUTPUT_NAME is not $CRATE_NAME"
for stage in local migrate production; do
  grep -q "^service = \"$NAME\"" "$project/infra/stages/$stage.toml" || die "$stage.toml: service is not $NAME"
done
grep -q "^domain = \"$DOMAIN\"" "$project/infra/stages/production.toml" || die "production domain is not $DOMAIN"
grep -q "^region = \"$REGION\"" "$project/infra/stages/production.toml" || die "production region is not $REGION"
echo "clean"

step "The generated project's unit tests"
(cd "$project" && CARGO_TARGET_DIR="$GENERATED_TARGET" cargo test --workspace --lib --quiet)
(cd "$project" && CARGO_TARGET_DIR="$GENERATED_TARGET" cargo test -p infra --quiet)

step "The generated project's production template synthesizes and lints clean"
command -v cfn-lint >/dev/null && command -v checkov >/dev/null || die "cfn-lint and checkov are missing: run scripts/lint-infra.sh first"
template="$WORK/$NAME-production.json"
(cd "$project" && CARGO_TARGET_DIR="$GENERATED_TARGET" cargo run -q -p infra -- synth --stage production --out "$template")
grep -q "\"$NAME-production\"" "$template" || die "the template does not carry the project name"
cfn-lint "$template"
checkov --skip-download --quiet --compact --framework cloudformation -f "$template"
echo "generated project checks passed"
