//! The facts a deploy script needs about a stage, as JSON, from the same stage file as the
//! template: nothing about a stage is written down twice.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::config::{Stage, dns_suffix_of, partition_of};
use crate::resources::load_balancer::SSL_POLICY;
use crate::resources::parameters;
use crate::template::synth;

/// IAM capability the stack needs: it creates a role (with a generated name).
pub const CAPABILITIES: [&str; 1] = ["CAPABILITY_IAM"];

/// Stack name, region, account, artifact bucket, parameter names, derived names, and the
/// account resources the stack uses but does not own (VPC, subnets, zone, certificate, topic,
/// log bucket), which a deploy script checks before it changes anything; and what a deploy
/// must leave behind (the template's logical ids, alarm names, TLS policy), which the deploy
/// rehearsal checks without a copy of its own.
pub fn describe(stage: &Stage) -> Value {
    let settings = &stage.settings;
    let names = &stage.names;
    let function = &settings.function;
    let template = synth(stage);
    let alarm_names: Vec<&str> = template
        .resources
        .values()
        .filter(|resource| resource.kind == "AWS::CloudWatch::Alarm")
        .filter_map(|resource| resource.properties["AlarmName"].as_str())
        .collect();
    let function_facts = json!({
        "memory_mb": function.memory_mb,
        "timeout_seconds": function.timeout_seconds,
        "log_retention_days": function.log_retention_days,
        "reserved_concurrency": function.reserved_concurrency,
        "provisioned_concurrency": function.provisioned_concurrency,
        "tracing": function.tracing,
        "environment": function.environment,
    });
    // The web ACL: attached by ARN, or created with this rate limit.
    let waf = settings.load_balancer.waf.as_ref().map(|waf| {
        json!({
            "web_acl_arn": waf.web_acl_arn,
            "rate_limit": waf.web_acl_arn.is_none().then(|| waf.rate_limit()),
        })
    });
    json!({
        "logical_ids": template.resources.keys().collect::<Vec<_>>(),
        "alarm_names": alarm_names,
        "ssl_policy": SSL_POLICY,
        "stage": stage.name,
        "stack_name": names.stack,
        "region": settings.region,
        "account_id": settings.account_id,
        "artifact_bucket": names.artifact_bucket,
        "artifact_stack_name": names.artifact_stack,
        // Virtual-hosted style, in the stage's region and partition (templates over 51,200
        // bytes are passed to CloudFormation by this URL).
        "artifact_bucket_url": format!(
            "https://{}.s3.{}.{}",
            names.artifact_bucket,
            settings.region,
            dns_suffix_of(&settings.region)
        ),
        "partition": partition_of(&settings.region),
        "parameters": {
            "artifact_bucket": parameters::ARTIFACT_BUCKET,
            "artifact_key": parameters::ARTIFACT_KEY,
            "live_version": parameters::LIVE_VERSION,
            "canary_version": parameters::CANARY_VERSION,
            "live_weight": parameters::LIVE_WEIGHT,
            "canary_weight": parameters::CANARY_WEIGHT,
        },
        "capabilities": CAPABILITIES,
        "architecture": settings.function.architecture.as_str(),
        "domain": settings.domain,
        // Where the stage answers, and what a deploy does to DNS (README: Migrating).
        "dns": {
            "temporary_hostname": settings.temporary_hostname,
            "hostname": stage.hostname(),
            "host_names": stage.host_names(),
            "plan": stage.dns_plan(),
        },
        "url": format!("https://{}", stage.hostname()),
        "function_name": names.function,
        // The alias the load balancer invokes, and how many older releases a deploy keeps.
        "alias": crate::resources::function::LIVE_ALIAS,
        "versions_kept": crate::releases::VERSIONS_KEPT,
        // A canary release (deploy.sh --canary): its alias, target group, bake and alarms.
        "canary": {
            "alias": crate::resources::function::CANARY_ALIAS,
            "target_group_name": names.canary_target_group,
            "bake_seconds": settings.canary.bake_seconds,
            "alarms": crate::alarms::canary_alarm_names(stage),
        },
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
        "access_log_bucket_created": settings
            .load_balancer
            .create_access_log_bucket
            .then_some(&names.access_log_bucket),
        "waf": waf,
        "idle_timeout_seconds": settings.load_balancer.idle_timeout_seconds,
        "function": function_facts,
    })
}

