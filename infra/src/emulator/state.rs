//! What the emulator holds, for the rehearsal's "nothing changed" and "nothing left" checks.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::aws::{AwsApi, described_stack, items, text};
use super::report::Report;

/// A deployed stage's function and stack as the rehearsal compares them before and after a
/// step: code, memory, last changes, stack status, event and change-set counts.
pub fn function_state(aws: &dyn AwsApi, facts: &Value) -> Result<Value, String> {
    let stack = text(&facts["stack_name"]);
    let function = aws.call(
        "lambda",
        "get-function-configuration",
        &["--function-name", text(&facts["function_name"])],
    )?;
    let described = &described_stack(aws, stack)?;
    let events = aws.call(
        "cloudformation",
        "describe-stack-events",
        &["--stack-name", stack],
    )?;
    let change_sets = aws.call(
        "cloudformation",
        "list-change-sets",
        &["--stack-name", stack],
    )?;
    Ok(json!({
        "CodeSha256": function["CodeSha256"],
        "MemorySize": function["MemorySize"],
        "LastModified": function["LastModified"],
        "StackStatus": described["StackStatus"],
        "LastUpdatedTime": described["LastUpdatedTime"],
        "StackEvents": items(&events["StackEvents"]).len(),
        "ChangeSets": items(&change_sets["Summaries"]).len(),
    }))
}

/// The stacks (with status), buckets, functions and load balancers of the region.
pub fn snapshot(aws: &dyn AwsApi) -> Result<Value, String> {
    let stacks: BTreeSet<(String, String)> = live_stacks(aws)?.into_iter().collect();
    Ok(json!({
        "stacks": stacks,
        "buckets": names(aws, ("s3api", "list-buckets"), "Buckets", "Name")?,
        "functions": names(aws, ("lambda", "list-functions"), "Functions", "FunctionName")?,
        "load_balancers": names(aws, ("elbv2", "describe-load-balancers"), "LoadBalancers", "LoadBalancerName")?,
    }))
}

/// What a destroy must leave: named `prefix…`.
#[derive(Clone, Debug, Default)]
pub struct Leftovers {
    /// Every name the stages created starts with it.
    pub prefix: String,
    /// Hosted zones that must hold only NS and SOA.
    pub zones: Vec<String>,
    /// Stacks that must still be there (an artifact bucket's, kept on purpose).
    pub stacks_kept: Vec<String>,
    /// Buckets that must still be there.
    pub buckets_kept: Vec<String>,
    /// Buckets that must be gone.
    pub buckets_gone: Vec<String>,
}

/// Checks that nothing named `prefix…` is left but what `leftovers` says is kept.
pub fn check_leftovers(
    aws: &dyn AwsApi,
    region: &str,
    leftovers: &Leftovers,
    report: &mut Report,
) -> Result<(), String> {
    let prefix = leftovers.prefix.as_str();
    report.line(&format!("  nothing named {prefix}* is left in {region}"))?;
    let ours = |names: Vec<String>| -> Vec<String> {
        names
            .into_iter()
            .filter(|name| name.starts_with(prefix))
            .collect()
    };
    let stacks: BTreeSet<String> = live_stacks(aws)?
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name.starts_with(prefix))
        .collect();
    let kept: BTreeSet<String> = leftovers.stacks_kept.iter().cloned().collect();
    report.check(
        stacks == kept,
        if kept.is_empty() {
            "no stacks".to_string()
        } else {
            format!("no stacks but {}", leftovers.stacks_kept.join(", "))
        },
        &stacks,
    )?;
    let lists = [
        (
            "no load balancers",
            ("elbv2", "describe-load-balancers"),
            "LoadBalancers",
            "LoadBalancerArn",
            false,
        ),
        (
            "no target groups",
            ("elbv2", "describe-target-groups"),
            "TargetGroups",
            "TargetGroupName",
            false,
        ),
        (
            "no functions",
            ("lambda", "list-functions"),
            "Functions",
            "FunctionName",
            true,
        ),
        ("no roles", ("iam", "list-roles"), "Roles", "RoleName", true),
    ];
    for (what, call, list, field, only_ours) in lists {
        let found = names(aws, call, list, field)?;
        let found = if only_ours { ours(found) } else { found };
        report.check(found.is_empty(), what, &found)?;
    }
    let log_prefix = format!("/aws/lambda/{prefix}");
    let groups = aws.call(
        "logs",
        "describe-log-groups",
        &["--log-group-name-prefix", &log_prefix],
    )?;
    let groups = field_of(&groups["logGroups"], "logGroupName");
    report.check(groups.is_empty(), "no log groups", &groups)?;
    let dashboards = aws.call(
        "cloudwatch",
        "list-dashboards",
        &["--dashboard-name-prefix", prefix],
    )?;
    let dashboards = field_of(&dashboards["DashboardEntries"], "DashboardName");
    report.check(dashboards.is_empty(), "no dashboards", &dashboards)?;
    let alarms = aws.call(
        "cloudwatch",
        "describe-alarms",
        &["--alarm-name-prefix", prefix],
    )?;
    let alarms = field_of(&alarms["MetricAlarms"], "AlarmName");
    report.check(alarms.is_empty(), "no alarms", &alarms)?;
    let groups = aws.call("ec2", "describe-security-groups", &[])?;
    let groups: Vec<&str> = items(&groups["SecurityGroups"])
        .iter()
        .filter(|g| text(&g["GroupName"]) != "default")
        .filter(|g| {
            format!("{}{}", text(&g["GroupName"]), text(&g["Description"])).contains(prefix)
        })
        .map(|g| text(&g["GroupId"]))
        .collect();
    report.check(groups.is_empty(), "no security groups", &groups)?;
    for zone in &leftovers.zones {
        let records = aws.call(
            "route53",
            "list-resource-record-sets",
            &["--hosted-zone-id", zone],
        )?;
        let records: Vec<(&str, &str)> = items(&records["ResourceRecordSets"])
            .iter()
            .map(|r| (text(&r["Name"]), text(&r["Type"])))
            .filter(|(_, kind)| !matches!(*kind, "NS" | "SOA"))
            .collect();
        report.check(
            records.is_empty(),
            format!("zone {zone} holds only NS and SOA"),
            &records,
        )?;
    }
    let buckets = names(aws, ("s3api", "list-buckets"), "Buckets", "Name")?;
    for bucket in &leftovers.buckets_kept {
        report.check(
            buckets.contains(bucket),
            format!("artifact bucket {bucket} kept"),
            &buckets,
        )?;
    }
    for bucket in &leftovers.buckets_gone {
        report.check(
            !buckets.contains(bucket),
            format!("artifact bucket {bucket} deleted"),
            &buckets,
        )?;
    }
    Ok(())
}

