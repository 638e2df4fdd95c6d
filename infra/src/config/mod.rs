//! Stage settings: `stages/<stage>.toml`, read, typed and validated.
//!
//! Unknown keys are refused (`deny_unknown_fields`) so that a typo fails the synth instead of
//! silently falling back to a default. Validation collects every broken rule at once; each
//! message names the file, the key and the rule.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::names::{Names, TARGET_GROUP_NAME_MAX};

mod production_options;
pub use production_options::WafSettings;

/// The shipped stage files, found at compile time.
pub const DEFAULT_STAGES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/stages");

/// The stage whose load balancer must keep deletion protection on.
pub const PRODUCTION_STAGE: &str = "production";

/// Retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Environment variables Lambda sets itself and refuses in a function's configuration.
pub const RESERVED_ENVIRONMENT: [&str; 18] = [
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
];

/// CPU architecture of the function.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum Architecture {
    /// Graviton: cheaper per millisecond and the faster cold start for Rust.
    #[default]
    #[serde(rename = "arm64")]
    Arm64,
    /// Intel/AMD.
    #[serde(rename = "x86_64")]
    X86_64,
}

impl Architecture {
    /// The name Lambda and cargo-lambda use.
    pub fn as_str(self) -> &'static str {
        match self {
            Architecture::Arm64 => "arm64",
            Architecture::X86_64 => "x86_64",
        }
    }
}

/// A stage file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageSettings {
    /// Prefix of every resource name, e.g. `acme-web`.
    pub service: String,
    /// AWS region of the whole stack, e.g. `eu-west-1`.
    pub region: String,
    /// AWS account the stack lives in (12 digits).
    pub account_id: String,
    /// The site's host name; gets A (and AAAA) alias records unless `temporary_hostname` is set.
    pub domain: String,
    /// During a migration: the name the stage answers at while `domain`'s record is left alone
    /// (it may still point at the old stack). Removing it is the cut-over.
    #[serde(default)]
    pub temporary_hostname: Option<String>,
    /// The Route 53 hosted zone that holds `domain`.
    pub hosted_zone_id: String,
    /// ACM certificate for `domain`, in `region`.
    pub certificate_arn: String,
    /// S3 bucket for function zips; default `<service>-<stage>-artifacts-<account_id>`.
    #[serde(default)]
    pub artifact_bucket: Option<String>,
    /// Where the load balancer lives.
    pub network: NetworkSettings,
    /// The Lambda function.
    pub function: FunctionSettings,
    /// The Application Load Balancer.
    #[serde(default)]
    pub load_balancer: LoadBalancerSettings,
    /// Alarm thresholds and notification.
    #[serde(default)]
    pub alarms: AlarmSettings,
    /// How `scripts/deploy.sh --canary` releases.
    #[serde(default)]
    pub canary: CanarySettings,
}

/// `[network]`: VPC and subnets of the load balancer.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSettings {
    /// The VPC of the load balancer's security group.
    pub vpc_id: String,
    /// Public subnets, at least two in different availability zones.
    pub subnet_ids: Vec<String>,
    /// IPv4 and IPv6 (needs IPv6 on the VPC and every subnet) instead of IPv4 only.
    #[serde(default)]
    pub dualstack: bool,
}

/// `[function]`: the Lambda function.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionSettings {
    /// Memory in MB (128–10240); CPU grows with it.
    pub memory_mb: u32,
    /// Timeout in seconds; must stay below the ALB idle timeout.
    pub timeout_seconds: u32,
    /// `arm64` (default) or `x86_64`.
    #[serde(default)]
    pub architecture: Architecture,
    /// Days CloudWatch keeps the function's logs (a value CloudWatch accepts).
    pub log_retention_days: u32,
    /// Concurrency reserved for (and capping) the function; none by default.
    #[serde(default)]
    pub reserved_concurrency: Option<u32>,
    /// Environment variables of the function.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// X-Ray active tracing (billed per trace); off by default.
    #[serde(default)]
    pub tracing: bool,
    /// Execution environments kept initialized for the `live` alias (billed while they
    /// exist); none by default.
    #[serde(default)]
    pub provisioned_concurrency: Option<u32>,
}

/// `[load_balancer]`: the Application Load Balancer.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoadBalancerSettings {
    /// Seconds the ALB waits on an idle connection (default 60).
    pub idle_timeout_seconds: u32,
    /// Health checks on `/healthz` (each one is a billed invocation).
    pub health_check: bool,
    /// Deletion protection; default on for `production` only, which cannot turn it off.
    pub deletion_protection: Option<bool>,
    /// Existing S3 bucket for access logs (its policy must let ELB write); none by default.
    pub access_log_bucket: Option<String>,
    /// A bucket for access logs created (and kept after a destroy) by the stack, with the
    /// policy that lets ELB write; off by default.
    pub create_access_log_bucket: bool,
    /// `[load_balancer.waf]`: an AWS WAF web ACL in front of the load balancer; none by
    /// default.
    pub waf: Option<WafSettings>,
}

