//! Client mistakes sent to server functions are answered 4xx with a short message, never 5xx,
//! and no error echoes unbounded input — neither in the body nor in the `Location` of the
//! no-JS form redirect. Driven in-process through `AlbHandler` with the real site Router, in
//! both ALB header modes, as the hydrated page's `fetch` and as a plain HTML form post.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use common::*;
use serde_json::Value;
use server_lambda::AlbHandler;
use server_lambda::alb::HeaderMode::{self, MultiValue, SingleValue};

const BOTH_MODES: [HeaderMode; 2] = [SingleValue, MultiValue];
/// No error body or redirect may be larger than this, whatever the client sent.
const MAX_ERROR_BYTES: usize = 1024;
const REFERER: &str = "https://site.example.com/preferences";

/// Who posts: the hydrated page (leptos' client asks for the output encoding) or a browser
/// without JavaScript submitting the `<form>` (asks for HTML, sends the page as Referer).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Client {
    Fetch,
    Form,
}

const BOTH_CLIENTS: [Client; 2] = [Client::Fetch, Client::Form];

fn post_event(mode: HeaderMode, client: Client, path: &str, body: &[u8]) -> Value {
    let mut headers: Vec<(&str, &str)> = browser_headers()
        .into_iter()
        .filter(|(name, _)| *name != "accept")
        .collect();
    headers.push(("content-type", "application/x-www-form-urlencoded"));
    match client {
        Client::Fetch => headers.push(("accept", "application/json")),
        Client::Form => headers.extend([
            (
                "accept",
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            ),
            ("referer", REFERER),
            ("origin", "https://site.example.com"),
        ]),
    }
    // ALB base64-encodes form bodies.
    with_body(event(mode, "POST", path, &[], &headers), body, true)
}

async fn invoke(event: Value) -> Value {
    let response = AlbHandler::new(site_router())
        .handle(&serde_json::to_vec(&event).unwrap(), "client-errors-test")
        .await;
    serde_json::to_value(response).unwrap()
}

/// The message of a `ServerFnError` as server_fn encodes it (`Kind|message`).
fn error_message(encoded: &[u8]) -> String {
    let text = String::from_utf8_lossy(encoded);
    match text.split_once('|') {
        Some((_, message)) => message.to_string(),
        None => text.into_owned(),
    }
}

/// The error a no-JS redirect carries back to the page in `__err`, decoded.
fn redirected_error(location: &str) -> Option<String> {
    let query = location.split_once('?')?.1;
    let encoded = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("__err="))?
        .replace("%3D", "=");
    Some(error_message(&URL_SAFE.decode(encoded).unwrap()))
}

/// What a refused post must look like, for either client, in either mode: a 4xx for `fetch`
/// (`expected_status`) or a redirect back to the form for a plain post, never a 5xx, no
/// cookie, bounded body and `Location`. Returns the error message the client gets.
fn assert_refused(
    response: &Value,
    mode: HeaderMode,
    client: Client,
    expected_status: u64,
) -> String {
    assert_alb_contract(response, mode);
    let status = response["statusCode"].as_u64().unwrap();
    let body = body_bytes(response);
    let location = header_values(response, "location");
    let summary = format!(
        "{mode:?} {client:?}: status {status}, {} body bytes, Location of {:?} bytes",
        body.len(),
        location.iter().map(String::len).collect::<Vec<_>>()
    );
    assert!(status < 500, "{summary}");
    assert!(body.len() <= MAX_ERROR_BYTES, "{summary}");
    assert!(
        location.iter().all(|value| value.len() <= MAX_ERROR_BYTES),
        "{summary}"
    );
    assert!(
        header_values(response, "set-cookie").is_empty(),
        "{summary}"
    );
    match client {
        Client::Fetch => {
            assert_eq!(status, expected_status, "{summary}");
            assert!(!body.is_empty(), "{summary}");
            error_message(&body)
        }
        Client::Form => {
            assert!(matches!(status, 302 | 303), "{summary}");
            assert_eq!(location.len(), 1, "{summary}");
            assert!(location[0].starts_with(REFERER), "{summary}");
            redirected_error(&location[0]).unwrap_or_else(|| panic!("no __err: {summary}"))
        }
    }
}

async fn refused(body: &[u8], expected_status: u64) -> Vec<String> {
    let _serial = one_renderer_at_a_time().await;
    let mut messages = Vec::new();
    for mode in BOTH_MODES {
        for client in BOTH_CLIENTS {
            let response = invoke(post_event(mode, client, "/api/preferences", body)).await;
            messages.push(assert_refused(&response, mode, client, expected_status));
        }
    }
    messages
}

#[tokio::test]
async fn a_missing_field_is_400() {
    for message in refused(b"theme=dark", 400).await {
        assert!(message.contains("display_name"), "{message}");
    }
}

#[tokio::test]
async fn a_form_that_is_not_utf8_is_400() {
    for message in refused(b"theme=dark&display_name=\xff\xfe\xc3", 400).await {
        assert!(message.to_lowercase().contains("utf-8"), "{message}");
    }
}

