//! Every resource a deploy of a stage leaves in the emulator, checked against `describe`: the
//! stack and its outputs, load balancer, listeners, target group, function, its permission and
//! log group, DNS records, dashboard, alarms, security group, and the artifact bucket's stack
//! and object. What to expect comes from `describe`, so no decision of `infra` is copied here.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::aws::{AwsApi, attributes, described_stack, items, pairs, text};
use super::report::Report;
use super::zip_facts::ZipFacts;

/// Checks the deployed stage `facts` (`describe`'s output) with code `zip`, uploaded at `key`.
pub fn check_resources(
    aws: &dyn AwsApi,
    facts: &Value,
    zip: &ZipFacts,
    key: &str,
    report: &mut Report,
) -> Result<(), String> {
    let stack = text(&facts["stack_name"]);
    report.line(&format!(
        "  resources of stage {} (stack {stack})",
        text(&facts["stage"])
    ))?;
    let (physical, lb_dns) = check_stack(aws, facts, key, report)?;
    let lb_arn = physical.get("LoadBalancer").cloned().unwrap_or_default();
    let tg_arn = physical.get("TargetGroup").cloned().unwrap_or_default();
    let lb = check_load_balancer(aws, facts, &lb_arn, &physical, report)?;
    report.check(
        text(&lb["DNSName"]) == lb_dns,
        "the load balancer's DNS name is the output",
        &lb["DNSName"],
    )?;
    check_listeners(aws, facts, &lb_arn, &tg_arn, report)?;
    let canary_tg_arn = physical
        .get("CanaryTargetGroup")
        .cloned()
        .unwrap_or_default();
    check_target_group(
        aws,
        facts,
        &tg_arn,
        text(&facts["target_group_name"]),
        report,
    )?;
    check_target_group(
        aws,
        facts,
        &canary_tg_arn,
        text(&facts["canary"]["target_group_name"]),
        report,
    )?;
    check_function(
        aws,
        facts,
        zip,
        [&tg_arn, &canary_tg_arn],
        &physical,
        report,
    )?;
    check_dns(aws, facts, &lb, report)?;
    check_monitoring(aws, facts, &lb_arn, report)?;
    check_security_group(aws, facts, &physical, report)?;
    check_artifacts(aws, facts, zip, key, report)
}

/// The stack, its parameters and outputs, and exactly the resources of the template; returns
/// the physical id of each logical id, and the output LoadBalancerDnsName.
fn check_stack(
    aws: &dyn AwsApi,
    facts: &Value,
    key: &str,
    report: &mut Report,
) -> Result<(BTreeMap<String, String>, String), String> {
    let stack = text(&facts["stack_name"]);
    let described = &described_stack(aws, stack)?;
    let status = text(&described["StackStatus"]);
    report.check(
        matches!(
            status,
            "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE"
        ),
        format!("stack {stack} is complete ({status})"),
        status,
    )?;
    let parameters = pairs(&described["Parameters"], "ParameterKey", "ParameterValue");
    let bucket = text(&facts["artifact_bucket"]);
    report.check(
        parameters.get("ArtifactKey").map(String::as_str) == Some(key)
            && parameters.get("ArtifactBucket").map(String::as_str) == Some(bucket),
        format!("stack parameters name s3://{bucket}/{key}"),
        &parameters,
    )?;
    let outputs = pairs(&described["Outputs"], "OutputKey", "OutputValue");
    let output = |name: &str| outputs.get(name).map(String::as_str).unwrap_or_default();
    report.check(
        output("Url") == text(&facts["url"]),
        format!("output Url is {}", text(&facts["url"])),
        &outputs,
    )?;
    report.check(
        output("DashboardName") == text(&facts["dashboard_name"])
            && output("FunctionName") == text(&facts["function_name"]),
        "outputs DashboardName and FunctionName",
        &outputs,
    )?;
    report.check(
        output("TargetGroupArn").contains(&format!(
            ":targetgroup/{}/",
            text(&facts["target_group_name"])
        )),
        "output TargetGroupArn",
        &outputs,
    )?;
    report.check(
        !output("LiveVersion").is_empty() && output("LiveVersion") == output("NewestVersion"),
        "the newest version took the traffic (outputs LiveVersion and NewestVersion agree)",
        &outputs,
    )?;
    report.check(
        output("LoadBalancerDnsName").ends_with(".elb.amazonaws.com"),
        "output LoadBalancerDnsName",
        output("LoadBalancerDnsName"),
    )?;
    let found = aws.call(
        "cloudformation",
        "describe-stack-resources",
        &["--stack-name", stack],
    )?;
    let found = items(&found["StackResources"]);
    let logical: BTreeSet<&str> = found
        .iter()
        .map(|r| text(&r["LogicalResourceId"]))
        .collect();
    let expected: BTreeSet<&str> = items(&facts["logical_ids"]).iter().map(text).collect();
    report.check(
        logical == expected,
        format!("the stack has exactly its {} resources", expected.len()),
        &logical,
    )?;
    let statuses: BTreeMap<&str, &str> = found
        .iter()
        .map(|r| (text(&r["LogicalResourceId"]), text(&r["ResourceStatus"])))
        .collect();
    report.check(
        statuses
            .values()
            .all(|status| status.ends_with("_COMPLETE")),
        "every resource is complete",
        &statuses,
    )?;
    let physical = found
        .iter()
        .map(|r| {
            (
                text(&r["LogicalResourceId"]).to_string(),
                text(&r["PhysicalResourceId"]).to_string(),
            )
        })
        .collect();
    Ok((physical, output("LoadBalancerDnsName").to_string()))
}

