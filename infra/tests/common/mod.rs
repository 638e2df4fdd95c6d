//! What the infra tests share: the two sets of stages they read.
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
use serde_json::Value;

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
