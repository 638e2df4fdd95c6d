//! The Application Load Balancer, its Lambda target group and its two listeners.

use serde_json::json;

use super::{access_logs, ids, tags};
use crate::cfn::{self, Resource, Template};
use crate::config::Stage;

/// TLS 1.3 and 1.2 only, forward secrecy only: AWS's recommended policy.
pub const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// The target group attribute that turns on multi-value headers and query parameters.
pub const MULTI_VALUE_HEADERS_ATTRIBUTE: &str = "lambda.multi_value_headers.enabled";

/// The function's health check route.
pub const HEALTH_CHECK_PATH: &str = "/healthz";

/// Adds the load balancer, the target group and the listeners.
pub fn add(template: &mut Template, stage: &Stage) {
    add_load_balancer(template, stage);
    add_target_group(template, stage);
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

/// The Lambda target group: fixed name, no port/protocol/VPC, multi-value headers.
fn add_target_group(template: &mut Template, stage: &Stage) {
    let mut properties = json!({
        "Name": stage.names.target_group,
        "TargetType": "lambda",
        // The alias, not the function: the load balancer invokes the released version.
        "Targets": [{ "Id": cfn::reference(ids::LIVE_ALIAS) }],
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
        ids::TARGET_GROUP,
        Resource::new("AWS::ElasticLoadBalancingV2::TargetGroup", properties)
            .depends_on(ids::INVOKE_PERMISSION),
    );
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
                "DefaultActions": [{ "Type": "forward", "TargetGroupArn": cfn::reference(ids::TARGET_GROUP) }],
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
