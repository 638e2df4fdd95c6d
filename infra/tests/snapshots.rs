//! Snapshots of every shipped stage's template: a change to any resource shows up as a
//! reviewable diff in `tests/snapshots/`. Accept intended changes with
//! `INSTA_UPDATE=always cargo test -p infra` (or `cargo insta review`).
//!
//! The values `cargo generate` asks for (service name, domain, region) are replaced by
//! `<service>`, `<domain>` and `<region>`, so a generated project passes these snapshots too.

use std::path::Path;

use infra::config::{DEFAULT_STAGES_DIR, list_stages};
use infra::{Stage, synth};

fn template(stage: &str) -> String {
    let stage =
        Stage::load(Path::new(DEFAULT_STAGES_DIR), stage).expect("shipped stages are valid");
    let settings = &stage.settings;
    // The domain first: the local stage's domain contains the service name.
    synth(&stage)
        .render()
        .replace(&settings.domain, "<domain>")
        .replace(&settings.service, "<service>")
        .replace(&settings.region, "<region>")
}

#[test]
fn local_template() {
    insta::assert_snapshot!("local", template("local"));
}

#[test]
fn migrate_template() {
    insta::assert_snapshot!("migrate", template("migrate"));
}

#[test]
fn production_template() {
    insta::assert_snapshot!("production", template("production"));
}

#[test]
fn every_shipped_stage_has_a_snapshot() {
    let stages = list_stages(Path::new(DEFAULT_STAGES_DIR)).unwrap();
    assert_eq!(
        stages,
        ["local", "migrate", "production"],
        "add a snapshot test for a new stage"
    );
}
