//! The ALB adapter over a corpus of events composed from the documented format, driven
//! in-process through `AlbHandler` with a Router that echoes what reached it.

mod common;

use common::*;
use serde_json::{Value, json};
use server_lambda::AlbHandler;
use server_lambda::alb::HeaderMode::{self, MultiValue, SingleValue};

const BOTH_MODES: [HeaderMode; 2] = [SingleValue, MultiValue];

async fn handle(event: Value) -> Value {
    handle_text(&serde_json::to_vec(&event).unwrap()).await
}

async fn handle_text(event: &[u8]) -> Value {
    let response = AlbHandler::new(echo_router())
        .handle(event, "test-request")
        .await;
    serde_json::to_value(response).unwrap()
}

async fn echo_of(event: Value) -> Value {
    echo_of_text(&serde_json::to_vec(&event).unwrap()).await
}

async fn echo_of_text(event: &[u8]) -> Value {
    let response = handle_text(event).await;
    assert_eq!(response["statusCode"], 200, "{response}");
    serde_json::from_slice(&body_bytes(&response)).unwrap()
}

#[tokio::test]
async fn query_parameters_keep_the_order_alb_wrote_them_in() {
    let event = r#"{"requestContext":{"elb":{"targetGroupArn":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/site/abc"}},
        "httpMethod":"GET","path":"/echo","queryStringParameters":{"z":"1","a":"%2F","m":"x+y"},
        "headers":{"host":"site.example.com"},"body":"","isBase64Encoded":false}"#;
    let echo = echo_of_text(event.as_bytes()).await;
    assert_eq!(echo["query"], "z=1&a=%2F&m=x+y");
}

#[tokio::test]
async fn encoded_query_values_reach_the_app_byte_for_byte() {
    // (`json!` sorts object keys, so the expected query is in key order.)
    let query = [
        ("path", "a%2Fb"),
        ("amp", "x%26y"),
        ("plus", "a+b"),
        ("encoded_plus", "%2B"),
        ("utf8", "%E2%9C%93"),
        ("empty", ""),
        ("malformed", "100%"),
    ];
    for mode in BOTH_MODES {
        let echo = echo_of(event(mode, "GET", "/echo", &query, &browser_headers())).await;
        assert_eq!(
            echo["query"],
            "amp=x%26y&empty=&encoded_plus=%2B&malformed=100%&path=a%2Fb&plus=a+b&utf8=%E2%9C%93",
            "{mode:?}"
        );
    }
}

#[tokio::test]
async fn repeated_query_keys_keep_every_value_in_multi_value_mode() {
    let echo = echo_of(event(
        MultiValue,
        "GET",
        "/echo",
        &[("tag", "a"), ("tag", "b%20c")],
        &[],
    ))
    .await;
    assert_eq!(echo["query"], "tag=a&tag=b%20c");
    // In single-value mode ALB has already kept only the last value.
    let echo = echo_of(event(
        SingleValue,
        "GET",
        "/echo",
        &[("tag", "a"), ("tag", "b")],
        &[],
    ))
    .await;
    assert_eq!(echo["query"], "tag=b");
}

#[tokio::test]
async fn null_query_parameters_and_missing_headers_are_accepted() {
    let mut single = event(SingleValue, "GET", "/echo", &[], &[]);
    single["queryStringParameters"] = Value::Null;
    single["headers"] = Value::Null;
    let echo = echo_of(single).await;
    assert_eq!(echo["query"], Value::Null);
    assert_eq!(echo["uri"], "/echo");
}

#[tokio::test]
async fn uri_is_absolute_from_host_and_forwarded_proto() {
    for mode in BOTH_MODES {
        let echo = echo_of(event(
            mode,
            "GET",
            "/echo",
            &[("a", "1")],
            &browser_headers(),
        ))
        .await;
        assert_eq!(echo["uri"], "https://site.example.com/echo?a=1", "{mode:?}");
        assert_eq!(echoed_header(&echo, "x-forwarded-for"), ["203.0.113.7"]);
    }
}