#[tokio::test]
async fn an_unknown_theme_is_422_and_named_in_the_message() {
    for message in refused(b"theme=purple&display_name=x", 422).await {
        assert!(message.contains("unknown theme \"purple\""), "{message}");
    }
}

#[tokio::test]
async fn a_huge_unknown_theme_is_echoed_only_as_a_short_excerpt() {
    let mut body = b"display_name=x&theme=".to_vec();
    body.extend(std::iter::repeat_n(b'q', 600 * 1024));
    for message in refused(&body, 422).await {
        assert!(message.contains("unknown theme \"qqqq"), "{message}");
        assert!(message.contains('…'), "{message}");
        assert!(message.chars().count() <= 200, "{message}");
    }
    // Characters that expand when escaped are bounded too.
    let mut body = b"display_name=x&theme=".to_vec();
    body.extend("%1B".repeat(100 * 1024).as_bytes());
    for message in refused(&body, 422).await {
        assert!(message.starts_with("unknown theme \"\\u{1b}"), "{message}");
        assert!(message.chars().count() <= 200, "{message}");
    }
}

#[tokio::test]
async fn a_600_kb_display_name_is_422() {
    let mut body = b"theme=dark&display_name=".to_vec();
    body.extend(std::iter::repeat_n(b'n', 600 * 1024));
    for message in refused(&body, 422).await {
        assert!(message.contains("longer than 40 characters"), "{message}");
    }
}

#[tokio::test]
async fn saving_preferences_still_redirects_a_form_and_answers_fetch_with_two_cookies() {
    let _serial = one_renderer_at_a_time().await;
    let body = b"theme=dark&display_name=Zo%C3%AB+%26+Co";
    for mode in BOTH_MODES {
        for client in BOTH_CLIENTS {
            let response = invoke(post_event(mode, client, "/api/preferences", body)).await;
            assert_alb_contract(&response, mode);
            let status = response["statusCode"].as_u64().unwrap();
            let cookies = header_values(&response, "set-cookie");
            match client {
                Client::Form => {
                    assert!(matches!(status, 302 | 303), "{response}");
                    let location = header_values(&response, "location");
                    assert_eq!(location.len(), 1, "{response}");
                    assert!(location[0].starts_with(REFERER), "{response}");
                    assert_eq!(redirected_error(&location[0]), None, "{response}");
                }
                Client::Fetch => {
                    assert_eq!(status, 200, "{response}");
                    let saved: Value = serde_json::from_slice(&body_bytes(&response)).unwrap();
                    assert_eq!(saved["theme"], "dark");
                    assert_eq!(saved["display_name"], "Zoë & Co");
                }
            }
            match mode {
                MultiValue => {
                    assert_eq!(cookies.len(), 2, "{cookies:?}");
                    assert!(cookies[0].starts_with("theme=dark;"), "{cookies:?}");
                    assert!(
                        cookies[1].starts_with("display_name=Zo%C3%AB%20%26%20Co;"),
                        "{cookies:?}"
                    );
                }
                // ALB keeps one value per header name in this mode.
                SingleValue => assert_eq!(cookies.len(), 1, "{cookies:?}"),
            }
        }
    }
}

#[tokio::test]
async fn garbage_to_any_server_function_is_400() {
    let _serial = one_renderer_at_a_time().await;
    // Building the Router registers the server functions.
    drop(site_router());
    let routes: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(
        routes.iter().any(|(path, _)| *path == "/api/preferences"),
        "{routes:?}"
    );
    for (path, method) in routes {
        for mode in BOTH_MODES {
            let mut event = post_event(mode, Client::Fetch, path, b"\xff\xfe\x00garbage\x80");
            event["httpMethod"] = method.as_str().into();
            let mut may_ignore_it = false;
            if method == http::Method::GET {
                // A GET function reads its arguments from the query, not the body; one without
                // arguments may ignore the query.
                let query = [("%FF%FE", "%80"), ("a[[", "]]")];
                let with_query = common::event(mode, "GET", path, &query, &[]);
                for field in ["queryStringParameters", "multiValueQueryStringParameters"] {
                    if let Some(value) = with_query.get(field) {
                        event[field] = value.clone();
                    }
                }
                may_ignore_it = true;
            }
            let response = invoke(event).await;
            let status = response["statusCode"].as_u64().unwrap();
            let bytes = body_bytes(&response);
            if may_ignore_it && status == 200 {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            assert_eq!(status, 400, "{method} {path} {mode:?}: {text}");
            assert!(
                !bytes.is_empty() && bytes.len() <= MAX_ERROR_BYTES,
                "{method} {path} {mode:?}: {text}"
            );
        }
    }
}

#[tokio::test]
async fn a_body_that_is_not_a_form_is_400() {
    for message in refused(b"{\"theme\": \"dark\", \"display_name\": \"x\"}", 400).await {
        assert!(message.contains("missing field"), "{message}");
    }
}