/// The load balancer: scheme, type, addresses, subnets, security group and attributes.
fn check_load_balancer(
    aws: &dyn AwsApi,
    facts: &Value,
    lb_arn: &str,
    physical: &BTreeMap<String, String>,
    report: &mut Report,
) -> Result<Value, String> {
    let answer = aws.call(
        "elbv2",
        "describe-load-balancers",
        &["--load-balancer-arns", lb_arn],
    )?;
    let lb = answer["LoadBalancers"][0].clone();
    report.check(
        (text(&lb["Scheme"]), text(&lb["Type"])) == ("internet-facing", "application"),
        "an internet-facing application load balancer",
        (&lb["Scheme"], &lb["Type"]),
    )?;
    let dualstack = facts["dualstack"].as_bool() == Some(true);
    report.check(
        text(&lb["IpAddressType"]) == if dualstack { "dualstack" } else { "ipv4" },
        "IP address type per network.dualstack",
        &lb["IpAddressType"],
    )?;
    let subnets: BTreeSet<&str> = items(&lb["AvailabilityZones"])
        .iter()
        .map(|zone| text(&zone["SubnetId"]))
        .collect();
    let wanted: BTreeSet<&str> = items(&facts["subnet_ids"]).iter().map(text).collect();
    report.check(subnets == wanted, "in the stage's subnets", &subnets)?;
    report.check(
        lb["SecurityGroups"] == json!([physical.get("LoadBalancerSecurityGroup")]),
        "behind the stack's security group",
        &lb["SecurityGroups"],
    )?;
    let attrs = attributes(
        &aws.call(
            "elbv2",
            "describe-load-balancer-attributes",
            &["--load-balancer-arn", lb_arn],
        )?["Attributes"],
    );
    let attr = |name: &str| attrs.get(name).map(String::as_str);
    let protection = facts["deletion_protection"].as_bool() == Some(true);
    report.check(
        attr("deletion_protection.enabled") == Some(if protection { "true" } else { "false" }),
        format!("deletion protection {protection}"),
        &attrs,
    )?;
    report.check(
        attr("idle_timeout.timeout_seconds") == Some(&facts["idle_timeout_seconds"].to_string()),
        "idle timeout",
        &attrs,
    )?;
    report.check(
        attr("routing.http.drop_invalid_header_fields.enabled") == Some("true")
            && attr("routing.http.desync_mitigation_mode") == Some("defensive"),
        "invalid headers dropped, defensive desync mode",
        &attrs,
    )?;
    // An existing bucket the stage names, or the one the stack creates.
    let log_bucket = facts["access_log_bucket"]
        .as_str()
        .or(facts["access_log_bucket_created"].as_str());
    match log_bucket {
        Some(bucket) => report.check(
            attr("access_logs.s3.enabled") == Some("true")
                && attr("access_logs.s3.bucket") == Some(bucket),
            format!("access logs to {bucket}"),
            &attrs,
        )?,
        None => report.check(
            attr("access_logs.s3.enabled").unwrap_or("false") == "false",
            "no access logs",
            &attrs,
        )?,
    }
    Ok(lb)
}

