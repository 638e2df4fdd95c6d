//! Invariants of the synthesized templates that cfn-lint does not catch, checked on every stage
//! there is (the tests' fixtures and whatever stage files `stages/` holds) and on the variants
//! the stage switches produce (built from the fixtures, whose text is known).
//!
//! Expected values are spelled out here rather than taken from the crate's constants, so that a
//! typo in a constant fails a test instead of being compared with itself.

mod common;

use common::{
    Lane, every_stage_with_template, fixture, fixture_file, label, live_and_canary, only,
    resources_of, variant,
};
use infra::{Stage, synth};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The logical id of the single load balancer.
fn load_balancer_id(template: &Value) -> &str {
    only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer").0
}

/// A load balancer attribute's value as the template gives it (text or an intrinsic).
fn lb_attribute_value<'a>(template: &'a Value, key: &str) -> Option<&'a Value> {
    let (_, load_balancer) = only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer");
    load_balancer["Properties"]["LoadBalancerAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|attribute| attribute["Key"] == key)
        .map(|attribute| &attribute["Value"])
}

/// A load balancer attribute's text value.
fn lb_attribute<'a>(template: &'a Value, key: &str) -> Option<&'a str> {
    lb_attribute_value(template, key)
        .map(|value| value.as_str().expect("this ELB attribute's value is text"))
}

#[test]
fn alias_records_target_the_alb_canonical_zone_not_the_stage_zone() {
    for (stage, template) in every_stage_with_template() {
        let load_balancer = load_balancer_id(&template);
        let records = resources_of(&template, "AWS::Route53::RecordSet");
        assert!(!records.is_empty(), "{}: no alias record", label(&stage));
        for (id, record) in records {
            let properties = &record["Properties"];
            assert_eq!(
                properties["HostedZoneId"],
                json!(stage.settings.hosted_zone_id),
                "{id}: the record lives in the stage's zone"
            );
            assert_eq!(properties["Name"], json!(stage.settings.domain), "{id}");
            let alias = &properties["AliasTarget"];
            assert_eq!(
                alias["HostedZoneId"],
                json!({ "Fn::GetAtt": [load_balancer, "CanonicalHostedZoneID"] }),
                "{id}: the alias zone must be the ALB's canonical zone"
            );
            assert_ne!(
                alias["HostedZoneId"],
                json!(stage.settings.hosted_zone_id),
                "{id}"
            );
            assert_eq!(
                alias["DNSName"],
                json!({ "Fn::Join": ["", ["dualstack.", { "Fn::GetAtt": [load_balancer, "DNSName"] }]] }),
                "{id}"
            );
        }
    }
}

#[test]
fn aaaa_record_exists_exactly_when_the_alb_is_dualstack() {
    let migrate = synth(&fixture("migrate")).to_json();
    let (_, migrate_dualstack) = variant("migrate", "dualstack = false", "dualstack = true");
    let (_, production_ipv4) = variant("production", "dualstack = true", "dualstack = false");
    let production = synth(&fixture("production")).to_json();
    for (template, dualstack) in [
        (&migrate, false),
        (&migrate_dualstack, true),
        (&production_ipv4, false),
        (&production, true),
    ] {
        let types: Vec<&str> = resources_of(template, "AWS::Route53::RecordSet")
            .into_iter()
            .map(|(_, record)| record["Properties"]["Type"].as_str().unwrap())
            .collect();
        let expected = if dualstack {
            vec!["A", "AAAA"]
        } else {
            vec!["A"]
        };
        assert_eq!(types, expected);
        let (_, load_balancer) = only(template, "AWS::ElasticLoadBalancingV2::LoadBalancer");
        let ip_type = if dualstack { "dualstack" } else { "ipv4" };
        assert_eq!(load_balancer["Properties"]["IpAddressType"], ip_type);
    }
}

#[test]
fn multi_value_headers_attribute_is_spelled_exactly() {
    for (stage, template) in every_stage_with_template() {
        for lane in live_and_canary(&template) {
            assert_eq!(
                lane.target_group["Properties"]["TargetGroupAttributes"],
                json!([{ "Key": "lambda.multi_value_headers.enabled", "Value": "true" }]),
                "{}: {}",
                label(&stage),
                lane.target_group_id
            );
        }
    }
}

/// A target group's fixed `Name`.
fn target_group_name<'a>(lane: &Lane<'a>) -> &'a str {
    lane.target_group["Properties"]["Name"]
        .as_str()
        .unwrap_or_else(|| panic!("{} has no fixed Name", lane.target_group_id))
}

