//! Any bytes as a Lambda payload of any shape (ALB, API Gateway REST, HTTP API, Function URL):
//! the handler answers every input in the shape its markers name, never with a panic and never
//! with a 5xx of ours, and a payload 2.0 or REST event routes by its own path (the stage prefix
//! only ever removed as a whole segment).
#![no_main]

use libfuzzer_sys::fuzz_target;
use server_lambda::AlbHandler;
use server_lambda::events::{ApiShape, HttpEvent, LambdaResponse, RestEvent, Shape};

fuzz_target!(|data: &[u8]| {
    let shape = Shape::of_event(data);
    if let Ok(event) = HttpEvent::from_json(data) {
        let route = event.route_path().to_string();
        assert!(event.raw_path.ends_with(route.trim_start_matches('/')));
        if let Ok(request) = event.into_request() {
            let escaped = server_lambda::alb::uri::escape_path(&route);
            assert_eq!(request.uri().path(), escaped);
        }
    }
    if let Ok(event) = RestEvent::from_json(data) {
        let path = event.path.clone();
        if let Ok(request) = event.into_request() {
            assert_eq!(
                request.uri().path(),
                server_lambda::alb::uri::escape_path(&path)
            );
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let handler =
        AlbHandler::new(axum::Router::new().route("/", axum::routing::any(|| async { "ok" })));
    let response = runtime.block_on(handler.handle_event(data, "fuzz"));
    assert!(response.status_code() < 500, "{response:?}");
    match (shape, &response) {
        (Ok(Shape::RestV1), LambdaResponse::Rest(_))
        | (Ok(Shape::HttpV2), LambdaResponse::Http(_))
        | (Ok(Shape::Alb) | Err(_), LambdaResponse::Alb(_)) => {}
        (shape, response) => panic!("{shape:?} answered with {response:?}"),
    }
    assert_no_nulls(&serde_json::to_value(&response).unwrap());
});

fn assert_no_nulls(value: &serde_json::Value) {
    match value {
        serde_json::Value::Null => panic!("a JSON null in the response"),
        serde_json::Value::Array(items) => items.iter().for_each(assert_no_nulls),
        serde_json::Value::Object(fields) => fields.values().for_each(assert_no_nulls),
        _ => {}
    }
}
