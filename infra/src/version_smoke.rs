//! The smoke test of a new version before it takes any traffic (`infra version-smoke …`):
//! the deploy invokes the published version itself, not through the load balancer (whose
//! alias still serves the old one), with the event the load balancer would send, and checks
//! each answer here.

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::cli::subcommand::{self, Group};
use crate::resources::load_balancer::HEALTH_CHECK_PATH;

/// The paths asked, in order: the health check, then the home page.
pub const PATHS: [&str; 2] = [HEALTH_CHECK_PATH, "/"];

/// Bytes of an unexpected body quoted in a failure.
const QUOTED_BYTES: usize = 300;

/// `infra version-smoke` help.
pub const USAGE: &str = "\
usage: infra version-smoke <command> [options]

  paths                           the paths to ask, one per line
  event --path P --host H         the load balancer's event (multi-value headers) for GET P
  check --path P --answer FILE    fails unless FILE (the function's answer to that event, as
                                  `aws lambda invoke` wrote it) is what P must answer; prints
                                  one line";

/// What `infra version-smoke` accepts.
const GROUP: Group = Group {
    name: "version-smoke",
    usage: USAGE,
    commands: &[
        ("paths", &[]),
        ("event", &["path", "host"]),
        ("check", &["path", "answer"]),
    ],
    common: &[],
    bare: &[],
    repeated: &[],
};

/// The event an ALB target group in multi-value mode sends for `GET path` at `host`.
pub fn alb_event(path: &str, host: &str) -> Value {
    json!({
        "requestContext": { "elb": {
            "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/deploy-smoke-test/0000000000000000",
        } },
        "httpMethod": "GET",
        "path": path,
        "multiValueQueryStringParameters": {},
        "multiValueHeaders": {
            "host": [host],
            "accept": ["text/html,*/*"],
            "user-agent": ["scripts/deploy.sh (smoke test of a new version)"],
            "x-forwarded-for": ["127.0.0.1"],
            "x-forwarded-port": ["443"],
            "x-forwarded-proto": ["https"],
        },
        "body": "",
        "isBase64Encoded": false,
    })
}

/// A header of the answer, from either header map, lowercased name.
fn header<'a>(answer: &'a Value, name: &str) -> Option<&'a str> {
    let find = |map: &'a Value| {
        map.as_object()?
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    };
    match find(&answer["multiValueHeaders"]) {
        Some(Value::Array(values)) => values.first().and_then(Value::as_str),
        _ => find(&answer["headers"]).and_then(Value::as_str),
    }
}

/// Checks the function's answer to [`alb_event`] for `path`: 200, and `ok` from the health
/// check or an HTML page from any other path. Returns a one-line summary.
pub fn check_answer(path: &str, answer: &Value) -> Result<String, String> {
    if let Some(error) = answer["errorMessage"].as_str() {
        return Err(format!("GET {path}: the function failed: {error}"));
    }
    let body = match answer["body"].as_str().unwrap_or_default() {
        text if answer["isBase64Encoded"] == json!(true) => {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|error| {
                    format!("GET {path}: the body is not base64 although isBase64Encoded: {error}")
                })?
        }
        text => text.as_bytes().to_vec(),
    };
    let quoted = String::from_utf8_lossy(&body[..body.len().min(QUOTED_BYTES)]).into_owned();
    let status = answer["statusCode"].as_u64().unwrap_or_default();
    if status != 200 {
        return Err(format!("GET {path} answered {status}, not 200: {quoted:?}"));
    }
    let content_type = header(answer, "content-type").unwrap_or_default();
    let fine = if path == HEALTH_CHECK_PATH {
        quoted.trim() == "ok"
    } else {
        content_type.starts_with("text/html")
            && String::from_utf8_lossy(&body)
                .to_ascii_lowercase()
                .contains("<html")
    };
    if !fine {
        return Err(format!(
            "GET {path} answered 200 with {content_type:?} but not the {}: {quoted:?}",
            if path == HEALTH_CHECK_PATH {
                "health check's `ok`"
            } else {
                "site's HTML page"
            }
        ));
    }
    Ok(format!(
        "GET {path}: 200, {content_type}, {} bytes",
        body.len()
    ))
}