#[test]
fn target_group_names_are_fixed_distinct_and_at_most_32_characters() {
    for (stage, template) in every_stage_with_template() {
        let base = format!("{}-{}", stage.settings.service, stage.name);
        let [live, canary] = live_and_canary(&template);
        let (live_name, canary_name) = (target_group_name(&live), target_group_name(&canary));
        for name in [live_name, canary_name] {
            assert!(
                name.len() <= 32,
                "{}: {name:?} is {} characters",
                label(&stage),
                name.len()
            );
        }
        assert_eq!(live_name, base, "{}", label(&stage));
        if base.len() + "-canary".len() <= 32 {
            assert_eq!(canary_name, format!("{base}-canary"), "{}", label(&stage));
        } else {
            // Too long: the start of the live name, 8 hex digits of its sha256, `-canary`
            // (tests/canary_invariants.rs pins one such name).
            let digest = format!("{:x}", Sha256::digest(base.as_bytes()));
            let start = canary_name
                .strip_suffix(&format!("-{}-canary", &digest[..8]))
                .unwrap_or_else(|| panic!("{}: {canary_name:?}", label(&stage)));
            assert!(
                !start.is_empty() && !start.ends_with('-') && base.starts_with(start),
                "{}: {canary_name:?}",
                label(&stage)
            );
        }
        assert_ne!(live_name, canary_name);
    }
}

#[test]
fn a_service_and_stage_too_long_for_a_target_group_name_is_refused() {
    let text = std::fs::read_to_string(fixture_file("production")).unwrap();
    // 24 + 1 + 10 ("production") = 35 characters, over the 32 a target group name allows.
    let text: String = text
        .lines()
        .map(|line| {
            if line.starts_with("service = ") {
                "service = \"acme-storefront-extended\"".to_string()
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let message = Stage::parse("production", "production.toml", &text)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("production.toml") && message.contains("`service`"),
        "{message}"
    );
    assert!(
        message.contains("\"acme-storefront-extended-production\" (35 characters)"),
        "{message}"
    );
    assert!(message.contains("at most 32"), "{message}");
}

#[test]
fn each_target_group_depends_on_the_permission_on_its_own_alias() {
    for (stage, template) in every_stage_with_template() {
        let lanes = live_and_canary(&template);
        assert_ne!(lanes[0].permission_id, lanes[1].permission_id);
        for lane in lanes {
            let depends_on = lane.target_group["DependsOn"]
                .as_array()
                .unwrap_or_else(|| panic!("{} has no DependsOn", lane.target_group_id));
            assert!(
                depends_on.contains(&json!(lane.permission_id)),
                "{}: {} waits for {}: {depends_on:?}",
                label(&stage),
                lane.target_group_id,
                lane.permission_id
            );
        }
    }
}

#[test]
fn each_target_group_targets_its_own_alias_without_port_protocol_or_vpc() {
    for (stage, template) in every_stage_with_template() {
        let lanes = live_and_canary(&template);
        // A new logical id replaces a resource, and a target group with a fixed name cannot
        // be replaced by one of the same name: the ids stay as they first shipped.
        let ids: Vec<[&str; 3]> = lanes
            .iter()
            .map(|lane| [lane.alias_id, lane.target_group_id, lane.permission_id])
            .collect();
        assert_eq!(
            ids,
            [
                ["LiveAlias", "TargetGroup", "LoadBalancerInvokePermission"],
                ["CanaryAlias", "CanaryTargetGroup", "CanaryInvokePermission"]
            ],
            "{}",
            label(&stage)
        );
        for lane in &lanes {
            let properties = &lane.target_group["Properties"];
            assert_eq!(properties["TargetType"], "lambda");
            assert_eq!(
                properties["Targets"],
                json!([{ "Id": { "Ref": lane.alias_id } }])
            );
            for absent in ["Port", "Protocol", "ProtocolVersion", "VpcId"] {
                assert!(
                    properties.get(absent).is_none(),
                    "{}: a lambda target group has no {absent}",
                    label(&stage)
                );
            }
            let health_check = stage.settings.load_balancer.health_check;
            assert_eq!(
                properties["HealthCheckEnabled"],
                json!(health_check),
                "{}",
                label(&stage)
            );
            if health_check {
                assert_eq!(properties["HealthCheckPath"], "/healthz");
            } else {
                assert!(properties.get("HealthCheckPath").is_none());
            }
        }
        // The canary's is the live one but for its name and target: same attributes, health
        // check and tags.
        let [live, canary] = lanes.map(|lane| {
            let mut properties = lane.target_group["Properties"].clone();
            let object = properties.as_object_mut().unwrap();
            assert!(object.remove("Name").is_some() && object.remove("Targets").is_some());
            properties
        });
        assert_eq!(canary, live, "{}", label(&stage));
    }
}

#[test]
fn function_timeout_is_below_the_alb_idle_timeout() {
    for (stage, template) in every_stage_with_template() {
        let (_, function) = only(&template, "AWS::Lambda::Function");
        let timeout = function["Properties"]["Timeout"].as_u64().unwrap();
        let idle: u64 = lb_attribute(&template, "idle_timeout.timeout_seconds")
            .expect("the idle timeout is set explicitly")
            .parse()
            .unwrap();
        assert!(
            timeout < idle,
            "{}: Lambda timeout {timeout} s is not below the ALB idle timeout {idle} s",
            label(&stage)
        );
    }
    let message = Stage::parse(
        "migrate",
        "migrate.toml",
        &std::fs::read_to_string(fixture_file("migrate"))
            .unwrap()
            .replacen("idle_timeout_seconds = 60", "idle_timeout_seconds = 10", 1),
    )
    .unwrap_err()
    .to_string();
    assert!(
        message.contains(
            "`function.timeout_seconds` must be below load_balancer.idle_timeout_seconds (10)"
        ),
        "{message}"
    );
}

#[test]
fn https_listener_uses_the_exact_tls13_policy_and_the_stage_certificate() {
    for (stage, template) in every_stage_with_template() {
        let https: Vec<&Value> = resources_of(&template, "AWS::ElasticLoadBalancingV2::Listener")
            .into_iter()
            .map(|(_, listener)| &listener["Properties"])
            .filter(|properties| properties["Protocol"] == "HTTPS")
            .collect();
        assert_eq!(https.len(), 1);
        // ELB's TLS 1.3 policy that still admits TLS 1.2 clients ("Security policies" in
        // the ELB guide); a misspelled name is only refused by AWS at deploy time.
        assert_eq!(
            https[0]["SslPolicy"],
            "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "{}",
            label(&stage)
        );
        assert_eq!(https[0]["Port"], 443);
        assert_eq!(
            https[0]["Certificates"],
            json!([{ "CertificateArn": stage.settings.certificate_arn }])
        );
        // One forward to both target groups, weighted by the parameters (tests/canary_invariants.rs
        // checks what they default to); sticky only while a canary runs.
        let [live, canary] = live_and_canary(&template);
        assert_eq!(
            https[0]["DefaultActions"],
            json!([{
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        { "TargetGroupArn": { "Ref": live.target_group_id }, "Weight": { "Ref": "LiveWeight" } },
                        { "TargetGroupArn": { "Ref": canary.target_group_id }, "Weight": { "Ref": "CanaryWeight" } },
                    ],
                    "TargetGroupStickinessConfig": { "Fn::If": [
                        "CanaryRunning",
                        { "Enabled": true, "DurationSeconds": 3600 },
                        { "Enabled": false },
                    ] },
                },
            }]),
            "{}",
            label(&stage)
        );
    }
}

