//! What the infra tests share: the two sets of stages they read, and the look-ups in a
//! synthesized template that more than one test file makes.
//!
//! - **Fixtures** (`tests/fixtures/stages/`): stage files of the tests' own, with fixed values.
//!   Tests that pin exact values, templates (snapshots) or edit a stage's text read these.
//! - **The owner's stages** (`stages/`): whatever stage files the project has, with whatever
//!   values its owner gave them. Tests check on these only what must hold for any valid stage,
//!   so replacing the placeholders or adding a stage keeps the project's tests green.

#![allow(dead_code)] // each test crate uses a part of this module

use std::path::{Path, PathBuf};

use infra::config::{DEFAULT_STAGES_DIR, list_stages};
use infra::{Stage, synth};
use serde_json::{Value, json};

/// The tests' own stage files.
pub const FIXTURES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stages");

/// The fixture stages, by name.
pub const FIXTURE_STAGES: [&str; 4] = ["hardened", "local", "migrate", "production"];

/// A fixture stage.
pub fn fixture(name: &str) -> Stage {
    Stage::load(Path::new(FIXTURES_DIR), name).expect("fixture stages are valid")
}

/// The path of a fixture stage's file.
pub fn fixture_file(name: &str) -> PathBuf {
    Path::new(FIXTURES_DIR).join(format!("{name}.toml"))
}

/// The names of the owner's stages: every `*.toml` in `stages/`.
pub fn owner_stage_names() -> Vec<String> {
    let names = list_stages(Path::new(DEFAULT_STAGES_DIR)).expect("stages/ is readable");
    assert!(
        !names.is_empty(),
        "{DEFAULT_STAGES_DIR} holds no stage file"
    );
    names
}

/// Every stage, fixtures and the owner's, with its template. A failure names the stage's file.
pub fn every_stage_with_template() -> Vec<(Stage, Value)> {
    let fixtures = FIXTURE_STAGES.iter().map(|name| fixture(name));
    let owners = owner_stage_names().into_iter().map(|name| {
        Stage::load(Path::new(DEFAULT_STAGES_DIR), &name)
            .unwrap_or_else(|error| panic!("the stage file of {name:?} is invalid:\n{error}"))
    });
    fixtures
        .chain(owners)
        .map(|stage| {
            let template = synth(&stage).to_json();
            (stage, template)
        })
        .collect()
}

/// The label of a stage in a failure message: its file, relative to the crate.
pub fn label(stage: &Stage) -> String {
    let file = stage.file.display().to_string();
    file.strip_prefix(concat!(env!("CARGO_MANIFEST_DIR"), "/"))
        .map_or(file.clone(), str::to_string)
}

/// A fixture stage's file with `from` replaced by `to` (which must change it), synthesized.
pub fn variant(stage: &str, from: &str, to: &str) -> (Stage, Value) {
    let file = fixture_file(stage);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(from), "{from:?} is not in {}", file.display());
    let stage =
        Stage::parse(stage, file, &text.replacen(from, to, 1)).expect("the variant is valid");
    let template = synth(&stage).to_json();
    (stage, template)
}

/// The resources of one CloudFormation type, with their logical ids.
pub fn resources_of<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, resource)| resource["Type"] == kind)
        .map(|(id, resource)| (id.as_str(), resource))
        .collect()
}

/// The single resource of a type.
pub fn only<'a>(template: &'a Value, kind: &str) -> (&'a str, &'a Value) {
    let found = resources_of(template, kind);
    assert_eq!(found.len(), 1, "expected one {kind}, got {}", found.len());
    found[0]
}

/// The single resource of a type that `matches`.
fn the_one<'a>(
    template: &'a Value,
    kind: &str,
    what: &str,
    matches: impl Fn(&Value) -> bool,
) -> (&'a str, &'a Value) {
    let found: Vec<_> = resources_of(template, kind)
        .into_iter()
        .filter(|(_, resource)| matches(resource))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {kind} {what}, got {}",
        found.len()
    );
    found[0]
}

/// The Lambda alias of that `Name` (`live` or `canary`).
pub fn alias_named<'a>(template: &'a Value, name: &str) -> (&'a str, &'a Value) {
    the_one(
        template,
        "AWS::Lambda::Alias",
        &format!("named {name:?}"),
        |alias| alias["Properties"]["Name"] == name,
    )
}

/// The target group whose one target is that alias.
pub fn target_group_of<'a>(template: &'a Value, alias_id: &str) -> (&'a str, &'a Value) {
    the_one(
        template,
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        &format!("targeting {alias_id}"),
        |target_group| {
            target_group["Properties"]["Targets"] == json!([{ "Id": { "Ref": alias_id } }])
        },
    )
}

/// The invoke permission on that alias.
pub fn permission_of<'a>(template: &'a Value, alias_id: &str) -> (&'a str, &'a Value) {
    the_one(
        template,
        "AWS::Lambda::Permission",
        &format!("on {alias_id}"),
        |permission| permission["Properties"]["FunctionName"] == json!({ "Ref": alias_id }),
    )
}

/// One way in to the function: an alias, the target group whose target it is, and ELB's
/// permission to invoke it.
pub struct Lane<'a> {
    pub alias_id: &'a str,
    pub alias: &'a Value,
    pub target_group_id: &'a str,
    pub target_group: &'a Value,
    pub permission_id: &'a str,
    pub permission: &'a Value,
}

/// The live lane (alias `live`) and the canary lane (alias `canary`), each found by following
/// the references from its alias; the template has these two aliases, target groups and
/// permissions and no other.
pub fn live_and_canary(template: &Value) -> [Lane<'_>; 2] {
    for kind in [
        "AWS::Lambda::Alias",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "AWS::Lambda::Permission",
    ] {
        let found = resources_of(template, kind).len();
        assert_eq!(found, 2, "expected a live and a canary {kind}, got {found}");
    }
    ["live", "canary"].map(|name| {
        let (alias_id, alias) = alias_named(template, name);
        let (target_group_id, target_group) = target_group_of(template, alias_id);
        let (permission_id, permission) = permission_of(template, alias_id);
        Lane {
            alias_id,
            alias,
            target_group_id,
            target_group,
            permission_id,
            permission,
        }
    })
}
