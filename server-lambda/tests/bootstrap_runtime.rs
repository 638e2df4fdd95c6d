//! The real `bootstrap` binary answering a Lambda Runtime API served by the test on
//! 127.0.0.1: every page of the site in both header modes, the preferences POST with a
//! base64 form body setting two cookies, API Gateway and Function URL events answered in their
//! own shapes by the same binary, and recovery from malformed payloads.

mod common;

use common::runtime_api::{LambdaUnderTest, Outcome};
use common::shapes::{assert_http_contract, assert_rest_contract, http_event, rest_event};
use common::*;
use server_lambda::alb::HeaderMode::{self, MultiValue, SingleValue};

const BOTH_MODES: [HeaderMode; 2] = [SingleValue, MultiValue];

fn html_of(response: &serde_json::Value) -> String {
    assert_eq!(response["isBase64Encoded"], false, "HTML travels as text");
    String::from_utf8(body_bytes(response)).unwrap()
}

#[tokio::test]
async fn every_page_answers_in_both_header_modes() {
    let mut lambda = LambdaUnderTest::start().await;
    for mode in BOTH_MODES {
        let home = lambda
            .invoke(&event(mode, "GET", "/", &[], &browser_headers()))
            .await;
        assert_alb_contract(&home, mode);
        assert_eq!(home["statusCode"], 200, "{mode:?}");
        assert_eq!(
            header_values(&home, "content-type"),
            ["text/html; charset=utf-8"]
        );
        let html = html_of(&home);
        assert!(
            html.contains("<html lang=\"en\" data-theme=\"light\">"),
            "{html}"
        );
        assert!(
            html.contains(&format!("/pkg/{OUTPUT_NAME}.js"))
                && html.contains(&format!("/pkg/{OUTPUT_NAME}.wasm")),
            "hydration script: {html}"
        );
        assert!(html.contains("id=\"counter\""));

        let hello = lambda
            .invoke(&event(
                mode,
                "GET",
                "/hello",
                &[("name", "a+b+%26+c%2Fd+%E2%9C%93")],
                &browser_headers(),
            ))
            .await;
        assert_eq!(
            element_text(&html_of(&hello), "hello").as_deref(),
            Some("Hello, a b &amp; c/d ✓!")
        );
        let anonymous = lambda
            .invoke(&event(mode, "GET", "/hello", &[], &browser_headers()))
            .await;
        assert_eq!(
            element_text(&html_of(&anonymous), "hello").as_deref(),
            Some("Hello, world!")
        );

        let preferences = lambda
            .invoke(&event(mode, "GET", "/preferences", &[], &browser_headers()))
            .await;
        assert_eq!(preferences["statusCode"], 200);
        let html = html_of(&preferences);
        assert!(
            html.contains("action=\"/api/preferences\"") && html.contains("name=\"display_name\""),
            "{html}"
        );

        let missing = lambda
            .invoke(&event(
                mode,
                "GET",
                "/no/such/page",
                &[],
                &browser_headers(),
            ))
            .await;
        assert_alb_contract(&missing, mode);
        assert_eq!(missing["statusCode"], 404);
        assert_eq!(missing["statusDescription"], "404 Not Found");
        assert!(html_of(&missing).contains("Page not found"));

        let favicon = lambda
            .invoke(&event(mode, "GET", "/favicon.png", &[], &browser_headers()))
            .await;
        assert_eq!(favicon["statusCode"], 200);
        assert_eq!(favicon["isBase64Encoded"], true);
        assert_eq!(header_values(&favicon, "content-type"), ["image/png"]);
        assert_eq!(
            body_bytes(&favicon),
            std::fs::read(format!("{}/favicon.png", public_dir())).unwrap()
        );
    }
    lambda.stop().await;
}

#[tokio::test]
async fn health_check_answers_ok_without_host_or_cookies() {
    let mut lambda = LambdaUnderTest::start().await;
    for mode in BOTH_MODES {
        let health = lambda
            .invoke(&event(
                mode,
                "GET",
                "/healthz",
                &[],
                &[("user-agent", "ELB-HealthChecker/2.0")],
            ))
            .await;
        assert_alb_contract(&health, mode);
        assert_eq!(
            (health["statusCode"].as_u64(), health["body"].as_str()),
            (Some(200), Some("ok"))
        );
        assert_eq!(
            header_values(&health, "content-type"),
            ["text/plain; charset=utf-8"]
        );
        assert!(header_values(&health, "set-cookie").is_empty());
    }
    lambda.stop().await;
}

fn preferences_post(mode: HeaderMode) -> serde_json::Value {
    let mut headers = browser_headers();
    headers.extend([
        ("content-type", "application/x-www-form-urlencoded"),
        ("referer", "https://site.example.com/preferences"),
        ("origin", "https://site.example.com"),
    ]);
    // ALB base64-encodes form bodies.
    with_body(
        event(mode, "POST", "/api/preferences", &[], &headers),
        b"theme=dark&display_name=Zo%C3%AB+%26+Co",
        true,
    )
}