/// Two listeners: 443 forwards to the target group with the stage's certificate and TLS
/// policy; 80 redirects to HTTPS.
fn check_listeners(
    aws: &dyn AwsApi,
    facts: &Value,
    lb_arn: &str,
    tg_arn: &str,
    report: &mut Report,
) -> Result<(), String> {
    let answer = aws.call(
        "elbv2",
        "describe-listeners",
        &["--load-balancer-arn", lb_arn],
    )?;
    let listeners: BTreeMap<u64, &Value> = items(&answer["Listeners"])
        .iter()
        .map(|listener| (listener["Port"].as_u64().unwrap_or_default(), listener))
        .collect();
    report.check(
        listeners.keys().copied().eq([80, 443]),
        "two listeners, 80 and 443",
        listeners.keys().collect::<Vec<_>>(),
    )?;
    let (https, redirect) = (listeners[&443], listeners[&80]);
    let policy = text(&facts["ssl_policy"]);
    report.check(
        text(&https["Protocol"]) == "HTTPS" && text(&https["SslPolicy"]) == policy,
        format!("443 is HTTPS with {policy}"),
        (&https["Protocol"], &https["SslPolicy"]),
    )?;
    let certificates: Vec<&str> = items(&https["Certificates"])
        .iter()
        .map(|c| text(&c["CertificateArn"]))
        .collect();
    report.check(
        certificates == [text(&facts["certificate_arn"])],
        "443 uses the stage's certificate",
        &certificates,
    )?;
    let actions = items(&https["DefaultActions"]);
    report.check(
        actions.len() == 1
            && text(&actions[0]["Type"]) == "forward"
            && text(&actions[0]["TargetGroupArn"]) == tg_arn,
        "443 forwards to the target group",
        actions,
    )?;
    report.check(
        text(&redirect["Protocol"]) == "HTTP",
        "80 is HTTP",
        &redirect["Protocol"],
    )?;
    let action = &redirect["DefaultActions"][0];
    let config = &action["RedirectConfig"];
    let wanted = [
        ("Protocol", "HTTPS"),
        ("Port", "443"),
        ("Host", "#{host}"),
        ("Path", "/#{path}"),
        ("Query", "#{query}"),
        ("StatusCode", "HTTP_301"),
    ];
    report.check(
        text(&action["Type"]) == "redirect"
            && wanted
                .iter()
                .all(|(key, value)| text(&config[key]) == *value),
        "80 redirects to HTTPS with a 301, keeping host, path and query",
        &redirect["DefaultActions"],
    )
}

/// A target group (the live one or the canary's): its name, type, health check and
/// multi-value headers.
fn check_target_group(
    aws: &dyn AwsApi,
    facts: &Value,
    tg_arn: &str,
    name: &str,
    report: &mut Report,
) -> Result<(), String> {
    let answer = aws.call(
        "elbv2",
        "describe-target-groups",
        &["--target-group-arns", tg_arn],
    )?;
    let tg = &answer["TargetGroups"][0];
    report.check(
        text(&tg["TargetGroupName"]) == name && text(&tg["TargetType"]) == "lambda",
        format!("target group {name} of type lambda"),
        (&tg["TargetGroupName"], &tg["TargetType"]),
    )?;
    report.check(
        tg["HealthCheckEnabled"] == facts["health_check"],
        format!("health checks {}", facts["health_check"]),
        &tg["HealthCheckEnabled"],
    )?;
    if facts["health_check"].as_bool() == Some(true) {
        report.check(
            text(&tg["HealthCheckPath"]) == "/healthz",
            "health check path /healthz",
            &tg["HealthCheckPath"],
        )?;
    }
    let attrs = attributes(
        &aws.call(
            "elbv2",
            "describe-target-group-attributes",
            &["--target-group-arn", tg_arn],
        )?["Attributes"],
    );
    report.check(
        attrs
            .get("lambda.multi_value_headers.enabled")
            .map(String::as_str)
            == Some("true"),
        "multi-value headers on",
        &attrs,
    )
}

