//! Secure defaults, proved through the real `bootstrap` on a Runtime API: security headers on
//! every page, a CSP whose nonce is the one on the page's scripts, `Secure` cookies behind
//! HTTPS, and cross-site state changes refused with 403 while clients without browser
//! headers (curl, health checks) still get through.

mod common;

use common::runtime_api::LambdaUnderTest;
use common::*;
use server_lambda::alb::HeaderMode::{self, MultiValue, SingleValue};

const BOTH_MODES: [HeaderMode; 2] = [SingleValue, MultiValue];

fn only(response: &serde_json::Value, name: &str) -> String {
    let values = header_values(response, name);
    assert_eq!(values.len(), 1, "{name}: {values:?}");
    values[0].clone()
}

fn form_post(mode: HeaderMode, extra: &[(&'static str, &'static str)]) -> serde_json::Value {
    let mut headers = browser_headers();
    headers.push(("content-type", "application/x-www-form-urlencoded"));
    headers.extend_from_slice(extra);
    with_body(
        event(mode, "POST", "/api/preferences", &[], &headers),
        b"theme=dark&display_name=Ada",
        true,
    )
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_csp_matching_their_script_nonce() {
    let mut lambda = LambdaUnderTest::start().await;
    for mode in BOTH_MODES {
        for path in ["/", "/preferences", "/no/such/page"] {
            let page = lambda
                .invoke(&event(mode, "GET", path, &[], &browser_headers()))
                .await;
            assert_alb_contract(&page, mode);
            assert_eq!(only(&page, "x-content-type-options"), "nosniff");
            assert_eq!(
                only(&page, "referrer-policy"),
                "strict-origin-when-cross-origin"
            );
            assert_eq!(only(&page, "strict-transport-security"), "max-age=63072000");
            let csp = only(&page, "content-security-policy");
            assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
            assert!(csp.contains("object-src 'none'"), "{csp}");
            let nonce = csp
                .split("'nonce-")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .unwrap_or_else(|| panic!("{path}: no nonce in {csp}"));
            assert!(nonce.len() >= 16, "{nonce}");
            let html = String::from_utf8(body_bytes(&page)).unwrap();
            let scripts = html.matches("<script").count();
            assert!(scripts > 0, "{path}: {html}");
            assert_eq!(
                html.matches(&format!("nonce=\"{nonce}\"")).count(),
                scripts,
                "{path}: every script carries the CSP's nonce: {html}"
            );
        }
    }
    // A fresh nonce per response.
    let first = lambda
        .invoke(&event(MultiValue, "GET", "/", &[], &browser_headers()))
        .await;
    let second = lambda
        .invoke(&event(MultiValue, "GET", "/", &[], &browser_headers()))
        .await;
    assert_ne!(
        only(&first, "content-security-policy"),
        only(&second, "content-security-policy")
    );
    lambda.stop().await;
}

#[tokio::test]
async fn hsts_and_secure_cookies_only_behind_https() {
    let mut lambda = LambdaUnderTest::start().await;
    let over_https = lambda.invoke(&form_post(MultiValue, &[])).await;
    let cookies = header_values(&over_https, "set-cookie");
    assert_eq!(cookies.len(), 2, "{over_https}");
    for cookie in &cookies {
        assert!(
            cookie.contains("; HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert!(cookie.ends_with("; Secure"), "{cookie}");
    }
    assert_eq!(
        only(&over_https, "strict-transport-security"),
        "max-age=63072000"
    );

    let mut plain_http = form_post(MultiValue, &[]);
    plain_http["multiValueHeaders"]["x-forwarded-proto"] = serde_json::json!(["http"]);
    let over_http = lambda.invoke(&plain_http).await;
    assert!(header_values(&over_http, "strict-transport-security").is_empty());
    for cookie in header_values(&over_http, "set-cookie") {
        assert!(!cookie.to_ascii_lowercase().contains("secure"), "{cookie}");
    }
    lambda.stop().await;
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_same_site_or_bare_ones_pass() {
    let mut lambda = LambdaUnderTest::start().await;
    for mode in BOTH_MODES {
        for refused in [
            vec![("origin", "https://evil.example")],
            vec![("sec-fetch-site", "cross-site")],
            vec![
                ("origin", "https://site.example.com"),
                ("sec-fetch-site", "cross-site"),
            ],
        ] {
            let response = lambda.invoke(&form_post(mode, &refused)).await;
            assert_alb_contract(&response, mode);
            assert_eq!(response["statusCode"], 403, "{refused:?} {mode:?}");
            assert!(header_values(&response, "set-cookie").is_empty());
        }
        for allowed in [
            vec![],
            vec![("origin", "https://site.example.com")],
            vec![
                ("origin", "https://site.example.com"),
                ("sec-fetch-site", "same-origin"),
            ],
        ] {
            let response = lambda.invoke(&form_post(mode, &allowed)).await;
            assert_eq!(response["statusCode"], 302, "{allowed:?} {mode:?}");
        }
    }
    let logs = lambda.logs();
    assert!(
        logs.iter()
            .any(|line| line.contains("cross-site request refused")
                && line.contains("/api/preferences")),
        "{logs:?}"
    );
    lambda.stop().await;
}
