//! The same handler answers API Gateway REST, HTTP API and Function URL events, each in its own
//! shape: raw queries kept, decoded ones encoded again, repeated headers and cookies carried,
//! base64 both ways, the stage prefix stripped for routing and put back in redirects, and a
//! malformed event answered with a 400 in the shape it came in.

mod common;

use common::shapes::*;
use common::*;
use serde_json::{Value, json};
use server_lambda::AlbHandler;

async fn invoke(router: axum::Router, event: &Value) -> Value {
    let json = AlbHandler::new(router)
        .handle_json(&serde_json::to_vec(event).unwrap(), "shapes-test")
        .await;
    serde_json::from_slice(&json).unwrap()
}

fn echo_of(response: &Value) -> Value {
    serde_json::from_slice(&body_bytes(response)).unwrap()
}

#[tokio::test]
async fn rest_api_decoded_query_parameters_are_encoded_again_with_every_repeat() {
    let event = rest_event(
        "GET",
        "/echo",
        "/prod/echo",
        &[("q", "a+b & c/d=é"), ("tag", "x"), ("tag", "y")],
        &[("Host", "r3pmxmplak.execute-api.us-east-1.amazonaws.com")],
    );
    let response = invoke(echo_router(), &event).await;
    assert_rest_contract(&response);
    let echo = echo_of(&response);
    assert_eq!(echo["path"], "/echo");
    assert_eq!(echo["query"], "q=a%2Bb+%26+c%2Fd%3D%C3%A9&tag=x&tag=y");
    assert_eq!(
        echo["uri"],
        "https://r3pmxmplak.execute-api.us-east-1.amazonaws.com/echo?q=a%2Bb+%26+c%2Fd%3D%C3%A9&tag=x&tag=y"
    );
}

#[tokio::test]
async fn rest_api_multi_value_headers_arrive_lowercased_and_complete() {
    let event = rest_event(
        "GET",
        "/echo",
        "/echo",
        &[],
        &[
            ("Host", "shop.example.com"),
            ("X-Forwarded-Proto", "http"),
            ("Accept", "text/html"),
            ("Accept", "application/json"),
            ("Cookie", "a=1; b=2"),
        ],
    );
    let echo = echo_of(&invoke(echo_router(), &event).await);
    assert_eq!(
        echoed_header(&echo, "accept"),
        ["text/html", "application/json"]
    );
    assert_eq!(echoed_header(&echo, "cookie"), ["a=1; b=2"]);
    assert_eq!(echo["uri"], "http://shop.example.com/echo");
}

#[tokio::test]
async fn rest_api_stage_prefix_is_routed_without_and_put_back_into_redirects() {
    let redirect = invoke(
        echo_router(),
        &rest_event("GET", "/redirect", "/prod/redirect", &[], &[]),
    )
    .await;
    assert_rest_contract(&redirect);
    assert_eq!(redirect["statusCode"], 302);
    assert_eq!(
        redirect["multiValueHeaders"]["location"],
        json!(["/prod/elsewhere?a=%2F"])
    );

    // A custom domain without a base path: nothing in front of the path, nothing added.
    let plain = invoke(
        echo_router(),
        &rest_event("GET", "/redirect", "/redirect", &[], &[]),
    )
    .await;
    assert_eq!(
        plain["multiValueHeaders"]["location"],
        json!(["/elsewhere?a=%2F"])
    );
}

#[tokio::test]
async fn rest_api_responses_carry_every_cookie_and_binary_as_base64() {
    let cookies = invoke(
        echo_router(),
        &rest_event("GET", "/cookies", "/cookies", &[], &[]),
    )
    .await;
    assert_rest_contract(&cookies);
    assert_eq!(
        cookies["multiValueHeaders"]["set-cookie"],
        json!(["a=1; Path=/", "b=2; Path=/; HttpOnly"])
    );
    assert_eq!(
        cookies["multiValueHeaders"]["x-repeated"],
        json!(["one", "two"])
    );

    let binary = invoke(
        echo_router(),
        &rest_event("GET", "/binary", "/binary", &[], &[]),
    )
    .await;
    assert_rest_contract(&binary);
    assert_eq!(binary["isBase64Encoded"], true);
    assert_eq!(body_bytes(&binary), [0, 1, 2, 0xff, 0xfe]);
}

#[tokio::test]
async fn rest_api_base64_request_bodies_are_decoded_and_bad_ones_refused_in_shape() {
    let mut event = rest_event("POST", "/echo", "/echo", &[], &[]);
    event["body"] = json!("AAEC/w==");
    event["isBase64Encoded"] = json!(true);
    let echo = echo_of(&invoke(echo_router(), &event).await);
    assert_eq!(echoed_body(&echo), [0, 1, 2, 0xff]);

    event["body"] = json!("not base64!");
    let refused = invoke(echo_router(), &event).await;
    assert_rest_contract(&refused);
    assert_eq!(refused["statusCode"], 400);
    assert!(
        body_text(&refused).contains("not valid base64"),
        "{refused}"
    );
}