#[test]
fn http_listener_redirects_301_to_https_keeping_host_path_and_query() {
    for (_, template) in every_stage_with_template() {
        let http: Vec<&Value> = resources_of(&template, "AWS::ElasticLoadBalancingV2::Listener")
            .into_iter()
            .map(|(_, listener)| &listener["Properties"])
            .filter(|properties| properties["Protocol"] == "HTTP")
            .collect();
        assert_eq!(http.len(), 1);
        assert_eq!(http[0]["Port"], 80);
        assert_eq!(
            http[0]["DefaultActions"],
            json!([{
                "Type": "redirect",
                "RedirectConfig": {
                    "Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}",
                    "Query": "#{query}", "StatusCode": "HTTP_301",
                },
            }])
        );
    }
}

#[test]
fn each_invoke_permission_is_on_its_alias_scoped_to_its_target_group_and_the_account() {
    for (stage, template) in every_stage_with_template() {
        for lane in live_and_canary(&template) {
            let properties = &lane.permission["Properties"];
            assert_eq!(
                properties["Principal"],
                "elasticloadbalancing.amazonaws.com"
            );
            assert_eq!(properties["Action"], "lambda:InvokeFunction");
            assert_eq!(properties["FunctionName"], json!({ "Ref": lane.alias_id }));
            assert_eq!(
                properties["SourceAccount"],
                json!({ "Ref": "AWS::AccountId" })
            );
            // Its own target group's name (the names are checked above): ELB may invoke the
            // canary alias only for the canary target group, and the live one only for the live.
            let target_group = target_group_name(&lane);
            assert_eq!(
                properties["SourceArn"],
                json!({
                    "Fn::Sub": format!(
                        "arn:${{AWS::Partition}}:elasticloadbalancing:${{AWS::Region}}:${{AWS::AccountId}}:targetgroup/{target_group}/*"
                    )
                }),
                "{}: {}",
                label(&stage),
                lane.permission_id
            );
        }
    }
}

