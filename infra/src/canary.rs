//! Canary releases (`infra canary …`): `scripts/deploy.sh --canary P` sends P percent of the
//! requests to the new version through a second target group (the HTTPS listener's weighted
//! forward; ALB has no documented support for a Lambda alias's own routing weights), watches
//! the canary's alarms while it bakes, then promotes it or rolls it back. The script sequences
//! that; the decisions are here:
//! - [`weights`]: the listener's two weights for a percent, or why the percent is refused.
//! - [`verdict`]: what the canary's alarms say, from `aws cloudwatch describe-alarms`.

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use crate::cli::subcommand::{self, Group};
use crate::config::{DEFAULT_STAGES_DIR, Stage};
use crate::describe::shell_quote;

/// The largest share a canary may take: more is a release, not a canary.
pub const MAX_PERCENT: u32 = 50;

/// Characters of an alarm's state reason quoted in a verdict.
const QUOTED_REASON: usize = 200;

/// `infra canary` help.
pub const USAGE: &str = "\
usage: infra canary <command> [options]

  weights --percent P             the HTTPS listener's weights for a canary taking P percent
                                  of the requests (1 to 50), as LIVE_WEIGHT=… and
                                  CANARY_WEIGHT=… lines
  verdict --stage S [--stages-dir D] --alarms FILE
                                  what the stage's canary alarms say (FILE: the JSON of `aws
                                  cloudwatch describe-alarms --alarm-names …`), as
                                  CANARY_VERDICT='healthy'|'alarm' and CANARY_REASON='…'
                                  lines; fails when one of them is missing";

/// What `infra canary` accepts.
const GROUP: Group = Group {
    name: "canary",
    usage: USAGE,
    commands: &[
        ("weights", &["percent"]),
        ("verdict", &["stage", "stages-dir", "alarms"]),
    ],
    common: &[],
    bare: &[],
    repeated: &[],
};

/// The listener's weights `(live, canary)` for a canary taking `percent` of the requests:
/// a whole number from 1 to [`MAX_PERCENT`], with or without a `%`.
pub fn weights(percent: &str) -> Result<(u32, u32), String> {
    let text = percent.trim();
    let number = text.strip_suffix('%').unwrap_or(text).trim();
    let refused = || {
        format!(
            "--canary {percent:?}: give the canary's share of the requests as a whole percent \
             from 1 to {MAX_PERCENT} (e.g. --canary 10); without --canary a release takes all \
             of them at once"
        )
    };
    if number.is_empty() || !number.bytes().all(|byte| byte.is_ascii_digit()) || number.len() > 3 {
        return Err(refused());
    }
    let share: u32 = number.parse().map_err(|_| refused())?;
    if !(1..=MAX_PERCENT).contains(&share) {
        return Err(refused());
    }
    Ok((100 - share, share))
}

/// What the canary's alarms say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// None is in alarm (OK, or no data yet: a quiet canary is a healthy one).
    Healthy,
    /// These are in alarm, each with its state reason: roll back.
    Alarm(Vec<String>),
}

/// Judges the canary by its alarms: `alarms` is `describe-alarms` JSON, `expected` the names
/// the stage's canary alarms have. An expected alarm missing from the listing is an error (a
/// stack deployed before canaries existed, or a listing of the wrong region), never healthy.
pub fn verdict(alarms: &Value, expected: &[String]) -> Result<Verdict, String> {
    let listed = alarms["MetricAlarms"]
        .as_array()
        .ok_or("the alarm listing has no `MetricAlarms` list")?;
    let mut firing = Vec::new();
    for name in expected {
        let alarm = listed
            .iter()
            .find(|alarm| alarm["AlarmName"].as_str() == Some(name))
            .ok_or_else(|| {
                format!(
                    "the canary alarm {name} does not exist: deploy the stage once without \
                     --canary (that creates it), then release with --canary"
                )
            })?;
        let state = alarm["StateValue"].as_str().unwrap_or_default();
        match state {
            "OK" | "INSUFFICIENT_DATA" => {}
            "ALARM" => {
                let reason = alarm["StateReason"].as_str().unwrap_or("no reason given");
                let reason: String = reason.chars().take(QUOTED_REASON).collect();
                firing.push(format!("{name} is ALARM ({reason})"));
            }
            other => {
                return Err(format!(
                    "the canary alarm {name} has the unknown state {other:?}"
                ));
            }
        }
    }
    Ok(if firing.is_empty() {
        Verdict::Healthy
    } else {
        Verdict::Alarm(firing)
    })
}

/// Runs `infra canary …` (the arguments after `canary`).
pub fn run(args: &[String], stdout: &mut dyn Write) -> Result<(), String> {
    let invocation = subcommand::parse(&GROUP, args)?;
    let text = match invocation.command.as_str() {
        "weights" => {
            let (live, canary) = weights(invocation.required("percent")?)?;
            format!("LIVE_WEIGHT={live}\nCANARY_WEIGHT={canary}\n")
        }
        "verdict" => {
            let stages_dir = invocation.get("stages-dir").unwrap_or(DEFAULT_STAGES_DIR);
            let stage = Stage::load(Path::new(stages_dir), invocation.required("stage")?)
                .map_err(|error| error.to_string())?;
            let path = invocation.required("alarms")?;
            let listing = std::fs::read_to_string(path)
                .map_err(|error| format!("cannot read the alarm listing {path}: {error}"))?;
            let listing: Value = serde_json::from_str(&listing)
                .map_err(|error| format!("the alarm listing {path} is not JSON: {error}"))?;
            match verdict(&listing, &crate::alarms::canary_alarm_names(&stage))? {
                Verdict::Healthy => "CANARY_VERDICT='healthy'\nCANARY_REASON=''\n".to_string(),
                Verdict::Alarm(firing) => format!(
                    "CANARY_VERDICT='alarm'\nCANARY_REASON={}\n",
                    shell_quote(&firing.join("; "))
                ),
            }
        }
        other => unreachable!("the group table lists {other}"),
    };
    stdout
        .write_all(text.as_bytes())
        .map_err(|error| format!("cannot write to stdout: {error}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_percent_from_one_to_fifty_gives_weights_that_add_to_a_hundred() {
        assert_eq!(weights("10"), Ok((90, 10)));
        assert_eq!(weights(" 5% "), Ok((95, 5)));
        assert_eq!(weights("1"), Ok((99, 1)));
        assert_eq!(weights("50"), Ok((50, 50)));
        for refused in [
            "0",
            "51",
            "100",
            "-5",
            "2.5",
            "ten",
            "",
            "%",
            "0010000",
            "99999999999",
        ] {
            let message = weights(refused).unwrap_err();
            assert!(message.contains("from 1 to 50"), "{refused:?}: {message}");
        }
    }

    fn alarm(name: &str, state: &str) -> Value {
        json!({ "AlarmName": name, "StateValue": state, "StateReason": format!("{name} reason") })
    }

    fn names() -> Vec<String> {
        vec!["s-canary-errors".into(), "s-canary-target-5xx".into()]
    }

    #[test]
    fn alarms_without_data_or_ok_are_healthy() {
        let listing = json!({ "MetricAlarms": [
            alarm("s-canary-errors", "INSUFFICIENT_DATA"),
            alarm("s-canary-target-5xx", "OK"),
            alarm("s-elb-5xx", "ALARM"),
        ] });
        // The stage's own alarms judge both versions together: only the canary's count.
        assert_eq!(verdict(&listing, &names()), Ok(Verdict::Healthy));
    }

    #[test]
    fn any_canary_alarm_in_alarm_rolls_back_with_its_reason() {
        let listing = json!({ "MetricAlarms": [
            alarm("s-canary-errors", "OK"),
            alarm("s-canary-target-5xx", "ALARM"),
        ] });
        assert_eq!(
            verdict(&listing, &names()),
            Ok(Verdict::Alarm(vec![
                "s-canary-target-5xx is ALARM (s-canary-target-5xx reason)".into()
            ]))
        );
    }

    #[test]
    fn a_missing_alarm_or_a_malformed_listing_is_an_error_not_healthy() {
        let listing = json!({ "MetricAlarms": [alarm("s-canary-errors", "OK")] });
        let message = verdict(&listing, &names()).unwrap_err();
        assert!(
            message.contains("s-canary-target-5xx does not exist"),
            "{message}"
        );
        assert!(verdict(&json!({}), &names()).is_err());
        let odd = json!({ "MetricAlarms": [
            alarm("s-canary-errors", "PENDING"), alarm("s-canary-target-5xx", "OK"),
        ] });
        assert!(
            verdict(&odd, &names())
                .unwrap_err()
                .contains("unknown state")
        );
    }

    #[test]
    fn a_long_reason_is_quoted_bounded() {
        let mut long = alarm("s-canary-errors", "ALARM");
        long["StateReason"] = json!("x".repeat(10_000));
        let listing = json!({ "MetricAlarms": [long, alarm("s-canary-target-5xx", "OK")] });
        let Ok(Verdict::Alarm(firing)) = verdict(&listing, &names()) else {
            panic!("an alarm in ALARM must give the alarm verdict");
        };
        assert!(firing[0].len() < QUOTED_REASON + 50, "{}", firing[0].len());
    }
}
