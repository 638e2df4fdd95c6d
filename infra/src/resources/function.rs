//! The Lambda function, its execution role, its log group, the version each deploy publishes,
//! the aliases the load balancer invokes (`live`, and `canary` for a canary's share), and ELB's
//! permission to invoke each.

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::{conditions, ids, parameters, tags};
use crate::cfn::{self, Resource, Template};
use crate::config::Stage;

/// Lambda's OS-only runtime: the `bootstrap` binary is the whole function.
pub const RUNTIME: &str = "provided.al2023";

/// The executable Lambda starts in a `provided` runtime.
pub const HANDLER: &str = "bootstrap";

/// The alias the load balancer invokes. Fixed once: renaming the alias a target group
/// registers breaks the update that renames it.
pub const LIVE_ALIAS: &str = "live";

/// The alias the canary target group registers: the version a canary bakes, else the live one.
/// Fixed once, like [`LIVE_ALIAS`].
pub const CANARY_ALIAS: &str = "canary";

/// The service principal the load balancer invokes the function as.
pub const ELB_PRINCIPAL: &str = "elasticloadbalancing.amazonaws.com";

/// Adds the role, the log group, the function and the invoke permission.
pub fn add(template: &mut Template, stage: &Stage) {
    let names = &stage.names;
    let function = &stage.settings.function;
    let file = stage.file_name();

    // The role may write to its own log group and nothing else: no logs:CreateLogGroup (the
    // template creates the group), no VPC network interfaces, and X-Ray only where the stage
    // turns tracing on (xray:Put* cannot be scoped to a resource; the handler logs the ALB's
    // X-Amzn-Trace-Id with every request either way).
    let mut statements = vec![json!({
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": cfn::get_att(ids::FUNCTION_LOG_GROUP, "Arn"),
    })];
    if function.tracing {
        statements.push(json!({
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        }));
    }
    let role = Resource::new(
        "AWS::IAM::Role",
        json!({
            "Description": format!("Execution role of {}: writes its own log group, nothing else", names.function),
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "Service": "lambda.amazonaws.com" },
                    "Action": "sts:AssumeRole",
                }],
            },
            "Policies": [{
                "PolicyName": "write-own-log-group",
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": statements,
                },
            }],
            "Tags": tags(stage),
        }),
    );
    template.add(ids::FUNCTION_ROLE, role);

    let log_group = Resource::new(
        "AWS::Logs::LogGroup",
        json!({
            "LogGroupName": names.log_group,
            "RetentionInDays": function.log_retention_days,
            "Tags": tags(stage),
        }),
    )
    .skip_checkov(
        "CKV_AWS_158",
        "CloudWatch Logs encrypts every log group at rest; a customer-managed KMS key adds a key \
         and key policy to manage for request logs that hold no secrets",
    );
    template.add(ids::FUNCTION_LOG_GROUP, log_group);

    let mut properties = json!({
        "FunctionName": names.function,
        "Description": format!("{} ({} stage): Leptos SSR behind an ALB", stage.settings.service, stage.name),
        "Runtime": RUNTIME,
        "Handler": HANDLER,
        "Architectures": [function.architecture.as_str()],
        "MemorySize": function.memory_mb,
        "Timeout": function.timeout_seconds,
        "Role": cfn::get_att(ids::FUNCTION_ROLE, "Arn"),
        "Code": {
            "S3Bucket": cfn::reference(parameters::ARTIFACT_BUCKET),
            "S3Key": cfn::reference(parameters::ARTIFACT_KEY),
        },
        "Tags": tags(stage),
    });
    if !function.environment.is_empty() {
        properties["Environment"] = json!({ "Variables": function.environment });
    }
    if let Some(reserved) = function.reserved_concurrency {
        properties["ReservedConcurrentExecutions"] = json!(reserved);
    }
    if function.tracing {
        properties["TracingConfig"] = json!({ "Mode": "Active" });
    }
    let version_description = cfn::sub(format!(
        "${{{}}} config {}",
        parameters::ARTIFACT_KEY,
        versioned_configuration_digest(&properties)
    ));
    let mut lambda = Resource::new("AWS::Lambda::Function", properties)
        .skip_checkov(
            "CKV_AWS_117",
            "the ALB invokes the function through the Lambda API and the function reaches nothing \
             inside a VPC; attaching one adds network interfaces and cold-start time for no gain",
        )
        .skip_checkov(
            "CKV_AWS_116",
            "the ALB invokes synchronously and gets the error itself (a 502); a dead-letter queue \
             only ever receives asynchronous invocations",
        );
    if !function.environment.is_empty() {
        lambda = lambda
            .skip_checkov(
                "CKV_AWS_173",
                "the environment holds settings, not secrets, and Lambda encrypts it at rest with \
                 the AWS-managed key",
            )
            .skip_checkov(
                "CKV_AWS_45",
                format!(
                    "stage validation refuses any function.environment entry in {file} that looks \
                     like a secret (secret-like names, private keys, AWS access key shapes)"
                ),
            );
    }
    if function.reserved_concurrency.is_none() {
        lambda = lambda.skip_checkov(
            "CKV_AWS_115",
            format!(
                "no reserved concurrency: a new account's quota cannot spare any; set \
                 function.reserved_concurrency in {file} to reserve and cap it"
            ),
        );
    }
    template.add(ids::FUNCTION, lambda);

    // Each deploy publishes an immutable version: the description names the code (its
    // content-addressed key holds the zip's sha256) and the versioned configuration, so a
    // change of either replaces this resource, which publishes a new version, and an
    // unchanged deploy publishes nothing. A replaced version is retained (the deploy prunes
    // the old ones) so that a release can be put back.
    template.add(
        ids::FUNCTION_VERSION,
        Resource::new(
            "AWS::Lambda::Version",
            json!({
                "FunctionName": cfn::reference(ids::FUNCTION),
                "Description": version_description,
            }),
        )
        .data_policies("Delete", "Retain"),
    );
    let mut alias = json!({
        "FunctionName": cfn::reference(ids::FUNCTION),
        "FunctionVersion": live_version(),
        "Name": LIVE_ALIAS,
        "Description": "The version the load balancer invokes",
    });
    // On the alias, not on a version: it follows each release.
    if let Some(provisioned) = function.provisioned_concurrency {
        alias["ProvisionedConcurrencyConfig"] =
            json!({ "ProvisionedConcurrentExecutions": provisioned });
    }
    template.add(ids::LIVE_ALIAS, Resource::new("AWS::Lambda::Alias", alias));

    // Between canaries this alias serves the live version, so that a client the load
    // balancer keeps on the canary target group (stickiness outlasts a weight of 0) gets the
    // live one once a canary is promoted or rolled back.
    template.add(
        ids::CANARY_ALIAS,
        Resource::new(
            "AWS::Lambda::Alias",
            json!({
                "FunctionName": cfn::reference(ids::FUNCTION),
                "FunctionVersion": cfn::if_(
                    conditions::CANARY_RUNNING,
                    cfn::reference(parameters::CANARY_VERSION),
                    live_version(),
                ),
                "Name": CANARY_ALIAS,
                "Description": "The version a canary release bakes on (the live one between canaries)",
            }),
        ),
    );

    add_invoke_permission(
        template,
        ids::INVOKE_PERMISSION,
        ids::LIVE_ALIAS,
        &names.target_group,
    );
    add_invoke_permission(
        template,
        ids::CANARY_INVOKE_PERMISSION,
        ids::CANARY_ALIAS,
        &names.canary_target_group,
    );
}

