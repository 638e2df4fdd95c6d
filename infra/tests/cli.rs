//! The `infra` binary as deploy scripts use it: byte-identical synths of every stage there is,
//! the unknown-stage message, `--out`, `stack-name`, `stages` and `describe`.
//!
//! Exact values come from the fixture stages (`--stages-dir tests/fixtures/stages`); on the
//! owner's `stages/` only what holds for any valid stage is checked.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::{FIXTURES_DIR, owner_stage_names};
use serde_json::{Value, json};

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

/// `describe` of a fixture stage.
fn describe_fixture(stage: &str) -> Value {
    serde_json::from_slice(&stdout_of(&[
        "describe",
        "--stage",
        stage,
        "--stages-dir",
        FIXTURES_DIR,
    ]))
    .unwrap()
}

#[test]
fn stages_lists_every_toml_file_of_the_stages_directory() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/stages");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|name| name.strip_suffix(".toml").map(str::to_string))
        .collect();
    files.sort();
    let listed = String::from_utf8(stdout_of(&["stages"])).unwrap();
    assert_eq!(listed.lines().collect::<Vec<_>>(), files);
    assert_eq!(
        stdout_of(&["stages", "--stages-dir", FIXTURES_DIR]),
        b"hardened\nlocal\nmigrate\nproduction\n"
    );
}

#[test]
fn two_synths_of_every_stage_are_byte_identical() {
    let owners = owner_stage_names();
    for stage in &owners {
        let first = stdout_of(&["synth", "--stage", stage]);
        let second = stdout_of(&["synth", "--stage", stage]);
        assert!(!first.is_empty());
        assert_eq!(first, second, "stages/{stage}.toml: two synths differ");
        let template: Value = serde_json::from_slice(&first).expect("synth prints JSON");
        assert_eq!(template["AWSTemplateFormatVersion"], "2010-09-09");
    }
    for stage in ["hardened", "local", "migrate", "production"] {
        let args = ["synth", "--stage", stage, "--stages-dir", FIXTURES_DIR];
        assert_eq!(stdout_of(&args), stdout_of(&args), "fixtures/{stage}");
    }
}

#[test]
fn describe_of_every_stage_agrees_with_its_file_and_template() {
    for stage in owner_stage_names() {
        let described: Value =
            serde_json::from_slice(&stdout_of(&["describe", "--stage", &stage])).unwrap();
        let text = |key: &str| described[key].as_str().unwrap().to_string();
        assert_eq!(text("stage"), stage);
        assert!(text("file").ends_with(&format!("stages/{stage}.toml")));
        let stack = String::from_utf8(stdout_of(&["stack-name", "--stage", &stage])).unwrap();
        assert_eq!(stack.trim_end(), text("stack_name"));
        assert!(
            text("stack_name").ends_with(&format!("-{stage}")),
            "{stage}"
        );
        assert_eq!(text("url"), format!("https://{}", text("domain")));
        assert!(
            text("certificate_arn").contains(&format!(":acm:{}:", text("region"))),
            "{stage}: the certificate is in the stage's region"
        );
        let template: Value =
            serde_json::from_slice(&stdout_of(&["synth", "--stage", &stage])).unwrap();
        for key in ["artifact_bucket", "artifact_key"] {
            let parameter = text_at(&described["parameters"], key);
            assert!(
                template["Parameters"].get(&parameter).is_some(),
                "{stage}: describe names a parameter the template lacks: {parameter}"
            );
        }
    }
}

fn text_at(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap().to_string()
}

#[test]
fn out_writes_the_same_bytes_as_stdout() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("infra-cli-test/migrate.json");
    let _ = std::fs::remove_file(&out);
    let args = ["synth", "--stage", "migrate", "--stages-dir", FIXTURES_DIR];
    let printed = stdout_of(&[&args[..], &["--out", out.to_str().unwrap()]].concat());
    assert!(printed.is_empty(), "--out prints nothing");
    assert_eq!(std::fs::read(&out).unwrap(), stdout_of(&args));
}