/// Runs `infra version-smoke …` (the arguments after `version-smoke`), writing to `out`.
pub fn run(args: &[String], out: &mut dyn Write) -> Result<(), String> {
    let invocation = subcommand::parse(&GROUP, args)?;
    let text = match invocation.command.as_str() {
        "paths" => PATHS.iter().map(|path| format!("{path}\n")).collect(),
        "event" => format!(
            "{}\n",
            alb_event(invocation.required("path")?, invocation.required("host")?)
        ),
        _ => {
            let file = Path::new(invocation.required("answer")?);
            let text = std::fs::read_to_string(file)
                .map_err(|error| format!("cannot read {}: {error}", file.display()))?;
            let answer: Value = serde_json::from_str(&text).map_err(|error| {
                format!(
                    "{} is not the function's JSON answer: {error}",
                    file.display()
                )
            })?;
            format!("{}\n", check_answer(invocation.required("path")?, &answer)?)
        }
    };
    out.write_all(text.as_bytes())
        .map_err(|error| format!("cannot write: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u64, content_type: &str, body: &str, base64: bool) -> Value {
        let body = if base64 {
            base64::engine::general_purpose::STANDARD.encode(body)
        } else {
            body.to_string()
        };
        json!({
            "statusCode": status,
            "multiValueHeaders": { "Content-Type": [content_type] },
            "body": body,
            "isBase64Encoded": base64,
        })
    }

    #[test]
    fn the_event_is_a_multi_value_alb_get() {
        let event = alb_event("/", "www.example.com");
        assert_eq!(event["httpMethod"], "GET");
        assert_eq!(
            event["multiValueHeaders"]["host"],
            json!(["www.example.com"])
        );
        assert!(event["requestContext"]["elb"]["targetGroupArn"].is_string());
    }

    #[test]
    fn healthy_answers_pass_in_either_encoding() {
        assert!(check_answer("/healthz", &answer(200, "text/plain", "ok\n", false)).is_ok());
        let page = answer(
            200,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body>x</body></html>",
            true,
        );
        assert_eq!(
            check_answer("/", &page).unwrap(),
            "GET /: 200, text/html; charset=utf-8, 42 bytes"
        );
        let single =
            json!({"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "ok"});
        assert!(check_answer("/healthz", &single).is_ok());
    }

    #[test]
    fn what_fails_says_why_with_a_bounded_quote() {
        let long = "x".repeat(10_000);
        for (path, bad, message) in [
            (
                "/",
                answer(500, "text/plain", &long, false),
                "answered 500, not 200",
            ),
            (
                "/healthz",
                answer(200, "text/plain", "not ok", false),
                "not the health check's `ok`",
            ),
            (
                "/",
                answer(200, "application/json", "{}", false),
                "not the site's HTML page",
            ),
            (
                "/",
                json!({"errorMessage": "boom", "errorType": "Panic"}),
                "the function failed: boom",
            ),
            (
                "/",
                json!({"statusCode": 200, "body": "%%", "isBase64Encoded": true}),
                "not base64",
            ),
        ] {
            let error = check_answer(path, &bad).unwrap_err();
            assert!(error.contains(message), "{error}");
            assert!(error.len() < 500, "bounded: {} bytes", error.len());
        }
    }

    #[test]
    fn the_command_line_prints_paths_and_events() {
        let mut out = Vec::new();
        run(&["paths".to_string()], &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "/healthz\n/\n");
        let error = run(
            &["check".into(), "--path".into(), "/".into()],
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(error.contains("needs --answer"), "{error}");
    }
}