#[test]
fn role_may_only_write_its_own_log_group() {
    for (stage, template) in every_stage_with_template() {
        let (_, role) = only(&template, "AWS::IAM::Role");
        let (log_group_id, log_group) = only(&template, "AWS::Logs::LogGroup");
        let (_, function) = only(&template, "AWS::Lambda::Function");
        let function_name = function["Properties"]["FunctionName"].as_str().unwrap();
        assert_eq!(
            log_group["Properties"]["LogGroupName"],
            format!("/aws/lambda/{function_name}")
        );
        assert_eq!(
            log_group["Properties"]["RetentionInDays"],
            stage.settings.function.log_retention_days
        );
        assert!(
            role["Properties"].get("ManagedPolicyArns").is_none(),
            "no managed policies"
        );
        assert_eq!(
            role["Properties"]["AssumeRolePolicyDocument"]["Statement"],
            json!([{ "Effect": "Allow", "Principal": { "Service": "lambda.amazonaws.com" }, "Action": "sts:AssumeRole" }])
        );
        let policies = role["Properties"]["Policies"].as_array().unwrap();
        assert_eq!(policies.len(), 1);
        let mut statements = vec![json!({
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": { "Fn::GetAtt": [log_group_id, "Arn"] },
        })];
        // X-Ray's write actions take no resource; granted only where tracing is on.
        if stage.settings.function.tracing {
            statements.push(json!({
                "Effect": "Allow",
                "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                "Resource": "*",
            }));
        }
        assert_eq!(
            policies[0]["PolicyDocument"]["Statement"],
            json!(statements),
            "{}",
            label(&stage)
        );
    }
}

#[test]
fn tracing_and_provisioned_concurrency_are_on_exactly_where_the_stage_says() {
    for (stage, template) in every_stage_with_template() {
        let function = &stage.settings.function;
        let (_, lambda) = only(&template, "AWS::Lambda::Function");
        let tracing = &lambda["Properties"]["TracingConfig"];
        if function.tracing {
            assert_eq!(tracing, &json!({ "Mode": "Active" }), "{}", label(&stage));
        } else {
            assert!(
                tracing.is_null(),
                "{}: tracing is off by default",
                label(&stage)
            );
        }
        let [live, canary] = live_and_canary(&template);
        let provisioned = &live.alias["Properties"]["ProvisionedConcurrencyConfig"];
        match function.provisioned_concurrency {
            Some(count) => assert_eq!(
                provisioned,
                &json!({ "ProvisionedConcurrentExecutions": count }),
                "{}",
                label(&stage)
            ),
            None => assert!(provisioned.is_null(), "{}", label(&stage)),
        }
        // On the live alias only: not on the canary alias (whose share is 0 between canaries,
        // yet its environments would be billed) nor on a version.
        assert!(
            canary.alias["Properties"]
                .get("ProvisionedConcurrencyConfig")
                .is_none(),
            "{}: provisioned concurrency on the canary alias",
            label(&stage)
        );
        for (id, version) in resources_of(&template, "AWS::Lambda::Version") {
            assert!(
                version["Properties"]
                    .get("ProvisionedConcurrencyConfig")
                    .is_none(),
                "{}: {id}",
                label(&stage)
            );
        }
    }
    assert!(
        fixture("hardened").settings.function.tracing,
        "a fixture turns tracing on"
    );
    assert!(
        fixture("hardened")
            .settings
            .function
            .provisioned_concurrency
            .is_some(),
        "a fixture sets provisioned concurrency"
    );
}

