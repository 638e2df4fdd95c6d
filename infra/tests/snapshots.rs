//! Snapshots of the fixture stages' templates (`tests/fixtures/stages/`): a change to any
//! resource shows up as a reviewable diff in `tests/snapshots/`. Accept intended changes with
//! `INSTA_UPDATE=always cargo test -p infra` (or `cargo insta review`).
//!
//! Fixtures, not the owner's `stages/`: their values are the tests' own, so replacing the
//! placeholders or adding a stage never touches a snapshot.

mod common;

use common::{FIXTURE_STAGES, FIXTURES_DIR, fixture};
use infra::config::list_stages;
use infra::synth;

#[test]
fn every_fixture_template_matches_its_snapshot() {
    for name in FIXTURE_STAGES {
        insta::assert_snapshot!(name, synth(&fixture(name)).render());
    }
}

#[test]
fn every_fixture_file_is_snapshotted() {
    let files = list_stages(std::path::Path::new(FIXTURES_DIR)).unwrap();
    assert_eq!(
        files, FIXTURE_STAGES,
        "add the new fixture to FIXTURE_STAGES"
    );
}
