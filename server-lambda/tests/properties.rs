//! Property tests over arbitrary ALB events (proptest): whatever the internet sends through
//! ALB, the handler never panics, always answers within the ALB contract (no nulls, exactly
//! the header field of the event's mode, valid base64, at most 1 MB), never blames itself
//! (5xx) for a client's event, and routes by the event's path alone.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::shapes;
use common::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use server_lambda::AlbHandler;
use server_lambda::alb::HeaderMode;

/// Header names a client or ALB sends, plus arbitrary ones.
fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("host".to_string()),
        Just("x-forwarded-proto".to_string()),
        Just("content-type".to_string()),
        Just("content-encoding".to_string()),
        Just("cookie".to_string()),
        Just("origin".to_string()),
        Just("sec-fetch-site".to_string()),
        Just("accept-encoding".to_string()),
        "[a-z][a-z0-9-]{0,20}",
        ".{0,12}",
    ]
}

/// Values: hostile hosts, printable text, and anything at all.
fn header_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("site.example.com".to_string()),
        Just("https".to_string()),
        "[a-z.]{1,20}[?/#@:][ -~]{0,20}",
        "[ -~]{0,40}",
        ".{0,20}",
    ]
}

/// Mostly the echo route, then anything that starts with `/`, then anything.
fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just("/echo".to_string()),
        2 => "/echo[?#/][ -~]{0,10}",
        2 => "/[ -~]{0,30}",
        1 => ".{0,20}",
    ]
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_string()),
        Just("POST".to_string()),
        Just("HEAD".to_string()),
        "[A-Z]{1,8}",
        ".{0,6}",
    ]
}

/// Puts `body` into an event as text or base64, the base64 garbled when asked.
fn set_body(event: &mut Value, body: &[u8], base64: bool, garble_base64: bool) {
    event["isBase64Encoded"] = json!(base64);
    event["body"] = if base64 {
        let mut text = STANDARD.encode(body);
        if garble_base64 {
            text.push_str("*\n");
        }
        json!(text)
    } else {
        json!(String::from_utf8_lossy(body))
    };
}

/// Checks what every answer must be whatever its shape (no 5xx for a client's event, valid
/// base64), and returns what the echo route saw, if the request reached it.
fn answered_by_the_function(
    event: &Value,
    response: &Value,
) -> Result<Option<Value>, TestCaseError> {
    let status = response["statusCode"].as_u64().unwrap();
    prop_assert!(
        status < 500,
        "a client's event answered {}: {} -> {}",
        status,
        event,
        response
    );
    if response["isBase64Encoded"] == true {
        prop_assert!(STANDARD.decode(response["body"].as_str().unwrap()).is_ok());
    }
    Ok(serde_json::from_slice::<Value>(&body_bytes(response))
        .ok()
        .filter(|body| body.get("uri").is_some()))
}

prop_compose! {
    /// An event in either header mode, well-formed or not.
    fn arbitrary_event()(
        multi in any::<bool>(),
        method in method(),
        path in path(),
        query in prop::collection::vec(("[ -~]{0,8}", "[ -~]{0,12}"), 0..4),
        headers in prop::collection::vec((header_name(), header_value()), 0..8),
        body in prop::collection::vec(any::<u8>(), 0..64),
        base64 in any::<bool>(),
        garble_base64 in any::<bool>(),
        null_fields in any::<bool>(),
    ) -> (HeaderMode, Value) {
        let mode = if multi { HeaderMode::MultiValue } else { HeaderMode::SingleValue };
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut event = event(mode, &method, &path, &query, &headers);
        set_body(&mut event, &body, base64, garble_base64);
        if null_fields {
            event["body"] = Value::Null;
            let field = if multi { "multiValueQueryStringParameters" } else { "queryStringParameters" };
            event[field] = Value::Null;
        }
        (mode, event)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_event_gets_a_valid_alb_response_routed_by_its_path((mode, event) in arbitrary_event()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (response, via_lambda) = runtime.block_on(async {
            let handler = AlbHandler::new(echo_router());
            let json = serde_json::to_vec(&event).unwrap();
            let response = handler.handle(&json, "prop").await;
            // The Lambda entry reads ALB events in one pass: the same answer, well-formed or not.
            let via_lambda: Value = serde_json::from_slice(&handler.handle_json(&json, "prop").await).unwrap();
            (serde_json::to_value(response).unwrap(), via_lambda)
        });
        prop_assert_eq!(&via_lambda, &response, "handle_json differs from handle: {}", event);
        assert_alb_contract(&response, mode);
        // The echo route answers only when the event's path is /echo: nothing else (a host, a
        // `?` in the path, a header) can route a request there.
        if let Some(echo) = answered_by_the_function(&event, &response)? {
            prop_assert_eq!(&event["path"], "/echo", "routed by something else: {}", event);
            prop_assert_eq!(&echo["path"], "/echo");
        }
    }
}

prop_compose! {
    /// An API Gateway REST (decoded query) or payload 2.0 (raw query, cookies, stage) event,
    /// well-formed or not.
    fn arbitrary_api_gateway_event()(
        payload_2 in any::<bool>(),
        method in method(),
        path in path(),
        stage in prop_oneof![Just("$default".to_string()), Just("prod".to_string()), "[ -~]{0,6}"],
        query in prop::collection::vec((".{0,8}", ".{0,12}"), 0..4),
        raw_query in "[ -~]{0,24}",
        headers in prop::collection::vec((header_name(), header_value()), 0..8),
        cookies in prop::collection::vec("[ -~]{0,16}", 0..3),
        body in prop::collection::vec(any::<u8>(), 0..64),
        base64 in any::<bool>(),
        garble_base64 in any::<bool>(),
    ) -> (bool, Value) {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut event = if payload_2 {
            let cookies: Vec<&str> = cookies.iter().map(String::as_str).collect();
            // A named stage's requests carry it in front of the path.
            let raw_path = if stage == "$default" { path.clone() } else { format!("/{stage}{path}") };
            shapes::http_event(&method, &raw_path, &raw_query, &headers, &cookies, &stage)
        } else {
            let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            shapes::rest_event(&method, &path, &format!("/{stage}{path}"), &query, &headers)
        };
        set_body(&mut event, &body, base64, garble_base64);
        (payload_2, event)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_api_gateway_event_is_answered_in_its_shape_and_routed_by_its_path(
        (payload_2, event) in arbitrary_api_gateway_event()
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let response = runtime.block_on(async {
            let handler = AlbHandler::new(echo_router());
            let json = handler.handle_json(&serde_json::to_vec(&event).unwrap(), "prop").await;
            serde_json::from_slice::<Value>(&json).unwrap()
        });
        if payload_2 {
            shapes::assert_http_contract(&response);
        } else {
            shapes::assert_rest_contract(&response);
        }
        // The echo route answers only when the event's path is /echo: nothing else (a host, a
        // `?` in the path, a header) can route a request there.
        if let Some(echo) = answered_by_the_function(&event, &response)? {
            let routed_path = if payload_2 { &event["requestContext"]["http"]["path"] } else { &event["path"] };
            let stage = event["requestContext"]["stage"].as_str().unwrap();
            let route = routed_path.as_str().unwrap();
            let own_path = if payload_2 && stage != "$default" && !stage.is_empty() {
                route.strip_prefix(&format!("/{stage}")).unwrap_or(route)
            } else {
                route
            };
            prop_assert_eq!(own_path, "/echo", "routed by something else: {}", event);
            prop_assert_eq!(&echo["path"], "/echo");
        }
    }
}
