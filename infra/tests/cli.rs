//! The `infra` binary as deploy scripts use it: byte-identical synths, the unknown-stage
//! message, `--out`, `stack-name` and `describe`.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn infra(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infra"))
        .args(args)
        .output()
        .expect("the infra binary runs")
}

fn stdout_of(args: &[&str]) -> Vec<u8> {
    let output = infra(args);
    assert!(
        output.status.success(),
        "infra {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn two_synths_are_byte_identical() {
    for stage in ["local", "migrate", "production"] {
        let first = stdout_of(&["synth", "--stage", stage]);
        let second = stdout_of(&["synth", "--stage", stage]);
        assert!(!first.is_empty());
        assert_eq!(first, second, "{stage}: two synths differ");
        let template: Value = serde_json::from_slice(&first).expect("synth prints JSON");
        assert_eq!(template["AWSTemplateFormatVersion"], "2010-09-09");
    }
}

#[test]
fn out_writes_the_same_bytes_as_stdout() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("infra-cli-test/migrate.json");
    let _ = std::fs::remove_file(&out);
    let printed = stdout_of(&[
        "synth",
        "--stage",
        "migrate",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(printed.is_empty(), "--out prints nothing");
    assert_eq!(
        std::fs::read(&out).unwrap(),
        stdout_of(&["synth", "--stage", "migrate"])
    );
}

#[test]
fn unknown_stage_is_named_with_the_stages_there_are() {
    let output = infra(&["synth", "--stage", "staging"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let message = String::from_utf8(output.stderr).unwrap();
    assert!(message.contains("unknown stage \"staging\""), "{message}");
    assert!(
        message.contains("the stages there are: local, migrate, production"),
        "{message}"
    );
}

#[test]
fn bad_usage_exits_2_with_the_usage() {
    let output = infra(&["synth"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("usage: infra")
    );
}

#[test]
fn stages_dir_can_be_overridden() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("infra-cli-test/stages");
    std::fs::create_dir_all(&dir).unwrap();
    let migrate =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/stages/migrate.toml"))
            .unwrap();
    std::fs::write(dir.join("qa.toml"), migrate).unwrap();
    let dir = dir.to_str().unwrap();
    assert_eq!(stdout_of(&["stages", "--stages-dir", dir]), b"qa\n");
    assert_eq!(
        stdout_of(&["stack-name", "--stage", "qa", "--stages-dir", dir]),
        b"leptos-alb-site-qa\n"
    );
}

#[test]
fn stack_name_and_describe_come_from_the_stage_file() {
    assert_eq!(
        stdout_of(&["stack-name", "--stage", "production"]),
        b"leptos-alb-site-production\n"
    );
    let described: Value =
        serde_json::from_slice(&stdout_of(&["describe", "--stage", "migrate"])).unwrap();
    assert_eq!(described["stack_name"], "leptos-alb-site-migrate");
    assert_eq!(described["region"], "eu-west-1");
    assert_eq!(
        described["artifact_bucket"],
        "leptos-alb-site-migrate-artifacts-111111111111"
    );
    assert_eq!(described["parameters"]["artifact_bucket"], "ArtifactBucket");
    assert_eq!(described["parameters"]["artifact_key"], "ArtifactKey");
    assert_eq!(
        described["capabilities"],
        serde_json::json!(["CAPABILITY_IAM"])
    );
    let template: Value =
        serde_json::from_slice(&stdout_of(&["synth", "--stage", "migrate"])).unwrap();
    for parameter in ["ArtifactBucket", "ArtifactKey"] {
        assert!(
            template["Parameters"].get(parameter).is_some(),
            "describe names a parameter the template lacks"
        );
    }
}
