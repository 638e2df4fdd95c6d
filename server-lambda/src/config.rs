//! Typed settings, read once at start-up from the command line and the environment.

use std::net::SocketAddr;

use leptos::prelude::LeptosOptions;

use crate::alb::HeaderMode;

/// Command-line help for the `bootstrap` binary.
pub const USAGE: &str = "\
usage: bootstrap [--addr HOST:PORT] [--single-value-headers | --multi-value-headers]

With AWS_LAMBDA_RUNTIME_API set (as on Lambda) it serves ALB target-group events.
Without it, it is the local ALB emulator: an HTTP server that turns every request into the
ALB event JSON and back, through the same handler as on Lambda.

options (emulator only):
  --addr HOST:PORT          listen address (env ALB_EMULATOR_ADDR, then LEPTOS_SITE_ADDR;
                            default 127.0.0.1:3000; port 0 picks a free port)
  --single-value-headers    ALB's default target-group mode (one value per header/query key)
  --multi-value-headers     the mode this template deploys (default; env ALB_HEADER_MODE)
  -h, --help                this text";

/// What the binary runs as.
#[derive(Clone, Debug, PartialEq)]
pub enum RunMode {
    /// Inside Lambda: the Runtime API loop.
    Lambda,
    /// On a laptop: the local ALB emulator.
    Emulator {
        /// Where the emulator listens.
        addr: SocketAddr,
        /// The target-group header mode it emulates.
        header_mode: HeaderMode,
    },
}

/// Everything the binary needs to start.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Leptos options (site root, output name, …), from `LEPTOS_*` variables with defaults.
    pub leptos: LeptosOptions,
    /// Lambda or emulator.
    pub run_mode: RunMode,
}