/// The function (runtime, architecture, memory, timeout, environment, code, role,
/// concurrency), the live and canary target groups' one target each, their invoke permissions
/// and the log group.
fn check_function(
    aws: &dyn AwsApi,
    facts: &Value,
    zip: &ZipFacts,
    [tg_arn, canary_tg_arn]: [&str; 2],
    physical: &BTreeMap<String, String>,
    report: &mut Report,
) -> Result<(), String> {
    let name = text(&facts["function_name"]);
    let (region, account) = (text(&facts["region"]), text(&facts["account_id"]));
    let function = aws.call(
        "lambda",
        "get-function-configuration",
        &["--function-name", name],
    )?;
    let arn = text(&function["FunctionArn"]);
    report.check(
        arn == format!("arn:aws:lambda:{region}:{account}:function:{name}"),
        "function ARN in the stage's account and region",
        arn,
    )?;
    report.check(
        (text(&function["Runtime"]), text(&function["Handler"]))
            == ("provided.al2023", "bootstrap"),
        "provided.al2023 runtime, bootstrap handler",
        (&function["Runtime"], &function["Handler"]),
    )?;
    report.check(
        function["Architectures"] == json!([facts["architecture"]]),
        format!("architecture {}", text(&facts["architecture"])),
        &function["Architectures"],
    )?;
    let wanted = &facts["function"];
    report.check(
        function["MemorySize"] == wanted["memory_mb"],
        format!("memory {} MB", wanted["memory_mb"]),
        &function["MemorySize"],
    )?;
    report.check(
        function["Timeout"] == wanted["timeout_seconds"],
        format!("timeout {} s", wanted["timeout_seconds"]),
        &function["Timeout"],
    )?;
    let environment = match &function["Environment"]["Variables"] {
        Value::Null => json!({}),
        variables => variables.clone(),
    };
    report.check(
        environment == wanted["environment"],
        "environment",
        &environment,
    )?;
    report.check(
        text(&function["CodeSha256"]) == zip.sha256_base64,
        format!("code is the zip {}…", &zip.sha256_hex[..12]),
        &function["CodeSha256"],
    )?;
    let tracing = if wanted["tracing"] == json!(true) {
        "Active"
    } else {
        "PassThrough"
    };
    report.check(
        text(&function["TracingConfig"]["Mode"]) == tracing,
        format!("X-Ray tracing mode {tracing}"),
        &function["TracingConfig"],
    )?;
    let role_name = physical
        .get("FunctionRole")
        .and_then(|role| role.rsplit('/').next())
        .unwrap_or_default();
    let role = aws.call("iam", "get-role", &["--role-name", role_name])?;
    report.check(
        function["Role"] == role["Role"]["Arn"],
        "runs as the stack's role",
        &function["Role"],
    )?;
    check_concurrency(aws, facts, report)?;
    let (alias_arn, live_version) = check_alias(aws, facts, zip, arn, report)?;
    check_one_target(
        aws,
        tg_arn,
        &alias_arn,
        "the function's alias is the target group's one target",
        report,
    )?;
    check_permission(
        aws,
        facts,
        text(&facts["alias"]),
        text(&facts["target_group_name"]),
        report,
    )?;
    check_canary(aws, facts, &live_version, canary_tg_arn, report)?;
    let log_group = text(&facts["log_group"]);
    let groups = aws.call(
        "logs",
        "describe-log-groups",
        &["--log-group-name-prefix", log_group],
    )?;
    let group = items(&groups["logGroups"])
        .iter()
        .find(|group| text(&group["logGroupName"]) == log_group);
    let days = &wanted["log_retention_days"];
    report.check(
        group.is_some_and(|group| &group["retentionInDays"] == days),
        format!("log group {log_group} keeps {days} days"),
        group,
    )
}

/// The alias the load balancer invokes: it points at a published version of this zip's code
/// whose description names the zip. Returns the alias's ARN and its version.
fn check_alias(
    aws: &dyn AwsApi,
    facts: &Value,
    zip: &ZipFacts,
    function_arn: &str,
    report: &mut Report,
) -> Result<(String, String), String> {
    let (name, alias) = (text(&facts["function_name"]), text(&facts["alias"]));
    let answer = aws.call(
        "lambda",
        "get-alias",
        &["--function-name", name, "--name", alias],
    )?;
    let version = text(&answer["FunctionVersion"]);
    let alias_arn = format!("{function_arn}:{alias}");
    report.check(
        text(&answer["AliasArn"]) == alias_arn && version.parse::<u64>().is_ok(),
        format!("alias {alias} points at a published version ({version})"),
        &answer,
    )?;
    let released = aws.call(
        "lambda",
        "get-function-configuration",
        &["--function-name", name, "--qualifier", version],
    )?;
    report.check(
        text(&released["CodeSha256"]) == zip.sha256_base64
            && text(&released["Description"]).contains(&zip.sha256_hex),
        format!("version {version} is this zip's code and its description names it"),
        (&released["CodeSha256"], &released["Description"]),
    )?;
    if let Some(wanted) = facts["function"]["provisioned_concurrency"].as_u64() {
        let config = aws.call(
            "lambda",
            "get-provisioned-concurrency-config",
            &["--function-name", name, "--qualifier", alias],
        )?;
        report.check(
            config["RequestedProvisionedConcurrentExecutions"].as_u64() == Some(wanted),
            format!("{wanted} provisioned concurrent executions on alias {alias}"),
            &config,
        )?;
    }
    Ok((alias_arn, version.to_string()))
}