#[test]
fn a_web_acl_guards_the_load_balancer_exactly_where_the_stage_asks() {
    for (stage, template) in every_stage_with_template() {
        let associations = resources_of(&template, "AWS::WAFv2::WebACLAssociation");
        let acls = resources_of(&template, "AWS::WAFv2::WebACL");
        let Some(waf) = &stage.settings.load_balancer.waf else {
            assert!(
                associations.is_empty() && acls.is_empty(),
                "{}: no WAF unless asked",
                label(&stage)
            );
            continue;
        };
        assert_eq!(associations.len(), 1, "{}", label(&stage));
        let association = &associations[0].1["Properties"];
        assert_eq!(
            association["ResourceArn"],
            json!({ "Ref": load_balancer_id(&template) })
        );
        match &waf.web_acl_arn {
            Some(arn) => {
                assert!(
                    acls.is_empty(),
                    "{}: an attached web ACL is not created",
                    label(&stage)
                );
                assert_eq!(association["WebACLArn"], json!(arn));
            }
            None => {
                assert_eq!(acls.len(), 1, "{}", label(&stage));
                let (acl_id, acl) = acls[0];
                assert_eq!(
                    association["WebACLArn"],
                    json!({ "Fn::GetAtt": [acl_id, "Arn"] })
                );
                let properties = &acl["Properties"];
                assert_eq!(properties["Scope"], "REGIONAL");
                assert_eq!(properties["DefaultAction"], json!({ "Allow": {} }));
                let rules = properties["Rules"].as_array().unwrap();
                let rate = rules
                    .iter()
                    .find_map(|rule| rule["Statement"].get("RateBasedStatement"))
                    .expect("a rate-based rule");
                assert_eq!(rate["Limit"], json!(waf.rate_limit()));
                assert_eq!(rate["AggregateKeyType"], "IP");
                let groups: Vec<&Value> = rules
                    .iter()
                    .filter_map(|rule| rule["Statement"].get("ManagedRuleGroupStatement"))
                    .collect();
                let names: Vec<&str> = groups
                    .iter()
                    .map(|group| group["Name"].as_str().unwrap())
                    .collect();
                assert_eq!(
                    names,
                    [
                        "AWSManagedRulesCommonRuleSet",
                        "AWSManagedRulesKnownBadInputsRuleSet"
                    ]
                );
                // The common rule set's 8 KB body limit would refuse the site's own forms.
                assert_eq!(
                    groups[0]["RuleActionOverrides"],
                    json!([{ "Name": "SizeRestrictions_BODY", "ActionToUse": { "Count": {} } }])
                );
                let mut priorities: Vec<u64> = rules
                    .iter()
                    .map(|rule| rule["Priority"].as_u64().unwrap())
                    .collect();
                priorities.dedup();
                assert_eq!(
                    priorities.len(),
                    rules.len(),
                    "each rule has its own priority"
                );
            }
        }
    }
    let arn = "arn:aws:wafv2:eu-west-1:333333333333:regional/webacl/shared/0123abcd";
    let (_, template) = variant(
        "hardened",
        "rate_limit = 1000",
        &format!("web_acl_arn = \"{arn}\""),
    );
    assert!(resources_of(&template, "AWS::WAFv2::WebACL").is_empty());
    let (_, association) = only(&template, "AWS::WAFv2::WebACLAssociation");
    assert_eq!(association["Properties"]["WebACLArn"], arn);
}

#[test]
fn function_runs_bootstrap_on_provided_al2023_from_the_artifact_parameters() {
    for (stage, template) in every_stage_with_template() {
        let (_, function) = only(&template, "AWS::Lambda::Function");
        let properties = &function["Properties"];
        assert_eq!(properties["Runtime"], "provided.al2023");
        assert_eq!(properties["Handler"], "bootstrap");
        assert_eq!(
            properties["Architectures"],
            json!([stage.settings.function.architecture.as_str()])
        );
        assert_eq!(properties["MemorySize"], stage.settings.function.memory_mb);
        assert_eq!(
            properties["Code"],
            json!({ "S3Bucket": { "Ref": "ArtifactBucket" }, "S3Key": { "Ref": "ArtifactKey" } })
        );
        assert_eq!(
            template["Parameters"]["ArtifactBucket"]["Default"],
            json!(stage.names.artifact_bucket)
        );
        assert!(
            template["Parameters"]["ArtifactKey"]
                .get("Default")
                .is_none(),
            "a new key per build, never a default"
        );
    }
    let (_, x86) = variant(
        "migrate",
        "architecture = \"arm64\"",
        "architecture = \"x86_64\"",
    );
    assert_eq!(
        only(&x86, "AWS::Lambda::Function").1["Properties"]["Architectures"],
        json!(["x86_64"])
    );
}

#[test]
fn alb_is_internet_facing_and_hardened_with_deletion_protection_in_production() {
    for (stage, template) in every_stage_with_template() {
        let (_, load_balancer) = only(&template, "AWS::ElasticLoadBalancingV2::LoadBalancer");
        assert_eq!(load_balancer["Properties"]["Scheme"], "internet-facing");
        assert_eq!(load_balancer["Properties"]["Type"], "application");
        assert!(
            load_balancer["Properties"]["Subnets"]
                .as_array()
                .unwrap()
                .len()
                >= 2
        );
        assert_eq!(
            lb_attribute(&template, "routing.http.drop_invalid_header_fields.enabled"),
            Some("true")
        );
        assert_eq!(
            lb_attribute(&template, "routing.http.desync_mitigation_mode"),
            Some("defensive")
        );
        // On in `production` unless the file says otherwise, which validation refuses there.
        let protected = stage
            .settings
            .load_balancer
            .deletion_protection
            .unwrap_or(stage.name == "production");
        assert_eq!(
            lb_attribute(&template, "deletion_protection.enabled"),
            Some(if protected { "true" } else { "false" }),
            "{}",
            label(&stage)
        );
        let settings = &stage.settings.load_balancer;
        let access_logs = match &settings.access_log_bucket {
            _ if settings.create_access_log_bucket => Some(json!({ "Ref": "AccessLogBucket" })),
            Some(bucket) => Some(json!(bucket)),
            None => None,
        };
        assert_eq!(
            lb_attribute_value(&template, "access_logs.s3.bucket"),
            access_logs.as_ref(),
            "{}",
            label(&stage)
        );
        assert_eq!(
            lb_attribute(&template, "access_logs.s3.enabled"),
            access_logs.map(|_| "true")
        );
    }
    for (name, protected) in [("production", "true"), ("migrate", "false")] {
        let template = synth(&fixture(name)).to_json();
        assert_eq!(
            lb_attribute(&template, "deletion_protection.enabled"),
            Some(protected),
            "fixtures/{name}"
        );
    }
}

