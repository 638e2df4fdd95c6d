//! The deploy rehearsal's side of `infra` (`infra emulator …`): seeding a MiniStack emulator
//! with what a real account already has for a stage, and checking what a deploy left there.
//! The AWS CLI does the calls; every command refuses an endpoint that is not on this machine.
//!
//! - [`aws`]: the AWS CLI as a function to JSON, and the loopback guard.
//! - [`report`]: checks printed as they pass; the first failure stops with what it saw.
//! - [`seed`]: VPC, subnets, hosted zone, certificate, topic and log bucket of a stage.
//! - [`resources`]: every resource of a deployed stage against `describe`.
//! - [`http`]: requests through the emulated load balancer, answered by the real `bootstrap`.
//! - [`state`]: snapshots for "nothing changed" and the leftovers after a destroy.
//! - [`zip_facts`]: a function zip's digest, size and site hashes.

pub mod aws;
#[cfg(test)]
mod fake;
pub mod http;
pub mod report;
pub mod resources;
pub mod seed;
pub mod state;
pub mod zip_facts;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::subcommand::{self, Group, Invocation};
use crate::config::{DEFAULT_STAGES_DIR, Stage};
use crate::describe::describe;
use aws::AwsCli;
use report::Report;
use state::Leftovers;
use zip_facts::ZipFacts;

/// `infra emulator` help.
pub const USAGE: &str = "\
usage: infra emulator <command> --endpoint http://127.0.0.1:PORT [options]

  seed --stage S                  create (or find) what a real account has for stage S; prints
                                  KEY=VALUE lines for `infra stage-copy --set`
  check-resources --stage S --zip Z [--key KEY]
                                  the deployed stage's resources, code Z uploaded at KEY
                                  (default <stack>/<sha256>.zip)
  check-http --stage S --zip Z [--marker TEXT]
                                  HTTP through the emulated load balancer
  function-state --stage S        the function and stack as JSON, to compare before and after
  snapshot --region R             stacks, buckets, functions and load balancers as JSON
  check-leftovers --region R --prefix P [--zone Z]... [--stack-kept S]...
                  [--bucket-kept B]... [--bucket-gone B]...
                                  nothing named P* is left but what is kept
  free-port                       a free TCP port on 127.0.0.1 (no --endpoint)

options: --stages-dir D (default stages/), --aws-cli PATH (default $AWS_CLI, else aws)";

/// What `infra emulator` accepts: each command's options (each takes a value; the last five
/// of check-leftovers may repeat), and those every command but `free-port` takes.
const GROUP: Group = Group {
    name: "emulator",
    usage: USAGE,
    commands: &[
        ("seed", &["stage"]),
        ("check-resources", &["stage", "zip", "key"]),
        ("check-http", &["stage", "zip", "marker"]),
        ("function-state", &["stage"]),
        ("snapshot", &["region"]),
        (
            "check-leftovers",
            &[
                "region",
                "prefix",
                "zone",
                "stack-kept",
                "bucket-kept",
                "bucket-gone",
            ],
        ),
        ("free-port", &[]),
    ],
    common: &["endpoint", "stages-dir", "aws-cli"],
    bare: &["free-port"],
    repeated: &["zone", "stack-kept", "bucket-kept", "bucket-gone"],
};

/// Parses `infra emulator` arguments (after `emulator`).
pub fn parse(args: &[String]) -> Result<Invocation, String> {
    let invocation = subcommand::parse(&GROUP, args)?;
    if invocation.command != "free-port" {
        invocation.required("endpoint")?;
    }
    Ok(invocation)
}