impl Default for LoadBalancerSettings {
    fn default() -> Self {
        Self {
            idle_timeout_seconds: 60,
            health_check: false,
            deletion_protection: None,
            access_log_bucket: None,
            create_access_log_bucket: false,
            waf: None,
        }
    }
}

/// `[canary]`: how a canary release bakes.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CanarySettings {
    /// How long the deploy watches the canary's alarms before it promotes it (default 600 s).
    pub bake_seconds: u32,
}

/// The longest bake a deploy waits through.
pub const CANARY_BAKE_SECONDS_MAX: u32 = 3600;

impl Default for CanarySettings {
    fn default() -> Self {
        Self { bake_seconds: 600 }
    }
}

/// `[alarms]`: thresholds and where alarms notify.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlarmSettings {
    /// SNS topic (same region) notified on alarm and recovery; none by default.
    pub sns_topic_arn: Option<String>,
    /// Target response time p99 above which the latency alarm fires, in ms (default 1000).
    pub p99_latency_ms: u32,
}

impl Default for AlarmSettings {
    fn default() -> Self {
        Self {
            sns_topic_arn: None,
            p99_latency_ms: 1000,
        }
    }
}

/// A validated stage: its name, file, settings and derived names.
#[derive(Clone, Debug)]
pub struct Stage {
    /// Stage name (the file name without `.toml`).
    pub name: String,
    /// The file it was read from, for messages.
    pub file: PathBuf,
    /// The settings, all rules checked.
    pub settings: StageSettings,
    /// Names derived from service and stage.
    pub names: Names,
}

impl Stage {
    /// Reads and validates `<stages_dir>/<name>.toml`.
    pub fn load(stages_dir: &Path, name: &str) -> Result<Self, ConfigError> {
        let (file, text) = read_stage_file(stages_dir, name)?;
        Self::parse(name, file, &text)
    }

    /// Parses and validates a stage file's text; `file` is only used in messages.
    pub fn parse(name: &str, file: impl Into<PathBuf>, text: &str) -> Result<Self, ConfigError> {
        let file = file.into();
        let settings: StageSettings =
            toml::from_str(text).map_err(|error| ConfigError::Syntax {
                file: file.clone(),
                message: error.to_string(),
            })?;
        let problems = validate(name, &settings);
        if !problems.is_empty() {
            return Err(ConfigError::Invalid { file, problems });
        }
        let names = Names::derive(
            &settings.service,
            name,
            &settings.account_id,
            settings.artifact_bucket.as_deref(),
        );
        Ok(Self {
            name: name.to_string(),
            file,
            settings,
            names,
        })
    }

    /// The stage file's name without its directory, for text that must not vary by machine.
    pub fn file_name(&self) -> String {
        self.file.file_name().map_or_else(
            || format!("{}.toml", self.name),
            |name| name.to_string_lossy().into_owned(),
        )
    }

    /// The host name the stack's DNS records answer for: the temporary one while it is set.
    pub fn hostname(&self) -> &str {
        self.settings
            .temporary_hostname
            .as_deref()
            .unwrap_or(&self.settings.domain)
    }

    /// Every name the certificate must cover and the hosted zone must hold: the temporary host
    /// name now and `domain` at the cut-over, both checked before the first deploy.
    pub fn host_names(&self) -> Vec<&str> {
        let mut names = vec![self.hostname()];
        if names[0] != self.settings.domain {
            names.push(&self.settings.domain);
        }
        names
    }

    /// The alias record types the stack creates: A, and AAAA when the ALB is dualstack (an
    /// IPv4-only ALB has no IPv6 address to alias).
    pub fn dns_record_types(&self) -> Vec<&'static str> {
        if self.settings.network.dualstack {
            vec!["A", "AAAA"]
        } else {
            vec!["A"]
        }
    }

    /// What the deploy does to DNS, in one line, printed before anything changes.
    pub fn dns_plan(&self) -> String {
        let types = self.dns_record_types().join(" and ");
        let hostname = self.hostname();
        match &self.settings.temporary_hostname {
            Some(_) => format!(
                "{types} alias records for {hostname} (temporary_hostname) in zone {zone}; the \
                 records of {domain} are not touched until temporary_hostname is removed",
                zone = self.settings.hosted_zone_id,
                domain = self.settings.domain
            ),
            None => format!(
                "{types} alias records for {hostname} in zone {zone}",
                zone = self.settings.hosted_zone_id
            ),
        }
    }

    /// Whether the load balancer refuses deletion (default: only in `production`).
    pub fn deletion_protection(&self) -> bool {
        self.settings
            .load_balancer
            .deletion_protection
            .unwrap_or(self.name == PRODUCTION_STAGE)
    }
}

/// The stage names in a directory: every `*.toml`, sorted.
pub fn list_stages(stages_dir: &Path) -> Result<Vec<String>, ConfigError> {
    let unreadable = |error: std::io::Error| ConfigError::Unreadable {
        path: stages_dir.to_path_buf(),
        message: error.to_string(),
    };
    let mut stages = Vec::new();
    for entry in std::fs::read_dir(stages_dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        if path
            .extension()
            .is_some_and(|extension| extension == "toml")
            && let Some(stem) = path.file_stem().and_then(|stem| stem.to_str())
        {
            stages.push(stem.to_string());
        }
    }
    stages.sort();
    Ok(stages)
}

