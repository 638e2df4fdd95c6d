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

/// A value of a shipped stage file, so these tests hold in a generated project too.
fn shipped(stage: &str, key: &str) -> String {
    let path = format!("{}/stages/{stage}.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .find(|line| line.starts_with(&format!("{key} = ")))
        .unwrap();
    line.split('"').nth(1).unwrap().to_string()
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
        format!("{}-qa\n", shipped("migrate", "service")).into_bytes()
    );
}

#[test]
fn stack_name_and_describe_come_from_the_stage_file() {
    assert_eq!(
        stdout_of(&["stack-name", "--stage", "production"]),
        format!("{}-production\n", shipped("production", "service")).into_bytes()
    );
    let service = shipped("migrate", "service");
    let described: Value =
        serde_json::from_slice(&stdout_of(&["describe", "--stage", "migrate"])).unwrap();
    assert_eq!(described["stack_name"], format!("{service}-migrate"));
    assert_eq!(described["region"], shipped("migrate", "region"));
    assert_eq!(
        described["artifact_bucket"],
        format!(
            "{service}-migrate-artifacts-{}",
            shipped("migrate", "account_id")
        )
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

#[test]
fn describe_names_the_account_resources_a_deploy_checks_first() {
    let described: Value =
        serde_json::from_slice(&stdout_of(&["describe", "--stage", "production"])).unwrap();
    let text = |key: &str| described[key].as_str().unwrap().to_string();
    let (region, account, stack) = (text("region"), text("account_id"), text("stack_name"));
    assert!(text("file").ends_with("production.toml"));
    assert!(text("hosted_zone_id").starts_with('Z'));
    assert!(
        text("certificate_arn")
            .starts_with(&format!("arn:aws:acm:{region}:{account}:certificate/"))
    );
    assert!(text("vpc_id").starts_with("vpc-"));
    assert_eq!(described["subnet_ids"].as_array().unwrap().len(), 3);
    assert_eq!(text("alarm_prefix"), stack);
    assert!(text("alarm_topic_arn").starts_with(&format!("arn:aws:sns:{region}:{account}:")));
    assert!(text("access_log_bucket").ends_with(&format!("-alb-logs-{account}")));
    assert_eq!(described["deletion_protection"], true);
    assert_eq!(described["function"]["memory_mb"], 512);
    assert_eq!(described["function"]["reserved_concurrency"], 100);
    assert_eq!(described["function"]["environment"]["RUST_LOG"], "info");

    let migrate: Value =
        serde_json::from_slice(&stdout_of(&["describe", "--stage", "migrate"])).unwrap();
    assert_eq!(migrate["alarm_topic_arn"], Value::Null);
    assert_eq!(migrate["access_log_bucket"], Value::Null);
    assert_eq!(migrate["function"]["reserved_concurrency"], Value::Null);
}
