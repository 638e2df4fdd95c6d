//! The site's Router, built once before the first event: Leptos pages and server functions,
//! `/healthz`, and the static files of the site root, with the app's 404 page for the rest.

use std::convert::Infallible;

use app::{App, shell};
use axum::{Router, body::Body, response::IntoResponse, routing::get};
use http::{Request, header};
use leptos::prelude::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::services::ServeDir;

/// Builds the Router the handler runs every request through.
pub fn router(options: LeptosOptions) -> Router {
    let routes = generate_route_list(App);
    let not_found = {
        let render = leptos_axum::render_app_to_stream({
            let options = options.clone();
            move || shell(options.clone())
        });
        tower::service_fn(move |request: Request<Body>| {
            let render = render.clone();
            async move { Ok::<_, Infallible>(render(request).await.into_response()) }
        })
    };
    // Precompressed `.br`/`.gz` twins written by `cargo leptos build --precompress` are
    // served when the browser accepts them: ALB never compresses.
    let static_files = ServeDir::new(&*options.site_root)
        .precompressed_br()
        .precompressed_gzip()
        .call_fallback_on_method_not_allowed(true)
        .fallback(not_found);

    Router::new()
        .route("/healthz", get(healthz))
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback_service(static_files)
        .with_state(options)
}

/// Target-group health check: no page rendering, no cookies.
async fn healthz() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "ok")
}
