//! One event in, one response of the same shape out: the code path shared by Lambda and the
//! emulator.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use futures::FutureExt as _;
use http::{Request, StatusCode};
use tower::ServiceExt as _;

use crate::alb::limit::{self, Fit};
use crate::alb::{AlbEvent, AlbResponse, EventError, HeaderMode};
use crate::events::{ApiShape, HttpEvent, LambdaResponse, PublicPathPrefix, RestEvent, Shape};

/// The page sent when rendering panicked.
const PANIC_PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Internal Server Error</title></head><body><h1>Internal Server Error</h1>\
<p>Something went wrong while rendering this page. Please try again.</p></body></html>";

/// Runs events through the site's Router; never fails and never panics outwards.
#[derive(Clone)]
pub struct AlbHandler {
    router: Router,
}

impl AlbHandler {
    /// Wraps a Router built once at start-up.
    pub fn new(router: Router) -> Self {
        Self { router }
    }

    /// Handles one ALB event given as JSON text: a malformed event gets 400, a panic while
    /// rendering 500, and every request is logged as one structured line. Parsing from the
    /// text (not a `serde_json::Value`) keeps the query parameters in the order ALB wrote them.
    pub async fn handle(&self, event: &[u8], request_id: &str) -> AlbResponse {
        let started = Instant::now();
        match AlbEvent::from_json(event) {
            Err(error) => refuse_event(&error, event, request_id, started),
            Ok(event) => self.handle_alb(event, request_id, started).await,
        }
    }

    /// Serves a parsed ALB event.
    async fn handle_alb(&self, event: AlbEvent, request_id: &str, started: Instant) -> AlbResponse {
        let fields = LogFields {
            method: event.http_method.clone(),
            path: event.path.clone(),
            trace_id: event.header("x-amzn-trace-id").map(str::to_string),
        };
        let mode = event.mode();
        let accept_encoding = event.header("accept-encoding").map(str::to_string);
        let served = Served {
            fields,
            accept_encoding,
            mode,
            cap: ALB_CAP,
            started,
        };
        self.serve(event.into_request(), served, request_id).await
    }

    /// Handles one event of any shape this function answers (ALB, API Gateway REST, HTTP API,
    /// Function URL) and answers in the same shape; an event of no known shape gets a 400 in
    /// ALB's shape, the one this template deploys.
    pub async fn handle_event(&self, event: &[u8], request_id: &str) -> LambdaResponse {
        // ALB's events, the shape this template deploys, are read in one pass: an event that
        // parses as one has `requestContext.elb`, which is what makes [`Shape::of_event`] call
        // it ALB's. Anything else is told apart first, then parsed as its shape.
        let started = Instant::now();
        if let Ok(alb_event) = AlbEvent::from_json(event) {
            return LambdaResponse::Alb(self.handle_alb(alb_event, request_id, started).await);
        }
        match Shape::of_event(event) {
            Ok(Shape::Alb) => LambdaResponse::Alb(self.handle(event, request_id).await),
            Ok(Shape::RestV1) => {
                LambdaResponse::Rest(self.handle_api::<RestEvent>(event, request_id).await)
            }
            Ok(Shape::HttpV2) => {
                LambdaResponse::Http(self.handle_api::<HttpEvent>(event, request_id).await)
            }
            Err(error) => {
                LambdaResponse::Alb(refuse_event(&error, event, request_id, Instant::now()))
            }
        }
    }

    /// Handles an event of an API Gateway or Function URL shape, answered in that shape.
    async fn handle_api<E: ApiShape>(&self, event: &[u8], request_id: &str) -> E::Response {
        let started = Instant::now();
        let request = E::from_json(event).and_then(E::into_request);
        // The request carries the prefix its event had; the redirects get it back from there.
        let prefix = request.as_ref().ok().and_then(|request| {
            let prefix = request.extensions().get::<PublicPathPrefix>()?;
            Some(prefix.0.clone())
        });
        // Every header value kept: each shape then writes them its own way.
        let (fields, accept_encoding) = match &request {
            Err(_) => (LogFields::default(), None),
            Ok(request) => (
                LogFields {
                    method: request.method().to_string(),
                    path: request.uri().path().to_string(),
                    trace_id: header_text(request, "x-amzn-trace-id"),
                },
                header_text(request, "accept-encoding"),
            ),
        };
        let served = Served {
            fields,
            accept_encoding,
            mode: HeaderMode::MultiValue,
            cap: LAMBDA_CAP,
            started,
        };
        let response = self.serve(request, served, request_id).await;
        E::respond(response, prefix.as_deref())
    }

