//! The local ALB emulator: HTTP in, the ALB event JSON through the same [`AlbHandler`] as on
//! Lambda, the ALB response JSON back out as HTTP — refusing what ALB refuses.
//!
//! Both halves of ALB are here: [`event_from_http`] builds the event as ALB would (lowercase
//! header names, raw query, ALB's base64 rule, forwarded headers) and [`http_from_alb_json`]
//! checks the function's answer as ALB does (502 on nulls, non-string headers, a missing
//! `isBase64Encoded` or more than 1 MB of JSON).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lambda_events::alb::AlbTargetGroupRequestContext;
use axum::{
    Router,
    body::Body,
    extract::{ConnectInfo, State},
};
use http::{HeaderValue, Request, Response, StatusCode, header, request::Parts};
use indexmap::IndexMap;

pub use crate::alb::contract::{ContractViolation, http_from_alb_json};
use crate::alb::{ALB_MAX_BYTES, AlbEvent, HeaderMode, body, uri};
use crate::handler::AlbHandler;

/// The target group ARN written into emulated events.
pub const EMULATOR_TARGET_GROUP_ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/local-alb-emulator/0123456789abcdef";

/// Request headers that belong to the client's connection, which ALB terminates.
const CONNECTION_HEADERS: [&str; 5] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "upgrade",
];

/// What the emulated load balancer needs per request.
struct Emulator {
    handler: AlbHandler,
    mode: HeaderMode,
    listener_port: u16,
    requests: AtomicU64,
}

/// The emulator as a Router, for `axum::serve` or for driving with `oneshot` in tests.
pub fn router(handler: AlbHandler, mode: HeaderMode, listener_port: u16) -> Router {
    let emulator = Arc::new(Emulator {
        handler,
        mode,
        listener_port,
        requests: AtomicU64::new(0),
    });
    Router::new().fallback(emulate).with_state(emulator)
}

/// Serves the emulator on a bound listener until the process ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    handler: AlbHandler,
    mode: HeaderMode,
) -> std::io::Result<()> {
    let port = listener.local_addr()?.port();
    let app = router(handler, mode, port);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

/// Logs a request whose client hung up before the answer: hyper then drops the future that
/// was handling it, so the answer is never finished and the access line never written.
struct Unanswered {
    number: u64,
    /// Cheap to clone; the path is only cut for the log when it is written.
    uri: http::Uri,
    answered: bool,
}

impl Drop for Unanswered {
    fn drop(&mut self) {
        if !self.answered {
            tracing::warn!(
                request = self.number,
                path = %uri::truncate_for_log(self.uri.path()),
                "the client went away before the answer; the request was abandoned"
            );
        }
    }
}

async fn emulate(State(emulator): State<Arc<Emulator>>, request: Request<Body>) -> Response<Body> {
    let number = emulator.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let mut unanswered = Unanswered {
        number,
        uri: request.uri().clone(),
        answered: false,
    };
    let response = answer(&emulator, number, request).await;
    unanswered.answered = true;
    response
}

/// The emulated load balancer's answer to request `number`.
async fn answer(emulator: &Emulator, number: u64, request: Request<Body>) -> Response<Body> {
    let client_ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "127.0.0.1".to_string());
    let (parts, request_body) = request.into_parts();
    let method = parts.method.clone();
    let bytes = match axum::body::to_bytes(request_body, ALB_MAX_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) if passed_the_limit(&error) => {
            tracing::warn!(
                limit = ALB_MAX_BYTES,
                "request body over ALB's 1 MB limit; answered with 413 as ALB does"
            );
            return alb_error_page(StatusCode::PAYLOAD_TOO_LARGE);
        }
        Err(error) => {
            // Nobody is left to read the answer; the point is the log line and that nothing
            // half-received reaches the function.
            tracing::warn!(
                %error,
                request = number,
                "the client went away before its request body arrived; nothing was sent to the function"
            );
            return alb_error_page(StatusCode::BAD_REQUEST);
        }
    };
    let event = event_from_http(
        &parts,
        &bytes,
        emulator.mode,
        &client_ip,
        emulator.listener_port,
        &trace_id(number),
    );
    let event_json = serde_json::to_vec(&event).expect("an AlbEvent always serializes");
    let response_json = emulator
        .handler
        .handle_json(&event_json, &format!("emulator-{number}"))
        .await;
    match http_from_alb_json(&response_json, emulator.mode, &method) {
        Ok(response) => response,
        Err(violation) => {
            tracing::error!(%violation, "the function's response breaks the ALB contract; ALB would answer 502");
            alb_error_page(StatusCode::BAD_GATEWAY)
        }
    }
}