/// Runs `infra emulator …`, writing results to `out`.
pub fn run(args: &[String], out: &mut dyn Write) -> Result<(), String> {
    let invocation = parse(args)?;
    let write = |out: &mut dyn Write, text: &str| {
        out.write_all(text.as_bytes())
            .map_err(|error| format!("cannot write: {error}"))
    };
    if invocation.command == "free-port" {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        return write(out, &format!("{port}\n"));
    }
    let endpoint = invocation.required("endpoint")?;
    let program = invocation
        .get("aws-cli")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("AWS_CLI")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("aws"));
    // A stage's facts and region, or --region for the commands about the whole emulator.
    let whole_emulator = matches!(invocation.command.as_str(), "snapshot" | "check-leftovers");
    let facts = if whole_emulator {
        Value::Null
    } else {
        let stage = invocation.required("stage")?;
        let stages_dir = invocation.get("stages-dir").unwrap_or(DEFAULT_STAGES_DIR);
        describe(&Stage::load(Path::new(stages_dir), stage).map_err(|e| e.to_string())?)
    };
    let region = if whole_emulator {
        invocation.required("region")?
    } else {
        aws::text(&facts["region"])
    };
    let aws = AwsCli::new(program, endpoint, region)?;
    let zip = |invocation: &Invocation| ZipFacts::read(Path::new(invocation.required("zip")?));
    let mut report = Report::new(out);
    match invocation.command.as_str() {
        "seed" => {
            let (assignments, summary) = seed::seed(&aws, &facts)?;
            eprint!("{summary}");
            let lines: String = assignments
                .iter()
                .map(|(key, value)| format!("{key}={value}\n"))
                .collect();
            report.line(lines.trim_end())
        }
        "check-resources" => {
            let zip = zip(&invocation)?;
            let key = invocation
                .get("key")
                .map(str::to_string)
                .unwrap_or_else(|| {
                    format!("{}/{}.zip", aws::text(&facts["stack_name"]), zip.sha256_hex)
                });
            resources::check_resources(&aws, &facts, &zip, &key, &mut report)?;
            report.finish()
        }
        "check-http" => {
            let zip = zip(&invocation)?;
            http::check_http(
                &aws,
                endpoint,
                &facts,
                &zip,
                invocation.get("marker"),
                &mut report,
            )?;
            report.finish()
        }
        "function-state" => report.line(&state::function_state(&aws, &facts)?.to_string()),
        "snapshot" => report.line(&state::snapshot(&aws)?.to_string()),
        "check-leftovers" => {
            let leftovers = Leftovers {
                prefix: invocation.required("prefix")?.to_string(),
                zones: invocation.all("zone"),
                stacks_kept: invocation.all("stack-kept"),
                buckets_kept: invocation.all("bucket-kept"),
                buckets_gone: invocation.all("bucket-gone"),
            };
            state::check_leftovers(&aws, region, &leftovers, &mut report)?;
            report.finish()
        }
        other => Err(format!("unknown emulator command {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn options_are_read_per_command_and_repeat_only_where_allowed() {
        let parsed = parse(&args("check-leftovers --endpoint=http://127.0.0.1:1 --region r --prefix p- --zone Z1 --zone Z2")).unwrap();
        assert_eq!(parsed.all("zone"), ["Z1", "Z2"]);
        assert_eq!(parsed.get("prefix"), Some("p-"));

        for (line, message) in [
            ("", "needs a command"),
            ("deploy --endpoint x", "unknown emulator command"),
            ("seed --stage a", "needs --endpoint"),
            ("seed --endpoint e --stage a --stage b", "given twice"),
            (
                "seed --endpoint e --zip z",
                "--zip does not go with emulator seed",
            ),
            (
                "free-port --endpoint e",
                "--endpoint does not go with emulator free-port",
            ),
            ("snapshot --endpoint", "--endpoint needs a value"),
            ("snapshot stray", "unexpected argument"),
        ] {
            let error = parse(&args(line)).unwrap_err();
            assert!(error.contains(message), "{line:?}: {error}");
        }
    }

    #[test]
    fn a_remote_endpoint_is_refused_before_any_call() {
        let error = run(&args("snapshot --endpoint https://cloudformation.us-east-1.amazonaws.com --region us-east-1"), &mut Vec::new()).unwrap_err();
        assert!(error.contains("not an emulator on this machine"), "{error}");
    }

    #[test]
    fn free_port_prints_a_port_that_can_be_bound() {
        let mut out = Vec::new();
        run(&args("free-port"), &mut out).unwrap();
        let port: u16 = String::from_utf8(out).unwrap().trim().parse().unwrap();
        assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
    }
}