#[tokio::test]
async fn health_check_without_host_gets_a_path_only_uri() {
    let headers = [("user-agent", "ELB-HealthChecker/2.0")];
    for mode in BOTH_MODES {
        let echo = echo_of(event(mode, "GET", "/echo", &[], &headers)).await;
        assert_eq!(echo["uri"], "/echo");
    }
}

#[tokio::test]
async fn a_host_header_can_never_change_the_route() {
    // Hosts that would splice a path or query into `scheme://host/path` (the echo route only
    // answers /echo: any other route taken would be a 404).
    for host in [
        "site.example.com?x",
        "site.example.com/preferences?",
        "site.example.com/text#",
        "user@site.example.com",
        "site.example.com:443/length",
        "site.example.com:notaport",
    ] {
        for mode in BOTH_MODES {
            let echo = echo_of(event(
                mode,
                "GET",
                "/echo",
                &[("a", "1")],
                &[("host", host), ("x-forwarded-proto", "https")],
            ))
            .await;
            assert_eq!(echo["uri"], "/echo?a=1", "{host:?} {mode:?}");
            assert_eq!(
                echoed_header(&echo, "host"),
                [host],
                "the header itself stays"
            );
        }
    }
    let echo = echo_of(event(
        MultiValue,
        "GET",
        "/echo",
        &[],
        &[
            ("host", "[2001:db8::1]:8443"),
            ("x-forwarded-proto", "https"),
        ],
    ))
    .await;
    assert_eq!(echo["uri"], "https://[2001:db8::1]:8443/echo");
}

#[tokio::test]
async fn base64_form_body_is_decoded() {
    let form = b"theme=dark&display_name=Zo%C3%AB+X";
    for mode in BOTH_MODES {
        let headers = [("content-type", "application/x-www-form-urlencoded")];
        let echo = echo_of(with_body(
            event(mode, "POST", "/echo", &[], &headers),
            form,
            true,
        ))
        .await;
        assert_eq!(echoed_body(&echo), form);
        assert_eq!(echo["method"], "POST");
    }
}

#[tokio::test]
async fn json_binary_and_gzip_bodies_arrive_intact() {
    let json_body = "{\"name\":\"Zoë ✓\"}".as_bytes();
    let echo = echo_of(with_body(
        event(
            MultiValue,
            "POST",
            "/echo",
            &[],
            &[("content-type", "application/json")],
        ),
        json_body,
        false,
    ))
    .await;
    assert_eq!(echoed_body(&echo), json_body);

    let binary = [0u8, 159, 146, 150, 255];
    let echo = echo_of(with_body(
        event(
            MultiValue,
            "PUT",
            "/echo",
            &[],
            &[("content-type", "application/octet-stream")],
        ),
        &binary,
        true,
    ))
    .await;
    assert_eq!(echoed_body(&echo), binary);

    let compressed = gzip(b"{\"a\":1}");
    let headers = [
        ("content-type", "application/json"),
        ("content-encoding", "gzip"),
    ];
    let echo = echo_of(with_body(
        event(SingleValue, "POST", "/echo", &[], &headers),
        &compressed,
        true,
    ))
    .await;
    assert_eq!(echoed_body(&echo), compressed);
}

#[tokio::test]
async fn request_cookies_and_repeated_headers_reach_the_app() {
    let headers = [
        ("cookie", "theme=dark; display_name=Zo%C3%AB"),
        ("accept", "text/html"),
        ("accept", "*/*"),
    ];
    let echo = echo_of(event(MultiValue, "GET", "/echo", &[], &headers)).await;
    assert_eq!(
        echoed_header(&echo, "cookie"),
        ["theme=dark; display_name=Zo%C3%AB"]
    );
    assert_eq!(echoed_header(&echo, "accept"), ["text/html", "*/*"]);
}