/// A setting that could not be read; the message names the flag or variable.
#[derive(Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// `--help` was asked for.
    HelpRequested,
    /// An argument nobody understands.
    UnknownArgument(String),
    /// A flag that needs a value came last.
    MissingValue(&'static str),
    /// An address that does not parse, with where it came from.
    InvalidAddress { source: String, value: String },
    /// `ALB_HEADER_MODE` is neither `single-value` nor `multi-value`.
    InvalidHeaderMode(String),
    /// A `LEPTOS_*` variable is invalid.
    Leptos(String),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::HelpRequested => f.write_str(USAGE),
            ConfigError::UnknownArgument(argument) => write!(f, "unknown argument {argument:?}"),
            ConfigError::MissingValue(flag) => write!(f, "{flag} needs a value"),
            ConfigError::InvalidAddress { source, value } => {
                write!(
                    f,
                    "{source} must be HOST:PORT such as 127.0.0.1:3000, got {value:?}"
                )
            }
            ConfigError::InvalidHeaderMode(value) => write!(
                f,
                "ALB_HEADER_MODE must be \"single-value\" or \"multi-value\", got {value:?}"
            ),
            ConfigError::Leptos(message) => write!(f, "invalid LEPTOS_* setting: {message}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Settings {
    /// Reads the settings from arguments (without the program name) and an environment lookup.
    pub fn load(
        args: &[String],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut addr_flag = None;
        let mut mode_flag = None;
        let mut args = args.iter();
        while let Some(argument) = args.next() {
            match argument.as_str() {
                "-h" | "--help" => return Err(ConfigError::HelpRequested),
                "--addr" => {
                    addr_flag = Some(
                        args.next()
                            .ok_or(ConfigError::MissingValue("--addr"))?
                            .clone(),
                    )
                }
                "--single-value-headers" => mode_flag = Some(HeaderMode::SingleValue),
                "--multi-value-headers" => mode_flag = Some(HeaderMode::MultiValue),
                other => match other.strip_prefix("--addr=") {
                    Some(value) => addr_flag = Some(value.to_string()),
                    None => return Err(ConfigError::UnknownArgument(other.to_string())),
                },
            }
        }

        let mut leptos = leptos::config::get_configuration(None)
            .map_err(|error| ConfigError::Leptos(error.to_string()))?
            .leptos_options;
        // Lambda unpacks the zip into LAMBDA_TASK_ROOT (/var/task); the site directory ships
        // beside `bootstrap` there, whatever the working directory is.
        if let Some(task_root) = env("LAMBDA_TASK_ROOT").filter(|root| !root.is_empty())
            && std::path::Path::new(&*leptos.site_root).is_relative()
        {
            let site_root = std::path::Path::new(&task_root).join(&*leptos.site_root);
            leptos.site_root = site_root.to_string_lossy().into();
        }
        let leptos = with_content_hashes(leptos);

        let run_mode = if env("AWS_LAMBDA_RUNTIME_API").is_some_and(|api| !api.is_empty()) {
            RunMode::Lambda
        } else {
            let (source, value) =
                match (addr_flag, env("ALB_EMULATOR_ADDR"), env("LEPTOS_SITE_ADDR")) {
                    (Some(value), _, _) => ("--addr", value),
                    (None, Some(value), _) => ("ALB_EMULATOR_ADDR", value),
                    (None, None, Some(value)) => ("LEPTOS_SITE_ADDR", value),
                    (None, None, None) => ("default", "127.0.0.1:3000".to_string()),
                };
            let addr = value.parse().map_err(|_| ConfigError::InvalidAddress {
                source: source.to_string(),
                value: value.clone(),
            })?;
            let header_mode = match (mode_flag, env("ALB_HEADER_MODE").as_deref()) {
                (Some(mode), _) => mode,
                (None, None | Some("multi-value")) => HeaderMode::MultiValue,
                (None, Some("single-value")) => HeaderMode::SingleValue,
                (None, Some(other)) => {
                    return Err(ConfigError::InvalidHeaderMode(other.to_string()));
                }
            };
            RunMode::Emulator { addr, header_mode }
        };
        Ok(Self { leptos, run_mode })
    }
}

/// Turns on Leptos' hashed file names when the site root holds cargo-leptos' `hash.txt`, so
/// a deployed site directory works with no configuration. Leptos joins `hash_file` to the
/// executable's directory; an absolute path makes it point into the site root instead.
pub fn with_content_hashes(mut options: LeptosOptions) -> LeptosOptions {
    let hash_file = std::path::Path::new(&*options.site_root).join("hash.txt");
    if hash_file.is_file() {
        let absolute = std::path::absolute(&hash_file).unwrap_or(hash_file);
        options.hash_files = true;
        options.hash_file = absolute.to_string_lossy().into();
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(args: &[&str], env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        Settings::load(&args, |key| {
            env.iter()
                .find(|(name, _)| *name == key)
                .map(|(_, value)| value.to_string())
        })
    }

    #[test]
    fn runtime_api_means_lambda() {
        let settings = load(&[], &[("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")]).unwrap();
        assert_eq!(settings.run_mode, RunMode::Lambda);
    }

    #[test]
    fn the_site_root_is_found_beside_bootstrap_in_the_lambda_task_root() {
        let settings = load(
            &[],
            &[
                ("AWS_LAMBDA_RUNTIME_API", "x"),
                ("LAMBDA_TASK_ROOT", "/var/task"),
            ],
        )
        .unwrap();
        assert_eq!(&*settings.leptos.site_root, "/var/task/target/site");
    }

    #[test]
    fn emulator_defaults_to_multi_value_on_port_3000() {
        let settings = load(&[], &[]).unwrap();
        assert_eq!(
            settings.run_mode,
            RunMode::Emulator {
                addr: "127.0.0.1:3000".parse().unwrap(),
                header_mode: HeaderMode::MultiValue
            }
        );
    }

    #[test]
    fn flags_beat_environment() {
        let settings = load(
            &["--addr", "127.0.0.1:0", "--single-value-headers"],
            &[
                ("LEPTOS_SITE_ADDR", "127.0.0.1:4000"),
                ("ALB_HEADER_MODE", "multi-value"),
            ],
        )
        .unwrap();
        assert_eq!(
            settings.run_mode,
            RunMode::Emulator {
                addr: "127.0.0.1:0".parse().unwrap(),
                header_mode: HeaderMode::SingleValue
            }
        );
    }

    #[test]
    fn bad_values_name_their_source() {
        let error = load(&["--addr", "localhost"], &[]).unwrap_err();
        assert!(
            error.to_string().starts_with("--addr must be HOST:PORT"),
            "{error}"
        );
        let error = load(&[], &[("ALB_HEADER_MODE", "both")]).unwrap_err();
        assert_eq!(error, ConfigError::InvalidHeaderMode("both".into()));
        assert_eq!(
            load(&["--bogus"], &[]).unwrap_err(),
            ConfigError::UnknownArgument("--bogus".into())
        );
        assert_eq!(
            load(&["--addr"], &[]).unwrap_err(),
            ConfigError::MissingValue("--addr")
        );
    }
}
