//! Typed settings, read once at start-up from the command line and the environment.

use std::env::VarError;
use std::net::SocketAddr;
use std::path::Path;

use leptos::config::{Env, ReloadWSProtocol};
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

/// The values compiled into the binary, used where the environment says nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildDefaults {
    /// The hydrate bundle's name, `LEPTOS_OUTPUT_NAME`.
    pub output_name: &'static str,
    /// The site directory, `LEPTOS_SITE_ROOT`; a relative one is found from the working
    /// directory, or from the Lambda task root on Lambda.
    pub site_root: &'static str,
}

impl BuildDefaults {
    /// What this binary was built with: the bundle name cargo-leptos (or `.cargo/config.toml`)
    /// set at compile time, as Leptos itself reads it, and Leptos' own default site root.
    pub const COMPILED: Self = Self {
        output_name: match option_env!("LEPTOS_OUTPUT_NAME") {
            Some(name) => name,
            None => "",
        },
        site_root: "target/site",
    };
}

/// Everything start-up reads besides the arguments, passed in so a test can set every input.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// An environment variable, as [`std::env::var`] reports it.
    pub env: &'a dyn Fn(&str) -> Result<String, VarError>,
    /// The fallbacks for unset `LEPTOS_*` variables.
    pub defaults: BuildDefaults,
    /// The working directory (`None` if unreadable): Leptos looks for `hash.txt` beside the
    /// executable unless it is given an absolute path, so a relative site root needs it.
    pub current_dir: Option<&'a Path>,
    /// Whether a path is an existing file.
    pub is_file: &'a dyn Fn(&Path) -> bool,
}

impl Settings {
    /// Reads the settings from arguments (without the program name) and the process: its
    /// environment, working directory and files.
    pub fn from_env(args: &[String]) -> Result<Self, ConfigError> {
        let current_dir = std::env::current_dir().ok();
        Self::load(
            args,
            Inputs {
                env: &|key| std::env::var(key),
                defaults: BuildDefaults::COMPILED,
                current_dir: current_dir.as_deref(),
                is_file: &|path| path.is_file(),
            },
        )
    }

    /// Reads the settings from arguments (without the program name) and the given inputs.
    pub fn load(args: &[String], inputs: Inputs<'_>) -> Result<Self, ConfigError> {
        // A non-UTF-8 value counts as unset here; only the `LEPTOS_*` reads reject it, as
        // Leptos' own loader does.
        let env = |key: &str| (inputs.env)(key).ok();
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

        let mut leptos = leptos_options(inputs.env, inputs.defaults)?;
        // Lambda unpacks the zip into LAMBDA_TASK_ROOT (/var/task); the site directory ships
        // beside `bootstrap` there, whatever the working directory is.
        if let Some(task_root) = env("LAMBDA_TASK_ROOT").filter(|root| !root.is_empty())
            && Path::new(&*leptos.site_root).is_relative()
        {
            let site_root = Path::new(&task_root).join(&*leptos.site_root);
            leptos.site_root = site_root.to_string_lossy().into();
        }
        let leptos = with_content_hashes(leptos, inputs.current_dir, inputs.is_file);

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
                (None, None) => HeaderMode::MultiValue,
                (None, Some(name)) => HeaderMode::from_name(name)
                    .ok_or_else(|| ConfigError::InvalidHeaderMode(name.to_string()))?,
            };
            RunMode::Emulator { addr, header_mode }
        };
        Ok(Self { leptos, run_mode })
    }
}

