//! The local ALB emulator over real HTTP on 127.0.0.1: in-process for the contract checks,
//! and the real `bootstrap` binary in emulator mode for the site.

mod common;

use std::time::Duration;

use common::emulator_process::EmulatorProcess;
use common::*;
use reqwest::redirect::Policy;
use serde_json::Value;
use server_lambda::AlbHandler;
use server_lambda::alb::HeaderMode::{self, MultiValue, SingleValue};

/// Serves the emulator around `router` on an ephemeral port; returns its base URL.
async fn spawn_emulator(router: axum::Router, mode: HeaderMode) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server_lambda::emulator::serve(
        listener,
        AlbHandler::new(router),
        mode,
    ));
    base
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_raw_query_reaches_the_app_as_the_client_sent_it() {
    let multi = spawn_emulator(echo_router(), MultiValue).await;
    let echo: Value = client()
        .get(format!("{multi}/echo?a=%2F&b=x+y&c=%E2%9C%93&a=2&empty="))
        .send()
        .await
        .unwrap()
        .json_value()
        .await;
    assert_eq!(echo["query"], "a=%2F&a=2&b=x+y&c=%E2%9C%93&empty=");

    let single = spawn_emulator(echo_router(), SingleValue).await;
    let echo: Value = client()
        .get(format!("{single}/echo?a=%2F&b=x+y&a=2"))
        .send()
        .await
        .unwrap()
        .json_value()
        .await;
    assert_eq!(
        echo["query"], "a=2&b=x+y",
        "single-value mode keeps the last value"
    );
}

#[tokio::test]
async fn forwarded_headers_are_added_as_alb_adds_them() {
    let base = spawn_emulator(echo_router(), MultiValue).await;
    let echo: Value = client()
        .get(format!("{base}/echo"))
        .header("X-Custom", "Kept")
        .send()
        .await
        .unwrap()
        .json_value()
        .await;
    let port = base.rsplit(':').next().unwrap();
    assert_eq!(echo["uri"], format!("{base}/echo"));
    assert_eq!(echoed_header(&echo, "x-forwarded-for"), ["127.0.0.1"]);
    assert_eq!(echoed_header(&echo, "x-forwarded-proto"), ["http"]);
    assert_eq!(echoed_header(&echo, "x-forwarded-port"), [port]);
    assert_eq!(echoed_header(&echo, "x-custom"), ["Kept"]);
    assert!(echoed_header(&echo, "x-amzn-trace-id")[0].starts_with("Root=1-"));
}