#[tokio::test]
async fn saving_preferences_sets_two_cookies_and_redirects_back() {
    let mut lambda = LambdaUnderTest::start().await;
    let response = lambda.invoke(&preferences_post(MultiValue)).await;
    assert_alb_contract(&response, MultiValue);
    assert_eq!(response["statusCode"], 302, "{response}");
    assert!(
        header_values(&response, "location")[0].starts_with("https://site.example.com/preferences")
    );
    let cookies = header_values(&response, "set-cookie");
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(cookies[0].starts_with("theme=dark;"), "{cookies:?}");
    assert!(
        cookies[1].starts_with("display_name=Zo%C3%AB%20%26%20Co;"),
        "{cookies:?}"
    );

    // The next page view carries the cookies back and renders the saved state.
    let mut headers = browser_headers();
    headers.push(("cookie", "theme=dark; display_name=Zo%C3%AB%20%26%20Co"));
    let home = lambda
        .invoke(&event(MultiValue, "GET", "/", &[], &headers))
        .await;
    let html = html_of(&home);
    assert!(html.contains("data-theme=\"dark\""), "{html}");
    assert_eq!(
        element_text(&html, "greeting").as_deref(),
        Some("Welcome back, Zoë &amp; Co!")
    );
    lambda.stop().await;
}

#[tokio::test]
async fn single_value_mode_delivers_one_cookie_and_logs_the_attribute_to_turn_on() {
    let mut lambda = LambdaUnderTest::start().await;
    let response = lambda.invoke(&preferences_post(SingleValue)).await;
    assert_alb_contract(&response, SingleValue);
    assert_eq!(response["statusCode"], 302);
    assert!(
        response["headers"]["set-cookie"]
            .as_str()
            .unwrap()
            .starts_with("display_name=")
    );
    // The log line is written before the response is posted.
    let logs = lambda.logs();
    assert!(
        logs.iter().any(|line| line.contains("WARN")
            && line.contains("lambda.multi_value_headers.enabled=true")),
        "{logs:#?}"
    );
    lambda.stop().await;
}

#[tokio::test]
async fn invalid_preferences_are_refused_with_the_reason() {
    let mut lambda = LambdaUnderTest::start().await;
    // As the hydrated page's fetch sends it: JSON accepted, no HTML.
    let mut headers: Vec<_> = browser_headers()
        .into_iter()
        .filter(|(name, _)| *name != "accept")
        .collect();
    headers.extend([
        ("content-type", "application/x-www-form-urlencoded"),
        ("accept", "application/json"),
    ]);
    let post = with_body(
        event(MultiValue, "POST", "/api/preferences", &[], &headers),
        b"theme=purple&display_name=x",
        true,
    );
    let response = lambda.invoke(&post).await;
    // The client's mistake: 422, never a 5xx that would page whoever watches the alarms.
    assert_eq!(response["statusCode"], 422);
    assert!(
        response["body"]
            .as_str()
            .unwrap()
            .contains("unknown theme \"purple\""),
        "{response}"
    );
    assert!(header_values(&response, "set-cookie").is_empty());
    lambda.stop().await;
}

#[tokio::test]
async fn the_same_binary_answers_api_gateway_and_function_url_events_in_their_shapes() {
    let mut lambda = LambdaUnderTest::start().await;
    let headers = [("host", "site.example.com"), ("accept", "text/html")];
    let rest = lambda
        .invoke(&rest_event(
            "GET",
            "/hello",
            "/prod/hello",
            &[("name", "Zoë & Co")],
            &headers,
        ))
        .await;
    assert_rest_contract(&rest);
    assert_eq!(rest["statusCode"], 200, "{rest}");
    assert_eq!(
        element_text(&html_of(&rest), "hello").as_deref(),
        Some("Hello, Zoë &amp; Co!")
    );

    let url = lambda
        .invoke(&http_event(
            "GET",
            "/hello",
            "name=Zo%C3%AB",
            &headers,
            &["theme=dark"],
            "$default",
        ))
        .await;
    assert_http_contract(&url);
    assert_eq!(url["statusCode"], 200, "{url}");
    let html = html_of(&url);
    assert!(html.contains("data-theme=\"dark\""), "{html}");
    lambda.stop().await;
}

#[tokio::test]
async fn malformed_payloads_are_answered_and_the_function_keeps_serving() {
    let mut lambda = LambdaUnderTest::start().await;
    let not_alb = lambda
        .invoke(&serde_json::json!({"Records": [{"eventSource": "aws:sqs"}]}))
        .await;
    assert_eq!(not_alb["statusCode"], 400);
    assert!(
        not_alb["body"]
            .as_str()
            .unwrap()
            .contains("not an ALB target-group, API Gateway or Function URL event")
    );

    // A payload that is not JSON never reaches the handler; the runtime reports an error.
    match lambda.invoke_raw(b"definitely not json".to_vec()).await {
        Outcome::Error(_) => {}
        Outcome::Response(body) => panic!("expected an invocation error, got {body:?}"),
    }

    let health = lambda
        .invoke(&event(SingleValue, "GET", "/healthz", &[], &[]))
        .await;
    assert_eq!(health["body"], "ok");
    let logs = lambda.logs();
    let request_lines: Vec<&String> = logs
        .iter()
        .filter(|line| line.contains("\"message\":\"request\""))
        .collect();
    let last: serde_json::Value = serde_json::from_str(request_lines.last().unwrap()).unwrap();
    assert_eq!(
        (
            last["method"].as_str(),
            last["path"].as_str(),
            last["status"].as_u64()
        ),
        (Some("GET"), Some("/healthz"), Some(200))
    );
    assert!(last["request_id"].as_str().unwrap().starts_with("request-"));
    assert!(last["duration_ms"].is_f64());
    lambda.stop().await;
}

