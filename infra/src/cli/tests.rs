//! The command line as parsed: each command with its own options, nothing left over.

use super::*;

fn parse(args: &[&str]) -> Result<Invocation, CliError> {
    parse_args(&args.iter().map(|arg| arg.to_string()).collect::<Vec<_>>())
}

#[test]
fn synth_with_stage_and_out() {
    let invocation = parse(&["synth", "--stage", "migrate", "--out=x.json"]).unwrap();
    assert_eq!(
        invocation.command,
        Command::Synth {
            out: Some("x.json".into()),
            artifacts: false,
        }
    );
    assert_eq!(invocation.stage.as_deref(), Some("migrate"));
    assert_eq!(invocation.stages_dir, PathBuf::from(DEFAULT_STAGES_DIR));
}

#[test]
fn usage_errors() {
    assert!(
        parse(&[])
            .unwrap_err()
            .to_string()
            .starts_with("a command is needed")
    );
    assert!(
        parse(&["synth"])
            .unwrap_err()
            .to_string()
            .starts_with("--stage STAGE is needed")
    );
    assert!(
        parse(&["synth", "--stage"])
            .unwrap_err()
            .to_string()
            .starts_with("--stage needs a value")
    );
    assert!(
        parse(&["describe", "--stage", "x", "--out", "f"])
            .unwrap_err()
            .to_string()
            .starts_with("--out only")
    );
    assert!(
        parse(&["synth", "--stage", "x", "--json-out", "f"])
            .unwrap_err()
            .to_string()
            .starts_with("--json-out only goes with describe")
    );
    assert!(
        parse(&["deploy"])
            .unwrap_err()
            .to_string()
            .starts_with("unexpected argument \"deploy\"")
    );
    assert_eq!(
        parse(&["stages", "--stages-dir", "/tmp"])
            .unwrap()
            .stages_dir,
        PathBuf::from("/tmp")
    );
}

#[test]
fn zip_commands_take_their_own_options_and_no_stage() {
    let check = parse(&["zip-check", "--zip", "f.zip", "--arch", "arm64"]).unwrap();
    assert_eq!(
        check.command,
        Command::ZipCheck {
            zip: PathBuf::from("f.zip"),
            arch: "arm64".into()
        }
    );
    assert_eq!(check.stage, None);
    assert!(
        parse(&["zip-check", "--zip", "f.zip"]).is_err(),
        "--arch is needed"
    );
    assert!(parse(&["zip-normalize", "--zip", "f.zip", "--arch", "x"]).is_err());
    let add = [
        "zip-add", "--zip", "a", "--out", "b", "--name", "n", "--text", "t",
    ];
    assert!(matches!(
        parse(&add).unwrap().command,
        Command::ZipAdd { .. }
    ));
    assert!(parse(&["synth", "--stage", "s", "--zip", "a"]).is_err());
    assert_eq!(
        parse(&["change-table"]).unwrap().command,
        Command::ChangeTable
    );
}
