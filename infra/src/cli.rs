//! The `infra` command line: a small hand-written parser and the four commands.

use std::fmt;
use std::io::Write;
use std::path::PathBuf;

use crate::cfn::to_canonical_json;
use crate::config::{ConfigError, DEFAULT_STAGES_DIR, Stage, list_stages};
use crate::describe::describe;
use crate::template::synth;

/// Command-line help.
pub const USAGE: &str = "\
usage: infra <command> [options]

commands:
  synth --stage STAGE [--out FILE]  the stage's CloudFormation template (JSON), to stdout or FILE
  describe --stage STAGE            what a deploy script needs (stack name, region, artifact
                                    bucket, parameter names, the account resources it checks
                                    first, ...) as JSON
  stack-name --stage STAGE          the stage's stack name
  stages                            the stages there are, one per line

options:
  --stages-dir DIR  where <stage>.toml files live (default: the crate's stages/ directory)
  -h, --help        this text";

/// What to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Write the template.
    Synth {
        /// File to write instead of stdout.
        out: Option<PathBuf>,
    },
    /// Print the deploy facts as JSON.
    Describe,
    /// Print the stack name.
    StackName,
    /// List the stages.
    Stages,
    /// Print the usage.
    Help,
}

/// A parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// The command.
    pub command: Command,
    /// `--stage`, required by every command but `stages` and `help`.
    pub stage: Option<String>,
    /// `--stages-dir`, or the default.
    pub stages_dir: PathBuf,
}

/// Why the command failed.
#[derive(Debug)]
pub enum CliError {
    /// The command line is wrong; the usage follows the message.
    Usage(String),
    /// The stage could not be loaded.
    Config(ConfigError),
    /// Output could not be written.
    Write {
        /// Where to.
        target: String,
        /// The I/O error.
        message: String,
    },
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(message) => write!(f, "{message}\n\n{USAGE}"),
            CliError::Config(error) => write!(f, "{error}"),
            CliError::Write { target, message } => write!(f, "cannot write {target}: {message}"),
        }
    }
}

impl std::error::Error for CliError {}

impl From<ConfigError> for CliError {
    fn from(error: ConfigError) -> Self {
        CliError::Config(error)
    }
}

/// Parses the arguments (without the program name).
pub fn parse_args(args: &[String]) -> Result<Invocation, CliError> {
    let mut command = None;
    let mut stage = None;
    let mut stages_dir = None;
    let mut out = None;
    let mut args = args.iter();
    while let Some(argument) = args.next() {
        let (flag, inline_value) = match argument.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_string())),
            _ => (argument.as_str(), None),
        };
        let mut value = |name: &str| {
            inline_value
                .clone()
                .or_else(|| args.next().cloned())
                .ok_or_else(|| CliError::Usage(format!("{name} needs a value")))
        };
        match flag {
            "-h" | "--help" => command = Some(Command::Help),
            "--stage" => stage = Some(value("--stage")?),
            "--stages-dir" => stages_dir = Some(PathBuf::from(value("--stages-dir")?)),
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "synth" | "describe" | "stack-name" | "stages" if command.is_none() => {
                command = Some(match flag {
                    "synth" => Command::Synth { out: None },
                    "describe" => Command::Describe,
                    "stack-name" => Command::StackName,
                    _ => Command::Stages,
                });
            }
            other => return Err(CliError::Usage(format!("unexpected argument {other:?}"))),
        }
    }
    let mut command = command.ok_or_else(|| CliError::Usage("a command is needed".into()))?;
    match &mut command {
        Command::Synth { out: slot } => *slot = out,
        _ if out.is_some() => return Err(CliError::Usage("--out only goes with synth".into())),
        _ => {}
    }
    let needs_stage = !matches!(command, Command::Stages | Command::Help);
    if needs_stage && stage.is_none() {
        return Err(CliError::Usage("--stage STAGE is needed".into()));
    }
    Ok(Invocation {
        command,
        stage,
        stages_dir: stages_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_STAGES_DIR)),
    })
}

/// Runs the command line, writing results to `stdout`.
pub fn run(args: &[String], stdout: &mut dyn Write) -> Result<(), CliError> {
    let invocation = parse_args(args)?;
    let write_stdout = |stdout: &mut dyn Write, text: &str| {
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(|error| CliError::Write {
                target: "stdout".into(),
                message: error.to_string(),
            })
    };
    let load = || {
        Stage::load(
            &invocation.stages_dir,
            invocation.stage.as_deref().unwrap_or_default(),
        )
    };
    match &invocation.command {
        Command::Help => write_stdout(stdout, &format!("{USAGE}\n")),
        Command::Stages => {
            let stages = list_stages(&invocation.stages_dir)?;
            write_stdout(
                stdout,
                &stages
                    .iter()
                    .map(|stage| format!("{stage}\n"))
                    .collect::<String>(),
            )
        }
        Command::StackName => write_stdout(stdout, &format!("{}\n", load()?.names.stack)),
        Command::Describe => write_stdout(
            stdout,
            &format!("{}\n", to_canonical_json(&describe(&load()?), true)),
        ),
        Command::Synth { out } => {
            let text = synth(&load()?).render();
            match out {
                None => write_stdout(stdout, &text),
                Some(path) => write_file(path, &text),
            }
        }
    }
}

/// Writes `text` to `path`, creating its directory.
fn write_file(path: &PathBuf, text: &str) -> Result<(), CliError> {
    let failed = |error: std::io::Error| CliError::Write {
        target: path.display().to_string(),
        message: error.to_string(),
    };
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    std::fs::write(path, text).map_err(failed)
}

#[cfg(test)]
mod tests {
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
                out: Some("x.json".into())
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
}
