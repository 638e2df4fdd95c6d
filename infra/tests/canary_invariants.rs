//! The canary release's safety, checked on every stage there is (the tests' fixtures and
//! whatever stage files `stages/` holds): a deploy that passes none of the canary's parameters
//! sends every request to the live version, the canary alias serves the live version between
//! canaries, clients stick to a target group only while a canary bakes, and the canary's
//! alarms watch the canary alone and notify no one.
//!
//! The shape of both lanes (alias, target group, permission) is checked in
//! `tests/invariants.rs`; these tests check what CloudFormation makes of it for the parameters
//! a deploy passes. As there, expected values are spelled out rather than taken from the
//! crate's constants.

mod common;

use common::{
    Lane, every_stage_with_template, fixture, label, live_and_canary, only, resources_of, variant,
};
use serde_json::{Value, json};

/// A template value as CloudFormation resolves it for a deploy that passes `passed` and leaves
/// every other parameter at its default: a `Ref` of a parameter becomes its value, an `Fn::If`
/// its branch; other intrinsics stay as they are.
fn resolve(template: &Value, passed: &[(&str, Value)], value: &Value) -> Value {
    for (name, _) in passed {
        assert!(
            template["Parameters"].get(name).is_some(),
            "no parameter {name}"
        );
    }
    match value {
        Value::Object(object) => {
            if let Some(Value::String(name)) = object.get("Ref")
                && let Some(parameter) = template["Parameters"].get(name)
            {
                return passed
                    .iter()
                    .find(|(passed_name, _)| passed_name == name)
                    .map(|(_, value)| value.clone())
                    .or_else(|| parameter.get("Default").cloned())
                    .unwrap_or_else(|| panic!("{name} has no default and was not passed"));
            }
            if let Some(Value::Array(parts)) = object.get("Fn::If") {
                let condition = &template["Conditions"][parts[0].as_str().unwrap()];
                let branch = if holds(template, passed, condition) {
                    1
                } else {
                    2
                };
                return resolve(template, passed, &parts[branch]);
            }
            Value::Object(
                object
                    .iter()
                    .map(|(key, child)| (key.clone(), resolve(template, passed, child)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|child| resolve(template, passed, child))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Whether a condition (`Fn::Not`, `Fn::Equals`) holds for those parameters.
fn holds(template: &Value, passed: &[(&str, Value)], condition: &Value) -> bool {
    if let Some(Value::Array(parts)) = condition.get("Fn::Not") {
        return !holds(template, passed, &parts[0]);
    }
    if let Some(Value::Array(parts)) = condition.get("Fn::Equals") {
        return resolve(template, passed, &parts[0]) == resolve(template, passed, &parts[1]);
    }
    panic!("a condition these tests cannot evaluate: {condition}");
}

/// The HTTPS listener's one default action.
fn https_action(template: &Value) -> &Value {
    let listeners: Vec<&Value> = resources_of(template, "AWS::ElasticLoadBalancingV2::Listener")
        .into_iter()
        .map(|(_, listener)| &listener["Properties"])
        .filter(|properties| properties["Protocol"] == "HTTPS")
        .collect();
    assert_eq!(listeners.len(), 1);
    let actions = listeners[0]["DefaultActions"].as_array().unwrap();
    assert_eq!(actions.len(), 1, "one action: {actions:?}");
    &actions[0]
}

/// A target group's fixed name.
fn name_of<'a>(lane: &Lane<'a>) -> &'a str {
    lane.target_group["Properties"]["Name"].as_str().unwrap()
}

#[test]
fn a_deploy_that_passes_no_weights_sends_every_request_to_live() {
    for (stage, template) in every_stage_with_template() {
        for (name, default) in [("LiveWeight", 100), ("CanaryWeight", 0)] {
            let parameter = &template["Parameters"][name];
            assert_eq!(
                [
                    &parameter["Type"],
                    &parameter["Default"],
                    &parameter["MinValue"],
                    &parameter["MaxValue"]
                ],
                [&json!("Number"), &json!(default), &json!(0), &json!(100)],
                "{}: {name}",
                label(&stage)
            );
        }
        let [live, canary] = live_and_canary(&template);
        let action = https_action(&template);
        assert_eq!(action["Type"], "forward");
        assert!(
            action.get("TargetGroupArn").is_none(),
            "one forward form only"
        );
        let weights = |passed: &[(&str, Value)]| -> Vec<(Value, Value)> {
            resolve(&template, passed, &action["ForwardConfig"]["TargetGroups"])
                .as_array()
                .unwrap()
                .iter()
                .map(|group| (group["TargetGroupArn"].clone(), group["Weight"].clone()))
                .collect()
        };
        let (live_arn, canary_arn) = (
            json!({ "Ref": live.target_group_id }),
            json!({ "Ref": canary.target_group_id }),
        );
        assert_eq!(
            weights(&[]),
            [
                (live_arn.clone(), json!(100)),
                (canary_arn.clone(), json!(0))
            ],
            "{}: the defaults send everything to live",
            label(&stage)
        );
        // A canary's weights go to the target groups they name, not the other way round.
        assert_eq!(
            weights(&[("LiveWeight", json!(90)), ("CanaryWeight", json!(10))]),
            [(live_arn, json!(90)), (canary_arn, json!(10))],
            "{}",
            label(&stage)
        );
        assert!(
            resources_of(&template, "AWS::ElasticLoadBalancingV2::ListenerRule").is_empty(),
            "{}: no listener rule routes around the weights",
            label(&stage)
        );
    }
}

#[test]
fn between_canaries_the_canary_alias_serves_the_live_version_and_no_client_sticks() {
    for (stage, template) in every_stage_with_template() {
        let parameter = &template["Parameters"]["CanaryVersion"];
        assert_eq!(
            [
                &parameter["Type"],
                &parameter["Default"],
                &parameter["AllowedPattern"]
            ],
            [&json!("String"), &json!(""), &json!("^[0-9]*$")],
            "{}",
            label(&stage)
        );
        assert_eq!(
            template["Conditions"]["CanaryRunning"],
            json!({ "Fn::Not": [{ "Fn::Equals": [{ "Ref": "CanaryVersion" }, ""] }] })
        );
        let [live, canary] = live_and_canary(&template);
        let live_version = &live.alias["Properties"]["FunctionVersion"];
        let canary_version = &canary.alias["Properties"]["FunctionVersion"];
        // Between canaries, the live alias's own expression, whatever it is.
        assert_eq!(
            canary_version,
            &json!({ "Fn::If": ["CanaryRunning", { "Ref": "CanaryVersion" }, live_version] }),
            "{}",
            label(&stage)
        );
        let stickiness = &https_action(&template)["ForwardConfig"]["TargetGroupStickinessConfig"];
        let resolved = |passed: &[(&str, Value)]| {
            [live_version, canary_version, stickiness]
                .map(|value| resolve(&template, passed, value))
        };
        let (version_id, _) = only(&template, "AWS::Lambda::Version");
        let published = json!({ "Fn::GetAtt": [version_id, "Version"] });
        let not_sticky = json!({ "Enabled": false });
        // No canary: both aliases on the version this update publishes, or on the pinned one.
        assert_eq!(
            resolved(&[]),
            [published.clone(), published, not_sticky.clone()],
            "{}",
            label(&stage)
        );
        assert_eq!(
            resolved(&[("LiveVersion", json!("5"))]),
            [json!("5"), json!("5"), not_sticky],
            "{}",
            label(&stage)
        );
        // A canary bakes: its alias on its version, the live one unmoved, clients kept for an
        // hour on the target group they got.
        assert_eq!(
            resolved(&[
                ("LiveVersion", json!("5")),
                ("CanaryVersion", json!("6")),
                ("LiveWeight", json!(90)),
                ("CanaryWeight", json!(10)),
            ]),
            [
                json!("5"),
                json!("6"),
                json!({ "Enabled": true, "DurationSeconds": 3600 })
            ],
            "{}",
            label(&stage)
        );
    }
}

#[test]
fn canary_alarms_watch_the_canary_alias_and_target_group_and_notify_no_one() {
    for (stage, template) in every_stage_with_template() {
        let prefix = format!("{}-{}", stage.settings.service, stage.name);
        let names: Vec<String> = ["canary-errors", "canary-target-5xx", "canary-latency-p99"]
            .iter()
            .map(|suffix| format!("{prefix}-{suffix}"))
            .collect();
        // The alarms the deploy watches are the ones the template creates.
        assert_eq!(infra::alarms::canary_alarm_names(&stage), names);
        let alarms = resources_of(&template, "AWS::CloudWatch::Alarm");
        let named = |name: &str| -> &Value {
            let found: Vec<_> = alarms
                .iter()
                .filter(|(_, alarm)| alarm["Properties"]["AlarmName"] == name)
                .collect();
            assert_eq!(found.len(), 1, "{}: alarm {name}", label(&stage));
            &found[0].1["Properties"]
        };

        let [_, canary] = live_and_canary(&template);
        let (function_id, _) = only(&template, "AWS::Lambda::Function");
        let (load_balancer_id, _) = only(&template, "AWS::ElasticLoadBalancingV2::LoadBalancer");
        let target_group_dimensions = json!([
            { "Name": "LoadBalancer", "Value": { "Fn::GetAtt": [load_balancer_id, "LoadBalancerFullName"] } },
            { "Name": "TargetGroup", "Value": { "Fn::GetAtt": [canary.target_group_id, "TargetGroupFullName"] } },
        ]);
        let canary_alias = canary.alias["Properties"]["Name"].as_str().unwrap();
        assert_eq!(canary_alias, "canary");
        let p99_seconds = f64::from(stage.settings.alarms.p99_latency_ms) / 1000.0;
        // Name, metric, dimensions, statistic, threshold, periods evaluated, datapoints.
        let expected = [
            (
                "Errors",
                json!([
                    { "Name": "FunctionName", "Value": { "Ref": function_id } },
                    // Lambda's per-alias metrics: `<function name>:<alias>`.
                    { "Name": "Resource", "Value": { "Fn::Sub": format!("${{{function_id}}}:{canary_alias}") } },
                ]),
                ("Statistic", "Sum"),
                1.0,
                (1, 1),
            ),
            (
                "HTTPCode_Target_5XX_Count",
                target_group_dimensions.clone(),
                ("Statistic", "Sum"),
                1.0,
                (1, 1),
            ),
            (
                "TargetResponseTime",
                target_group_dimensions,
                ("ExtendedStatistic", "p99"),
                p99_seconds,
                (3, 2),
            ),
        ];
        for (name, (metric, dimensions, (statistic_key, statistic), threshold, periods)) in
            names.iter().zip(expected)
        {
            let alarm = named(name);
            let context = format!("{}: {name}", label(&stage));
            assert_eq!(alarm["MetricName"], metric, "{context}");
            assert_eq!(alarm["Dimensions"], dimensions, "{context}");
            assert_eq!(alarm[statistic_key], statistic, "{context}");
            assert_eq!(alarm["Threshold"].as_f64(), Some(threshold), "{context}");
            assert_eq!(
                (
                    &alarm["Period"],
                    &alarm["EvaluationPeriods"],
                    &alarm["DatapointsToAlarm"]
                ),
                (&json!(60), &json!(periods.0), &json!(periods.1)),
                "{context}: one-minute periods, so that a bake of minutes judges several"
            );
            assert_eq!(alarm["TreatMissingData"], "notBreaching", "{context}");
            for action in ["AlarmActions", "OKActions", "InsufficientDataActions"] {
                assert!(
                    alarm.get(action).is_none(),
                    "{context}: the deploy reads the canary's alarms; they notify no one"
                );
            }
        }

        // The stage's alarms, and only those, notify its topic where it has one.
        let topic = &stage.settings.alarms.sns_topic_arn;
        let stage_alarms: Vec<&Value> = alarms
            .iter()
            .map(|(_, alarm)| &alarm["Properties"])
            .filter(|alarm| !names.iter().any(|name| alarm["AlarmName"] == name.as_str()))
            .collect();
        assert_eq!(stage_alarms.len(), 5, "{}", label(&stage));
        for alarm in stage_alarms {
            let expected = topic.as_ref().map(|topic| json!([topic]));
            assert_eq!(
                alarm.get("AlarmActions"),
                expected.as_ref(),
                "{}",
                label(&stage)
            );
            assert_eq!(
                alarm.get("OKActions"),
                expected.as_ref(),
                "{}",
                label(&stage)
            );
        }
    }
    assert!(
        fixture("production")
            .settings
            .alarms
            .sns_topic_arn
            .is_some()
    );
    assert!(fixture("migrate").settings.alarms.sns_topic_arn.is_none());
}

#[test]
fn a_canary_target_group_name_too_long_for_alb_is_shortened_with_a_digest_and_pinned() {
    // 21 + 1 + 10 = 32 characters: the live name just fits, with `-canary` it would not.
    let (stage, template) = variant(
        "production",
        "service = \"example-site\"",
        "service = \"example-site-storefro\"",
    );
    let [live, canary] = live_and_canary(&template);
    assert_eq!(name_of(&live), "example-site-storefro-production");
    // Pinned: a renamed target group is a replaced one, and its permission is scoped by name.
    let canary_name = "example-site-sto-49dec7fb-canary";
    assert_eq!(name_of(&canary), canary_name);
    assert_eq!(stage.names.canary_target_group, canary_name);
    assert_eq!(
        canary.permission["Properties"]["SourceArn"]["Fn::Sub"],
        format!(
            "arn:${{AWS::Partition}}:elasticloadbalancing:${{AWS::Region}}:${{AWS::AccountId}}:targetgroup/{canary_name}/*"
        )
    );
}
