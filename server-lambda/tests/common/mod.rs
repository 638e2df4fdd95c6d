//! Shared test helpers: ALB events composed from the documented format, a Router that echoes
//! what reached it, and the paths of the real site's files.
#![allow(dead_code)]

pub mod emulator_process;
pub mod runtime_api;
pub mod shapes;

use axum::{
    Router,
    body::{Body, Bytes},
    routing::{any, get},
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{Request, Response, StatusCode, header};
use serde_json::{Value, json};
use server_lambda::alb::HeaderMode;

/// The name of the hydrate bundle, as the server was compiled with it.
pub const OUTPUT_NAME: &str = env!("LEPTOS_OUTPUT_NAME");

/// Output lines of a child process, collected as they are printed.
pub type Lines = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// Appends every line `reader` yields to `into`, in the background, until it closes.
pub fn collect_lines(reader: impl tokio::io::AsyncBufRead + Unpin + Send + 'static, into: &Lines) {
    use tokio::io::AsyncBufReadExt as _;
    let into = std::sync::Arc::clone(into);
    tokio::spawn(async move {
        let mut lines = reader.lines();
        while let Ok(Some(line)) = lines.next_line().await {
            into.lock().unwrap().push(line);
        }
    });
}

/// Whether a line containing `needle` is in `lines`, waiting up to `limit` for it.
pub async fn line_within(lines: &Lines, needle: &str, limit: std::time::Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if lines
            .lock()
            .unwrap()
            .iter()
            .any(|line| line.contains(needle))
        {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// `len` bytes no compressor can shrink (xorshift from `seed`), the same for the same inputs.
pub fn incompressible(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// A memory figure of a process in KiB from `/proc/<pid>/status` (Linux): `VmRSS` for the
/// resident set now, `VmHWM` for its peak.
pub fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("Linux /proc");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

/// The site root the tests serve: the assets directory cargo-leptos copies verbatim.
pub fn public_dir() -> String {
    format!("{}/../app/public", env!("CARGO_MANIFEST_DIR"))
}

/// Serializes the tests of one test binary that render Leptos pages in-process. Several
/// tokio runtimes rendering at once in one process (one per `#[tokio::test]`) were seen to
/// hang; the server itself runs one runtime, which `concurrent_page_requests_are_all_served`
/// (emulator_http.rs) exercises under load.
pub async fn one_renderer_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static RENDERING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    RENDERING.lock().await
}

/// The real site's Router, with the site root pointed at the app's public assets.
pub fn site_router() -> Router {
    let options = leptos::prelude::LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(public_dir())
        .build();
    server_lambda::site::router(options)
}

/// An ALB event in the given mode; `headers` and `query` are (name, value) pairs exactly as
/// the client sent them. Single-value mode keeps the last value of a repeated key, as ALB does.
pub fn event(
    mode: HeaderMode,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Value {
    let mut event = json!({
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/site/abc"}},
        "httpMethod": method,
        "path": path,
        "body": "",
        "isBase64Encoded": false,
    });
    let object = event.as_object_mut().unwrap();
    match mode {
        HeaderMode::SingleValue => {
            let mut query_map = serde_json::Map::new();
            for (key, value) in query {
                query_map.insert(key.to_string(), json!(value));
            }
            let mut header_map = serde_json::Map::new();
            for (name, value) in headers {
                header_map.insert(name.to_string(), json!(value));
            }
            object.insert("queryStringParameters".into(), Value::Object(query_map));
            object.insert("headers".into(), Value::Object(header_map));
        }
        HeaderMode::MultiValue => {
            object.insert("multiValueQueryStringParameters".into(), grouped(query));
            object.insert("multiValueHeaders".into(), grouped(headers));
        }
    }
    event
}

/// Typical browser headers as ALB forwards them.
pub fn browser_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("host", "site.example.com"),
        ("accept", "text/html"),
        ("user-agent", "Mozilla/5.0"),
        ("x-forwarded-for", "203.0.113.7"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-port", "443"),
        (
            "x-amzn-trace-id",
            "Root=1-67891233-abcdef012345678912345678",
        ),
    ]
}

/// Pairs grouped by key into lists, in order: multi-value fields.
pub fn grouped(pairs: &[(&str, &str)]) -> Value {
    let mut map = serde_json::Map::new();
    for (key, value) in pairs {
        map.entry(key.to_string())
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .unwrap()
            .push(json!(value));
    }
    Value::Object(map)
}

/// Sets a body on an event.
pub fn with_body(mut event: Value, body: &[u8], base64: bool) -> Value {
    event["body"] = if base64 {
        json!(STANDARD.encode(body))
    } else {
        json!(String::from_utf8(body.to_vec()).unwrap())
    };
    event["isBase64Encoded"] = json!(base64);
    event
}

/// Every header value of a response JSON, whichever field it uses.
pub fn header_values(response: &Value, name: &str) -> Vec<String> {
    if let Some(multi) = response.get("multiValueHeaders") {
        multi
            .get(name)
            .and_then(Value::as_array)
            .map(|values| {
                values
                    .iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        response["headers"]
            .get(name)
            .and_then(Value::as_str)
            .map(|v| vec![v.to_string()])
            .unwrap_or_default()
    }
}

/// The decoded body of a response JSON.
pub fn body_bytes(response: &Value) -> Vec<u8> {
    let body = response["body"].as_str().unwrap();
    if response["isBase64Encoded"].as_bool().unwrap() {
        STANDARD.decode(body).unwrap()
    } else {
        body.as_bytes().to_vec()
    }
}

/// The text of the element with the given id, hydration markers and tags removed.
pub fn element_text(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let open_end = start + html[start..].find('>')? + 1;
    let close = open_end + html[open_end..].find("</")?;
    Some(html[open_end..close].replace("<!>", ""))
}

/// Asserts the response JSON follows the ALB contract: required fields, no nulls anywhere,
/// exactly the header field of `mode`, string header values.
pub fn assert_alb_contract(response: &Value, mode: HeaderMode) {
    let object = response.as_object().expect("the response is a JSON object");
    let size = serde_json::to_vec(response).unwrap().len();
    assert!(size <= 1024 * 1024, "the response JSON is {size} bytes");
    assert!(object["statusCode"].is_u64(), "statusCode: {response}");
    let description = object["statusDescription"]
        .as_str()
        .expect("statusDescription is a string");
    assert!(
        description.starts_with(&object["statusCode"].to_string()),
        "{description}"
    );
    assert!(object["isBase64Encoded"].is_boolean());
    assert!(object["body"].is_string());
    let (expected, absent) = match mode {
        HeaderMode::SingleValue => ("headers", "multiValueHeaders"),
        HeaderMode::MultiValue => ("multiValueHeaders", "headers"),
    };
    assert!(
        object.contains_key(expected) && !object.contains_key(absent),
        "header fields: {response}"
    );
    for value in object[expected].as_object().unwrap().values() {
        match mode {
            HeaderMode::SingleValue => assert!(value.is_string(), "{value}"),
            HeaderMode::MultiValue => assert!(
                value.as_array().unwrap().iter().all(Value::is_string),
                "{value}"
            ),
        }
    }
    for name in ["connection", "transfer-encoding", "keep-alive"] {
        assert!(
            !object[expected].as_object().unwrap().contains_key(name),
            "hop-by-hop header {name}"
        );
    }
    assert_no_nulls(response);
}

fn assert_no_nulls(value: &Value) {
    match value {
        Value::Null => panic!("the response contains a JSON null"),
        Value::Array(items) => items.iter().for_each(assert_no_nulls),
        Value::Object(fields) => fields.values().for_each(assert_no_nulls),
        _ => {}
    }
}

/// A Router that answers with a JSON description of the request it received, plus fixed
/// responses of every kind the adapter must carry.
pub fn echo_router() -> Router {
    Router::new()
        .route("/echo", any(echo))
        .route(
            "/length",
            any(|body: Bytes| async move { body.len().to_string() }),
        )
        .route(
            "/text",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    "héllo ✓\r\n  spaced ",
                )
            }),
        )
        .route(
            "/binary",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/octet-stream")],
                    Bytes::from_static(&[0, 1, 2, 0xff, 0xfe]),
                )
            }),
        )
        .route(
            "/gzip",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/html"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    gzip(b"<p>compressed</p>"),
                )
            }),
        )
        .route(
            "/latin1",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/plain; charset=iso-8859-1")],
                    Bytes::from_static(b"caf\xe9"),
                )
            }),
        )
        .route("/no-content", get(|| async { StatusCode::NO_CONTENT }))
        .route(
            "/not-modified",
            get(|| async {
                (
                    StatusCode::NOT_MODIFIED,
                    [(header::ETAG, "\"v1\"")],
                    "should not be sent",
                )
            }),
        )
        .route(
            "/redirect",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/elsewhere?a=%2F")]) }),
        )
        .route(
            "/cookies",
            get(|| async {
                Response::builder()
                    .header(header::SET_COOKIE, "a=1; Path=/")
                    .header(header::SET_COOKIE, "b=2; Path=/; HttpOnly")
                    .header("x-repeated", "one")
                    .header("x-repeated", "two")
                    .body(Body::from("two cookies"))
                    .unwrap()
            }),
        )
        .route(
            "/hop-by-hop",
            get(|| async {
                Response::builder()
                    .header(header::CONNECTION, "close")
                    .header("keep-alive", "timeout=5")
                    .header(header::CONTENT_TYPE, "text/plain")
                    .body(Body::from("fine"))
                    .unwrap()
            }),
        )
        .route(
            "/panic",
            get(|| async {
                if true {
                    panic!("rendering exploded");
                }
                "unreachable"
            }),
        )
        .route(
            "/large-binary",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/octet-stream")],
                    vec![7u8; 800 * 1024],
                )
            }),
        )
        .route(
            "/large-text",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/plain")],
                    "x".repeat(900 * 1024),
                )
            }),
        )
}

async fn echo(request: Request<Body>) -> axum::Json<Value> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let headers: Vec<Value> = parts
        .headers
        .iter()
        .map(|(name, value)| json!([name.as_str(), value.to_str().unwrap_or("<binary>")]))
        .collect();
    axum::Json(json!({
        "method": parts.method.as_str(),
        "uri": parts.uri.to_string(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "headers": headers,
        "body_base64": STANDARD.encode(&bytes),
    }))
}

/// Gzip-compresses bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Decompresses gzip bytes.
pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read as _;
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut decoded)
        .unwrap();
    decoded
}

/// Values of a header in an echo response.
pub fn echoed_header(echo: &Value, name: &str) -> Vec<String> {
    echo["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|pair| pair[0] == name)
        .map(|pair| pair[1].as_str().unwrap().to_string())
        .collect()
}

/// The request body an echo response saw.
pub fn echoed_body(echo: &Value) -> Vec<u8> {
    STANDARD
        .decode(echo["body_base64"].as_str().unwrap())
        .unwrap()
}
