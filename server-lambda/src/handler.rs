//! One ALB event in, one ALB response out: the code path shared by Lambda and the emulator.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use axum::Router;
use futures::FutureExt as _;
use http::StatusCode;
use tower::ServiceExt as _;

use crate::alb::limit::{self, Fit};
use crate::alb::{AlbEvent, AlbResponse, HeaderMode};

/// The page sent when rendering panicked.
const PANIC_PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Internal Server Error</title></head><body><h1>Internal Server Error</h1>\
<p>Something went wrong while rendering this page. Please try again.</p></body></html>";

/// Runs ALB events through the site's Router; never fails and never panics outwards.
#[derive(Clone)]
pub struct AlbHandler {
    router: Router,
}

impl AlbHandler {
    /// Wraps a Router built once at start-up.
    pub fn new(router: Router) -> Self {
        Self { router }
    }

    /// Handles one event given as JSON text: a malformed event gets 400, a panic while
    /// rendering 500, and every request is logged as one structured line. Parsing from the
    /// text (not a `serde_json::Value`) keeps the query parameters in the order ALB wrote them.
    pub async fn handle(&self, event: &[u8], request_id: &str) -> AlbResponse {
        let started = Instant::now();
        let (method, path, trace_id, response) = match AlbEvent::from_json(event) {
            Err(error) => {
                tracing::warn!(request_id, %error, "malformed event answered with 400");
                // Only a malformed event needs the second, lenient parse for its mode.
                let response = bad_request(&error, HeaderMode::of_raw_event(event));
                (String::new(), String::new(), None, response)
            }
            Ok(event) => {
                let method = event.http_method.clone();
                let path = event.path.clone();
                let trace_id = event.header("x-amzn-trace-id").map(str::to_string);
                let mode = event.mode();
                let accept_encoding = event.header("accept-encoding").map(str::to_string);
                let response = self.respond(event, mode, request_id).await;
                let response =
                    fit_alb_limit(response, accept_encoding.as_deref(), &path, request_id);
                (method, path, trace_id, response)
            }
        };
        tracing::info!(
            request_id,
            method,
            path,
            status = response.status_code,
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            trace_id = trace_id.as_deref().unwrap_or_default(),
            "request"
        );
        response
    }

    /// JSON bytes in, JSON bytes out: exactly what crosses the Lambda boundary.
    pub async fn handle_json(&self, event: &[u8], request_id: &str) -> Vec<u8> {
        let response = self.handle(event, request_id).await;
        serde_json::to_vec(&response).expect("an AlbResponse always serializes")
    }

    async fn respond(&self, event: AlbEvent, mode: HeaderMode, request_id: &str) -> AlbResponse {
        let request = match event.into_request() {
            Ok(request) => request,
            Err(error) => {
                tracing::warn!(request_id, %error, "malformed event answered with 400");
                return bad_request(&error, mode);
            }
        };
        let method = request.method().clone();
        let router = self.router.clone();
        // The body is read inside the guarded future: Leptos renders while it streams.
        let guarded = AssertUnwindSafe(async move {
            let response = router
                .oneshot(request)
                .await
                .unwrap_or_else(|never| match never {});
            AlbResponse::from_http(response, &method, mode).await
        });
        match guarded.catch_unwind().await {
            Ok(response) => response,
            Err(panic) => {
                let message = panic_message(panic.as_ref());
                tracing::error!(
                    request_id,
                    panic = message,
                    "panic while handling the request; answered with 500"
                );
                AlbResponse::with_body(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/html; charset=utf-8",
                    PANIC_PAGE,
                    mode,
                )
            }
        }
    }
}

/// The text a panic was raised with, for the log.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string())
}

/// Runs the response through ALB's size cap and logs what had to be done about it.
fn fit_alb_limit(
    response: AlbResponse,
    accept_encoding: Option<&str>,
    path: &str,
    request_id: &str,
) -> AlbResponse {
    let (response, fit) = limit::fit(response, accept_encoding);
    // Only worked out for the rare response that needs a log line.
    let path = || crate::alb::uri::truncate_for_log(path);
    match fit {
        Fit::Unchanged => {}
        Fit::Compressed {
            before,
            after,
            encoding,
        } => tracing::warn!(
            request_id,
            path = path(),
            before,
            after,
            encoding,
            "the response was over ALB's 1 MB limit uncompressed; sent compressed"
        ),
        Fit::Replaced { size, reason } => tracing::error!(
            request_id,
            path = path(),
            size,
            reason,
            "the response was over ALB's 1 MB limit and answered with 502 instead"
        ),
    }
    response
}

fn bad_request(error: &crate::alb::EventError, mode: HeaderMode) -> AlbResponse {
    AlbResponse::plain_text(
        StatusCode::BAD_REQUEST,
        &format!("Bad Request: {error}"),
        mode,
    )
}

#[cfg(test)]
mod tests {
    use super::panic_message;

    #[test]
    fn panic_messages_are_read_from_text_payloads_of_either_kind() {
        let text = std::panic::catch_unwind(|| panic!("static text")).unwrap_err();
        let formatted = std::panic::catch_unwind(|| panic!("formatted {}", 42)).unwrap_err();
        let other = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).unwrap_err();
        assert_eq!(panic_message(text.as_ref()), "static text");
        assert_eq!(panic_message(formatted.as_ref()), "formatted 42");
        assert_eq!(panic_message(other.as_ref()), "non-string panic payload");
    }
}
