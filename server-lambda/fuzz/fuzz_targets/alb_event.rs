//! Any bytes as an ALB event: the parser and the handler must answer every input with a
//! response inside the ALB contract (never a panic, never a 5xx of ours for a client's event,
//! and never more than 1 MB), and a parsed event must become a request whose path is the
//! event's own.
#![no_main]

use libfuzzer_sys::fuzz_target;
use server_lambda::AlbHandler;
use server_lambda::alb::{AlbEvent, limit};

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = AlbEvent::from_json(data) {
        let path = event.path.clone();
        if let Ok(request) = event.into_request() {
            let escaped = server_lambda::alb::uri::escape_path(&path);
            assert_eq!(request.uri().path(), escaped);
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let handler =
        AlbHandler::new(axum::Router::new().route("/", axum::routing::any(|| async { "ok" })));
    let response = runtime.block_on(handler.handle(data, "fuzz"));
    assert!(response.status_code < 500, "{response:?}");
    assert!(limit::json_len(&response) <= 1024 * 1024);
    assert!(response.headers.is_some() != response.multi_value_headers.is_some());
});