#[tokio::test]
async fn http_api_raw_query_is_kept_byte_for_byte() {
    let event = http_event(
        "GET",
        "/echo",
        "a=%2F&a=+&b&c=%26",
        &[("host", "h.example.com")],
        &[],
        "$default",
    );
    let response = invoke(echo_router(), &event).await;
    assert_http_contract(&response);
    let echo = echo_of(&response);
    assert_eq!(echo["query"], "a=%2F&a=+&b&c=%26");
    assert_eq!(echo["uri"], "https://h.example.com/echo?a=%2F&a=+&b&c=%26");
}

#[tokio::test]
async fn http_api_cookies_become_one_cookie_header_and_go_back_out_as_a_list() {
    // `cargo lambda watch` leaves the cookie header in place as well as filling `cookies`.
    let event = http_event(
        "GET",
        "/echo",
        "",
        &[
            ("cookie", "a=1; b=2"),
            ("accept", "text/html"),
            ("accept", "*/*"),
        ],
        &["a=1", "b=2"],
        "$default",
    );
    let echo = echo_of(&invoke(echo_router(), &event).await);
    assert_eq!(echoed_header(&echo, "cookie"), ["a=1; b=2"]);
    assert_eq!(echoed_header(&echo, "accept"), ["text/html,*/*"]);
    // Without a host header, the domain name the event was sent to is the authority.
    assert_eq!(
        echo["uri"],
        "https://abcdefghij.lambda-url.us-east-1.on.aws/echo"
    );

    let response = invoke(
        echo_router(),
        &http_event("GET", "/cookies", "", &[], &[], "$default"),
    )
    .await;
    assert_http_contract(&response);
    assert_eq!(
        response["cookies"],
        json!(["a=1; Path=/", "b=2; Path=/; HttpOnly"])
    );
    assert_eq!(response["headers"]["x-repeated"], "one, two");
}

#[tokio::test]
async fn http_api_named_stage_is_stripped_for_routing_and_put_back_into_redirects() {
    let echo = echo_of(
        &invoke(
            echo_router(),
            &http_event("GET", "/beta/echo", "", &[], &[], "beta"),
        )
        .await,
    );
    assert_eq!(echo["path"], "/echo");
    let redirect = invoke(
        echo_router(),
        &http_event("GET", "/beta/redirect", "", &[], &[], "beta"),
    )
    .await;
    assert_eq!(redirect["headers"]["location"], "/beta/elsewhere?a=%2F");
    // A path that merely starts with the stage's letters is not prefixed by it.
    let other = invoke(
        echo_router(),
        &http_event("GET", "/betaecho", "", &[], &[], "beta"),
    )
    .await;
    assert_eq!(other["statusCode"], 404);
}

#[tokio::test]
async fn http_api_bodies_travel_base64_both_ways() {
    let mut event = http_event(
        "POST",
        "/echo",
        "",
        &[("content-type", "application/octet-stream")],
        &[],
        "$default",
    );
    event["body"] = json!("AAEC/w==");
    event["isBase64Encoded"] = json!(true);
    let echo = echo_of(&invoke(echo_router(), &event).await);
    assert_eq!(echoed_body(&echo), [0, 1, 2, 0xff]);
    let binary = invoke(
        echo_router(),
        &http_event("GET", "/binary", "", &[], &[], "$default"),
    )
    .await;
    assert_eq!(binary["isBase64Encoded"], true);
    assert_eq!(body_bytes(&binary), [0, 1, 2, 0xff, 0xfe]);
    let text = invoke(
        echo_router(),
        &http_event("GET", "/text", "", &[], &[], "$default"),
    )
    .await;
    assert_eq!(text["isBase64Encoded"], false);
    assert_eq!(text["body"], "héllo ✓\r\n  spaced ");
}