/// One broken rule: the key (dotted path) and what it must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key in the stage file, e.g. `function.timeout_seconds`.
    pub key: String,
    /// The rule, phrased to follow the key.
    pub rule: String,
}

/// Why a stage could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// No `<stage>.toml` in the stages directory.
    UnknownStage {
        /// The stage asked for.
        stage: String,
        /// Where it was looked for.
        stages_dir: PathBuf,
        /// The stages that do exist there.
        known: Vec<String>,
    },
    /// The file or directory could not be read.
    Unreadable {
        /// What could not be read.
        path: PathBuf,
        /// The I/O error.
        message: String,
    },
    /// Not valid TOML, an unknown or missing key, or a value of the wrong type.
    Syntax {
        /// The stage file.
        file: PathBuf,
        /// The TOML parser's message (it names the key and shows the line).
        message: String,
    },
    /// Valid TOML that breaks one or more rules.
    Invalid {
        /// The stage file.
        file: PathBuf,
        /// Every broken rule.
        problems: Vec<Problem>,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::UnknownStage {
                stage,
                stages_dir,
                known,
            } => {
                write!(
                    f,
                    "unknown stage {stage:?}: there is no {stage}.toml in {}; ",
                    stages_dir.display()
                )?;
                if known.is_empty() {
                    f.write_str("that directory has no stages")
                } else {
                    write!(f, "the stages there are: {}", known.join(", "))
                }
            }
            ConfigError::Unreadable { path, message } => {
                write!(f, "{}: cannot read: {message}", path.display())
            }
            ConfigError::Syntax { file, message } => {
                write!(f, "{}: {}", file.display(), message.trim_end())
            }
            ConfigError::Invalid { file, problems } => {
                for (index, problem) in problems.iter().enumerate() {
                    if index > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "{}: `{}` {}", file.display(), problem.key, problem.rule)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// Collects broken rules.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    /// Records `rule` against `key` unless `ok`.
    fn require(&mut self, ok: bool, key: impl Into<String>, rule: impl Into<String>) {
        if !ok {
            self.record(key, rule);
        }
    }

    /// Records `rule` against `key`.
    fn record(&mut self, key: impl Into<String>, rule: impl Into<String>) {
        self.0.push(Problem {
            key: key.into(),
            rule: rule.into(),
        });
    }
}

/// Checks every rule; an empty list means the stage is valid.
pub fn validate(stage: &str, settings: &StageSettings) -> Vec<Problem> {
    let mut problems = Problems::default();
    let region = settings.region.as_str();

    problems.require(
        is_resource_name(stage),
        "(stage name, from the file name)",
        format!("must be lowercase letters, digits and single hyphens, starting with a letter, got {stage:?}"),
    );
    // Stage `x`'s canary target group is `<service>-x-canary`: a stage `x-canary` would take it.
    problems.require(
        !stage.ends_with("-canary"),
        "(stage name, from the file name)",
        format!(
            "must not end in \"-canary\": the target group {stage:?} would get is the canary target \
             group of stage {:?}",
            stage.trim_end_matches("-canary")
        ),
    );
    problems.require(
        is_resource_name(&settings.service),
        "service",
        format!(
            "must be lowercase letters, digits and single hyphens, starting with a letter, got {:?}",
            settings.service
        ),
    );
    let target_group =
        Names::derive(&settings.service, stage, &settings.account_id, None).target_group;
    problems.require(
        target_group.len() <= TARGET_GROUP_NAME_MAX,
        "service",
        format!(
            "with stage {stage:?} gives the target group name {target_group:?} ({} characters), but ALB \
             allows at most {TARGET_GROUP_NAME_MAX}: shorten the service or the stage name",
            target_group.len()
        ),
    );
    problems.require(
        is_region(region),
        "region",
        format!("must be an AWS region such as \"eu-west-1\", got {region:?}"),
    );
    problems.require(
        settings.account_id.len() == 12
            && settings
                .account_id
                .bytes()
                .all(|byte| byte.is_ascii_digit()),
        "account_id",
        format!("must be 12 digits, got {:?}", settings.account_id),
    );
    problems.require(
        is_domain(&settings.domain),
        "domain",
        format!(
            "must be a lowercase DNS name of at least two labels without a trailing dot, such as \
             \"www.example.com\", got {:?}",
            settings.domain
        ),
    );
    if let Some(hostname) = &settings.temporary_hostname {
        problems.require(
            is_domain(hostname) && *hostname != settings.domain,
            "temporary_hostname",
            format!(
                "must be a lowercase DNS name other than `domain`, such as \"next.example.com\", \
                 got {hostname:?} (remove the line to serve at `domain`)"
            ),
        );
    }
    problems.require(
        is_hosted_zone_id(&settings.hosted_zone_id),
        "hosted_zone_id",
        format!(
            "must be a Route 53 hosted zone id (\"Z\" and up to 31 uppercase letters or digits, without \
             \"/hostedzone/\"), got {:?}",
            settings.hosted_zone_id
        ),
    );
    match parse_arn(&settings.certificate_arn) {
        Some(arn) if arn.service == "acm" && arn.resource.strip_prefix("certificate/").is_some_and(|id| !id.is_empty()) => {
            problems.require(
                arn.region == region,
                "certificate_arn",
                format!(
                    "must be a certificate in the stage's region {region:?} (an ALB only uses certificates \
                     from its own region), got one in {:?}",
                    arn.region
                ),
            );
            problems.require(
                arn.account == settings.account_id,
                "certificate_arn",
                format!(
                    "must belong to account_id {:?}, got account {:?}",
                    settings.account_id, arn.account
                ),
            );
            problems.require(
                arn.partition == partition_of(region),
                "certificate_arn",
                format!(
                    "must be in partition {:?} of region {region:?}, got {:?}",
                    partition_of(region),
                    arn.partition
                ),
            );
        }
        _ => problems.require(
            false,
            "certificate_arn",
            format!(
                "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>), got {:?}",
                settings.certificate_arn
            ),
        ),
    }
    if let Some(bucket) = &settings.artifact_bucket {
        problems.require(
            is_bucket_name(bucket),
            "artifact_bucket",
            format!(
                "must be an S3 bucket name (3–63 lowercase letters, digits, hyphens or dots), got {bucket:?}"
            ),
        );
    }

    let network = &settings.network;
    problems.require(
        is_ec2_id(&network.vpc_id, "vpc-"),
        "network.vpc_id",
        format!(
            "must be a VPC id such as \"vpc-0123456789abcdef0\", got {:?}",
            network.vpc_id
        ),
    );
    problems.require(
        network.subnet_ids.len() >= 2,
        "network.subnet_ids",
        format!(
            "must list at least two subnets in different availability zones (an ALB refuses fewer), got {}",
            network.subnet_ids.len()
        ),
    );
    for (index, subnet) in network.subnet_ids.iter().enumerate() {
        problems.require(
            is_ec2_id(subnet, "subnet-"),
            format!("network.subnet_ids[{index}]"),
            format!("must be a subnet id such as \"subnet-0123456789abcdef0\", got {subnet:?}"),
        );
        problems.require(
            !network.subnet_ids[..index].contains(subnet),
            format!("network.subnet_ids[{index}]"),
            format!("must not repeat an earlier subnet, got {subnet:?} twice"),
        );
    }

    let function = &settings.function;
    let load_balancer = &settings.load_balancer;
    problems.require(
        (128..=10240).contains(&function.memory_mb),
        "function.memory_mb",
        format!(
            "must be between 128 and 10240 (Lambda's limits), got {}",
            function.memory_mb
        ),
    );
    problems.require(
        (1..=900).contains(&function.timeout_seconds),
        "function.timeout_seconds",
        format!(
            "must be between 1 and 900 (Lambda's limits), got {}",
            function.timeout_seconds
        ),
    );
    problems.require(
        function.timeout_seconds < load_balancer.idle_timeout_seconds,
        "function.timeout_seconds",
        format!(
            "must be below load_balancer.idle_timeout_seconds ({}), or the ALB gives up before the \
             function does, got {}",
            load_balancer.idle_timeout_seconds, function.timeout_seconds
        ),
    );
    problems.require(
        LOG_RETENTION_DAYS.contains(&function.log_retention_days),
        "function.log_retention_days",
        format!(
            "must be a retention CloudWatch Logs accepts ({}), got {}",
            LOG_RETENTION_DAYS.map(|days| days.to_string()).join(", "),
            function.log_retention_days
        ),
    );
    if let Some(reserved) = function.reserved_concurrency {
        problems.require(
            reserved >= 1,
            "function.reserved_concurrency",
            "must be at least 1 (0 would throttle every request); leave it out for no reservation",
        );
    }
    let mut environment_size = 0;
    for (name, value) in &function.environment {
        environment_size += name.len() + value.len();
        let key = format!("function.environment.{name}");
        problems.require(
            is_environment_name(name),
            key.clone(),
            "must start with a letter and hold only letters, digits and underscores",
        );
        problems.require(
            !RESERVED_ENVIRONMENT.contains(&name.as_str()),
            key.clone(),
            "is reserved: Lambda sets it itself and refuses it in the configuration",
        );
        if let Some(why) = secret_in_environment(name, value) {
            problems.record(
                key,
                format!(
                    "looks like a secret ({why}); a stage file and its template are no place for \
                     one: read it at run time from Secrets Manager or SSM Parameter Store"
                ),
            );
        }
    }
    problems.require(
        environment_size <= 4096,
        "function.environment",
        format!("must total at most 4 KB of names and values (Lambda's limit), got {environment_size} bytes"),
    );

    problems.require(
        (1..=4000).contains(&load_balancer.idle_timeout_seconds),
        "load_balancer.idle_timeout_seconds",
        format!(
            "must be between 1 and 4000 (ALB's limits), got {}",
            load_balancer.idle_timeout_seconds
        ),
    );
    problems.require(
        !(stage == PRODUCTION_STAGE && load_balancer.deletion_protection == Some(false)),
        "load_balancer.deletion_protection",
        "must stay on in the production stage",
    );
    if let Some(bucket) = &load_balancer.access_log_bucket {
        problems.require(
            is_bucket_name(bucket),
            "load_balancer.access_log_bucket",
            format!(
                "must be an S3 bucket name (3–63 lowercase letters, digits, hyphens or dots), got {bucket:?}"
            ),
        );
    }

    let alarms = &settings.alarms;
    if let Some(topic) = &alarms.sns_topic_arn {
        match parse_arn(topic) {
            Some(arn) if arn.service == "sns" && !arn.resource.is_empty() && !arn.resource.contains(':') => {
                problems.require(
                    arn.region == region,
                    "alarms.sns_topic_arn",
                    format!(
                        "must be a topic in the stage's region {region:?} (alarm actions cannot cross \
                         regions), got one in {:?}",
                        arn.region
                    ),
                );
            }
            _ => problems.require(
                false,
                "alarms.sns_topic_arn",
                format!("must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>), got {topic:?}"),
            ),
        }
    }
    production_options::validate(settings, &mut problems);

    let idle_timeout_ms = load_balancer.idle_timeout_seconds.saturating_mul(1000);
    problems.require(
        (1..=idle_timeout_ms).contains(&alarms.p99_latency_ms),
        "alarms.p99_latency_ms",
        format!(
            "must be between 1 and the idle timeout ({idle_timeout_ms} ms), got {}",
            alarms.p99_latency_ms
        ),
    );
    let bake = settings.canary.bake_seconds;
    problems.require(
        (1..=CANARY_BAKE_SECONDS_MAX).contains(&bake),
        "canary.bake_seconds",
        format!(
            "must be between 1 and {CANARY_BAKE_SECONDS_MAX} (the deploy waits through it; the \
             canary alarms judge one-minute periods, so 300 or more tells more), got {bake}"
        ),
    );
    problems.0
}

/// The parts of an ARN.
struct Arn<'a> {
    partition: &'a str,
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

/// Splits `arn:partition:service:region:account:resource`.
fn parse_arn(arn: &str) -> Option<Arn<'_>> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    Some(Arn {
        partition: parts.next()?,
        service: parts.next()?,
        region: parts.next()?,
        account: parts.next()?,
        resource: parts.next()?,
    })
}

