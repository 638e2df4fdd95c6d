//! Warm invocations, criterion-measured: ALB event JSON in → ALB response JSON out through
//! `bootstrap`'s handler, beside the same Router called directly with `oneshot` (the floor:
//! no event at all) and behind lambda_http's ALB adapter (the stock alternative).
//! `scripts/bench.sh` runs this before `startup`, which puts the medians in its table.
//!
//! The site root is `BENCH_SITE_ROOT` (the release site) or, without it, the app's public
//! directory; the asset case asks for a content-hashed file under `pkg/` when there is one.

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use axum::Router;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt as _;
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Context, LambdaEvent};
use serde_json::Value;
use server_lambda::AlbHandler;
use server_lambda::alb::HeaderMode::MultiValue;
use tower::{Service as _, ServiceExt as _};

use common::{OUTPUT_NAME, browser_headers, event, public_dir};

fn site_root() -> String {
    std::env::var("BENCH_SITE_ROOT").unwrap_or_else(|_| public_dir())
}

fn router() -> Router {
    let options = leptos::prelude::LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(site_root())
        .build();
    server_lambda::site::router(options)
}

/// A content-hashed file of the site, else any file it serves.
fn asset_path() -> String {
    let root = std::path::PathBuf::from(site_root());
    std::fs::read_dir(root.join("pkg"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .find(|name| name.ends_with(".css") || name.ends_with(".js"))
        .map(|name| format!("/pkg/{name}"))
        .unwrap_or_else(|| "/favicon.png".into())
}

/// One request the bench times: its name, path and raw query pairs.
type Case = (&'static str, String, Vec<(&'static str, &'static str)>);

/// The three cases.
fn cases() -> Vec<Case> {
    vec![
        ("home", "/".into(), vec![]),
        ("hello", "/hello".into(), vec![("name", "Ada+Lovelace")]),
        ("asset", asset_path(), vec![]),
    ]
}

/// The `http::Request` the event describes, for the oneshot floor.
fn request_of(path: &str, query: &[(&str, &str)]) -> http::Request<axum::body::Body> {
    let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let uri = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    };
    let mut request = http::Request::get(uri);
    for (name, value) in browser_headers() {
        request = request.header(name, value);
    }
    request.body(axum::body::Body::empty()).unwrap()
}

fn warm(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let router = router();
    let handler = AlbHandler::new(router.clone());
    let mut group = c.benchmark_group("warm");
    for (name, path, query) in cases() {
        let event_json: Vec<u8> =
            serde_json::to_vec(&event(MultiValue, "GET", &path, &query, &browser_headers()))
                .unwrap();
        // Each variant must answer before it is timed, or the comparison means nothing.
        let answer: Value =
            serde_json::from_slice(&runtime.block_on(handler.handle_json(&event_json, "bench")))
                .unwrap();
        assert_eq!(answer["statusCode"], 200, "{name}: {answer}");

        group.bench_function(BenchmarkId::new("bootstrap-handler", name), |b| {
            b.to_async(&runtime)
                .iter(|| async { handler.handle_json(&event_json, "bench").await })
        });
        group.bench_function(BenchmarkId::new("router-oneshot", name), |b| {
            b.to_async(&runtime).iter(|| async {
                let response = router
                    .clone()
                    .oneshot(request_of(&path, &query))
                    .await
                    .unwrap();
                response.into_body().collect().await.unwrap().to_bytes()
            })
        });
        group.bench_function(BenchmarkId::new("lambda_http", name), |b| {
            b.to_async(&runtime).iter(|| async {
                let request: LambdaRequest = serde_json::from_slice(&event_json).unwrap();
                let mut adapter = Adapter::from(router.clone());
                let response = adapter
                    .call(LambdaEvent::new(request, Context::default()))
                    .await
                    .unwrap();
                serde_json::to_vec(&response).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, warm);
criterion_main!(benches);