/// Reserved concurrency as the template declares it, and as the function has it where the
/// emulator applies it.
fn check_concurrency(aws: &dyn AwsApi, facts: &Value, report: &mut Report) -> Result<(), String> {
    let name = text(&facts["function_name"]);
    let wanted = &facts["function"]["reserved_concurrency"];
    let applied = aws.call(
        "lambda",
        "get-function-concurrency",
        &["--function-name", name],
    )?["ReservedConcurrentExecutions"]
        .clone();
    let template = aws.call(
        "cloudformation",
        "get-template",
        &["--stack-name", text(&facts["stack_name"])],
    )?;
    let template = match &template["TemplateBody"] {
        Value::String(body) => serde_json::from_str(body).unwrap_or(Value::Null),
        body => body.clone(),
    };
    let declared = &template["Resources"]["Function"]["Properties"]["ReservedConcurrentExecutions"];
    report.check(
        declared == wanted,
        format!("the deployed template reserves concurrency {wanted}"),
        declared,
    )?;
    if applied.is_null() && !declared.is_null() {
        // MiniStack gap (ministack 1.5.33): CloudFormation's ReservedConcurrentExecutions is
        // not applied to the function; the template above is what AWS would apply.
        report.line(&format!(
            "    note  MiniStack does not apply ReservedConcurrentExecutions ({declared}) from CloudFormation"
        ))
    } else {
        report.check(
            &applied == wanted,
            format!("reserved concurrency {wanted}"),
            &applied,
        )
    }
}

/// One invoke permission for the load balancer on the alias, scoped to its target group and
/// the account.
fn check_permission(
    aws: &dyn AwsApi,
    facts: &Value,
    alias: &str,
    target_group: &str,
    report: &mut Report,
) -> Result<(), String> {
    let (region, account) = (text(&facts["region"]), text(&facts["account_id"]));
    let policy = aws.call(
        "lambda",
        "get-policy",
        &[
            "--function-name",
            text(&facts["function_name"]),
            "--qualifier",
            alias,
        ],
    )?;
    let policy: Value = serde_json::from_str(text(&policy["Policy"])).unwrap_or(Value::Null);
    let statements: Vec<&Value> = items(&policy["Statement"])
        .iter()
        .filter(|s| {
            text(&s["Principal"]["Service"]) == "elasticloadbalancing.amazonaws.com"
                && text(&s["Action"]) == "lambda:InvokeFunction"
        })
        .collect();
    report.check(
        statements.len() == 1,
        format!("one ELB invoke permission on alias {alias}"),
        &policy["Statement"],
    )?;
    let source =
        format!("arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{target_group}/*");
    let condition = &statements[0]["Condition"];
    report.check(
        text(&condition["ArnLike"]["AWS:SourceArn"]) == source
            && text(&condition["StringEquals"]["AWS:SourceAccount"]) == account,
        format!("scoped to {source} and account {account}"),
        condition,
    )
}

/// The target group's targets are exactly `target` (an alias's ARN).
fn check_one_target(
    aws: &dyn AwsApi,
    tg_arn: &str,
    target: &str,
    what: &str,
    report: &mut Report,
) -> Result<(), String> {
    let answer = aws.call(
        "elbv2",
        "describe-target-health",
        &["--target-group-arn", tg_arn],
    )?;
    let targets: Vec<&str> = items(&answer["TargetHealthDescriptions"])
        .iter()
        .map(|d| text(&d["Target"]["Id"]))
        .collect();
    report.check(targets == [target], what, &targets)
}

/// The canary between canaries: its alias on the live alias's version, its target group's one
/// target, and its own invoke permission.
fn check_canary(
    aws: &dyn AwsApi,
    facts: &Value,
    live_version: &str,
    canary_tg_arn: &str,
    report: &mut Report,
) -> Result<(), String> {
    let canary = text(&facts["canary"]["alias"]);
    let canary_alias = aws.call(
        "lambda",
        "get-alias",
        &[
            "--function-name",
            text(&facts["function_name"]),
            "--name",
            canary,
        ],
    )?;
    report.check(
        text(&canary_alias["FunctionVersion"]) == live_version,
        format!("no canary bakes: alias {canary} is on the live version ({live_version})"),
        &canary_alias,
    )?;
    check_one_target(
        aws,
        canary_tg_arn,
        text(&canary_alias["AliasArn"]),
        &format!("alias {canary} is the canary target group's one target"),
        report,
    )?;
    check_permission(
        aws,
        facts,
        canary,
        text(&facts["canary"]["target_group_name"]),
        report,
    )
}

