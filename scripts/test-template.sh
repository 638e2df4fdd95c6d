#!/usr/bin/env bash
# Proves the `cargo generate` starter: (1) expanding with the template's own values gives back
# this very tree, so no `.liquid` twin is stale; (2) expanding under another name gives a
# project with no Liquid syntax or template name left; (3) in it, after the owner's first edits
# (every placeholder replaced with real-looking values, a fourth stage added), the project's
# own `cargo test --workspace` and infra lint (every stage) pass.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT/scripts/sync-template.sh" # the template's own values (TEMPLATE_*), nothing run

WORK="$ROOT/target/template-check"
# A target dir of its own: LEPTOS_OUTPUT_NAME is compiled into the leptos crates, so sharing
# $ROOT/target would rebuild the whole leptos stack twice on every run.
GENERATED_TARGET="$ROOT/target/generated"
# The owner's values for the expansion under another name.
NAME="acme-shop" CRATE_NAME="acme_shop" DOMAIN="shop.acme.test" REGION="us-west-2"
rm -rf "$WORK"
mkdir -p "$WORK"

# The template is what git would hand a user of `cargo generate --git`: tracked and unignored
# files only. Expanding from this copy keeps build output out of the expansion whatever the
# state of the working tree. The same list is what the self-expansion below must reproduce.
TEMPLATE="$WORK/template"
template_files=()
while IFS= read -r -d '' file; do template_files+=("$file"); done < <(copy_tracked_tree "$TEMPLATE")

expand() { # destination, name, domain, region
  cargo generate --path "$TEMPLATE" --destination "$1" --name "$2" --silent --vcs none --no-workspace \
    --define "domain=$3" --define "region=$4" >"$1.log" 2>&1 || { cat "$1.log" >&2; die "cargo generate failed"; }
}

step "Expanding with the template's own values reproduces the tree"
mkdir -p "$WORK/self"
expand "$WORK/self" "$TEMPLATE_NAME" "$TEMPLATE_DOMAIN" "$TEMPLATE_REGION"
self_tree="$WORK/self/$TEMPLATE_NAME"
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
leftovers=$(grep -rIlE -e "$liquid" -e "$TEMPLATE_NAME|$TEMPLATE_CRATE_NAME" "$project" || true)
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

step "The owner's first edits: every placeholder replaced, a stage of their own added"
# What a new owner does first (README): real-looking values for every PLACEHOLDER in migrate
# and production, then a fourth stage copied from migrate under another domain. The project's
# own tests and lint must stay green through all of it.
stages="$project/infra/stages"
MIGRATE_ACCOUNT="493817265012"
PRODUCTION_ACCOUNT="615293847561"
sed -i.orig -e "s/111111111111/$MIGRATE_ACCOUNT/g" -e 's/Z0PLACEHOLDERMIGRATE/Z08761232QX4PLMNB7TRS/' \
  -e 's/^domain = "migrate.example.com"/domain = "beta.shop.acme.test"/' \
  -e 's/certificate\/00000000-0000-0000-0000-000000000000/certificate\/3f2b8c1e-9d4a-4e7b-8c21-5a6f0e9d1b47/' \
  -e 's/vpc-0000000000000000a/vpc-0a1b2c3d4e5f60718/' \
  -e 's/subnet-0000000000000000a/subnet-04c1d2e3f4a5b6c78/' -e 's/subnet-0000000000000000b/subnet-09f8e7d6c5b4a3921/' \
  "$stages/migrate.toml"
sed -i.orig -e "s/222222222222/$PRODUCTION_ACCOUNT/g" -e 's/Z0PLACEHOLDERPRODUCTION/Z1D633PJN98FT9/' \
  -e 's/certificate\/00000000-0000-0000-0000-000000000000/certificate\/7c9e6679-7425-40de-944b-e07fc1f90ae7/' \
  -e 's/vpc-0000000000000000c/vpc-0f1e2d3c4b5a69788/' \
  -e 's/subnet-0000000000000000c/subnet-0123456789abcdef0/' -e 's/subnet-0000000000000000d/subnet-0fedcba9876543210/' \
  -e 's/subnet-0000000000000000e/subnet-0a9b8c7d6e5f40312/' \
  "$stages/production.toml"
rm -f "$stages"/*.orig # `-i.orig`: the one in-place form GNU and BSD sed both take
# shellcheck disable=SC2016 # backquotes are Markdown in the stage file's comment
sed -e 's/^domain = "beta.shop.acme.test"/domain = "staging.shop.acme.test"/' -e 's/^# Stage `migrate`/# Stage `staging`/' \
  "$stages/migrate.toml" >"$stages/staging.toml"
placeholders=$(grep -nE '"[^"]*(PLACEHOLDER|111111111111|222222222222|0000000000000000)[^"]*"' "$stages/migrate.toml" "$stages/production.toml" "$stages/staging.toml" || true)
[[ -z "$placeholders" ]] || die "placeholder values left after the owner's edits: $placeholders"
grep -q "^domain = \"staging.shop.acme.test\"" "$stages/staging.toml" || die "the staging stage was not written"
echo "stages now: $(cd "$project" && CARGO_TARGET_DIR="$GENERATED_TARGET" cargo run -q -p infra -- stages | tr '\n' ' ')"

step "The generated project's own tests (cargo test --workspace)"
(cd "$project" && CARGO_TARGET_DIR="$GENERATED_TARGET" cargo test --workspace --quiet) \
  || die "the generated project's tests fail after the owner's edits (above)"

step "The generated project's infra lint (every stage, its own scripts/lint-infra.sh)"
# The lint tools are this checkout's (same pins), linked rather than installed again.
mkdir -p "$project/target"
ln -sfn "$TOOLS" "$project/target/tools"
lint_log="$WORK/$NAME-lint.log"
(cd "$project" && CARGO_TARGET_DIR="$GENERATED_TARGET" scripts/lint-infra.sh) >"$lint_log" 2>&1 \
  || { tail -n 40 "$lint_log" >&2; die "the generated project's infra lint fails after the owner's edits (log ${lint_log#"$ROOT/"})"; }
for stage in local migrate production staging; do
  grep -q "checkov target/infra/$stage.json" "$lint_log" || die "lint-infra.sh did not lint the $stage stage"
done
grep -q "\"$NAME-staging\"" "$project/target/infra/staging.json" || die "the staging template does not carry the project name"
tail -n 1 "$lint_log"
echo "generated project checks passed"
