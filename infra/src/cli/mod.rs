//! The `infra` command line: a small hand-written parser and the four commands.

use std::fmt;
use std::io::Write;
use std::path::PathBuf;

use crate::artifacts::synth_artifacts;
use crate::cfn::to_canonical_json;
use crate::change_table::change_table;
use crate::checks::{check_certificate, check_records, check_zone};
use crate::config::{ConfigError, DEFAULT_STAGES_DIR, Stage, list_stages, read_stage_file};
use crate::describe::{describe, shell_assignments};
use crate::function_zip;
use crate::stage_copy::{Change, copy_with_changes};
use crate::template::synth;

/// Command-line help.
pub const USAGE: &str = "\
usage: infra <command> [options]

commands:
  synth --stage STAGE [--artifacts] [--out FILE]
                                    the stage's CloudFormation template (JSON), to stdout or
                                    FILE; with --artifacts, its artifact bucket stack's
  describe --stage STAGE [--format json|shell] [--json-out FILE]
                                    what a deploy script needs (stack name, region, artifact
                                    bucket, parameter names, the account resources it checks
                                    first, ...) as JSON, or as NAME='value' lines to eval;
                                    --json-out also writes the JSON to FILE (one call for both)
  stack-name --stage STAGE          the stage's stack name
  stages                            the stages there are, one per line
  check-certificate --stage STAGE --names NAMES
                                    fails unless one of the certificate's NAMES (separated by
                                    commas or spaces; `*.` wildcards) covers the stage's domain
                                    and its temporary_hostname
  check-records --stage STAGE --existing TYPES [--owned NAMES]
                                    fails when the zone already has a record of the host name
                                    (TYPES as listed, e.g. A MX) that the stack would create
                                    and does not own (NAMES: its record sets' physical ids)
  check-zone --stage STAGE --zone ZONE_NAME
                                    fails unless the stage's domain and temporary_hostname lie
                                    in the hosted zone
  stage-copy --stage STAGE --out FILE [--set KEY=VALUE]... [--unset KEY]...
                                    a copy of the stage file with values replaced (KEY dotted,
                                    VALUE in TOML: 64, true, \"text\", [\"a\", \"b\"]) or removed

without a stage:
  zip-normalize --zip FILE          rewrites a function zip reproducibly (sorted, fixed times
                                    and modes) so the same files give the same sha256
  zip-check --zip FILE --arch ARCH  fails unless the zip is a function Lambda takes for ARCH
                                    (bootstrap ELF, executable, the site, size limits); prints
                                    its facts as ZIP_*='value' lines
  zip-add --zip FILE --out FILE --name PATH --text TEXT
                                    a copy of the zip with one more file
  change-table                      describe-change-set JSON (stdin) as a table
  releases COMMAND ...              a stage's releases from the AWS CLI's listings: list
                                    them, choose a rollback's, the versions to prune
                                    (`infra releases`)
  version-smoke COMMAND ...         the smoke test of a new version before it takes traffic:
                                    the event to invoke it with, the check of its answer
                                    (`infra version-smoke`)
  canary COMMAND ...                a canary release: the listener's weights for a percent,
                                    the verdict of the canary's alarms (`infra canary`)
  emulator COMMAND ...              the deploy rehearsal on MiniStack: seed a stage's account
                                    resources, check what a deploy left (`infra emulator`)

options:
  --stages-dir DIR  where <stage>.toml files live (default: the crate's stages/ directory)
  -h, --help        this text";

/// What to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Write the template.
    Synth {
        /// File to write instead of stdout.
        out: Option<PathBuf>,
        /// The artifact bucket stack's template instead of the site's.
        artifacts: bool,
    },
    /// Print the deploy facts.
    Describe {
        /// JSON, or shell assignments.
        format: Format,
        /// A file that gets the JSON too.
        json_out: Option<PathBuf>,
    },
    /// Print the stack name.
    StackName,
    /// List the stages.
    Stages,
    /// Check that a certificate covers the stage's domain.
    CheckCertificate {
        /// The certificate's names, as the AWS CLI lists them.
        names: String,
    },
    /// Check that the stack may create its DNS records.
    CheckRecords {
        /// The record types the zone lists for the host name.
        existing: String,
        /// The physical ids of the stack's record sets.
        owned: String,
    },
    /// Check that the stage's domain is inside a hosted zone.
    CheckZone {
        /// The zone's name.
        zone: String,
    },
    /// Write a copy of the stage file with some values changed.
    StageCopy {
        /// The copy.
        out: PathBuf,
        /// What changes, in order.
        changes: Vec<Change>,
    },
    /// Rewrite a function zip reproducibly.
    ZipNormalize {
        /// The zip, rewritten in place.
        zip: PathBuf,
    },
    /// Check a function zip and print its facts.
    ZipCheck {
        /// The zip.
        zip: PathBuf,
        /// The architecture `bootstrap` must be built for.
        arch: String,
    },
    /// Write a copy of a function zip with one more file.
    ZipAdd {
        /// The zip.
        zip: PathBuf,
        /// The copy.
        out: PathBuf,
        /// The added file's path in the zip.
        name: String,
        /// The added file's text.
        text: String,
    },
    /// Print a change set (describe-change-set JSON on stdin) as a table.
    ChangeTable,
    /// Print the usage.
    Help,
}

/// How `describe` prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Canonical JSON.
    #[default]
    Json,
    /// `NAME='value'` lines.
    Shell,
}

/// A parsed command line.
#[derive(Clone, Debug, PartialEq)]
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
    /// A check about the stage failed; the message says which and why.
    Check(String),
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
            CliError::Check(message) => write!(f, "{message}"),
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

/// The commands, as typed.
const COMMANDS: [&str; 12] = [
    "synth",
    "describe",
    "stack-name",
    "stages",
    "check-certificate",
    "check-records",
    "check-zone",
    "stage-copy",
    "zip-normalize",
    "zip-check",
    "zip-add",
    "change-table",
];

/// Parses the arguments (without the program name).
pub fn parse_args(args: &[String]) -> Result<Invocation, CliError> {
    let mut command_name: Option<&str> = None;
    let mut stage = None;
    let mut stages_dir = None;
    let mut out = None;
    let mut artifacts = false;
    let mut format = None;
    let mut json_out = None;
    let mut names = None;
    let mut zone = None;
    let mut existing = None;
    let mut zip = None;
    let mut arch = None;
    let mut name = None;
    let mut text = None;
    let mut owned = None;
    let mut changes = Vec::new();
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
            "-h" | "--help" => command_name = Some("help"),
            "--stage" => stage = Some(value("--stage")?),
            "--stages-dir" => stages_dir = Some(PathBuf::from(value("--stages-dir")?)),
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--artifacts" => artifacts = true,
            "--format" => {
                format = Some(match value("--format")?.as_str() {
                    "json" => Format::Json,
                    "shell" => Format::Shell,
                    other => {
                        return Err(CliError::Usage(format!(
                            "--format is json or shell, not {other:?}"
                        )));
                    }
                })
            }
            "--json-out" => json_out = Some(PathBuf::from(value("--json-out")?)),
            "--names" => names = Some(value("--names")?),
            "--zone" => zone = Some(value("--zone")?),
            "--existing" => existing = Some(value("--existing")?),
            "--zip" => zip = Some(PathBuf::from(value("--zip")?)),
            "--arch" => arch = Some(value("--arch")?),
            "--name" => name = Some(value("--name")?),
            "--text" => text = Some(value("--text")?),
            "--owned" => owned = Some(value("--owned")?),
            "--set" => changes.push(Change::parse_set(&value("--set")?).map_err(CliError::Usage)?),
            "--unset" => changes.push(Change::Unset(value("--unset")?)),
            name if command_name.is_none() && COMMANDS.contains(&name) => command_name = Some(name),
            other => return Err(CliError::Usage(format!("unexpected argument {other:?}"))),
        }
    }
    fn required<T>(option: Option<T>, message: &str) -> Result<T, CliError> {
        option.ok_or_else(|| CliError::Usage(message.to_string()))
    }
    // Each command takes the options it uses; any left over belongs to another command.
    let command = match command_name {
        None => return Err(CliError::Usage("a command is needed".into())),
        Some("help") => Command::Help,
        Some("synth") => Command::Synth {
            out: out.take(),
            artifacts: std::mem::take(&mut artifacts),
        },
        Some("describe") => Command::Describe {
            format: format.take().unwrap_or_default(),
            json_out: json_out.take(),
        },
        Some("stack-name") => Command::StackName,
        Some("check-certificate") => Command::CheckCertificate {
            names: required(names.take(), "check-certificate needs --names")?,
        },
        Some("check-records") => Command::CheckRecords {
            existing: required(existing.take(), "check-records needs --existing TYPES")?,
            owned: owned.take().unwrap_or_default(),
        },
        Some("check-zone") => Command::CheckZone {
            zone: required(zone.take(), "check-zone needs --zone")?,
        },
        Some("stage-copy") => Command::StageCopy {
            out: required(out.take(), "stage-copy needs --out FILE")?,
            changes: std::mem::take(&mut changes),
        },
        Some("zip-normalize") => Command::ZipNormalize {
            zip: required(zip.take(), "zip-normalize needs --zip FILE")?,
        },
        Some("zip-check") => Command::ZipCheck {
            zip: required(zip.take(), "zip-check needs --zip FILE")?,
            arch: required(arch.take(), "zip-check needs --arch arm64|x86_64")?,
        },
        Some("zip-add") => Command::ZipAdd {
            zip: required(zip.take(), "zip-add needs --zip FILE")?,
            out: required(out.take(), "zip-add needs --out FILE")?,
            name: required(name.take(), "zip-add needs --name PATH")?,
            text: required(text.take(), "zip-add needs --text TEXT")?,
        },
        Some("change-table") => Command::ChangeTable,
        Some(_) => Command::Stages,
    };
    for (left, option, owner) in [
        (out.is_some(), "--out", "synth, stage-copy or zip-add"),
        (
            zip.is_some(),
            "--zip",
            "zip-normalize, zip-check or zip-add",
        ),
        (arch.is_some(), "--arch", "zip-check"),
        (name.is_some(), "--name", "zip-add"),
        (text.is_some(), "--text", "zip-add"),
        (artifacts, "--artifacts", "synth"),
        (format.is_some(), "--format", "describe"),
        (json_out.is_some(), "--json-out", "describe"),
        (names.is_some(), "--names", "check-certificate"),
        (zone.is_some(), "--zone", "check-zone"),
        (existing.is_some(), "--existing", "check-records"),
        (owned.is_some(), "--owned", "check-records"),
        (!changes.is_empty(), "--set/--unset", "stage-copy"),
    ] {
        if left {
            return Err(CliError::Usage(format!("{option} only goes with {owner}")));
        }
    }
    let needs_stage = !matches!(
        command,
        Command::Stages
            | Command::Help
            | Command::ZipNormalize { .. }
            | Command::ZipCheck { .. }
            | Command::ZipAdd { .. }
            | Command::ChangeTable
    );
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
    // The command groups parse their own options.
    match args.first().map(String::as_str) {
        Some("emulator") => {
            return crate::emulator::run(&args[1..], stdout).map_err(CliError::Check);
        }
        Some("releases") => {
            return crate::releases::run(&args[1..], stdout).map_err(CliError::Check);
        }
        Some("version-smoke") => {
            return crate::version_smoke::run(&args[1..], stdout).map_err(CliError::Check);
        }
        Some("canary") => {
            return crate::canary::run(&args[1..], stdout).map_err(CliError::Check);
        }
        _ => {}
    }
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
        Command::Describe { format, json_out } => {
            let stage = load()?;
            let json = format!("{}\n", to_canonical_json(&describe(&stage), true));
            if let Some(path) = json_out {
                write_file(path, &json)?;
            }
            match format {
                Format::Json => write_stdout(stdout, &json),
                Format::Shell => write_stdout(stdout, &shell_assignments(&stage)),
            }
        }
        // Every host name the stage answers at, now or after the cut-over.
        Command::CheckCertificate { names } => load()?
            .host_names()
            .into_iter()
            .try_for_each(|host| check_certificate(names, host))
            .map_err(CliError::Check),
        Command::CheckRecords { existing, owned } => {
            let stage = load()?;
            check_records(stage.hostname(), &stage.dns_record_types(), existing, owned)
                .map_err(CliError::Check)
        }
        Command::CheckZone { zone } => load()?
            .host_names()
            .into_iter()
            .try_for_each(|host| check_zone(zone, host))
            .map_err(CliError::Check),
        Command::StageCopy { out, changes } => {
            let (file, source) = read_stage_file(
                &invocation.stages_dir,
                invocation.stage.as_deref().unwrap_or_default(),
            )?;
            let copy = copy_with_changes(&source, &file.display().to_string(), changes)
                .map_err(CliError::Check)?;
            write_file(out, &copy)
        }
        Command::ZipNormalize { zip } => function_zip::normalize(zip).map_err(CliError::Check),
        Command::ZipCheck { zip, arch } => {
            let facts = function_zip::check(zip, arch).map_err(CliError::Check)?;
            write_stdout(stdout, &facts.shell_assignments())
        }
        Command::ZipAdd {
            zip,
            out,
            name,
            text,
        } => function_zip::add(zip, out, name, text.as_bytes()).map_err(CliError::Check),
        Command::ChangeTable => {
            let change_set: serde_json::Value = serde_json::from_reader(std::io::stdin().lock())
                .map_err(|error| {
                    CliError::Check(format!(
                        "change-table reads describe-change-set JSON: {error}"
                    ))
                })?;
            write_stdout(stdout, &change_table(&change_set))
        }
        Command::Synth { out, artifacts } => {
            let stage = load()?;
            let text = if *artifacts {
                synth_artifacts(&stage).render()
            } else {
                synth(&stage).render()
            };
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

pub mod subcommand;

#[cfg(test)]
mod tests;