#[tokio::test]
async fn text_response_is_passed_through_byte_exact() {
    for mode in BOTH_MODES {
        let response = handle(event(mode, "GET", "/text", &[], &browser_headers())).await;
        assert_alb_contract(&response, mode);
        assert_eq!(response["isBase64Encoded"], false);
        assert_eq!(response["body"], "héllo ✓\r\n  spaced ");
        assert_eq!(response["statusDescription"], "200 OK");
    }
}

#[tokio::test]
async fn binary_compressed_and_non_utf8_responses_are_base64() {
    for (path, expected) in [
        ("/binary", vec![0u8, 1, 2, 0xff, 0xfe]),
        ("/gzip", gzip(b"<p>compressed</p>")),
        ("/latin1", b"caf\xe9".to_vec()),
    ] {
        let response = handle(event(MultiValue, "GET", path, &[], &[])).await;
        assert_alb_contract(&response, MultiValue);
        assert_eq!(response["isBase64Encoded"], true, "{path}");
        assert!(!response["body"].as_str().unwrap().contains('\n'));
        assert_eq!(body_bytes(&response), expected, "{path}");
    }
}

#[tokio::test]
async fn no_content_not_modified_and_head_have_no_body() {
    for mode in BOTH_MODES {
        let response = handle(event(mode, "GET", "/no-content", &[], &[])).await;
        assert_alb_contract(&response, mode);
        assert_eq!(
            (response["statusCode"].as_u64(), response["body"].as_str()),
            (Some(204), Some(""))
        );
        assert!(header_values(&response, "content-length").is_empty());

        let response = handle(event(mode, "GET", "/not-modified", &[], &[])).await;
        assert_eq!(
            (response["statusCode"].as_u64(), response["body"].as_str()),
            (Some(304), Some(""))
        );
        assert_eq!(header_values(&response, "etag"), ["\"v1\""]);

        let response = handle(event(mode, "HEAD", "/text", &[], &[])).await;
        assert_alb_contract(&response, mode);
        assert_eq!(
            (response["statusCode"].as_u64(), response["body"].as_str()),
            (Some(200), Some(""))
        );
    }
}

#[tokio::test]
async fn redirect_keeps_its_location() {
    let response = handle(event(SingleValue, "GET", "/redirect", &[], &[])).await;
    assert_eq!(response["statusCode"], 302);
    assert_eq!(response["statusDescription"], "302 Found");
    assert_eq!(response["headers"]["location"], "/elsewhere?a=%2F");
}

#[tokio::test]
async fn several_cookies_survive_in_multi_value_mode() {
    let response = handle(event(MultiValue, "GET", "/cookies", &[], &[])).await;
    assert_alb_contract(&response, MultiValue);
    assert_eq!(
        header_values(&response, "set-cookie"),
        ["a=1; Path=/", "b=2; Path=/; HttpOnly"]
    );
    assert_eq!(header_values(&response, "x-repeated"), ["one", "two"]);
}

#[tokio::test]
async fn single_value_mode_keeps_one_cookie_and_never_joins_them() {
    let response = handle(event(SingleValue, "GET", "/cookies", &[], &[])).await;
    assert_alb_contract(&response, SingleValue);
    assert_eq!(response["headers"]["set-cookie"], "b=2; Path=/; HttpOnly");
    assert_eq!(response["headers"]["x-repeated"], "one, two");
}

#[tokio::test]
async fn hop_by_hop_headers_are_dropped() {
    for mode in BOTH_MODES {
        let response = handle(event(mode, "GET", "/hop-by-hop", &[], &[])).await;
        assert_alb_contract(&response, mode);
        assert_eq!(header_values(&response, "content-type"), ["text/plain"]);
    }
}