#[tokio::test]
async fn binary_bodies_cross_both_ways() {
    let base = spawn_emulator(echo_router(), MultiValue).await;
    let upload = vec![0u8, 255, 10, 13, 128];
    let echo: Value = client()
        .post(format!("{base}/echo"))
        .header("content-type", "application/octet-stream")
        .body(upload.clone())
        .send()
        .await
        .unwrap()
        .json_value()
        .await;
    assert_eq!(echoed_body(&echo), upload);
    let download = client()
        .get(format!("{base}/binary"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&download[..], &[0, 1, 2, 0xff, 0xfe]);
}

#[tokio::test]
async fn a_request_body_over_one_megabyte_gets_413() {
    let base = spawn_emulator(echo_router(), MultiValue).await;
    let response = client()
        .post(format!("{base}/length"))
        .body(vec![b'a'; 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let response = client()
        .post(format!("{base}/length"))
        .body(vec![b'a'; 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "exactly 1 MB is allowed");
    assert_eq!(response.text().await.unwrap(), "1048576");
}

#[tokio::test]
async fn a_response_json_over_one_megabyte_gets_the_functions_own_502() {
    let base = spawn_emulator(echo_router(), MultiValue).await;
    // 800 KB of bytes become about 1.07 MB of base64, and this client accepts no compression:
    // the handler's guard answers a small 502 of its own, so ALB (here the emulator, whose
    // own check would answer with an `awselb/2.0` page) never sees an oversized response.
    let response = client()
        .get(format!("{base}/large-binary"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert!(response.headers().get("server").is_none());
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("too large to be delivered")
    );
    // 900 KB of text stays under the cap.
    let response = client()
        .get(format!("{base}/large-text"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().len(), 900 * 1024);
}

#[tokio::test]
async fn head_and_no_content_have_no_body() {
    let base = spawn_emulator(echo_router(), SingleValue).await;
    let response = client().head(format!("{base}/text")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().is_empty());
    let response = client()
        .get(format!("{base}/no-content"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn cookies_survive_in_multi_value_mode_and_one_is_kept_in_single_value_mode() {
    for (mode, expected) in [
        (MultiValue, vec!["a=1; Path=/", "b=2; Path=/; HttpOnly"]),
        (SingleValue, vec!["b=2; Path=/; HttpOnly"]),
    ] {
        let base = spawn_emulator(echo_router(), mode).await;
        let response = client()
            .get(format!("{base}/cookies"))
            .send()
            .await
            .unwrap();
        let cookies: Vec<&str> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(cookies, expected, "{mode:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_page_requests_are_all_served() {
    let base = spawn_emulator(site_router(), MultiValue).await;
    let client = client();
    let requests = (0..32).map(|i| {
        let client = client.clone();
        let url = format!("{base}/hello?name=visitor{i}");
        tokio::spawn(async move { client.get(url).send().await.unwrap().text().await.unwrap() })
    });
    let pages = tokio::time::timeout(Duration::from_secs(60), futures::future::join_all(requests))
        .await
        .expect("32 concurrent pages within 60 s");
    for (i, page) in pages.into_iter().enumerate() {
        assert_eq!(
            element_text(&page.unwrap(), "hello"),
            Some(format!("Hello, visitor{i}!"))
        );
    }
}

#[tokio::test]
async fn the_bootstrap_binary_serves_the_site_as_the_alb_would() {
    let emulator = EmulatorProcess::start(&[]).await;
    let base = &emulator.base;
    let home = client().get(format!("{base}/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(html.contains(&format!("/pkg/{OUTPUT_NAME}.js")) && html.contains("id=\"counter\""));

    let hello = client()
        .get(format!("{base}/hello?name=a+b+%26+c%2Fd+%E2%9C%93"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        element_text(&hello, "hello").as_deref(),
        Some("Hello, a b &amp; c/d ✓!")
    );

    let health = client()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");
    assert_eq!(
        client()
            .get(format!("{base}/missing"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let favicon = client()
        .get(format!("{base}/favicon.png"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        &favicon[..],
        &std::fs::read(format!("{}/favicon.png", public_dir())).unwrap()[..]
    );

    let saved = client()
        .post(format!("{base}/api/preferences"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html")
        .header("referer", format!("{base}/preferences"))
        .body("theme=dark&display_name=Ada")
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 302);
    let cookies: Vec<String> = saved
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| {
            value
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(cookies, ["theme=dark", "display_name=Ada"]);
    let home = client()
        .get(format!("{base}/"))
        .header("cookie", cookies.join("; "))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("data-theme=\"dark\""));
    assert_eq!(
        element_text(&home, "greeting").as_deref(),
        Some("Welcome back, Ada!")
    );
    emulator.stop().await;
}

#[tokio::test]
async fn the_bootstrap_binary_refuses_bad_flags_with_usage() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .args(["--addr", "nowhere"])
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--addr must be HOST:PORT") && stderr.contains("usage: bootstrap"),
        "{stderr}"
    );
}

/// `reqwest` without its `json` feature: parse the body with serde_json.
trait JsonValue {
    async fn json_value(self) -> Value;
}

impl JsonValue for reqwest::Response {
    async fn json_value(self) -> Value {
        serde_json::from_slice(&self.bytes().await.unwrap()).unwrap()
    }
}