#[test]
fn a_created_access_log_bucket_is_private_kept_and_writable_by_elb_only_under_the_prefix() {
    for (stage, template) in every_stage_with_template() {
        let buckets = resources_of(&template, "AWS::S3::Bucket");
        if !stage.settings.load_balancer.create_access_log_bucket {
            assert!(
                buckets.is_empty(),
                "{}: no bucket unless asked",
                label(&stage)
            );
            continue;
        }
        let (bucket_id, bucket) = buckets[0];
        assert_eq!(buckets.len(), 1);
        assert_eq!(
            (&bucket["DeletionPolicy"], &bucket["UpdateReplacePolicy"]),
            (&json!("Retain"), &json!("Retain"))
        );
        let properties = &bucket["Properties"];
        assert_eq!(
            properties["BucketName"],
            format!(
                "{}-alb-logs-{}",
                stage.names.stack, stage.settings.account_id
            )
        );
        assert_eq!(
            properties["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"],
            true
        );
        // ELB's log delivery writes only to buckets encrypted with S3's own keys.
        assert_eq!(
            properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
                ["SSEAlgorithm"],
            "AES256"
        );
        let (policy_id, policy) = only(&template, "AWS::S3::BucketPolicy");
        let statements = policy["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap();
        let writer = statements
            .iter()
            .find(|statement| statement["Effect"] == "Allow")
            .unwrap();
        assert_eq!(writer["Action"], "s3:PutObject");
        assert_eq!(
            writer["Principal"],
            json!({ "AWS": "arn:aws:iam::156460612806:root" }),
            "eu-west-1's ELB account"
        );
        assert_eq!(
            writer["Resource"],
            json!({ "Fn::Sub": format!("${{{bucket_id}.Arn}}/{}/AWSLogs/${{AWS::AccountId}}/*", stage.names.stack) })
        );
        assert!(
            statements
                .iter()
                .any(|statement| statement["Condition"]["Bool"]["aws:SecureTransport"] == "false")
        );
        let (_, load_balancer) = only(&template, "AWS::ElasticLoadBalancingV2::LoadBalancer");
        assert!(
            load_balancer["DependsOn"].to_string().contains(policy_id),
            "ELB checks the policy when logs are turned on"
        );
    }
    assert!(
        fixture("hardened")
            .settings
            .load_balancer
            .create_access_log_bucket
    );
}

#[test]
fn security_group_has_inline_rules_for_80_and_443_over_ipv4_and_ipv6() {
    for (_, template) in every_stage_with_template() {
        assert!(
            resources_of(&template, "AWS::EC2::SecurityGroupIngress").is_empty(),
            "rules must be inline"
        );
        let (_, group) = only(&template, "AWS::EC2::SecurityGroup");
        let mut rules: Vec<(u64, &str)> = group["Properties"]["SecurityGroupIngress"]
            .as_array()
            .unwrap()
            .iter()
            .map(|rule| {
                assert_eq!(rule["IpProtocol"], "tcp");
                assert_eq!(rule["FromPort"], rule["ToPort"]);
                let cidr = rule["CidrIp"]
                    .as_str()
                    .or(rule["CidrIpv6"].as_str())
                    .unwrap();
                (rule["FromPort"].as_u64().unwrap(), cidr)
            })
            .collect();
        rules.sort();
        assert_eq!(
            rules,
            [
                (80, "0.0.0.0/0"),
                (80, "::/0"),
                (443, "0.0.0.0/0"),
                (443, "::/0")
            ]
        );
    }
}

#[test]
fn alarms_cover_errors_throttles_5xx_and_latency_and_notify_the_stage_topic() {
    for (stage, template) in every_stage_with_template() {
        // The canary's own alarms notify no one (tests/canary_invariants.rs); these are the rest.
        let canary_prefix = format!("{}-{}-canary-", stage.settings.service, stage.name);
        let (canary_alarms, alarms): (Vec<_>, Vec<_>) =
            resources_of(&template, "AWS::CloudWatch::Alarm")
                .into_iter()
                .partition(|(_, alarm)| {
                    alarm["Properties"]["AlarmName"]
                        .as_str()
                        .unwrap()
                        .starts_with(&canary_prefix)
                });
        assert_eq!(canary_alarms.len(), 3, "{}", label(&stage));
        let mut metrics: Vec<&str> = alarms
            .iter()
            .map(|(_, alarm)| alarm["Properties"]["MetricName"].as_str().unwrap())
            .collect();
        metrics.sort();
        assert_eq!(
            metrics,
            [
                "Errors",
                "HTTPCode_ELB_5XX_Count",
                "HTTPCode_Target_5XX_Count",
                "TargetResponseTime",
                "Throttles"
            ]
        );
        // The 5xx and latency alarms watch the live target group, not the canary's.
        let [live, _] = live_and_canary(&template);
        let watched: Vec<&Value> = alarms
            .iter()
            .flat_map(|(_, alarm)| alarm["Properties"]["Dimensions"].as_array().unwrap())
            .filter(|dimension| dimension["Name"] == "TargetGroup")
            .map(|dimension| &dimension["Value"])
            .collect();
        let live_target_group =
            json!({ "Fn::GetAtt": [live.target_group_id, "TargetGroupFullName"] });
        assert_eq!(
            watched,
            [&live_target_group, &live_target_group],
            "{}",
            label(&stage)
        );
        let expected_actions = stage
            .settings
            .alarms
            .sns_topic_arn
            .as_ref()
            .map(|topic| json!([topic]));
        for (id, alarm) in alarms {
            assert_eq!(
                alarm["Properties"].get("AlarmActions"),
                expected_actions.as_ref(),
                "{}: {id}",
                label(&stage)
            );
            assert_eq!(
                alarm["Properties"].get("OKActions"),
                expected_actions.as_ref(),
                "{}: {id}",
                label(&stage)
            );
        }
    }
    assert!(
        fixture("production")
            .settings
            .alarms
            .sns_topic_arn
            .is_some(),
        "one fixture exercises the action"
    );
}

#[test]
fn dashboard_shows_the_alb_and_lambda_metrics() {
    for (stage, template) in every_stage_with_template() {
        let (_, dashboard) = only(&template, "AWS::CloudWatch::Dashboard");
        let body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"][0]
            .as_str()
            .unwrap();
        let parsed: Value = serde_json::from_str(body).expect("the dashboard body is JSON");
        assert!(parsed["widgets"].as_array().unwrap().len() >= 6);
        for metric in [
            "\"RequestCount\"",
            "\"HTTPCode_ELB_4XX_Count\"",
            "\"HTTPCode_ELB_5XX_Count\"",
            "\"HTTPCode_Target_5XX_Count\"",
            "\"TargetResponseTime\"",
            "\"p50\"",
            "\"p90\"",
            "\"p99\"",
            "\"Invocations\"",
            "\"Errors\"",
            "\"Throttles\"",
            "\"Duration\"",
            "\"ConcurrentExecutions\"",
            "\"LambdaUserError\"",
        ] {
            assert!(
                body.contains(metric),
                "{}: the dashboard lacks {metric}",
                label(&stage)
            );
        }
        // Every ${…} in the body is one of the Sub variables: nothing left unresolved.
        let variables = dashboard["Properties"]["DashboardBody"]["Fn::Sub"][1]
            .as_object()
            .unwrap();
        for placeholder in body.split("${").skip(1) {
            let name = &placeholder[..placeholder.find('}').unwrap()];
            assert!(
                variables.contains_key(name),
                "{}: ${{{name}}} has no value",
                label(&stage)
            );
        }
    }
}

#[test]
fn the_alias_points_at_a_version_published_per_code_and_retained_when_replaced() {
    for (stage, template) in every_stage_with_template() {
        let (function_id, _) = only(&template, "AWS::Lambda::Function");
        let (version_id, version) = only(&template, "AWS::Lambda::Version");
        let [live, canary] = live_and_canary(&template);
        let alias = live.alias;
        assert_eq!(
            version["Properties"]["FunctionName"],
            json!({ "Ref": function_id })
        );
        let description = version["Properties"]["Description"]["Fn::Sub"]
            .as_str()
            .unwrap();
        assert!(
            description.starts_with("${ArtifactKey} config "),
            "{}: the version names its code: {description}",
            label(&stage)
        );
        assert_eq!(
            version["UpdateReplacePolicy"],
            "Retain",
            "{}",
            label(&stage)
        );
        // The serving version while a new one is published and smoke-tested, else the new one.
        let live = json!({ "Fn::If": [
            "LiveVersionPinned",
            { "Ref": "LiveVersion" },
            { "Fn::GetAtt": [version_id, "Version"] },
        ] });
        assert_eq!(alias["Properties"]["FunctionVersion"], live);
        assert_eq!(template["Outputs"]["LiveVersion"]["Value"], live);
        assert_eq!(
            template["Conditions"]["LiveVersionPinned"],
            json!({ "Fn::Not": [{ "Fn::Equals": [{ "Ref": "LiveVersion" }, ""] }] })
        );
        let parameter = &template["Parameters"]["LiveVersion"];
        assert_eq!(
            (&parameter["Default"], &parameter["AllowedPattern"]),
            (&json!(""), &json!("^[0-9]*$"))
        );
        assert_eq!(
            template["Outputs"]["NewestVersion"]["Value"],
            json!({ "Fn::GetAtt": [version_id, "Version"] })
        );
        assert_eq!(
            alias["Properties"]["FunctionName"],
            json!({ "Ref": function_id })
        );
        assert_eq!(alias["Properties"]["Name"], "live");
        // The canary alias is the same function's (its version: tests/canary_invariants.rs).
        assert_eq!(
            canary.alias["Properties"]["FunctionName"],
            json!({ "Ref": function_id })
        );
    }
}

#[test]
fn outputs_name_url_alb_target_groups_function_and_dashboard() {
    for (stage, template) in every_stage_with_template() {
        let outputs: Vec<&String> = template["Outputs"].as_object().unwrap().keys().collect();
        assert_eq!(
            outputs,
            [
                "CanaryTargetGroupArn",
                "DashboardName",
                "FunctionName",
                "LiveVersion",
                "LoadBalancerDnsName",
                "NewestVersion",
                "TargetGroupArn",
                "Url"
            ]
        );
        assert_eq!(
            template["Outputs"]["Url"]["Value"],
            format!("https://{}", stage.settings.domain)
        );
        let [live, canary] = live_and_canary(&template);
        assert_eq!(
            template["Outputs"]["TargetGroupArn"]["Value"],
            json!({ "Ref": live.target_group_id })
        );
        assert_eq!(
            template["Outputs"]["CanaryTargetGroupArn"]["Value"],
            json!({ "Ref": canary.target_group_id })
        );
    }
}

#[test]
fn every_ref_getatt_and_condition_names_something_that_exists() {
    for (stage, template) in every_stage_with_template() {
        let resources = template["Resources"].as_object().unwrap();
        let parameters = template["Parameters"].as_object().unwrap();
        let conditions = template["Conditions"].as_object().unwrap();
        let mut targets = Vec::new();
        collect_references(&template, &mut targets);
        assert!(
            targets
                .iter()
                .any(|(_, kind)| *kind == Reference::Condition)
        );
        for (target, kind) in targets {
            let known = match kind {
                Reference::Ref => {
                    resources.contains_key(&target)
                        || parameters.contains_key(&target)
                        || target.starts_with("AWS::")
                }
                Reference::GetAtt => resources.contains_key(&target),
                Reference::Condition => conditions.contains_key(&target),
            };
            assert!(known, "{}: {kind:?} of unknown {target:?}", label(&stage));
        }
    }
}

/// What names a target in an intrinsic.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Reference {
    Ref,
    GetAtt,
    /// The condition of an `Fn::If`.
    Condition,
}