/// The shell variable each deploy script reads, and the `describe` field it comes from (a
/// `/`-separated path). Deploy scripts `eval` [`shell_assignments`]; names are their API.
const SHELL_VARIABLES: [(&str, &str); 41] = [
    ("STAGE_NAME", "stage"),
    ("STAGE_FILE", "file"),
    ("STACK", "stack_name"),
    ("REGION", "region"),
    ("ACCOUNT", "account_id"),
    ("BUCKET", "artifact_bucket"),
    ("ARTIFACT_STACK", "artifact_stack_name"),
    ("BUCKET_URL", "artifact_bucket_url"),
    ("PARTITION", "partition"),
    ("PARAM_BUCKET", "parameters/artifact_bucket"),
    ("PARAM_KEY", "parameters/artifact_key"),
    ("PARAM_LIVE_VERSION", "parameters/live_version"),
    ("PARAM_CANARY_VERSION", "parameters/canary_version"),
    ("PARAM_LIVE_WEIGHT", "parameters/live_weight"),
    ("PARAM_CANARY_WEIGHT", "parameters/canary_weight"),
    ("CAPABILITIES", "capabilities"),
    ("ARCH", "architecture"),
    ("DOMAIN", "domain"),
    ("SITE_HOST", "dns/hostname"),
    ("DNS_PLAN", "dns/plan"),
    ("URL", "url"),
    ("FUNCTION_NAME", "function_name"),
    ("ALIAS", "alias"),
    ("VERSIONS_KEPT", "versions_kept"),
    ("CANARY_ALIAS", "canary/alias"),
    ("CANARY_TG_NAME", "canary/target_group_name"),
    ("CANARY_BAKE_SECONDS", "canary/bake_seconds"),
    ("CANARY_ALARMS", "canary/alarms"),
    ("LOG_GROUP", "log_group"),
    ("TG_NAME", "target_group_name"),
    ("DASHBOARD", "dashboard_name"),
    ("DELETION_PROTECTION", "deletion_protection"),
    ("DUALSTACK", "dualstack"),
    ("ZONE_ID", "hosted_zone_id"),
    ("CERT_ARN", "certificate_arn"),
    ("VPC_ID", "vpc_id"),
    ("SUBNET_IDS", "subnet_ids"),
    ("ALARM_PREFIX", "alarm_prefix"),
    ("ALARM_TOPIC", "alarm_topic_arn"),
    ("ACCESS_LOG_BUCKET", "access_log_bucket"),
    ("ACCESS_LOG_BUCKET_CREATED", "access_log_bucket_created"),
];

/// [`describe`] as `NAME='value'` lines for a shell's `eval`: lists joined by spaces, a missing
/// value empty, every value single-quoted so nothing in a stage file can run as a command.
pub fn shell_assignments(stage: &Stage) -> String {
    let facts = describe(stage);
    let mut out = String::new();
    for (variable, path) in SHELL_VARIABLES {
        let value = fact(&facts, path).unwrap_or(&Value::Null);
        let _ = writeln!(out, "{variable}={}", shell_quote(&shell_text(value)));
    }
    out
}

/// The fact at a `/`-separated path of [`describe`]'s output.
fn fact<'a>(facts: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('/').try_fold(facts, |value, key| value.get(key))
}

/// A JSON value as the shell sees it: strings as they are, lists space-separated, null empty.
fn shell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(shell_text).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// `text` in single quotes, each `'` written as `'\''`: taken literally by any POSIX shell.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::fixture_stage;

    #[test]
    fn shell_quoting_keeps_every_character_literal() {
        assert_eq!(shell_quote("plain"), "'plain'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("it's $(rm -rf /)"), r"'it'\''s $(rm -rf /)'");
    }

    #[test]
    fn every_shell_variable_names_a_described_fact() {
        let stage = fixture_stage("production");
        let facts = describe(&stage);
        for (variable, path) in SHELL_VARIABLES {
            assert!(
                fact(&facts, path).is_some(),
                "{variable}: no {path} in describe"
            );
        }
        let assignments = shell_assignments(&stage);
        assert!(assignments.contains(&format!("STACK='{}'\n", stage.names.stack)));
        assert_eq!(assignments.lines().count(), SHELL_VARIABLES.len());
    }

    #[test]
    fn what_a_deploy_leaves_behind_comes_from_the_template() {
        let stage = fixture_stage("production");
        let facts = describe(&stage);
        let template: Value = serde_json::from_str(&synth(&stage).render()).unwrap();
        let ids: Vec<&str> = template["Resources"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(facts["logical_ids"], json!(ids));
        let alarms = facts["alarm_names"].as_array().unwrap();
        assert_eq!(alarms.len(), 8);
        for canary_alarm in facts["canary"]["alarms"].as_array().unwrap() {
            assert!(alarms.contains(canary_alarm), "{canary_alarm}");
        }
        for alarm in alarms {
            let alarm = alarm.as_str().unwrap();
            assert!(
                alarm.starts_with(&format!("{}-", stage.names.alarm_prefix)),
                "{alarm}"
            );
            assert!(
                template.to_string().contains(&format!("\"{alarm}\"")),
                "{alarm}"
            );
        }
        assert_eq!(facts["ssl_policy"], SSL_POLICY);
        assert_eq!(
            facts["artifact_bucket_url"],
            format!(
                "https://{}.s3.{}.amazonaws.com",
                stage.names.artifact_bucket, stage.settings.region
            )
        );
    }

    #[test]
    fn shell_text_flattens_lists_and_nulls() {
        assert_eq!(shell_text(&json!(["a", "b"])), "a b");
        assert_eq!(shell_text(&Value::Null), "");
        assert_eq!(shell_text(&json!(true)), "true");
        assert_eq!(shell_text(&json!(512)), "512");
    }
}