/// The host name's records: A (and AAAA when dualstack), aliases of the load balancer.
fn check_dns(
    aws: &dyn AwsApi,
    facts: &Value,
    lb: &Value,
    report: &mut Report,
) -> Result<(), String> {
    let zone = text(&facts["hosted_zone_id"]);
    let domain = text(&facts["domain"]);
    let records = aws.call(
        "route53",
        "list-resource-record-sets",
        &["--hosted-zone-id", zone],
    )?;
    let ours: BTreeMap<&str, &Value> = items(&records["ResourceRecordSets"])
        .iter()
        .filter(|r| text(&r["Name"]).trim_end_matches('.') == domain)
        .map(|r| (text(&r["Type"]), r))
        .collect();
    let wanted: &[&str] = if facts["dualstack"].as_bool() == Some(true) {
        &["A", "AAAA"]
    } else {
        &["A"]
    };
    report.check(
        ours.keys().copied().eq(wanted.iter().copied()),
        format!("{domain} has {} records", wanted.join("/")),
        ours.keys().collect::<Vec<_>>(),
    )?;
    let target = format!("dualstack.{}", text(&lb["DNSName"])).to_lowercase();
    for (kind, record) in ours {
        let alias = &record["AliasTarget"];
        report.check(
            text(&alias["DNSName"]).trim_end_matches('.').to_lowercase() == target
                && alias["HostedZoneId"] == lb["CanonicalHostedZoneId"]
                && text(&alias["HostedZoneId"]) != zone,
            format!("{kind} is an alias to dualstack.<ALB> in the ALB's canonical zone"),
            alias,
        )?;
    }
    Ok(())
}

/// The dashboard's widgets on this function and load balancer, and the alarms with their
/// actions.
fn check_monitoring(
    aws: &dyn AwsApi,
    facts: &Value,
    lb_arn: &str,
    report: &mut Report,
) -> Result<(), String> {
    let name = text(&facts["dashboard_name"]);
    let answer = aws.call("cloudwatch", "get-dashboard", &["--dashboard-name", name])?;
    let body = text(&answer["DashboardBody"]);
    let dashboard: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let lb_full = lb_arn.rsplit(":loadbalancer/").next().unwrap_or_default();
    report.check(
        items(&dashboard["widgets"]).len() >= 4
            && !body.contains("${")
            && body.contains(text(&facts["function_name"]))
            && body.contains(lb_full),
        format!("dashboard {name}: widgets on the function and {lb_full}"),
        body.chars().take(300).collect::<String>(),
    )?;
    let prefix = format!("{}-", text(&facts["alarm_prefix"]));
    let alarms = aws.call(
        "cloudwatch",
        "describe-alarms",
        &["--alarm-name-prefix", &prefix],
    )?;
    let alarms = items(&alarms["MetricAlarms"]);
    let names: BTreeSet<&str> = alarms.iter().map(|a| text(&a["AlarmName"])).collect();
    let wanted: BTreeSet<&str> = items(&facts["alarm_names"]).iter().map(text).collect();
    report.check(
        names == wanted,
        format!("the {} alarms", wanted.len()),
        &names,
    )?;
    let topic = match &facts["alarm_topic_arn"] {
        Value::String(arn) => json!([arn]),
        _ => json!([]),
    };
    let actions = |alarm: &Value, key: &str| match &alarm[key] {
        Value::Null => json!([]),
        list => list.clone(),
    };
    // The canary's alarms notify no one: the deploy baking a canary reads them.
    let canary_alarms = items(&facts["canary"]["alarms"]);
    let expected = |alarm: &Value| {
        if canary_alarms.contains(&alarm["AlarmName"]) {
            json!([])
        } else {
            topic.clone()
        }
    };
    report.check(
        alarms.iter().all(|a| {
            actions(a, "AlarmActions") == expected(a) && actions(a, "OKActions") == expected(a)
        }),
        format!("alarm actions {topic}, none on the canary's"),
        alarms
            .iter()
            .map(|a| (&a["AlarmName"], &a["AlarmActions"]))
            .collect::<Vec<_>>(),
    )
}

/// The load balancer's security group: in the stage's VPC, 80 and 443 open to everyone.
fn check_security_group(
    aws: &dyn AwsApi,
    facts: &Value,
    physical: &BTreeMap<String, String>,
    report: &mut Report,
) -> Result<(), String> {
    let id = physical
        .get("LoadBalancerSecurityGroup")
        .map(String::as_str)
        .unwrap_or_default();
    let answer = aws.call("ec2", "describe-security-groups", &["--group-ids", id])?;
    let group = &answer["SecurityGroups"][0];
    report.check(
        group["VpcId"] == facts["vpc_id"],
        "security group in the stage's VPC",
        &group["VpcId"],
    )?;
    let mut rules = BTreeSet::new();
    for rule in items(&group["IpPermissions"]) {
        let port = rule["FromPort"].as_u64().unwrap_or_default();
        for range in items(&rule["IpRanges"]) {
            rules.insert((port, text(&range["CidrIp"])));
        }
        for range in items(&rule["Ipv6Ranges"]) {
            rules.insert((port, text(&range["CidrIpv6"])));
        }
    }
    let wanted = BTreeSet::from([
        (80, "0.0.0.0/0"),
        (80, "::/0"),
        (443, "0.0.0.0/0"),
        (443, "::/0"),
    ]);
    report.check(rules == wanted, "ingress 80 and 443 from anywhere", &rules)
}