/// The Leptos options from the `LEPTOS_*` variables, read as Leptos' own
/// `get_configuration(None)` reads them (same variables, defaults and parsing), but through
/// `env` rather than the process environment so that tests decide every value.
fn leptos_options(
    env: &dyn Fn(&str) -> Result<String, VarError>,
    defaults: BuildDefaults,
) -> Result<LeptosOptions, ConfigError> {
    let read = |key: &str| match env(key) {
        Ok(value) => Ok(Some(value)),
        Err(VarError::NotPresent) => Ok(None),
        Err(error) => Err(ConfigError::Leptos(format!("{key}: {error}"))),
    };
    let read_or =
        |key: &str, default: &str| Ok::<_, ConfigError>(read(key)?.unwrap_or(default.into()));
    let leptos_error =
        |error: leptos::config::errors::LeptosConfigError| ConfigError::Leptos(error.to_string());

    let output_name = read_or("LEPTOS_OUTPUT_NAME", defaults.output_name)?;
    if output_name.is_empty() {
        // Leptos' own loader warns the same way: the pages would load `/pkg/.js`.
        eprintln!("bootstrap: LEPTOS_OUTPUT_NAME is empty, at compile time and at run time");
    }
    let mut options = LeptosOptions::builder().output_name(output_name).build();
    options.site_root = read_or("LEPTOS_SITE_ROOT", defaults.site_root)?.into();
    options.site_pkg_dir = read_or("LEPTOS_SITE_PKG_DIR", "pkg")?.into();
    options.env = Env::try_from(read_or("LEPTOS_ENV", "DEV")?).map_err(leptos_error)?;
    options.site_addr = parse(
        "LEPTOS_SITE_ADDR",
        read_or("LEPTOS_SITE_ADDR", "127.0.0.1:3000")?,
    )?;
    options.reload_port = parse("LEPTOS_RELOAD_PORT", read_or("LEPTOS_RELOAD_PORT", "3001")?)?;
    options.reload_external_port = read("LEPTOS_RELOAD_EXTERNAL_PORT")?
        .map(|port| parse("LEPTOS_RELOAD_EXTERNAL_PORT", port))
        .transpose()?;
    options.reload_ws_protocol =
        ReloadWSProtocol::try_from(read_or("LEPTOS_RELOAD_WS_PROTOCOL", "ws")?)
            .map_err(leptos_error)?;
    options.not_found_path = read_or("LEPTOS_NOT_FOUND_PATH", "/404")?.into();
    options.hash_file = read_or("LEPTOS_HASH_FILE_NAME", "hash.txt")?.into();
    options.hash_files = parse("LEPTOS_HASH_FILES", read_or("LEPTOS_HASH_FILES", "false")?)?;
    options.server_fn_prefix = read("SERVER_FN_PREFIX")?;
    options.disable_server_fn_hash = read("DISABLE_SERVER_FN_HASH")?.is_some();
    options.server_fn_mod_path = read("SERVER_FN_MOD_PATH")?.is_some();
    Ok(options)
}

/// A variable's value parsed, or an error naming the variable.
fn parse<T: std::str::FromStr>(key: &str, value: String) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|error| ConfigError::Leptos(format!("{key}: {error}")))
}