#[test]
fn unknown_stage_is_named_with_the_stages_there_are() {
    let output = infra(&["synth", "--stage", "staging", "--stages-dir", FIXTURES_DIR]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let message = String::from_utf8(output.stderr).unwrap();
    assert!(message.contains("unknown stage \"staging\""), "{message}");
    assert!(
        message.contains("the stages there are: hardened, local, migrate, production"),
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
fn a_stage_added_to_a_directory_is_listed_and_deployable() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("infra-cli-test/stages");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let migrate = std::fs::read_to_string(format!("{FIXTURES_DIR}/migrate.toml")).unwrap();
    std::fs::write(dir.join("qa.toml"), migrate).unwrap();
    let dir = dir.to_str().unwrap();
    assert_eq!(stdout_of(&["stages", "--stages-dir", dir]), b"qa\n");
    assert_eq!(
        stdout_of(&["stack-name", "--stage", "qa", "--stages-dir", dir]),
        b"example-site-qa\n"
    );
}

#[test]
fn stack_name_and_describe_come_from_the_stage_file() {
    assert_eq!(
        stdout_of(&[
            "stack-name",
            "--stage",
            "production",
            "--stages-dir",
            FIXTURES_DIR
        ]),
        b"example-site-production\n"
    );
    let described = describe_fixture("migrate");
    assert_eq!(described["stack_name"], "example-site-migrate");
    assert_eq!(described["region"], "eu-west-1");
    assert_eq!(
        described["artifact_bucket"],
        "example-site-migrate-artifacts-111111111111"
    );
    assert_eq!(described["parameters"]["artifact_bucket"], "ArtifactBucket");
    assert_eq!(described["parameters"]["artifact_key"], "ArtifactKey");
    assert_eq!(described["capabilities"], json!(["CAPABILITY_IAM"]));
}

#[test]
fn describe_names_the_account_resources_a_deploy_checks_first() {
    let described = describe_fixture("production");
    assert!(
        described["file"]
            .as_str()
            .unwrap()
            .ends_with("fixtures/stages/production.toml")
    );
    assert_eq!(described["hosted_zone_id"], "Z0PLACEHOLDERPRODUCTION");
    assert_eq!(
        described["certificate_arn"],
        "arn:aws:acm:eu-west-1:222222222222:certificate/00000000-0000-0000-0000-000000000000"
    );
    assert_eq!(described["vpc_id"], "vpc-0000000000000000c");
    assert_eq!(
        described["subnet_ids"],
        json!([
            "subnet-0000000000000000c",
            "subnet-0000000000000000d",
            "subnet-0000000000000000e"
        ])
    );
    assert_eq!(described["alarm_prefix"], "example-site-production");
    assert_eq!(
        described["alarm_topic_arn"],
        "arn:aws:sns:eu-west-1:222222222222:example-site-alarms"
    );
    assert_eq!(
        described["access_log_bucket"],
        "example-site-alb-logs-222222222222"
    );
    assert_eq!(described["deletion_protection"], true);
    assert_eq!(described["function"]["memory_mb"], 512);
    assert_eq!(described["function"]["reserved_concurrency"], 100);
    assert_eq!(described["function"]["environment"]["RUST_LOG"], "info");

    let migrate = describe_fixture("migrate");
    assert_eq!(migrate["alarm_topic_arn"], Value::Null);
    assert_eq!(migrate["access_log_bucket"], Value::Null);
    assert_eq!(migrate["function"]["reserved_concurrency"], Value::Null);
    assert_eq!(migrate["deletion_protection"], false);
}

#[test]
fn describe_as_shell_evaluates_to_the_same_facts_as_the_json() {
    let described = describe_fixture("production");
    let json_out =
        std::env::temp_dir().join(format!("infra-cli-describe-{}.json", std::process::id()));
    let args = [
        "describe",
        "--stage",
        "production",
        "--stages-dir",
        FIXTURES_DIR,
        "--format",
        "shell",
        "--json-out",
        json_out.to_str().unwrap(),
    ];
    let assignments = String::from_utf8(stdout_of(&args)).unwrap();
    // One call gives the scripts both forms: the file holds the same JSON `describe` prints.
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_out).unwrap()).unwrap();
    std::fs::remove_file(&json_out).unwrap();
    assert_eq!(written, described);
    let script = format!(
        "{assignments}\nprintf '%s|%s|%s|%s' \"$STACK\" \"$DOMAIN\" \"$SUBNET_IDS\" \"$CAPABILITIES\""
    );
    let output = Command::new("bash").args(["-c", &script]).output().unwrap();
    assert!(output.status.success(), "{assignments}");
    let subnets: Vec<&str> = described["subnet_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|subnet| subnet.as_str().unwrap())
        .collect();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "{}|{}|{}|CAPABILITY_IAM",
            text_at(&described, "stack_name"),
            text_at(&described, "domain"),
            subnets.join(" ")
        )
    );
}