/// Every `Ref`, `Fn::GetAtt` and `Fn::If` target in a JSON tree.
fn collect_references(value: &Value, targets: &mut Vec<(String, Reference)>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(target)) = object.get("Ref") {
                targets.push((target.clone(), Reference::Ref));
            }
            if let Some(Value::Array(parts)) = object.get("Fn::GetAtt") {
                targets.push((parts[0].as_str().unwrap().to_string(), Reference::GetAtt));
            }
            if let Some(Value::Array(parts)) = object.get("Fn::If") {
                targets.push((parts[0].as_str().unwrap().to_string(), Reference::Condition));
            }
            object
                .values()
                .for_each(|child| collect_references(child, targets));
        }
        Value::Array(items) => items
            .iter()
            .for_each(|child| collect_references(child, targets)),
        _ => {}
    }
}

#[test]
fn every_linter_skip_has_a_reason() {
    for (stage, template) in every_stage_with_template() {
        for (id, resource) in template["Resources"].as_object().unwrap() {
            for skip in resource["Metadata"]["checkov"]["skip"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let check = skip["id"].as_str().unwrap();
                assert!(check.starts_with("CKV"), "{}: {id}: {check}", label(&stage));
                let reason = skip["comment"].as_str().unwrap_or_default();
                assert!(
                    reason.len() >= 40,
                    "{}: {id}: {check} needs a real reason, got {reason:?}",
                    label(&stage)
                );
            }
        }
    }
}