/// The path and text of `<stages_dir>/<name>.toml`, not yet validated; an unknown stage is
/// named with the stages there are.
pub fn read_stage_file(stages_dir: &Path, name: &str) -> Result<(PathBuf, String), ConfigError> {
    let file = stages_dir.join(format!("{name}.toml"));
    if !file.is_file() {
        return Err(ConfigError::UnknownStage {
            stage: name.to_string(),
            stages_dir: stages_dir.to_path_buf(),
            known: list_stages(stages_dir).unwrap_or_default(),
        });
    }
    let text = std::fs::read_to_string(&file).map_err(|error| ConfigError::Unreadable {
        path: file.clone(),
        message: error.to_string(),
    })?;
    Ok((file, text))
}

/// A stage of the tests' own fixtures (`tests/fixtures/stages`), for unit tests.
#[cfg(test)]
pub(crate) fn fixture_stage(name: &str) -> Stage {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stages");
    Stage::load(Path::new(fixtures), name).expect("the fixture stages are valid")
}

/// The partition a region belongs to.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The DNS suffix of the region's service endpoints (`amazonaws.com`, `amazonaws.com.cn` in
/// China).
pub fn dns_suffix_of(region: &str) -> &'static str {
    match partition_of(region) {
        "aws-cn" => "amazonaws.com.cn",
        _ => "amazonaws.com",
    }
}