/// Turns on Leptos' hashed file names when the site root holds cargo-leptos' `hash.txt`, so
/// a deployed site directory works with no configuration. Leptos joins `hash_file` to the
/// executable's directory; an absolute path makes it point into the site root instead.
pub fn with_content_hashes(
    mut options: LeptosOptions,
    current_dir: Option<&Path>,
    is_file: &dyn Fn(&Path) -> bool,
) -> LeptosOptions {
    let site_hash_file = Path::new(&*options.site_root).join("hash.txt");
    let hash_file = match current_dir {
        Some(dir) => dir.join(&site_hash_file),
        None => site_hash_file,
    };
    if is_file(&hash_file) {
        // Joined to `current_dir` the path is already absolute: this only drops `.` parts.
        let hash_file = std::path::absolute(&hash_file).unwrap_or(hash_file);
        options.hash_files = true;
        options.hash_file = hash_file.to_string_lossy().into();
    }
    options
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::PathBuf;

    use super::*;

    /// Build-time defaults unlike both Leptos' and this project's, so a test that sees them
    /// knows they came from `defaults` and not from a literal or the process environment.
    const DEFAULTS: BuildDefaults = BuildDefaults {
        output_name: "bundle_from_build",
        site_root: "site/from-build",
    };

    /// Every input of [`Settings::load`], nothing read from the process.
    struct Fixture {
        env: HashMap<String, String>,
        current_dir: Option<PathBuf>,
        files: Vec<PathBuf>,
    }

    impl Fixture {
        fn new(env: &[(&str, &str)]) -> Self {
            Self {
                env: env
                    .iter()
                    .map(|(key, value)| (key.to_string(), value.to_string()))
                    .collect(),
                current_dir: Some(PathBuf::from("/home/dev/project")),
                files: Vec::new(),
            }
        }

        fn with_file(mut self, path: &str) -> Self {
            self.files.push(PathBuf::from(path));
            self
        }

        fn load(&self, args: &[&str]) -> Result<Settings, ConfigError> {
            let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
            Settings::load(
                &args,
                Inputs {
                    env: &|key| self.env.get(key).cloned().ok_or(VarError::NotPresent),
                    defaults: DEFAULTS,
                    current_dir: self.current_dir.as_deref(),
                    is_file: &|path| self.files.iter().any(|file| file == path),
                },
            )
        }
    }

    fn load(args: &[&str], env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Fixture::new(env).load(args)
    }

    #[test]
    fn the_compiled_defaults_are_the_build_s_bundle_name_and_leptos_site_root() {
        assert_eq!(
            BuildDefaults::COMPILED,
            BuildDefaults {
                output_name: env!("LEPTOS_OUTPUT_NAME"),
                site_root: "target/site",
            }
        );
    }

    #[test]
    fn unset_leptos_variables_take_the_build_defaults() {
        let leptos = load(&[], &[]).unwrap().leptos;
        assert_eq!(&*leptos.output_name, "bundle_from_build");
        assert_eq!(&*leptos.site_root, "site/from-build");
        assert_eq!(&*leptos.site_pkg_dir, "pkg");
        assert_eq!(leptos.env, Env::DEV);
        assert!(!leptos.hash_files, "no hash.txt, no hashed names");
        assert_eq!(&*leptos.hash_file, "hash.txt");
    }

    #[test]
    fn leptos_variables_override_the_build_defaults() {
        let leptos = load(
            &[],
            &[
                ("LEPTOS_OUTPUT_NAME", "bundle_from_env"),
                ("LEPTOS_SITE_ROOT", "site/from-env"),
                ("LEPTOS_SITE_PKG_DIR", "assets"),
                ("LEPTOS_ENV", "production"),
            ],
        )
        .unwrap()
        .leptos;
        assert_eq!(&*leptos.output_name, "bundle_from_env");
        assert_eq!(&*leptos.site_root, "site/from-env");
        assert_eq!(&*leptos.site_pkg_dir, "assets");
        assert_eq!(leptos.env, Env::PROD);
    }

    #[test]
    fn the_site_root_is_found_beside_bootstrap_in_the_lambda_task_root() {
        let lambda = [
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("LAMBDA_TASK_ROOT", "/var/task"),
        ];
        let settings = load(&[], &lambda).unwrap();
        assert_eq!(&*settings.leptos.site_root, "/var/task/site/from-build");

        let overridden = [&lambda[..], &[("LEPTOS_SITE_ROOT", "site/from-env")]].concat();
        let settings = load(&[], &overridden).unwrap();
        assert_eq!(&*settings.leptos.site_root, "/var/task/site/from-env");

        // An absolute site root is where the operator said, not under the task root.
        let absolute = [&lambda[..], &[("LEPTOS_SITE_ROOT", "/mnt/site")]].concat();
        let settings = load(&[], &absolute).unwrap();
        assert_eq!(&*settings.leptos.site_root, "/mnt/site");

        // An empty LAMBDA_TASK_ROOT is no task root.
        let settings = load(&[], &[("LAMBDA_TASK_ROOT", "")]).unwrap();
        assert_eq!(&*settings.leptos.site_root, "site/from-build");
    }

    #[test]
    fn hash_txt_in_the_site_root_turns_on_hashed_names_by_absolute_path() {
        let settings = Fixture::new(&[])
            .with_file("/home/dev/project/site/from-build/hash.txt")
            .load(&[])
            .unwrap();
        assert!(settings.leptos.hash_files);
        assert_eq!(
            &*settings.leptos.hash_file,
            "/home/dev/project/site/from-build/hash.txt"
        );

        let settings = Fixture::new(&[("LAMBDA_TASK_ROOT", "/var/task")])
            .with_file("/var/task/site/from-build/hash.txt")
            .load(&[])
            .unwrap();
        assert!(settings.leptos.hash_files);
        assert_eq!(
            &*settings.leptos.hash_file,
            "/var/task/site/from-build/hash.txt"
        );
    }

    #[test]
    fn an_absent_site_root_keeps_unhashed_names() {
        // hash.txt exists, but in the working directory's site root, not the task root's.
        let settings = Fixture::new(&[("LAMBDA_TASK_ROOT", "/var/task")])
            .with_file("/home/dev/project/site/from-build/hash.txt")
            .load(&[])
            .unwrap();
        assert_eq!(&*settings.leptos.site_root, "/var/task/site/from-build");
        assert!(!settings.leptos.hash_files);
        assert_eq!(&*settings.leptos.hash_file, "hash.txt");
    }

    #[test]
    fn without_a_working_directory_a_relative_hash_txt_stays_relative() {
        let mut fixture = Fixture::new(&[]).with_file("site/from-build/hash.txt");
        fixture.current_dir = None;
        let settings = fixture.load(&[]).unwrap();
        assert!(settings.leptos.hash_files);
        assert!(
            Path::new(&*settings.leptos.hash_file).ends_with("site/from-build/hash.txt"),
            "{}",
            settings.leptos.hash_file
        );
    }

    #[test]
    fn invalid_leptos_variables_are_errors_naming_the_variable() {
        let error = load(&[], &[("LEPTOS_RELOAD_PORT", "three")]).unwrap_err();
        assert!(
            matches!(&error, ConfigError::Leptos(message) if message.starts_with("LEPTOS_RELOAD_PORT:")),
            "{error}"
        );
        assert!(matches!(
            load(&[], &[("LEPTOS_ENV", "staging")]).unwrap_err(),
            ConfigError::Leptos(_)
        ));
    }

    #[test]
    fn the_leptos_variables_are_read_as_leptos_reads_them() {
        // Same process environment, same compiled defaults: any drift from Leptos' own
        // loader (a variable, a default, a parse) shows up as a difference.
        let ours = leptos_options(&|key| std::env::var(key), BuildDefaults::COMPILED).unwrap();
        let theirs = leptos::config::get_configuration(None)
            .unwrap()
            .leptos_options;
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
    }

    #[test]
    fn runtime_api_means_lambda() {
        let settings = load(&[], &[("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")]).unwrap();
        assert_eq!(settings.run_mode, RunMode::Lambda);
        let settings = load(&[], &[("AWS_LAMBDA_RUNTIME_API", "")]).unwrap();
        assert_ne!(settings.run_mode, RunMode::Lambda);
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
    fn each_header_mode_is_chosen_by_its_name() {
        for (name, mode) in [
            ("single-value", HeaderMode::SingleValue),
            ("multi-value", HeaderMode::MultiValue),
        ] {
            assert_eq!(mode.as_str(), name);
            let settings = load(&[], &[("ALB_HEADER_MODE", name)]).unwrap();
            assert!(
                matches!(settings.run_mode, RunMode::Emulator { header_mode, .. } if header_mode == mode),
                "{name}"
            );
        }
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
