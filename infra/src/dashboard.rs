//! The CloudWatch dashboard: the ALB's traffic, errors and latency next to the function's
//! invocations, errors, throttles, duration and concurrency.
//!
//! The body is JSON inside a string; ALB and target group dimensions are only known at deploy
//! time, so they are `Fn::Sub` variables. It is rendered canonically, like the template.

use serde_json::{Value, json};

use crate::cfn::{self, Resource, Template};
use crate::config::Stage;
use crate::resources::ids;

/// Widgets per row of the grid (24 units wide).
const WIDGET_WIDTH: u32 = 12;
/// Height of every widget.
const WIDGET_HEIGHT: u32 = 6;

/// Adds the dashboard.
pub fn add(template: &mut Template, stage: &Stage) {
    template.add(
        ids::DASHBOARD,
        Resource::new(
            "AWS::CloudWatch::Dashboard",
            json!({
                "DashboardName": stage.names.dashboard,
                "DashboardBody": cfn::sub_with(
                    cfn::to_canonical_json(&body(stage), false),
                    json!({
                        "LoadBalancerFullName": cfn::get_att(ids::LOAD_BALANCER, "LoadBalancerFullName"),
                        "TargetGroupFullName": cfn::get_att(ids::TARGET_GROUP, "TargetGroupFullName"),
                    }),
                ),
            }),
        ),
    );
}

/// The dashboard body, with `${…}` placeholders for `Fn::Sub`.
pub fn body(stage: &Stage) -> Value {
    let function = stage.names.function.as_str();
    let load_balancer = || {
        vec![
            json!("AWS/ApplicationELB"),
            json!("LoadBalancer"),
            json!("${LoadBalancerFullName}"),
        ]
    };
    let target_group = || {
        vec![
            json!("AWS/ApplicationELB"),
            json!("LoadBalancer"),
            json!("${LoadBalancerFullName}"),
            json!("TargetGroup"),
            json!("${TargetGroupFullName}"),
        ]
    };
    let lambda = || vec![json!("AWS/Lambda"), json!("FunctionName"), json!(function)];
    let metric = |dimensions: Vec<Value>, name: &str, stat: &str, label: &str| {
        let mut line = vec![dimensions[0].clone(), json!(name)];
        line.extend(dimensions[1..].iter().cloned());
        line.push(json!({ "stat": stat, "label": label }));
        Value::Array(line)
    };

    let widgets = [
        (
            "Requests (ALB)",
            vec![metric(load_balancer(), "RequestCount", "Sum", "requests")],
        ),
        (
            "4xx and 5xx responses (ALB and target)",
            vec![
                metric(load_balancer(), "HTTPCode_ELB_4XX_Count", "Sum", "ELB 4xx"),
                metric(load_balancer(), "HTTPCode_ELB_5XX_Count", "Sum", "ELB 5xx"),
                metric(
                    target_group(),
                    "HTTPCode_Target_4XX_Count",
                    "Sum",
                    "target 4xx",
                ),
                metric(
                    target_group(),
                    "HTTPCode_Target_5XX_Count",
                    "Sum",
                    "target 5xx",
                ),
            ],
        ),
        (
            "Target response time (seconds)",
            vec![
                metric(target_group(), "TargetResponseTime", "p50", "p50"),
                metric(target_group(), "TargetResponseTime", "p90", "p90"),
                metric(target_group(), "TargetResponseTime", "p99", "p99"),
            ],
        ),
        (
            "Lambda errors seen by the ALB",
            vec![
                metric(target_group(), "LambdaUserError", "Sum", "LambdaUserError"),
                metric(
                    target_group(),
                    "LambdaInternalError",
                    "Sum",
                    "LambdaInternalError",
                ),
            ],
        ),
        (
            "Lambda invocations, errors, throttles",
            vec![
                metric(lambda(), "Invocations", "Sum", "invocations"),
                metric(lambda(), "Errors", "Sum", "errors"),
                metric(lambda(), "Throttles", "Sum", "throttles"),
            ],
        ),
        (
            "Lambda duration (ms)",
            vec![
                metric(lambda(), "Duration", "p50", "p50"),
                metric(lambda(), "Duration", "p99", "p99"),
                metric(lambda(), "Duration", "Maximum", "max"),
            ],
        ),
        (
            "Lambda concurrency",
            vec![metric(
                lambda(),
                "ConcurrentExecutions",
                "Maximum",
                "concurrent executions",
            )],
        ),
    ];

    let widgets: Vec<Value> = widgets
        .into_iter()
        .enumerate()
        .map(|(index, (title, metrics))| {
            let index = index as u32;
            json!({
                "type": "metric",
                "x": (index % 2) * WIDGET_WIDTH,
                "y": (index / 2) * WIDGET_HEIGHT,
                "width": WIDGET_WIDTH,
                "height": WIDGET_HEIGHT,
                "properties": {
                    "title": title,
                    "region": stage.settings.region,
                    "view": "timeSeries",
                    "stacked": false,
                    "period": 60,
                    "metrics": metrics,
                },
            })
        })
        .collect();
    json!({ "widgets": widgets })
}