/// `eu-west-1`, `us-gov-west-1`, `ap-southeast-2`: letters, hyphens, a final number.
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok()
}

/// Lowercase letters, digits and single hyphens, starting with a letter, not ending in a hyphen.
fn is_resource_name(name: &str) -> bool {
    name.starts_with(|first: char| first.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}

/// A lowercase host name of at least two labels.
fn is_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        })
}

/// `Z` followed by uppercase letters and digits, at most 32 in all.
fn is_hosted_zone_id(id: &str) -> bool {
    (2..=32).contains(&id.len())
        && id.starts_with('Z')
        && id
            .bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
}

/// `vpc-` / `subnet-` followed by 8 or 17 lowercase hex digits.
fn is_ec2_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17)
            && hex
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    })
}

/// S3's bucket naming rules (the common subset).
fn is_bucket_name(bucket: &str) -> bool {
    (3..=63).contains(&bucket.len())
        && bucket.starts_with(|first: char| first.is_ascii_lowercase() || first.is_ascii_digit())
        && bucket.ends_with(|last: char| last.is_ascii_lowercase() || last.is_ascii_digit())
        && !bucket.contains("..")
        && bucket.bytes().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-' || byte == b'.'
        })
}

/// Why an environment variable looks like a secret, if it does: a name that says so, a
/// private key, or an AWS access key id or secret access key (the shapes checkov's CKV_AWS_45
/// looks for, checked here so the stage file fails before any template exists).
fn secret_in_environment(name: &str, value: &str) -> Option<&'static str> {
    const SECRET_NAMES: [&str; 8] = [
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "TOKEN",
        "PRIVATE_KEY",
        "ACCESS_KEY",
        "API_KEY",
        "CREDENTIAL",
    ];
    const ACCESS_KEY_PREFIXES: [&str; 9] = [
        "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "A3T",
    ];

    let upper_name = name.to_ascii_uppercase();
    if SECRET_NAMES.iter().any(|word| upper_name.contains(word)) {
        return Some("its name says it holds one");
    }
    if value.contains("PRIVATE KEY-----") {
        return Some("the value holds a private key");
    }
    let is_key_char = |byte: u8| byte.is_ascii_uppercase() || byte.is_ascii_digit();
    let bytes = value.as_bytes();
    let access_key_id = ACCESS_KEY_PREFIXES.iter().any(|prefix| {
        value.match_indices(prefix).any(|(start, _)| {
            let rest = &bytes[start + prefix.len()..];
            let needed = 20 - prefix.len();
            rest.len() >= needed && rest[..needed].iter().all(|&byte| is_key_char(byte))
        })
    });
    if access_key_id {
        return Some("the value holds an AWS access key id");
    }
    let is_secret_key_char =
        |byte: u8| byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'+' | b'=');
    if bytes
        .split(|&byte| !is_secret_key_char(byte))
        .any(|run| run.len() == 40)
    {
        return Some("the value has the shape of an AWS secret access key");
    }
    None
}

