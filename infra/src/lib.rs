//! The site's CloudFormation template, synthesized per stage from typed Rust.
//!
//! One stage file (`stages/<stage>.toml`) in, one template (and the facts a deploy script
//! needs) out, identical bytes every run:
//!
//! - [`config`]: reads and validates a stage file; every error names the file, the key and the
//!   rule it breaks.
//! - [`names`]: the names derived from service and stage (stack, function, target group, …),
//!   fixed so that resources can refer to each other without cycles.
//! - [`cfn`]: the CloudFormation vocabulary: intrinsic functions, resources with their
//!   checkov / cfn-lint skip metadata, and the canonical (sorted-key) JSON output.
//! - [`resources`]: the builders for the function, the load balancer, its security group and
//!   the DNS records.
//! - [`dashboard`]: the CloudWatch dashboard of ALB and Lambda metrics.
//! - [`alarms`]: the CloudWatch alarms, with the stage's optional SNS action.
//! - [`artifacts`]: the artifact bucket's own stack (private, encrypted, versioned, TLS only).
//! - [`template`]: puts parameters, resources and outputs together into one template.
//! - [`describe`]: stack name, region, artifact bucket and parameter names for deploy scripts,
//!   as JSON or as shell assignments.
//! - [`checks`]: the account checks a deploy decides before it changes anything (certificate
//!   names with wildcards, hosted zone containment, DNS records the stack may create).
//! - [`stage_copy`]: copies of a stage file with values replaced, for rehearsals.
//! - [`function_zip`]: the function zip written reproducibly and checked for what Lambda
//!   refuses.
//! - [`releases`]: a stage's releases (published versions behind the `live` alias): the
//!   listing, a rollback's target, the versions a deploy prunes (`infra releases …`).
//! - [`version_smoke`]: the smoke test of a new version, invoked directly before it takes
//!   traffic: the load balancer's event and the check of the answer.
//! - [`canary`]: a canary release's listener weights and the verdict of its alarms
//!   (`infra canary …`).
//! - [`change_table`]: a change set as the deploy prints it before running it.
//! - [`emulator`]: the deploy rehearsal's seed and checks on the MiniStack emulator, through
//!   the AWS CLI (`infra emulator …`).
//! - [`cli`]: the `infra` command line (`synth`, `describe`, `stack-name`, `stages`,
//!   `check-*`, `stage-copy`, `zip-*`, `change-table`), and the option parser of its command
//!   groups (`emulator`, `releases`, `version-smoke`, `canary`).

pub mod alarms;
pub mod artifacts;
pub mod canary;
pub mod cfn;
pub mod change_table;
pub mod checks;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod describe;
pub mod emulator;
pub mod function_zip;
pub mod names;
pub mod releases;
pub mod resources;
pub mod stage_copy;
pub mod template;
pub mod version_smoke;

pub use config::{ConfigError, Stage};
pub use template::synth;
