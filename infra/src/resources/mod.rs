//! Resource builders, one file per part of the stack; each adds its resources to a template.
//!
//! - [`function`]: the function, its role, its log group, its versions, the `live` and `canary`
//!   aliases and the ALB's permission to invoke each.
//! - [`network`]: the load balancer's security group.
//! - [`load_balancer`]: the ALB, the Lambda target groups (live and canary) and the two listeners.
//! - [`dns`]: the Route 53 alias records.
//! - [`access_logs`]: the access-log bucket the stack creates, when the stage asks for one.
//! - [`firewall`]: the AWS WAF web ACL in front of the load balancer, when the stage has one.

pub mod access_logs;
pub mod dns;
pub mod firewall;
pub mod function;
pub mod load_balancer;
pub mod network;

use serde_json::Value;

use crate::cfn;
use crate::config::Stage;

/// Logical ids, shared by the builders, the outputs, the dashboard, the alarms and the tests.
pub mod ids {
    /// The function's execution role.
    pub const FUNCTION_ROLE: &str = "FunctionRole";
    /// The function's log group.
    pub const FUNCTION_LOG_GROUP: &str = "FunctionLogGroup";
    /// The Lambda function.
    pub const FUNCTION: &str = "Function";
    /// The version published by the deploy (replaced, so published anew, when the code or the
    /// versioned configuration changes).
    pub const FUNCTION_VERSION: &str = "FunctionVersion";
    /// The alias the load balancer invokes, pointing at the released version.
    pub const LIVE_ALIAS: &str = "LiveAlias";
    /// ELB's permission to invoke the function.
    pub const INVOKE_PERMISSION: &str = "LoadBalancerInvokePermission";
    /// The alias a canary's share of the traffic invokes: the canary's version while one
    /// bakes, the live version otherwise.
    pub const CANARY_ALIAS: &str = "CanaryAlias";
    /// ELB's permission to invoke the canary alias.
    pub const CANARY_INVOKE_PERMISSION: &str = "CanaryInvokePermission";
    /// The load balancer's security group.
    pub const SECURITY_GROUP: &str = "LoadBalancerSecurityGroup";
    /// The Application Load Balancer.
    pub const LOAD_BALANCER: &str = "LoadBalancer";
    /// The Lambda target group.
    pub const TARGET_GROUP: &str = "TargetGroup";
    /// The target group of the canary alias (weight 0 unless a canary bakes).
    pub const CANARY_TARGET_GROUP: &str = "CanaryTargetGroup";
    /// The HTTPS listener forwarding to the target group.
    pub const HTTPS_LISTENER: &str = "HttpsListener";
    /// The HTTP listener redirecting to HTTPS.
    pub const HTTP_LISTENER: &str = "HttpRedirectListener";
    /// The IPv4 alias record.
    pub const DNS_RECORD_A: &str = "DnsRecordA";
    /// The IPv6 alias record (dualstack only).
    pub const DNS_RECORD_AAAA: &str = "DnsRecordAAAA";
    /// The AWS WAF web ACL the stack creates (unless the stage attaches an existing one).
    pub const WEB_ACL: &str = "WebAcl";
    /// The web ACL's association with the load balancer.
    pub const WEB_ACL_ASSOCIATION: &str = "WebAclAssociation";
    /// The access-log bucket the stack creates (when the stage asks for one).
    pub const ACCESS_LOG_BUCKET: &str = "AccessLogBucket";
    /// Its policy: ELB's log delivery may write under the stage's prefix; TLS only.
    pub const ACCESS_LOG_BUCKET_POLICY: &str = "AccessLogBucketPolicy";
    /// The CloudWatch dashboard.
    pub const DASHBOARD: &str = "Dashboard";
}

/// Template parameter names: what changes per deploy rather than per stage.
pub mod parameters {
    /// S3 bucket holding the function zip.
    pub const ARTIFACT_BUCKET: &str = "ArtifactBucket";
    /// S3 key of the function zip; a new key per build, or CloudFormation keeps the old code.
    pub const ARTIFACT_KEY: &str = "ArtifactKey";
    /// The version the `live` alias serves; empty: the version this update publishes.
    pub const LIVE_VERSION: &str = "LiveVersion";
    /// The version a canary bakes on the canary alias; empty: no canary.
    pub const CANARY_VERSION: &str = "CanaryVersion";
    /// The HTTPS listener's weight for the live target group (0 to 100).
    pub const LIVE_WEIGHT: &str = "LiveWeight";
    /// The HTTPS listener's weight for the canary target group (0 to 100).
    pub const CANARY_WEIGHT: &str = "CanaryWeight";
}

/// Template condition names.
pub mod conditions {
    /// `LiveVersion` names a version: the alias stays there while a new one is published.
    pub const LIVE_VERSION_PINNED: &str = "LiveVersionPinned";
    /// `CanaryVersion` names a version: a canary bakes on it.
    pub const CANARY_RUNNING: &str = "CanaryRunning";
}

/// The `service` and `stage` tags every taggable resource carries.
pub fn tags(stage: &Stage) -> Value {
    cfn::key_values(&[
        ("service", stage.settings.service.clone()),
        ("stage", stage.name.clone()),
    ])
}
