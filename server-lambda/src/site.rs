//! The site's Router, built once before the first event: Leptos pages and server functions,
//! `/healthz`, the static files of the site root, and the app's 404 page for the rest; HTML
//! and other text gzipped on the way out, because ALB passes Lambda bodies through as is.
//!
//! Gzip only: brotli would save 3–4 % of a page (about 50 bytes of the starter's 1.4 KB) and
//! its encoder is a fifth of the function's zip. The static files, where brotli pays, are
//! served from their precompressed `.br` twins.

use std::path::Path;
use std::sync::Arc;

use app::{App, shell};
use axum::{Router, body::Body, response::IntoResponse, routing::get};
use http::{Request, header};
use leptos::prelude::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::compression::{
    CompressionLayer, CompressionLevel,
    predicate::{NotForContentType, Predicate as _, SizeAbove},
};

use crate::assets::SiteAssets;

/// Responses smaller than this are sent uncompressed: the saving would not pay for the CPU.
/// (`SizeAbove` compresses a body of exactly this many bytes.)
pub const COMPRESSION_THRESHOLD_BYTES: u16 = 1024;

/// Builds the Router the handler runs every request through.
pub fn router(options: LeptosOptions) -> Router {
    let routes = generate_route_list(App);
    let site_root = Path::new(&*options.site_root);
    let assets = Arc::new(SiteAssets::at(site_root));
    let render_not_found = leptos_axum::render_app_to_stream({
        let options = options.clone();
        move || shell(options.clone())
    });
    let static_or_not_found = move |request: Request<Body>| {
        let assets = Arc::clone(&assets);
        let render_not_found = render_not_found.clone();
        async move {
            match assets.respond(request.method(), request.uri().path(), request.headers()) {
                Some(response) => response,
                None => render_not_found(request).await.into_response(),
            }
        }
    };
    // Precompressed assets already carry content-encoding, which the layer leaves alone.
    let compression = CompressionLayer::new()
        .quality(CompressionLevel::Precise(4))
        .compress_when(
            SizeAbove::new(COMPRESSION_THRESHOLD_BYTES)
                .and(NotForContentType::IMAGES)
                .and(NotForContentType::GRPC)
                .and(NotForContentType::SSE),
        );

    Router::new()
        .route("/healthz", get(healthz))
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(static_or_not_found)
        .layer(axum::middleware::from_fn(crate::server_fn_errors::bound))
        .layer(compression)
        .layer(axum::middleware::from_fn(crate::security::secure_defaults))
        .with_state(options)
}

/// Target-group health check: no page rendering, no cookies.
async fn healthz() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "ok")
}