#[tokio::test]
async fn malformed_events_get_400_in_the_events_mode() {
    let invalid_base64 = {
        let mut event = event(MultiValue, "POST", "/echo", &[], &[]);
        event["body"] = json!("not*base64");
        event["isBase64Encoded"] = json!(true);
        event
    };
    let api_gateway_v2 = json!({"version": "2.0", "routeKey": "$default", "rawPath": "/", "requestContext": {"http": {"method": "GET"}}});
    let bad_method = event(SingleValue, "GE T", "/echo", &[], &[]);
    let bad_header = event(MultiValue, "GET", "/echo", &[], &[("x-bad", "line\nbreak")]);
    let relative_path = event(SingleValue, "GET", "echo", &[], &[]);
    let mut wrong_type = event(SingleValue, "GET", "/echo", &[], &[]);
    wrong_type["headers"] = json!({"accept": 5});

    for (name, event, mode, reason) in [
        (
            "invalid base64",
            invalid_base64,
            MultiValue,
            "not valid base64",
        ),
        (
            "API Gateway event",
            api_gateway_v2,
            SingleValue,
            "not an ALB target-group event",
        ),
        ("bad method", bad_method, SingleValue, "invalid HTTP method"),
        (
            "bad header",
            bad_header,
            MultiValue,
            "invalid header \"x-bad\"",
        ),
        ("relative path", relative_path, SingleValue, "invalid path"),
        (
            "header of wrong type",
            wrong_type,
            SingleValue,
            "not an ALB target-group event",
        ),
    ] {
        let response = handle(event).await;
        assert_eq!(response["statusCode"], 400, "{name}: {response}");
        assert_alb_contract(&response, mode);
        assert!(
            response["body"].as_str().unwrap().contains(reason),
            "{name}: {response}"
        );
    }
}

#[tokio::test]
async fn a_payload_that_is_not_json_gets_400() {
    let handler = AlbHandler::new(echo_router());
    let response: Value =
        serde_json::from_slice(&handler.handle_json(b"<xml/>", "id").await).unwrap();
    assert!(
        response["body"]
            .as_str()
            .unwrap()
            .contains("not an ALB target-group, API Gateway or Function URL event")
    );
    assert_eq!(response["statusCode"], 400);
    assert_no_nulls_and_fields(&response);
}

fn assert_no_nulls_and_fields(response: &Value) {
    assert_alb_contract(response, MultiValue);
}

#[tokio::test]
async fn a_panic_becomes_a_500_page_and_the_next_request_is_served() {
    let handler = AlbHandler::new(echo_router());
    let response = serde_json::to_value(
        handler
            .handle(
                &serde_json::to_vec(&event(MultiValue, "GET", "/panic", &[], &[])).unwrap(),
                "1",
            )
            .await,
    )
    .unwrap();
    assert_eq!(response["statusCode"], 500);
    assert_alb_contract(&response, MultiValue);
    assert!(
        response["body"]
            .as_str()
            .unwrap()
            .contains("Internal Server Error")
    );
    assert_eq!(
        header_values(&response, "content-type"),
        ["text/html; charset=utf-8"]
    );

    let response = serde_json::to_value(
        handler
            .handle(
                &serde_json::to_vec(&event(MultiValue, "GET", "/text", &[], &[])).unwrap(),
                "2",
            )
            .await,
    )
    .unwrap();
    assert_eq!(response["statusCode"], 200);
}

#[tokio::test]
async fn the_site_router_serves_pages_through_the_adapter() {
    let _serial = one_renderer_at_a_time().await;
    let handler = AlbHandler::new(site_router());
    let response = serde_json::to_value(
        handler
            .handle(
                &serde_json::to_vec(&event(
                    MultiValue,
                    "GET",
                    "/hello",
                    &[("name", "a+b%2Bc+%E2%9C%93+%3Cb%3E")],
                    &browser_headers(),
                ))
                .unwrap(),
                "1",
            )
            .await,
    )
    .unwrap();
    assert_alb_contract(&response, MultiValue);
    let html = String::from_utf8(body_bytes(&response)).unwrap();
    assert_eq!(
        element_text(&html, "hello").as_deref(),
        Some("Hello, a b+c ✓ &lt;b&gt;!")
    );
}