/// ELB's permission to invoke an alias, on the alias the target group registers (its
/// qualified ARN). Scoped by target group name and account: `Ref` of the target group here
/// would be a cycle, since the target group must wait for this permission (ELB checks it when
/// registering).
fn add_invoke_permission(template: &mut Template, id: &str, alias_id: &str, target_group: &str) {
    template.add(
        id,
        Resource::new(
            "AWS::Lambda::Permission",
            json!({
                "Action": "lambda:InvokeFunction",
                "FunctionName": cfn::reference(alias_id),
                "Principal": ELB_PRINCIPAL,
                "SourceAccount": cfn::reference("AWS::AccountId"),
                "SourceArn": cfn::sub(target_group_arn_pattern(target_group)),
            }),
        ),
    );
}

/// The version the `live` alias serves: the `LiveVersion` parameter when it names one (the
/// deploy keeps the serving version there while it publishes and smoke-tests a new one), else
/// the version this update publishes.
pub fn live_version() -> Value {
    cfn::if_(
        conditions::LIVE_VERSION_PINNED,
        cfn::reference(parameters::LIVE_VERSION),
        cfn::get_att(ids::FUNCTION_VERSION, "Version"),
    )
}

/// A digest of what a version freezes besides the code (memory, timeout, environment,
/// runtime, architecture, …): the function's properties without its code, tags and reserved
/// concurrency (which belongs to the function, not to a version).
fn versioned_configuration_digest(properties: &Value) -> String {
    let mut versioned = properties.clone();
    if let Some(object) = versioned.as_object_mut() {
        for unversioned in ["Code", "Tags", "ReservedConcurrentExecutions"] {
            object.remove(unversioned);
        }
    }
    let digest = Sha256::digest(cfn::to_canonical_json(&versioned, false).as_bytes());
    format!("{digest:x}")[..12].to_string()
}

/// `arn:…:targetgroup/<name>/*`: every target group of that name in this account and region.
pub fn target_group_arn_pattern(target_group: &str) -> String {
    format!(
        "arn:${{AWS::Partition}}:elasticloadbalancing:${{AWS::Region}}:${{AWS::AccountId}}:targetgroup/{target_group}/*"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_versioned_setting_changes_the_digest_and_code_tags_and_concurrency_do_not() {
        let base = json!({"MemorySize": 512, "Timeout": 10, "Code": {"S3Key": "a"}, "Tags": []});
        let digest = versioned_configuration_digest(&base);
        let mut memory = base.clone();
        memory["MemorySize"] = json!(1024);
        assert_ne!(versioned_configuration_digest(&memory), digest);
        let mut environment = base.clone();
        environment["Environment"] = json!({"Variables": {"A": "1"}});
        assert_ne!(versioned_configuration_digest(&environment), digest);
        let mut unversioned = base.clone();
        unversioned["Code"] = json!({"S3Key": "b"});
        unversioned["Tags"] = json!([{"Key": "k", "Value": "v"}]);
        unversioned["ReservedConcurrentExecutions"] = json!(5);
        assert_eq!(versioned_configuration_digest(&unversioned), digest);
        assert_eq!(digest.len(), 12);
    }
}
