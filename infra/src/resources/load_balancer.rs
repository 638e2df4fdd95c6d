//! The Application Load Balancer, its Lambda target groups (live and canary) and its two
//! listeners.

use serde_json::json;

use super::{access_logs, conditions, ids, parameters, tags};
use crate::cfn::{self, Resource, Template};
use crate::config::Stage;

/// TLS 1.3 and 1.2 only, forward secrecy only: AWS's recommended policy.
pub const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// The target group attribute that turns on multi-value headers and query parameters.
pub const MULTI_VALUE_HEADERS_ATTRIBUTE: &str = "lambda.multi_value_headers.enabled";

/// The function's health check route.
pub const HEALTH_CHECK_PATH: &str = "/healthz";

/// How long a client stays on the target group it got while a canary bakes.
pub const CANARY_STICKINESS_SECONDS: u32 = 3600;

/// Adds the load balancer, the target groups and the listeners.
pub fn add(template: &mut Template, stage: &Stage) {
    add_load_balancer(template, stage);
    add_target_groups(template, stage);
    add_listeners(template, stage);
}

/// The internet-facing ALB with its hardening attributes.
fn add_load_balancer(template: &mut Template, stage: &Stage) {
    let settings = &stage.settings.load_balancer;
    let mut attributes = vec![
        (
            "deletion_protection.enabled",
            stage.deletion_protection().to_string(),
        ),
        (
            "idle_timeout.timeout_seconds",
            settings.idle_timeout_seconds.to_string(),
        ),
        // Refuse requests with header names that are not valid HTTP tokens, and requests
        // that could desynchronize the ALB from the target (request smuggling).
        (
            "routing.http.drop_invalid_header_fields.enabled",
            "true".to_string(),
        ),
        (
            "routing.http.desync_mitigation_mode",
            "defensive".to_string(),
        ),
    ];
    let log_bucket = access_logs::destination(stage);
    if log_bucket.is_some() {
        attributes.push(("access_logs.s3.enabled", "true".to_string()));
        attributes.push((
            "access_logs.s3.prefix",
            stage.names.access_log_prefix.clone(),
        ));
    }
    attributes.sort();
    let mut attributes = cfn::key_values(&attributes);
    if let (Some(bucket), Some(list)) = (log_bucket.clone(), attributes.as_array_mut()) {
        list.push(json!({ "Key": "access_logs.s3.bucket", "Value": bucket }));
        list.sort_by(|a, b| a["Key"].as_str().cmp(&b["Key"].as_str()));
    }

    let mut load_balancer = Resource::new(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        json!({
            "Type": "application",
            "Scheme": "internet-facing",
            "IpAddressType": if stage.settings.network.dualstack { "dualstack" } else { "ipv4" },
            "Subnets": stage.settings.network.subnet_ids,
            "SecurityGroups": [cfn::reference(ids::SECURITY_GROUP)],
            "LoadBalancerAttributes": attributes,
            "Tags": tags(stage),
        }),
    );
    let file = stage.file_name();
    // ELB checks that it may write to the bucket when access logs are turned on.
    if settings.create_access_log_bucket {
        load_balancer = load_balancer.depends_on(ids::ACCESS_LOG_BUCKET_POLICY);
    }
    if log_bucket.is_none() {
        load_balancer = load_balancer.skip_checkov(
            "CKV_AWS_91",
            format!(
                "access logs are off in this stage (load_balancer.access_log_bucket in {file}); the \
                 function logs every request to CloudWatch"
            ),
        );
    }
    template.add(ids::LOAD_BALANCER, load_balancer);
}