/// Whether reading a request body failed because it passed the limit, not because the
/// connection broke.
fn passed_the_limit(error: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = current.source();
    }
    false
}

/// Builds the event ALB would send for this request.
pub fn event_from_http(
    parts: &Parts,
    body_bytes: &[u8],
    mode: HeaderMode,
    client_ip: &str,
    listener_port: u16,
    trace_id: &str,
) -> AlbEvent {
    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter(|(name, _)| !CONNECTION_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    if let Some(host) = parts
        .uri
        .authority()
        .filter(|_| parts.headers.get(header::HOST).is_none())
    {
        headers.insert(0, ("host".to_string(), host.to_string()));
    }
    let forwarded_for = match parts
        .headers
        .get("x-forwarded-for")
        .and_then(|value| value.to_str().ok())
    {
        Some(previous) => format!("{previous}, {client_ip}"),
        None => client_ip.to_string(),
    };
    headers.retain(|(name, _)| {
        !matches!(
            name.as_str(),
            "x-forwarded-for" | "x-forwarded-proto" | "x-forwarded-port"
        )
    });
    headers.push(("x-forwarded-for".to_string(), forwarded_for));
    headers.push(("x-forwarded-proto".to_string(), "http".to_string()));
    headers.push(("x-forwarded-port".to_string(), listener_port.to_string()));
    if parts.headers.get("x-amzn-trace-id").is_none() {
        headers.push(("x-amzn-trace-id".to_string(), trace_id.to_string()));
    }
    let query = uri::split_query(parts.uri.query().unwrap_or_default());

    let header_text = |name| {
        parts
            .headers
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
    };
    let (body, is_base64_encoded) = body::encode(
        header_text(header::CONTENT_TYPE)
            .or(Some("application/octet-stream"))
            .filter(|_| !body_bytes.is_empty()),
        header_text(header::CONTENT_ENCODING),
        body_bytes,
    );

    let mut request_context = AlbTargetGroupRequestContext::default();
    request_context.elb.target_group_arn = Some(EMULATOR_TARGET_GROUP_ARN.to_string());
    let mut event = AlbEvent {
        request_context,
        http_method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        body: Some(body),
        is_base64_encoded,
        ..AlbEvent::default()
    };
    match mode {
        HeaderMode::SingleValue => {
            // Repeated keys keep only the last value, as ALB does.
            event.headers = Some(headers.into_iter().collect());
            event.query_string_parameters = Some(query.into_iter().collect());
        }
        HeaderMode::MultiValue => {
            event.multi_value_headers = Some(group(headers));
            event.multi_value_query_string_parameters = Some(group(query));
        }
    }
    event
}

fn group(pairs: Vec<(String, String)>) -> IndexMap<String, Vec<String>> {
    let mut grouped: IndexMap<String, Vec<String>> = IndexMap::new();
    for (key, value) in pairs {
        grouped.entry(key).or_default().push(value);
    }
    grouped
}

/// The small HTML page ALB itself sends for 413 and 502.
fn alb_error_page(status: StatusCode) -> Response<Body> {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or_default()
    );
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    );
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html")
        .header(header::SERVER, "awselb/2.0")
        .body(Body::from(page))
        .expect("static response")
}