#[tokio::test]
async fn request_log_line_carries_the_trace_id_and_the_serving_version() {
    let mut lambda = LambdaUnderTest::start().await;
    lambda
        .invoke(&event(
            MultiValue,
            "GET",
            "/healthz",
            &[],
            &browser_headers(),
        ))
        .await;
    let logs = lambda.logs();
    let line = logs
        .iter()
        .find(|line| line.contains("\"message\":\"request\""))
        .expect("a request log line");
    let fields: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(
        fields["trace_id"],
        "Root=1-67891233-abcdef012345678912345678"
    );
    assert_eq!(fields["version"], common::runtime_api::FUNCTION_VERSION);
    assert_eq!(fields["level"], "INFO");
    lambda.stop().await;
}

#[tokio::test]
async fn a_host_that_is_not_an_authority_never_reroutes_a_request_and_is_logged() {
    let mut lambda = LambdaUnderTest::start().await;
    for host in ["shop.example.org?x", "shop.example.org/preferences?"] {
        for mode in BOTH_MODES {
            let health = lambda
                .invoke(&event(
                    mode,
                    "GET",
                    "/healthz",
                    &[],
                    &[("host", host), ("x-forwarded-proto", "https")],
                ))
                .await;
            assert_alb_contract(&health, mode);
            assert_eq!(health["statusCode"], 200, "{host:?} {mode:?}");
            assert_eq!(health["body"], "ok", "{host:?} {mode:?}: /healthz ran");
        }
    }
    let logs = lambda.logs();
    assert!(
        logs.iter()
            .any(|line| line.contains("not a valid authority")
                && line.contains("shop.example.org/preferences?")),
        "the ignored host is logged: {logs:?}"
    );
    lambda.stop().await;
}

#[tokio::test]
async fn a_response_over_albs_limit_is_compressed_or_replaced_by_a_logged_502() {
    // Arrange: a site root with 1.1 MB of a compressible image (an image type other than SVG,
    // which the compression layer leaves alone) and 800 KB of incompressible image bytes
    // (1.07 MB once base64'd).
    let root = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("oversized-site");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let image: Vec<u8> = b"\x89PNG\r\n\x1a\n"
        .iter()
        .copied()
        .chain((0..1_100_000).map(|index| (index % 7) as u8))
        .collect();
    std::fs::write(root.join("big.png"), &image).unwrap();
    let noise = incompressible(800_000, 0x9e37_79b9_7f4a_7c15);
    std::fs::write(root.join("noise.png"), &noise).unwrap();
    let mut lambda = LambdaUnderTest::start_with_site_root(root.to_str().unwrap()).await;

    for mode in BOTH_MODES {
        // Act + Assert: compressed when the client accepts it...
        let gzip_only = [("host", "site.example.com"), ("accept-encoding", "gzip")];
        let compressed = lambda
            .invoke(&event(mode, "GET", "/big.png", &[], &gzip_only))
            .await;
        assert_alb_contract(&compressed, mode);
        assert_eq!(compressed["statusCode"], 200, "{mode:?}");
        assert_eq!(header_values(&compressed, "content-encoding"), ["gzip"]);
        let unzipped = gunzip(&body_bytes(&compressed));
        assert!(unzipped == image, "the client gets the file back whole");

        // ...and a small 502 when it does not, or when compressing cannot help.
        for (path, accept) in [("/big.png", "identity"), ("/noise.png", "br, gzip")] {
            let headers = [("host", "site.example.com"), ("accept-encoding", accept)];
            let response = lambda
                .invoke(&event(mode, "GET", path, &[], &headers))
                .await;
            assert_alb_contract(&response, mode);
            assert_eq!(response["statusCode"], 502, "{path} {mode:?}");
            assert!(serde_json::to_vec(&response).unwrap().len() < 2048);
        }
    }
    let logs = lambda.logs();
    assert!(
        logs.iter()
            .any(|line| line.contains("answered with 502 instead")
                && line.contains("/noise.png")
                && line.contains("\"size\":1066")
                && line.contains("still over the limit compressed")),
        "route, size and reason are logged: {logs:?}"
    );
    assert!(
        logs.iter()
            .any(|line| line.contains("sent compressed") && line.contains("/big.png")),
        "{logs:?}"
    );
    lambda.stop().await;
}
