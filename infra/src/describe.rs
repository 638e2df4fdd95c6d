//! The facts a deploy script needs about a stage, as JSON, from the same stage file as the
//! template: nothing about a stage is written down twice.

use serde_json::{Value, json};

use crate::config::Stage;
use crate::resources::parameters;

/// IAM capability the stack needs: it creates a role (with a generated name).
pub const CAPABILITIES: [&str; 1] = ["CAPABILITY_IAM"];

/// Stack name, region, account, artifact bucket, parameter names, derived names, and the
/// account resources the stack uses but does not own (VPC, subnets, zone, certificate, topic,
/// log bucket), which a deploy script checks before it changes anything.
pub fn describe(stage: &Stage) -> Value {
    let settings = &stage.settings;
    let names = &stage.names;
    let function = &settings.function;
    json!({
        "stage": stage.name,
        "stack_name": names.stack,
        "region": settings.region,
        "account_id": settings.account_id,
        "artifact_bucket": names.artifact_bucket,
        "parameters": {
            "artifact_bucket": parameters::ARTIFACT_BUCKET,
            "artifact_key": parameters::ARTIFACT_KEY,
        },
        "capabilities": CAPABILITIES,
        "architecture": settings.function.architecture.as_str(),
        "domain": settings.domain,
        "url": format!("https://{}", settings.domain),
        "function_name": names.function,
        "log_group": names.log_group,
        "target_group_name": names.target_group,
        "dashboard_name": names.dashboard,
        "deletion_protection": stage.deletion_protection(),
        "dualstack": settings.network.dualstack,
        "health_check": settings.load_balancer.health_check,
        "file": stage.file.display().to_string(),
        "hosted_zone_id": settings.hosted_zone_id,
        "certificate_arn": settings.certificate_arn,
        "vpc_id": settings.network.vpc_id,
        "subnet_ids": settings.network.subnet_ids,
        "alarm_prefix": names.alarm_prefix,
        "alarm_topic_arn": settings.alarms.sns_topic_arn,
        "access_log_bucket": settings.load_balancer.access_log_bucket,
        "idle_timeout_seconds": settings.load_balancer.idle_timeout_seconds,
        "function": {
            "memory_mb": function.memory_mb,
            "timeout_seconds": function.timeout_seconds,
            "log_retention_days": function.log_retention_days,
            "reserved_concurrency": function.reserved_concurrency,
            "environment": function.environment,
        },
    })
}