    /// JSON bytes in, JSON bytes out: exactly what crosses the Lambda boundary.
    pub async fn handle_json(&self, event: &[u8], request_id: &str) -> Vec<u8> {
        let response = self.handle_event(event, request_id).await;
        serde_json::to_vec(&response).expect("a LambdaResponse always serializes")
    }

    /// Serves a request converted from an event of any shape: rendered (a malformed one
    /// refused with 400), fitted to the shape's size cap, and logged as one line.
    async fn serve(
        &self,
        request: Result<Request<Body>, EventError>,
        served: Served,
        request_id: &str,
    ) -> AlbResponse {
        let response = match request {
            Err(error) => refuse(&error, served.mode, request_id),
            Ok(request) => self.render(request, served.mode, request_id).await,
        };
        let response = fit_cap(
            response,
            served.accept_encoding.as_deref(),
            &served.fields.path,
            request_id,
            served.cap,
        );
        served
            .fields
            .log(request_id, response.status_code, served.started);
        response
    }

    /// Runs the request through the Router; a panic becomes a logged 500 page.
    async fn render(
        &self,
        request: Request<Body>,
        mode: HeaderMode,
        request_id: &str,
    ) -> AlbResponse {
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

/// A request header's first value, when it is text.
fn header_text(request: &Request<Body>, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
}

/// How a request is served: what its log line says, and what its shape needs of the answer.
struct Served {
    fields: LogFields,
    accept_encoding: Option<String>,
    mode: HeaderMode,
    cap: ResponseCap,
    started: Instant,
}

/// What the request log line says about the request.
#[derive(Default)]
struct LogFields {
    method: String,
    path: String,
    trace_id: Option<String>,
}

impl LogFields {
    /// The one structured line every request gets.
    fn log(&self, request_id: &str, status: u16, started: Instant) {
        tracing::info!(
            request_id,
            method = self.method,
            path = self.path,
            status,
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            trace_id = self.trace_id.as_deref().unwrap_or_default(),
            version = crate::telemetry::function_version(),
            "request"
        );
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

/// A cap on the response JSON, and its name for the log.
#[derive(Clone, Copy)]
struct ResponseCap {
    bytes: usize,
    name: &'static str,
}

/// ALB's cap on the response JSON.
const ALB_CAP: ResponseCap = ResponseCap {
    bytes: crate::alb::ALB_MAX_BYTES,
    name: "ALB's 1 MB limit",
};

/// Lambda's own cap on a synchronous invocation's response, all API Gateway and Function URLs
/// ever see.
const LAMBDA_CAP: ResponseCap = ResponseCap {
    bytes: crate::events::LAMBDA_MAX_RESPONSE_BYTES,
    name: "Lambda's 6 MB response limit",
};

/// Runs the response through a size cap and logs what had to be done about it.
fn fit_cap(
    response: AlbResponse,
    accept_encoding: Option<&str>,
    path: &str,
    request_id: &str,
    cap: ResponseCap,
) -> AlbResponse {
    let (response, fit) = limit::fit_within(response, accept_encoding, cap.bytes);
    // Only worked out for the rare response that needs a log line.
    let path = || crate::alb::uri::truncate_for_log(path);
    let limit = cap.name;
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
            "the response was over {limit} uncompressed; sent compressed"
        ),
        Fit::Replaced { size, reason } => tracing::error!(
            request_id,
            path = path(),
            size,
            reason,
            "the response was over {limit} and answered with 502 instead"
        ),
    }
    response
}

/// The 400 answer to an event that could not be parsed, in the header mode its raw JSON
/// suggests (only such an event needs that second, lenient look), logged as its request line.
fn refuse_event(
    error: &EventError,
    event: &[u8],
    request_id: &str,
    started: Instant,
) -> AlbResponse {
    let response = refuse(error, HeaderMode::of_raw_event(event), request_id);
    LogFields::default().log(request_id, response.status_code, started);
    response
}

/// The 400 answer to an event that cannot become a request, logged with the reason.
fn refuse(error: &EventError, mode: HeaderMode, request_id: &str) -> AlbResponse {
    tracing::warn!(request_id, %error, "malformed event answered with 400");
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
