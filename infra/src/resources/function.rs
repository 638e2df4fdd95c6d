//! The Lambda function, its execution role, its log group, and ELB's permission to invoke it.

use serde_json::json;

use super::{ids, parameters, tags};
use crate::cfn::{self, Resource, Template};
use crate::config::Stage;

/// Lambda's OS-only runtime: the `bootstrap` binary is the whole function.
pub const RUNTIME: &str = "provided.al2023";

/// The executable Lambda starts in a `provided` runtime.
pub const HANDLER: &str = "bootstrap";

/// The service principal the load balancer invokes the function as.
pub const ELB_PRINCIPAL: &str = "elasticloadbalancing.amazonaws.com";

/// Adds the role, the log group, the function and the invoke permission.
pub fn add(template: &mut Template, stage: &Stage) {
    let names = &stage.names;
    let function = &stage.settings.function;
    let file = stage.file_name();

    // The role may write to its own log group and nothing else: no logs:CreateLogGroup (the
    // template creates the group), no VPC network interfaces, and no X-Ray tracing, whose
    // xray:Put* actions cannot be scoped to a resource (the handler logs the ALB's
    // X-Amzn-Trace-Id with every request instead).
    template.add(
        ids::FUNCTION_ROLE,
        Resource::new(
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
                        "Statement": [{
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": cfn::get_att(ids::FUNCTION_LOG_GROUP, "Arn"),
                        }],
                    },
                }],
                "Tags": tags(stage),
            }),
        ),
    );

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

    // Scoped by target group name and account: `Ref TargetGroup` here would be a cycle, since
    // the target group must wait for this permission (ELB checks it when registering).
    template.add(
        ids::INVOKE_PERMISSION,
        Resource::new(
            "AWS::Lambda::Permission",
            json!({
                "Action": "lambda:InvokeFunction",
                "FunctionName": cfn::get_att(ids::FUNCTION, "Arn"),
                "Principal": ELB_PRINCIPAL,
                "SourceAccount": cfn::reference("AWS::AccountId"),
                "SourceArn": cfn::sub(target_group_arn_pattern(&names.target_group)),
            }),
        ),
    );
}

/// `arn:…:targetgroup/<name>/*`: every target group of that name in this account and region.
pub fn target_group_arn_pattern(target_group: &str) -> String {
    format!(
        "arn:${{AWS::Partition}}:elasticloadbalancing:${{AWS::Region}}:${{AWS::AccountId}}:targetgroup/{target_group}/*"
    )
}
