//! CloudWatch alarms: function errors and throttles, ELB and target 5xx, p99 latency; and the
//! canary's own (its alias's errors, its target group's 5xx and p99), which a canary release
//! watches while it bakes.
//!
//! The stage's alarms notify its SNS topic (if any) on alarm and on recovery; the canary's
//! notify no one (the deploy that watches them says what they found). Missing data is "not
//! breaching": a quiet site is a healthy one.

use serde_json::{Value, json};

use crate::cfn::{self, Resource, Template};
use crate::config::Stage;
use crate::resources::function::CANARY_ALIAS;
use crate::resources::ids;

/// Logical id of the function errors alarm.
pub const FUNCTION_ERRORS: &str = "AlarmFunctionErrors";
/// Logical id of the function throttles alarm.
pub const FUNCTION_THROTTLES: &str = "AlarmFunctionThrottles";
/// Logical id of the ELB 5xx alarm.
pub const LOAD_BALANCER_5XX: &str = "AlarmLoadBalancer5xx";
/// Logical id of the target 5xx alarm.
pub const TARGET_5XX: &str = "AlarmTarget5xx";
/// Logical id of the p99 latency alarm.
pub const LATENCY_P99: &str = "AlarmLatencyP99";

/// Logical id of the canary alias's errors alarm.
pub const CANARY_ERRORS: &str = "AlarmCanaryErrors";
/// Logical id of the canary target group's 5xx alarm.
pub const CANARY_TARGET_5XX: &str = "AlarmCanaryTarget5xx";
/// Logical id of the canary target group's p99 latency alarm.
pub const CANARY_LATENCY_P99: &str = "AlarmCanaryLatencyP99";

/// 5xx responses in five minutes that page someone (a few stray ones are noise).
const FIVE_XX_THRESHOLD: u32 = 5;

/// The name suffixes of the canary's alarms (after the stage's alarm prefix).
const CANARY_ALARM_SUFFIXES: [&str; 3] =
    ["canary-errors", "canary-target-5xx", "canary-latency-p99"];

/// The names of the alarms a canary release watches while it bakes.
pub fn canary_alarm_names(stage: &Stage) -> Vec<String> {
    CANARY_ALARM_SUFFIXES
        .iter()
        .map(|suffix| format!("{}-{suffix}", stage.names.alarm_prefix))
        .collect()
}

/// What one alarm watches.
struct Watch {
    logical_id: &'static str,
    name_suffix: &'static str,
    description: String,
    namespace: &'static str,
    metric: &'static str,
    dimensions: Value,
    /// `Sum`-like statistic, or a percentile such as `p99`.
    statistic: &'static str,
    threshold: f64,
    comparison: &'static str,
    period: u32,
    evaluation_periods: u32,
    datapoints_to_alarm: u32,
    /// Whether it notifies the stage's topic.
    notifies: bool,
}