/// The Lambda target groups: the live alias's, and the canary alias's (weight 0 unless a canary
/// bakes). Fixed names, no port/protocol/VPC, multi-value headers.
fn add_target_groups(template: &mut Template, stage: &Stage) {
    let names = &stage.names;
    for (id, name, alias, permission) in [
        (
            ids::TARGET_GROUP,
            &names.target_group,
            ids::LIVE_ALIAS,
            ids::INVOKE_PERMISSION,
        ),
        (
            ids::CANARY_TARGET_GROUP,
            &names.canary_target_group,
            ids::CANARY_ALIAS,
            ids::CANARY_INVOKE_PERMISSION,
        ),
    ] {
        let mut properties = json!({
            "Name": name,
            "TargetType": "lambda",
            // An alias, not the function: the load balancer invokes a released version.
            "Targets": [{ "Id": cfn::reference(alias) }],
            "TargetGroupAttributes": cfn::key_values(&[(MULTI_VALUE_HEADERS_ATTRIBUTE, "true".to_string())]),
            "HealthCheckEnabled": stage.settings.load_balancer.health_check,
            "Tags": tags(stage),
        });
        if stage.settings.load_balancer.health_check {
            // ELB's defaults for Lambda targets, spelled out; every check is a billed invocation.
            properties["HealthCheckPath"] = json!(HEALTH_CHECK_PATH);
            properties["HealthCheckIntervalSeconds"] = json!(35);
            properties["HealthCheckTimeoutSeconds"] = json!(30);
            properties["HealthyThresholdCount"] = json!(5);
            properties["UnhealthyThresholdCount"] = json!(2);
            properties["Matcher"] = json!({ "HttpCode": "200" });
        }
        // ELB checks that it may invoke the function when it registers it as a target.
        template.add(
            id,
            Resource::new("AWS::ElasticLoadBalancingV2::TargetGroup", properties)
                .depends_on(permission),
        );
    }
}

/// The HTTPS listener's forward action: the live and canary target groups weighted by the
/// `LiveWeight` and `CanaryWeight` parameters (100 and 0 unless a canary bakes). While a canary
/// bakes, a client stays on the target group it first got (the page and the hashed assets it
/// loads come from one version); the stickiness ends with the canary.
fn weighted_forward() -> serde_json::Value {
    json!({
        "Type": "forward",
        "ForwardConfig": {
            "TargetGroups": [
                { "TargetGroupArn": cfn::reference(ids::TARGET_GROUP), "Weight": cfn::reference(parameters::LIVE_WEIGHT) },
                { "TargetGroupArn": cfn::reference(ids::CANARY_TARGET_GROUP), "Weight": cfn::reference(parameters::CANARY_WEIGHT) },
            ],
            "TargetGroupStickinessConfig": cfn::if_(
                conditions::CANARY_RUNNING,
                json!({ "Enabled": true, "DurationSeconds": CANARY_STICKINESS_SECONDS }),
                json!({ "Enabled": false }),
            ),
        },
    })
}

/// HTTPS forwarding to the function; HTTP answering 301 to the same URL over HTTPS.
fn add_listeners(template: &mut Template, stage: &Stage) {
    template.add(
        ids::HTTPS_LISTENER,
        Resource::new(
            "AWS::ElasticLoadBalancingV2::Listener",
            json!({
                "LoadBalancerArn": cfn::reference(ids::LOAD_BALANCER),
                "Port": 443,
                "Protocol": "HTTPS",
                "SslPolicy": SSL_POLICY,
                "Certificates": [{ "CertificateArn": stage.settings.certificate_arn }],
                "DefaultActions": [weighted_forward()],
            }),
        ),
    );
    template.add(
        ids::HTTP_LISTENER,
        Resource::new(
            "AWS::ElasticLoadBalancingV2::Listener",
            json!({
                "LoadBalancerArn": cfn::reference(ids::LOAD_BALANCER),
                "Port": 80,
                "Protocol": "HTTP",
                "DefaultActions": [{
                    "Type": "redirect",
                    "RedirectConfig": {
                        "Protocol": "HTTPS",
                        "Port": "443",
                        "Host": "#{host}",
                        "Path": "/#{path}",
                        "Query": "#{query}",
                        "StatusCode": "HTTP_301",
                    },
                }],
            }),
        ),
    );
}