#[test]
fn certificate_and_zone_checks_decide_by_the_stage_domain() {
    // The fixture production stage serves www.example.com.
    let check = |args: &[&str]| {
        let output = infra(
            &[
                args,
                &["--stage", "production", "--stages-dir", FIXTURES_DIR],
            ]
            .concat(),
        );
        (
            output.status.code(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    assert_eq!(
        check(&["check-certificate", "--names", "example.com,*.example.com"]).0,
        Some(0)
    );
    assert_eq!(
        check(&["check-certificate", "--names", "www.example.com"]).0,
        Some(0)
    );
    let (code, message) = check(&[
        "check-certificate",
        "--names",
        "example.com\t*.shop.example.com",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        message.contains("example.com, *.shop.example.com"),
        "{message}"
    );
    assert!(
        message.contains("does not cover www.example.com"),
        "{message}"
    );
    assert_eq!(check(&["check-zone", "--zone", "example.com."]).0, Some(0));
    let (code, message) = check(&["check-zone", "--zone", "other.example.com."]);
    assert_eq!(code, Some(1));
    assert!(
        message.contains("not inside the hosted zone other.example.com."),
        "{message}"
    );
    assert_eq!(check(&["check-zone"]).0, Some(2), "--zone is required");
    assert_eq!(
        check(&["describe", "--zone", "x"]).0,
        Some(2),
        "--zone is check-zone's"
    );
}

#[test]
fn a_stage_copy_with_a_value_set_reads_back_with_that_value() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("infra-stage-copy");
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.join("migrate.toml");
    let args = [
        "stage-copy",
        "--stage",
        "migrate",
        "--stages-dir",
        FIXTURES_DIR,
        "--out",
        out.to_str().unwrap(),
        "--set",
        "function.memory_mb=384",
        "--set",
        "network.dualstack=true",
    ];
    assert!(stdout_of(&args).is_empty());
    let copied: Value = serde_json::from_slice(&stdout_of(&[
        "describe",
        "--stage",
        "migrate",
        "--stages-dir",
        dir.to_str().unwrap(),
    ]))
    .unwrap();
    let original = describe_fixture("migrate");
    assert_eq!(copied["function"]["memory_mb"], 384);
    assert_eq!(copied["dualstack"], true);
    assert_eq!(copied["domain"], original["domain"]);
    assert_eq!(copied["subnet_ids"], original["subnet_ids"]);

    let unset = infra(&[&args[..7], &["--unset", "region"]].concat());
    assert!(unset.status.success());
    let refused = infra(&[
        "describe",
        "--stage",
        "migrate",
        "--stages-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("region"));

    let unknown = infra(&[&args[..2], &["staging"], &args[3..7]].concat());
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown stage \"staging\""));
}

/// A copy of the production fixture with `temporary_hostname` set, in a directory of its own.
fn migrating_stages_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("infra-cli-migrating-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = std::fs::read_to_string(common::fixture_file("production")).unwrap();
    let copy = source.replacen(
        "domain = \"www.example.com\"",
        "domain = \"www.example.com\"\ntemporary_hostname = \"next.example.com\"",
        1,
    );
    assert_ne!(copy, source, "the fixture names www.example.com");
    std::fs::write(dir.join("production.toml"), copy).unwrap();
    dir
}

#[test]
fn a_temporary_hostname_takes_the_records_and_both_names_are_checked() {
    // Arrange
    let dir = migrating_stages_dir();
    let dir_arg = dir.to_str().unwrap();
    let run = |args: &[&str]| {
        let output = infra(&[args, &["--stage", "production", "--stages-dir", dir_arg]].concat());
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };

    // Act
    let (_, template, _) = run(&["synth"]);
    let (_, described, _) = run(&["describe"]);
    let (only_domain, _, why_not) = run(&["check-certificate", "--names", "www.example.com"]);
    let (wildcard, _, _) = run(&["check-certificate", "--names", "example.com,*.example.com"]);
    let (taken, _, taken_message) = run(&["check-records", "--existing", "MX\tA"]);
    let (owned, _, _) = run(&[
        "check-records",
        "--existing",
        "A",
        "--owned",
        "next.example.com",
    ]);
    let (free, _, _) = run(&["check-records", "--existing", "MX"]);
    std::fs::remove_dir_all(&dir).unwrap();

    // Assert
    let template: Value = serde_json::from_str(&template).unwrap();
    let record_names: Vec<&Value> = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|resource| resource["Type"] == "AWS::Route53::RecordSet")
        .map(|resource| &resource["Properties"]["Name"])
        .collect();
    assert!(!record_names.is_empty());
    assert!(
        record_names
            .iter()
            .all(|name| **name == json!("next.example.com")),
        "{record_names:?}"
    );
    let described: Value = serde_json::from_str(&described).unwrap();
    assert_eq!(described["url"], "https://next.example.com");
    assert_eq!(described["domain"], "www.example.com");
    assert!(
        described["dns"]["plan"]
            .as_str()
            .unwrap()
            .contains("www.example.com are not touched")
    );
    assert_eq!(only_domain, Some(1));
    assert!(
        why_not.contains("does not cover next.example.com"),
        "{why_not}"
    );
    assert_eq!(wildcard, Some(0));
    assert_eq!(taken, Some(1));
    assert!(
        taken_message.contains("next.example.com already has a DNS record of type A"),
        "{taken_message}"
    );
    assert_eq!((owned, free), (Some(0), Some(0)));
}