#[tokio::test]
async fn a_malformed_event_is_refused_in_its_own_shape_and_an_unknown_one_in_albs() {
    let mut no_method = http_event("GET", "/echo", "", &[], &[], "$default");
    no_method["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("http");
    let refused = invoke(echo_router(), &no_method).await;
    assert_http_contract(&refused);
    assert_eq!(refused["statusCode"], 400);
    assert!(body_text(&refused).contains("not a valid HTTP API or Function URL event"));

    let mut bad_path = rest_event("GET", "relative", "/relative", &[], &[]);
    bad_path["path"] = json!("relative");
    let refused = invoke(echo_router(), &bad_path).await;
    assert_rest_contract(&refused);
    assert_eq!(refused["statusCode"], 400);

    for unknown in [
        json!({"hello": "world"}),
        json!({"httpMethod": "GET", "path": "/"}),
        json!([1]),
    ] {
        let refused = invoke(echo_router(), &unknown).await;
        let mode =
            server_lambda::alb::HeaderMode::of_raw_event(&serde_json::to_vec(&unknown).unwrap());
        assert_alb_contract(&refused, mode);
        assert_eq!(refused["statusCode"], 400);
        assert!(
            body_text(&refused)
                .contains("not an ALB target-group, API Gateway or Function URL event"),
            "{refused}"
        );
    }
}

#[tokio::test]
async fn the_site_renders_and_saves_preferences_through_every_shape() {
    let _serial = one_renderer_at_a_time().await;
    let headers = [("host", "site.example.com"), ("accept", "text/html")];
    let rest = invoke(
        site_router(),
        &rest_event("GET", "/", "/prod/", &[], &headers),
    )
    .await;
    assert_rest_contract(&rest);
    assert_eq!(rest["statusCode"], 200);
    assert!(
        String::from_utf8(body_bytes(&rest))
            .unwrap()
            .contains("id=\"counter\"")
    );

    let http = invoke(
        site_router(),
        &http_event("GET", "/hello", "name=Zo%C3%AB", &headers, &[], "$default"),
    )
    .await;
    assert_http_contract(&http);
    assert!(
        String::from_utf8(body_bytes(&http))
            .unwrap()
            .contains("Zoë"),
        "{http}"
    );

    // A server function posted as a form: base64 body in, two cookies out.
    let mut post = http_event(
        "POST",
        "/api/preferences",
        "",
        &[
            ("host", "site.example.com"),
            ("content-type", "application/x-www-form-urlencoded"),
            ("accept", "text/html"),
            ("origin", "https://site.example.com"),
            ("referer", "https://site.example.com/preferences"),
        ],
        &[],
        "$default",
    );
    post["body"] = json!("dGhlbWU9ZGFyayZkaXNwbGF5X25hbWU9Wm8=");
    post["isBase64Encoded"] = json!(true);
    let saved = invoke(site_router(), &post).await;
    assert_http_contract(&saved);
    assert_eq!(saved["statusCode"], 302, "{saved}");
    let cookies = saved["cookies"].as_array().unwrap();
    assert_eq!(cookies.len(), 2, "{saved}");
    assert!(cookies[0].as_str().unwrap().starts_with("theme=dark;"));
}

/// `cargo lambda watch` (cargo-lambda-watch 1.8.5, trigger_router.rs) serializes an
/// `aws_lambda_events` `ApiGatewayV2httpRequest` built this way and reads the answer back as an
/// `ApiGatewayV2httpResponse`.
#[tokio::test]
async fn cargo_lambda_watch_events_are_served_and_its_response_type_reads_the_answer() {
    use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
    let _serial = one_renderer_at_a_time().await;
    let mut headers = http::HeaderMap::new();
    headers.insert("host", "localhost:9000".parse().unwrap());
    headers.insert("cookie", "theme=dark; display_name=Zo".parse().unwrap());
    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".into());
    event.route_key = Some("$default".into());
    event.raw_path = Some("/".into());
    event.raw_query_string = None;
    event.headers = headers;
    event.cookies = Some(vec!["theme=dark".into(), "display_name=Zo".into()]);
    event.request_context.stage = Some("$default".into());
    event.request_context.domain_name = Some("localhost".into());
    event.request_context.http.method = http::Method::GET;
    event.request_context.http.path = Some("/".into());

    let response = invoke(site_router(), &serde_json::to_value(&event).unwrap()).await;
    let read_back: ApiGatewayV2httpResponse = serde_json::from_value(response.clone()).unwrap();
    assert_eq!(read_back.status_code, 200);
    let html = String::from_utf8(body_bytes(&response)).unwrap();
    assert!(html.contains("data-theme=\"dark\""), "{html}");
    assert_eq!(
        element_text(&html, "greeting").as_deref(),
        Some("Welcome back, Zo!")
    );
}

fn body_text(response: &Value) -> String {
    String::from_utf8(body_bytes(response)).unwrap()
}

#[tokio::test]
async fn api_gateway_responses_meet_lambdas_6_mb_cap_not_albs_1_mb() {
    use axum::routing::get;
    let router = axum::Router::new().route(
        "/bytes/{size}",
        get(
            |axum::extract::Path(size): axum::extract::Path<usize>| async move {
                (
                    [("content-type", "application/octet-stream")],
                    incompressible(size, 7),
                )
            },
        ),
    );
    let kib = |size: usize| format!("/bytes/{}", size * 1024);
    // 2 MiB is over ALB's cap but under Lambda's: delivered as it is.
    let two_mib = invoke(
        router.clone(),
        &http_event("GET", &kib(2048), "", &[], &[], "$default"),
    )
    .await;
    assert_http_contract(&two_mib);
    assert_eq!(two_mib["statusCode"], 200);
    assert_eq!(body_bytes(&two_mib), incompressible(2048 * 1024, 7));
    // 5 MiB of base64 is about 6.7 MiB of JSON, and nothing compresses random bytes: a 502 page.
    let five_mib = invoke(router, &rest_event("GET", &kib(5120), &kib(5120), &[], &[])).await;
    assert_rest_contract(&five_mib);
    assert_eq!(five_mib["statusCode"], 502);
    assert!(
        body_text(&five_mib).contains("too large"),
        "{}",
        five_mib["body"]
    );
}