/// A shell-friendly variable name.
fn is_environment_name(name: &str) -> bool {
    name.starts_with(|first: char| first.is_ascii_alphabetic())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn regions_map_to_their_partition_and_endpoint_suffix() {
        for (region, partition, suffix) in [
            ("eu-west-1", "aws", "amazonaws.com"),
            ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
            ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
        ] {
            assert_eq!(partition_of(region), partition, "{region}");
            assert_eq!(dns_suffix_of(region), suffix, "{region}");
        }
    }

    const FILE: &str = "stages/test.toml";

    /// A valid stage file, its `[function]` table last; each test breaks one thing.
    pub(crate) const VALID: &str = r#"
service = "acme-web"
region = "eu-west-1"
account_id = "111111111111"
domain = "www.example.com"
hosted_zone_id = "Z0123456789ABCDEFGHIJ"
certificate_arn = "arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"

[network]
vpc_id = "vpc-0123456789abcdef0"
subnet_ids = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]

[function]
memory_mb = 256
timeout_seconds = 10
log_retention_days = 30
"#;

    fn parse(text: &str) -> Result<Stage, ConfigError> {
        Stage::parse("test", FILE, text)
    }

    /// Replaces `from` (which must occur) in the valid file and returns the error message.
    fn error_with(from: &str, to: &str) -> String {
        assert!(VALID.contains(from), "{from:?} is not in the valid file");
        parse(&VALID.replacen(from, to, 1))
            .expect_err("the changed file must be refused")
            .to_string()
    }

    /// Asserts one message names the file, the key and the rule.
    fn assert_names(message: &str, key: &str, rule: &str) {
        assert!(message.contains(FILE), "no file in: {message}");
        assert!(message.contains(key), "no key {key:?} in: {message}");
        assert!(message.contains(rule), "no rule {rule:?} in: {message}");
    }

    #[test]
    fn the_valid_file_is_valid_with_defaults() {
        let stage = parse(VALID).unwrap();
        assert_eq!(stage.settings.function.architecture, Architecture::Arm64);
        assert_eq!(stage.settings.load_balancer.idle_timeout_seconds, 60);
        assert!(!stage.settings.network.dualstack);
        assert!(!stage.settings.load_balancer.health_check);
        assert!(!stage.deletion_protection());
        assert_eq!(stage.names.target_group, "acme-web-test");
    }

    #[test]
    fn a_stage_name_cannot_take_another_stage_s_canary_target_group() {
        let message = Stage::parse("prod-canary", "stages/prod-canary.toml", VALID)
            .unwrap_err()
            .to_string();
        assert!(message.contains("must not end in \"-canary\""), "{message}");
        assert!(message.contains("of stage \"prod\""), "{message}");
        assert!(Stage::parse("canary", FILE, VALID).is_ok());
    }

    #[test]
    fn a_canary_bakes_ten_minutes_by_default_and_at_most_an_hour() {
        assert_eq!(parse(VALID).unwrap().settings.canary.bake_seconds, 600);
        let bake = |seconds: u32| parse(&format!("{VALID}\n[canary]\nbake_seconds = {seconds}\n"));
        assert_eq!(bake(5).unwrap().settings.canary.bake_seconds, 5);
        assert_eq!(bake(3600).unwrap().settings.canary.bake_seconds, 3600);
        for refused in [0, 3601] {
            let message = bake(refused).unwrap_err().to_string();
            assert_names(
                &message,
                "canary.bake_seconds",
                "must be between 1 and 3600",
            );
        }
    }

    #[test]
    fn production_gets_deletion_protection_and_cannot_drop_it() {
        assert!(
            Stage::parse("production", FILE, VALID)
                .unwrap()
                .deletion_protection()
        );
        let text = format!("{VALID}\n[load_balancer]\ndeletion_protection = false\n");
        let message = Stage::parse("production", FILE, &text)
            .unwrap_err()
            .to_string();
        assert_names(
            &message,
            "load_balancer.deletion_protection",
            "must stay on in the production stage",
        );
    }

    #[test]
    fn unknown_keys_are_refused_with_file_and_key() {
        let message = error_with("memory_mb", "memroy_mb");
        assert_names(&message, "memroy_mb", "unknown field");
    }

    #[test]
    fn missing_keys_are_refused_with_file_and_key() {
        let message = error_with("region = \"eu-west-1\"\n", "");
        assert_names(&message, "region", "missing field");
    }

    #[test]
    fn wrong_types_are_refused_with_file_and_key() {
        let message = error_with("memory_mb = 256", "memory_mb = \"256\"");
        assert_names(&message, "memory_mb", "invalid type");
        let message = error_with(
            "log_retention_days = 30",
            "log_retention_days = 30\narchitecture = \"amd64\"",
        );
        assert_names(&message, "architecture", "unknown variant");
    }

    #[test]
    fn service_name_rules() {
        assert_names(
            &error_with("\"acme-web\"", "\"Leptos\""),
            "`service`",
            "must be lowercase letters",
        );
        let message = error_with("\"acme-web\"", "\"a-very-long-service-name-indeed\"");
        assert_names(&message, "`service`", "at most 32");
        assert!(
            message.contains("\"a-very-long-service-name-indeed-test\""),
            "{message}"
        );
    }

    #[test]
    fn region_rule() {
        assert_names(
            &error_with("region = \"eu-west-1\"", "region = \"europe\""),
            "`region`",
            "must be an AWS region",
        );
    }

    #[test]
    fn account_rule() {
        let message = error_with("account_id = \"111111111111\"", "account_id = \"1111\"");
        assert_names(&message, "`account_id`", "must be 12 digits");
    }

    #[test]
    fn domain_rule() {
        let message = error_with("\"www.example.com\"", "\"www.example.com.\"");
        assert_names(&message, "`domain`", "must be a lowercase DNS name");
        assert_names(
            &error_with("\"www.example.com\"", "\"localhost\""),
            "`domain`",
            "at least two labels",
        );
    }

    #[test]
    fn a_temporary_hostname_is_served_until_it_is_removed() {
        let plain = parse(VALID).unwrap();
        assert_eq!(plain.hostname(), "www.example.com");
        assert_eq!(plain.host_names(), ["www.example.com"]);
        assert!(!plain.dns_plan().contains("not touched"));

        let migrating = parse(&VALID.replacen(
            "domain = \"www.example.com\"",
            "domain = \"www.example.com\"\ntemporary_hostname = \"next.example.com\"",
            1,
        ))
        .unwrap();
        assert_eq!(migrating.hostname(), "next.example.com");
        assert_eq!(
            migrating.host_names(),
            ["next.example.com", "www.example.com"]
        );
        let plan = migrating.dns_plan();
        assert!(
            plan.starts_with("A alias records for next.example.com"),
            "{plan}"
        );
        assert!(
            plan.contains("records of www.example.com are not touched"),
            "{plan}"
        );
    }

    #[test]
    fn temporary_hostname_rule() {
        for bad in ["\"www.example.com\"", "\"Next.example.com\"", "\"next\""] {
            let message = parse(&VALID.replacen(
                "domain = \"www.example.com\"",
                &format!("domain = \"www.example.com\"\ntemporary_hostname = {bad}"),
                1,
            ))
            .expect_err(bad)
            .to_string();
            assert_names(&message, "`temporary_hostname`", "other than `domain`");
        }
    }

    #[test]
    fn hosted_zone_rule() {
        let message = error_with(
            "\"Z0123456789ABCDEFGHIJ\"",
            "\"/hostedzone/Z0123456789ABCDEFGHIJ\"",
        );
        assert_names(
            &message,
            "`hosted_zone_id`",
            "must be a Route 53 hosted zone id",
        );
    }

    #[test]
    fn certificate_must_be_an_acm_arn_in_the_stage_region_and_account() {
        let message = error_with("acm:eu-west-1", "acm:us-east-1");
        assert_names(
            &message,
            "`certificate_arn`",
            "must be a certificate in the stage's region \"eu-west-1\"",
        );
        let message = error_with("acm:eu-west-1:111111111111", "acm:eu-west-1:222222222222");
        assert_names(&message, "`certificate_arn`", "must belong to account_id");
        let message = error_with("arn:aws:acm", "arn:aws:iam");
        assert_names(
            &message,
            "`certificate_arn`",
            "must be an ACM certificate ARN",
        );
    }

    #[test]
    fn network_rules() {
        let message = error_with("\"vpc-0123456789abcdef0\"", "\"vpc-XYZ\"");
        assert_names(&message, "`network.vpc_id`", "must be a VPC id");
        let message = error_with(", \"subnet-0123456789abcdef1\"", "");
        assert_names(&message, "`network.subnet_ids`", "at least two subnets");
        let message = error_with(
            "\"subnet-0123456789abcdef1\"",
            "\"subnet-0123456789abcdef0\"",
        );
        assert_names(&message, "`network.subnet_ids[1]`", "must not repeat");
        let message = error_with("\"subnet-0123456789abcdef1\"", "\"sn-1\"");
        assert_names(&message, "`network.subnet_ids[1]`", "must be a subnet id");
    }

    #[test]
    fn memory_rule() {
        let message = error_with("memory_mb = 256", "memory_mb = 64");
        assert_names(
            &message,
            "`function.memory_mb`",
            "must be between 128 and 10240",
        );
    }

    #[test]
    fn timeout_must_stay_below_the_idle_timeout() {
        let message = error_with("timeout_seconds = 10", "timeout_seconds = 60");
        assert_names(
            &message,
            "`function.timeout_seconds`",
            "must be below load_balancer.idle_timeout_seconds (60)",
        );
        let message = error_with("timeout_seconds = 10", "timeout_seconds = 0");
        assert_names(
            &message,
            "`function.timeout_seconds`",
            "must be between 1 and 900",
        );
    }

    #[test]
    fn log_retention_must_be_a_cloudwatch_value() {
        let message = error_with("log_retention_days = 30", "log_retention_days = 31");
        assert_names(
            &message,
            "`function.log_retention_days`",
            "must be a retention CloudWatch Logs accepts",
        );
    }

    #[test]
    fn environment_rules() {
        let text =
            format!("{VALID}\n[function.environment]\nAWS_REGION = \"x\"\n\"1BAD\" = \"y\"\n");
        let message = parse(&text).unwrap_err().to_string();
        assert_names(&message, "`function.environment.AWS_REGION`", "is reserved");
        assert_names(
            &message,
            "`function.environment.1BAD`",
            "must start with a letter",
        );
    }

    #[test]
    fn environment_refuses_secrets() {
        let text = format!(
            "{VALID}\n[function.environment]\nDB_PASSWORD = \"hunter2\"\n\
             KEY_ID = \"id AKIAIOSFODNN7EXAMPLE\"\n\
             SIGNING = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n\
             PEM = \"-----BEGIN RSA PRIVATE KEY-----\"\n\
             RUST_LOG = \"info,server_lambda=debug\"\n"
        );
        let message = parse(&text).unwrap_err().to_string();
        assert_names(
            &message,
            "`function.environment.DB_PASSWORD`",
            "its name says",
        );
        assert_names(
            &message,
            "`function.environment.KEY_ID`",
            "AWS access key id",
        );
        assert_names(
            &message,
            "`function.environment.SIGNING`",
            "AWS secret access key",
        );
        assert_names(&message, "`function.environment.PEM`", "private key");
        assert!(!message.contains("RUST_LOG"), "{message}");
    }

    #[test]
    fn load_balancer_rules() {
        let text = format!(
            "{VALID}\n[load_balancer]\nidle_timeout_seconds = 5000\naccess_log_bucket = \"Logs\"\n"
        );
        let message = parse(&text).unwrap_err().to_string();
        assert_names(
            &message,
            "`load_balancer.idle_timeout_seconds`",
            "must be between 1 and 4000",
        );
        assert_names(
            &message,
            "`load_balancer.access_log_bucket`",
            "must be an S3 bucket name",
        );
    }

    #[test]
    fn alarm_topic_must_be_sns_in_the_stage_region() {
        let text = format!(
            "{VALID}\n[alarms]\nsns_topic_arn = \"arn:aws:sns:us-east-1:111111111111:alerts\"\n"
        );
        let message = parse(&text).unwrap_err().to_string();
        assert_names(
            &message,
            "`alarms.sns_topic_arn`",
            "must be a topic in the stage's region",
        );
        let text = format!("{VALID}\n[alarms]\nsns_topic_arn = \"alerts\"\n");
        let message = parse(&text).unwrap_err().to_string();
        assert_names(
            &message,
            "`alarms.sns_topic_arn`",
            "must be an SNS topic ARN",
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let text = VALID
            .replace("memory_mb = 256", "memory_mb = 1")
            .replace("region = \"eu-west-1\"", "region = \"x\"");
        let ConfigError::Invalid { problems, .. } = parse(&text).unwrap_err() else {
            panic!("expected rule violations");
        };
        let keys: Vec<&str> = problems
            .iter()
            .map(|problem| problem.key.as_str())
            .collect();
        assert!(
            keys.contains(&"region") && keys.contains(&"function.memory_mb"),
            "{keys:?}"
        );
    }

    #[test]
    fn stage_name_rule() {
        let message = Stage::parse("Prod", FILE, VALID).unwrap_err().to_string();
        assert_names(
            &message,
            "(stage name, from the file name)",
            "must be lowercase letters",
        );
    }
}