/// Adds the alarms.
pub fn add(template: &mut Template, stage: &Stage) {
    let function_dimensions =
        json!([{ "Name": "FunctionName", "Value": cfn::reference(ids::FUNCTION) }]);
    let load_balancer_dimensions = json!([{ "Name": "LoadBalancer", "Value": cfn::get_att(ids::LOAD_BALANCER, "LoadBalancerFullName") }]);
    let target_group_dimensions = json!([
        { "Name": "LoadBalancer", "Value": cfn::get_att(ids::LOAD_BALANCER, "LoadBalancerFullName") },
        { "Name": "TargetGroup", "Value": cfn::get_att(ids::TARGET_GROUP, "TargetGroupFullName") },
    ]);
    let canary_target_group_dimensions = json!([
        { "Name": "LoadBalancer", "Value": cfn::get_att(ids::LOAD_BALANCER, "LoadBalancerFullName") },
        { "Name": "TargetGroup", "Value": cfn::get_att(ids::CANARY_TARGET_GROUP, "TargetGroupFullName") },
    ]);
    let p99_ms = stage.settings.alarms.p99_latency_ms;

    let watches = [
        Watch {
            logical_id: FUNCTION_ERRORS,
            name_suffix: "function-errors",
            description:
                "The function failed (crash, timeout or out of memory): the ALB answered 502".into(),
            namespace: "AWS/Lambda",
            metric: "Errors",
            dimensions: function_dimensions.clone(),
            statistic: "Sum",
            threshold: 1.0,
            comparison: "GreaterThanOrEqualToThreshold",
            period: 300,
            evaluation_periods: 1,
            datapoints_to_alarm: 1,
            notifies: true,
        },
        Watch {
            logical_id: FUNCTION_THROTTLES,
            name_suffix: "function-throttles",
            description:
                "Invocations were throttled (concurrency limit reached): those requests failed"
                    .into(),
            namespace: "AWS/Lambda",
            metric: "Throttles",
            dimensions: function_dimensions,
            statistic: "Sum",
            threshold: 1.0,
            comparison: "GreaterThanOrEqualToThreshold",
            period: 300,
            evaluation_periods: 1,
            datapoints_to_alarm: 1,
            notifies: true,
        },
        Watch {
            logical_id: LOAD_BALANCER_5XX,
            name_suffix: "elb-5xx",
            description: format!(
                "The ALB itself answered 5xx at least {FIVE_XX_THRESHOLD} times in 5 minutes"
            ),
            namespace: "AWS/ApplicationELB",
            metric: "HTTPCode_ELB_5XX_Count",
            dimensions: load_balancer_dimensions,
            statistic: "Sum",
            threshold: f64::from(FIVE_XX_THRESHOLD),
            comparison: "GreaterThanOrEqualToThreshold",
            period: 300,
            evaluation_periods: 1,
            datapoints_to_alarm: 1,
            notifies: true,
        },
        Watch {
            logical_id: TARGET_5XX,
            name_suffix: "target-5xx",
            description: format!(
                "The site answered 5xx at least {FIVE_XX_THRESHOLD} times in 5 minutes"
            ),
            namespace: "AWS/ApplicationELB",
            metric: "HTTPCode_Target_5XX_Count",
            dimensions: target_group_dimensions.clone(),
            statistic: "Sum",
            threshold: f64::from(FIVE_XX_THRESHOLD),
            comparison: "GreaterThanOrEqualToThreshold",
            period: 300,
            evaluation_periods: 1,
            datapoints_to_alarm: 1,
            notifies: true,
        },
        Watch {
            logical_id: LATENCY_P99,
            name_suffix: "latency-p99",
            description: format!(
                "Target response time p99 above {p99_ms} ms in 2 of the last 3 five-minute periods"
            ),
            namespace: "AWS/ApplicationELB",
            metric: "TargetResponseTime",
            dimensions: target_group_dimensions,
            statistic: "p99",
            threshold: f64::from(p99_ms) / 1000.0,
            comparison: "GreaterThanThreshold",
            period: 300,
            evaluation_periods: 3,
            datapoints_to_alarm: 2,
            notifies: true,
        },
        // A canary's: one-minute periods, so that a bake of a few minutes judges several; any
        // error or 5xx counts (a client's mistake is a 4xx: a 5xx is the new version's).
        Watch {
            logical_id: CANARY_ERRORS,
            name_suffix: CANARY_ALARM_SUFFIXES[0],
            description: "The canary alias's version failed (crash, timeout or out of memory) in the last minute".into(),
            namespace: "AWS/Lambda",
            metric: "Errors",
            dimensions: json!([
                { "Name": "FunctionName", "Value": cfn::reference(ids::FUNCTION) },
                { "Name": "Resource", "Value": cfn::sub(format!("${{{}}}:{CANARY_ALIAS}", ids::FUNCTION)) },
            ]),
            statistic: "Sum",
            threshold: 1.0,
            comparison: "GreaterThanOrEqualToThreshold",
            period: 60,
            evaluation_periods: 1,
            datapoints_to_alarm: 1,
            notifies: false,
        },
        Watch {
            logical_id: CANARY_TARGET_5XX,
            name_suffix: CANARY_ALARM_SUFFIXES[1],
            description: "The canary answered 5xx in the last minute".into(),
            namespace: "AWS/ApplicationELB",
            metric: "HTTPCode_Target_5XX_Count",
            dimensions: canary_target_group_dimensions.clone(),
            statistic: "Sum",
            threshold: 1.0,
            comparison: "GreaterThanOrEqualToThreshold",
            period: 60,
            evaluation_periods: 1,
            datapoints_to_alarm: 1,
            notifies: false,
        },
        Watch {
            logical_id: CANARY_LATENCY_P99,
            name_suffix: CANARY_ALARM_SUFFIXES[2],
            description: format!(
                "The canary's target response time p99 above {p99_ms} ms in 2 of the last 3 minutes"
            ),
            namespace: "AWS/ApplicationELB",
            metric: "TargetResponseTime",
            dimensions: canary_target_group_dimensions,
            statistic: "p99",
            threshold: f64::from(p99_ms) / 1000.0,
            comparison: "GreaterThanThreshold",
            period: 60,
            evaluation_periods: 3,
            datapoints_to_alarm: 2,
            notifies: false,
        },
    ];

    let actions: Vec<&str> = stage
        .settings
        .alarms
        .sns_topic_arn
        .iter()
        .map(String::as_str)
        .collect();
    for watch in watches {
        let mut properties = json!({
            "AlarmName": format!("{}-{}", stage.names.alarm_prefix, watch.name_suffix),
            "AlarmDescription": watch.description,
            "Namespace": watch.namespace,
            "MetricName": watch.metric,
            "Dimensions": watch.dimensions,
            "Period": watch.period,
            "EvaluationPeriods": watch.evaluation_periods,
            "DatapointsToAlarm": watch.datapoints_to_alarm,
            "Threshold": watch.threshold,
            "ComparisonOperator": watch.comparison,
            "TreatMissingData": "notBreaching",
        });
        if watch.statistic.starts_with('p') {
            properties["ExtendedStatistic"] = json!(watch.statistic);
        } else {
            properties["Statistic"] = json!(watch.statistic);
        }
        if watch.notifies && !actions.is_empty() {
            properties["AlarmActions"] = json!(actions);
            properties["OKActions"] = json!(actions);
        }
        template.add(
            watch.logical_id,
            Resource::new("AWS::CloudWatch::Alarm", properties),
        );
    }
}