/// Stacks not yet deleted, with their status.
fn live_stacks(aws: &dyn AwsApi) -> Result<Vec<(String, String)>, String> {
    let answer = aws.call("cloudformation", "list-stacks", &[])?;
    Ok(items(&answer["StackSummaries"])
        .iter()
        .map(|s| (text(&s["StackName"]), text(&s["StackStatus"])))
        .filter(|(_, status)| *status != "DELETE_COMPLETE")
        .map(|(name, status)| (name.to_string(), status.to_string()))
        .collect())
}

/// One field of every element of a list the call returns, sorted.
fn names(
    aws: &dyn AwsApi,
    (service, operation): (&str, &str),
    list: &str,
    field: &str,
) -> Result<Vec<String>, String> {
    let answer = aws.call(service, operation, &[])?;
    let mut found: Vec<String> = field_of(&answer[list], field)
        .into_iter()
        .map(str::to_string)
        .collect();
    found.sort();
    Ok(found)
}

/// One field of every element of a JSON list.
fn field_of<'a>(list: &'a Value, field: &str) -> Vec<&'a str> {
    items(list).iter().map(|item| text(&item[field])).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fake::FakeAws;
    use super::*;

    fn leftovers() -> Leftovers {
        Leftovers {
            prefix: "shop-".into(),
            zones: vec!["Z1".into()],
            stacks_kept: vec!["shop-production-artifacts".into()],
            buckets_kept: vec!["shop-production-artifacts-b".into()],
            buckets_gone: vec!["shop-migrate-artifacts-b".into()],
        }
    }

    fn clean_account() -> FakeAws {
        FakeAws::new()
            .answer("cloudformation list-stacks", json!({"StackSummaries": [
                {"StackName": "shop-production-artifacts", "StackStatus": "CREATE_COMPLETE"},
                {"StackName": "shop-migrate", "StackStatus": "DELETE_COMPLETE"},
                {"StackName": "someone-else", "StackStatus": "CREATE_COMPLETE"}]}))
            .answer("s3api list-buckets", json!({"Buckets": [{"Name": "shop-production-artifacts-b"}]}))
            .answer("lambda list-functions", json!({"Functions": [{"FunctionName": "old-site"}]}))
            .answer("route53 list-resource-record-sets", json!({"ResourceRecordSets": [
                {"Name": "shop.example.", "Type": "NS"}, {"Name": "shop.example.", "Type": "SOA"}]}))
    }

    #[test]
    fn a_clean_account_passes_and_others_resources_are_ignored() {
        let mut out = Vec::new();
        let mut report = Report::new(&mut out);

        check_leftovers(&clean_account(), "eu-west-1", &leftovers(), &mut report).unwrap();

        assert_eq!(report.passed(), 12);
    }

    #[test]
    fn anything_of_the_stages_left_fails_by_name() {
        for (call, answer, named) in [
            (
                "lambda list-functions",
                json!({"Functions": [{"FunctionName": "shop-migrate-site"}]}),
                "no functions",
            ),
            (
                "route53 list-resource-record-sets",
                json!({"ResourceRecordSets": [{"Name": "m.shop.example.", "Type": "A"}]}),
                "zone Z1",
            ),
            (
                "s3api list-buckets",
                json!({"Buckets": [{"Name": "shop-production-artifacts-b"}, {"Name": "shop-migrate-artifacts-b"}]}),
                "shop-migrate-artifacts-b deleted",
            ),
            (
                "cloudformation list-stacks",
                json!({"StackSummaries": []}),
                "no stacks but shop-production-artifacts",
            ),
            (
                "ec2 describe-security-groups",
                json!({"SecurityGroups": [{"GroupId": "sg-1", "GroupName": "x", "Description": "shop-migrate ALB"}]}),
                "no security groups",
            ),
        ] {
            let aws = clean_account().answer(call, answer);
            let error = check_leftovers(
                &aws,
                "eu-west-1",
                &leftovers(),
                &mut Report::new(&mut Vec::new()),
            )
            .unwrap_err();
            assert!(error.contains(named), "{call}: {error}");
        }
    }

    #[test]
    fn a_snapshot_lists_live_stacks_and_sorted_names() {
        let snapshot = snapshot(&clean_account()).unwrap();
        assert_eq!(
            snapshot["stacks"],
            json!([
                ["shop-production-artifacts", "CREATE_COMPLETE"],
                ["someone-else", "CREATE_COMPLETE"]
            ])
        );
        assert_eq!(snapshot["functions"], json!(["old-site"]));
        assert_eq!(snapshot["load_balancers"], json!([]));
    }
}