/// An `x-amzn-trace-id` in ALB's format: `Root=1-<epoch seconds hex>-<24 hex digits>`.
fn trace_id(number: u64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "Root=1-{:08x}-{:012x}{:012x}",
        now.as_secs(),
        now.subsec_nanos(),
        number
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_abandoned_request_is_logged_once_and_an_answered_one_is_not() {
        use tower::ServiceExt as _;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let logs = crate::telemetry::logs_of(|| {
            runtime.block_on(async {
                let site = Router::new().route("/ok", axum::routing::get(|| async { "ok" }));
                let app = router(AlbHandler::new(site), HeaderMode::MultiValue, 80);
                // A body that never arrives: the request is still being handled when the
                // client leaves, which drops the future as hyper does on a closed connection.
                let stalled = Body::from_stream(futures::stream::pending::<
                    Result<axum::body::Bytes, std::io::Error>,
                >());
                let request = Request::post("/form").body(stalled).unwrap();
                let abandoned = tokio::time::timeout(
                    std::time::Duration::from_millis(50),
                    app.clone().oneshot(request),
                )
                .await;
                assert!(abandoned.is_err(), "the stalled request cannot finish");
                let ok = app
                    .oneshot(Request::get("/ok").body(Body::empty()).unwrap())
                    .await
                    .unwrap();
                assert_eq!(ok.status(), StatusCode::OK);
            })
        });
        assert_eq!(
            logs.matches("the client went away before the answer")
                .count(),
            1,
            "{logs}"
        );
        assert!(logs.contains("path=/form"), "{logs}");
    }

    #[test]
    fn event_from_http_follows_albs_rules() {
        let request = Request::builder()
            .method("POST")
            .uri("/save?a=%2F&a=x+y&flag")
            .header("host", "127.0.0.1:3000")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .header("accept", "*/*")
            .header("connection", "keep-alive")
            .body(())
            .unwrap();
        let (parts, ()) = request.into_parts();
        let body = b"theme=dark";

        let multi = event_from_http(
            &parts,
            body,
            HeaderMode::MultiValue,
            "10.0.0.9",
            3000,
            "Root=1-a-b",
        );
        assert_eq!(multi.http_method, "POST");
        assert_eq!(multi.path, "/save");
        assert!(multi.is_base64_encoded, "form bodies arrive base64");
        assert_eq!(multi.body.as_deref(), Some("dGhlbWU9ZGFyaw=="));
        let query = multi.multi_value_query_string_parameters.as_ref().unwrap();
        assert_eq!(query["a"], ["%2F", "x+y"]);
        assert_eq!(query["flag"], [""]);
        let headers = multi.multi_value_headers.as_ref().unwrap();
        assert_eq!(headers["accept"], ["text/html", "*/*"]);
        assert_eq!(headers["x-forwarded-for"], ["10.0.0.9"]);
        assert_eq!(headers["x-forwarded-proto"], ["http"]);
        assert_eq!(headers["x-forwarded-port"], ["3000"]);
        assert_eq!(headers["x-amzn-trace-id"], ["Root=1-a-b"]);
        assert!(!headers.contains_key("connection"));
        assert!(multi.headers.is_none() && multi.query_string_parameters.is_none());

        let single = event_from_http(
            &parts,
            body,
            HeaderMode::SingleValue,
            "10.0.0.9",
            3000,
            "Root=1-a-b",
        );
        assert_eq!(single.query_string_parameters.as_ref().unwrap()["a"], "x+y");
        assert_eq!(single.headers.as_ref().unwrap()["accept"], "*/*");
        assert!(single.multi_value_headers.is_none());
    }

    #[test]
    fn json_and_empty_bodies_stay_plain() {
        let (parts, ()) = Request::builder()
            .uri("/")
            .header("content-type", "application/json")
            .body(())
            .unwrap()
            .into_parts();
        let event = event_from_http(
            &parts,
            b"{}",
            HeaderMode::SingleValue,
            "127.0.0.1",
            3000,
            "t",
        );
        assert_eq!(
            (event.body.as_deref(), event.is_base64_encoded),
            (Some("{}"), false)
        );
        let event = event_from_http(&parts, b"", HeaderMode::SingleValue, "127.0.0.1", 3000, "t");
        assert_eq!(
            (event.body.as_deref(), event.is_base64_encoded),
            (Some(""), false)
        );
    }
}