/// The artifact bucket's own stack, the bucket's protections, and the zip at `key`.
fn check_artifacts(
    aws: &dyn AwsApi,
    facts: &Value,
    zip: &ZipFacts,
    key: &str,
    report: &mut Report,
) -> Result<(), String> {
    let stack_name = text(&facts["artifact_stack_name"]);
    let stack = &described_stack(aws, stack_name)?;
    report.check(
        matches!(
            text(&stack["StackStatus"]),
            "CREATE_COMPLETE" | "UPDATE_COMPLETE"
        ),
        format!("stack {stack_name} holds the artifact bucket"),
        &stack["StackStatus"],
    )?;
    let bucket = text(&facts["artifact_bucket"]);
    let outputs = pairs(&stack["Outputs"], "OutputKey", "OutputValue");
    report.check(
        outputs.get("BucketName").map(String::as_str) == Some(bucket),
        "its output BucketName is the stage's bucket",
        &outputs,
    )?;
    let block = aws.call("s3api", "get-public-access-block", &["--bucket", bucket])?;
    let block = &block["PublicAccessBlockConfiguration"];
    report.check(
        [
            "BlockPublicAcls",
            "IgnorePublicAcls",
            "BlockPublicPolicy",
            "RestrictPublicBuckets",
        ]
        .iter()
        .all(|flag| block[flag] == true),
        format!("bucket {bucket} blocks public access"),
        block,
    )?;
    let encryption = aws.call("s3api", "get-bucket-encryption", &["--bucket", bucket])?;
    let rules = &encryption["ServerSideEncryptionConfiguration"]["Rules"];
    report.check(
        matches!(
            text(&rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]),
            "AES256" | "aws:kms"
        ),
        "bucket encrypted",
        rules,
    )?;
    let versioning = aws.call("s3api", "get-bucket-versioning", &["--bucket", bucket])?;
    report.check(
        text(&versioning["Status"]) == "Enabled",
        "bucket versioned",
        &versioning,
    )?;
    let head = aws.call("s3api", "head-object", &["--bucket", bucket, "--key", key])?;
    report.check(
        head["ContentLength"].as_u64() == Some(zip.bytes),
        format!("s3://{bucket}/{key} is the zip"),
        &head["ContentLength"],
    )
}

#[cfg(test)]
mod tests {
    use super::super::fake::FakeAws;
    use super::*;

    fn facts() -> Value {
        json!({
            "region": "eu-west-1", "account_id": "000000000000", "function_name": "shop-migrate-site",
            "target_group_name": "shop-migrate-tg", "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "certificate_arn": "arn:cert", "alias": "live",
        })
    }

    fn listeners(redirect_path: &str) -> Value {
        json!({"Listeners": [
            {"Port": 443, "Protocol": "HTTPS", "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
             "Certificates": [{"CertificateArn": "arn:cert"}],
             "DefaultActions": [{"Type": "forward", "TargetGroupArn": "arn:tg"}]},
            {"Port": 80, "Protocol": "HTTP", "DefaultActions": [{"Type": "redirect", "RedirectConfig": {
                "Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": redirect_path,
                "Query": "#{query}", "StatusCode": "HTTP_301"}}]}]})
    }

    #[test]
    fn listeners_as_synthesized_pass_and_a_redirect_that_drops_the_path_fails() {
        let good = FakeAws::new().answer("elbv2 describe-listeners", listeners("/#{path}"));
        let mut out = Vec::new();
        let mut report = Report::new(&mut out);
        check_listeners(&good, &facts(), "arn:lb", "arn:tg", &mut report).unwrap();
        assert_eq!(report.passed(), 6);

        let bad = FakeAws::new().answer("elbv2 describe-listeners", listeners("/"));
        let error = check_listeners(
            &bad,
            &facts(),
            "arn:lb",
            "arn:tg",
            &mut Report::new(&mut Vec::new()),
        )
        .unwrap_err();
        assert!(error.contains("80 redirects to HTTPS"), "{error}");
        let other_group = check_listeners(
            &good,
            &facts(),
            "arn:lb",
            "arn:other",
            &mut Report::new(&mut Vec::new()),
        )
        .unwrap_err();
        assert!(other_group.contains("443 forwards"), "{other_group}");
    }

    #[test]
    fn stage_alarms_notify_the_topic_and_the_canary_alarms_no_one() {
        let facts = json!({
            "dashboard_name": "d", "function_name": "shop-migrate-site", "alarm_prefix": "shop",
            "alarm_names": ["shop-errors", "shop-canary-errors"],
            "alarm_topic_arn": "arn:topic", "canary": {"alarms": ["shop-canary-errors"]},
        });
        let dashboard =
            json!({"widgets": [1, 2, 3, 4], "fn": "shop-migrate-site app/lb/1"}).to_string();
        let aws = |canary_actions: Value| {
            FakeAws::new()
                .answer("cloudwatch get-dashboard", json!({"DashboardBody": dashboard}))
                .answer(
                    "cloudwatch describe-alarms",
                    json!({"MetricAlarms": [
                        {"AlarmName": "shop-errors", "AlarmActions": ["arn:topic"], "OKActions": ["arn:topic"]},
                        {"AlarmName": "shop-canary-errors", "AlarmActions": canary_actions, "OKActions": []},
                    ]}),
                )
        };
        let check = |aws: &FakeAws| {
            check_monitoring(
                aws,
                &facts,
                "arn:x:loadbalancer/app/lb/1",
                &mut Report::new(&mut Vec::new()),
            )
        };
        check(&aws(json!([]))).unwrap();
        let notifying = check(&aws(json!(["arn:topic"]))).unwrap_err();
        assert!(notifying.contains("none on the canary's"), "{notifying}");
    }

    #[test]
    fn the_invoke_permission_must_be_scoped_to_the_target_group_and_account() {
        let policy = |source: &str| {
            let statement = json!({"Statement": [{
                "Principal": {"Service": "elasticloadbalancing.amazonaws.com"}, "Action": "lambda:InvokeFunction",
                "Condition": {"ArnLike": {"AWS:SourceArn": source}, "StringEquals": {"AWS:SourceAccount": "000000000000"}}}]});
            FakeAws::new().answer(
                "lambda get-policy",
                json!({"Policy": statement.to_string()}),
            )
        };
        let scoped = policy(
            "arn:aws:elasticloadbalancing:eu-west-1:000000000000:targetgroup/shop-migrate-tg/*",
        );
        let permission = |aws: &FakeAws, target_group: &str| {
            check_permission(
                aws,
                &facts(),
                "live",
                target_group,
                &mut Report::new(&mut Vec::new()),
            )
        };
        permission(&scoped, "shop-migrate-tg").unwrap();
        let canary_group = permission(&scoped, "shop-migrate-tg-canary").unwrap_err();
        assert!(canary_group.contains("scoped to"), "{canary_group}");

        let open = policy("*");
        let error = permission(&open, "shop-migrate-tg").unwrap_err();
        assert!(error.contains("scoped to"), "{error}");
        let none = FakeAws::new();
        assert!(
            permission(&none, "shop-migrate-tg")
                .unwrap_err()
                .contains("one ELB invoke permission on alias live")
        );
    }

    #[test]
    fn the_alias_serves_this_zip_with_the_provisioned_concurrency_the_stage_asks() {
        let zip = ZipFacts {
            sha256_hex: "ab".repeat(32),
            sha256_base64: "q6ur".into(),
            bytes: 1,
            hashes: BTreeMap::new(),
        };
        let aws = |requested: u64| {
            FakeAws::new()
                .answer("lambda get-alias", json!({"AliasArn": "arn:f:live", "FunctionVersion": "3"}))
                .answer(
                    "lambda get-function-configuration",
                    json!({"CodeSha256": "q6ur", "Description": format!("s/{}.zip config x", "ab".repeat(32))}),
                )
                .answer(
                    "lambda get-provisioned-concurrency-config",
                    json!({"RequestedProvisionedConcurrentExecutions": requested}),
                )
        };
        let mut with_provisioned = facts();
        with_provisioned["function"] = json!({"provisioned_concurrency": 2});
        let mut sink = Vec::new();
        let mut report = Report::new(&mut sink);
        let (arn, version) =
            check_alias(&aws(2), &with_provisioned, &zip, "arn:f", &mut report).unwrap();
        assert_eq!(
            (arn.as_str(), version.as_str(), report.passed()),
            ("arn:f:live", "3", 3)
        );

        let error = check_alias(
            &aws(1),
            &with_provisioned,
            &zip,
            "arn:f",
            &mut Report::new(&mut Vec::new()),
        )
        .unwrap_err();
        assert!(
            error.contains("2 provisioned concurrent executions"),
            "{error}"
        );
        // Without the option, its configuration is not asked for.
        let off = aws(0);
        check_alias(
            &off,
            &facts(),
            &zip,
            "arn:f",
            &mut Report::new(&mut Vec::new()),
        )
        .unwrap();
        assert!(!off.calls().iter().any(|call| call.contains("provisioned")));
    }
}
