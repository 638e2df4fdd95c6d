//! The starter site: a small Leptos app that exercises every part of the ALB path.
//!
//! - [`shell`]: the HTML document around the app; it renders `<html data-theme>` from the
//!   request's cookies on the server.
//! - [`routes`]: the router, with every page rendered in `SsrMode::Async` because a buffering
//!   ALB gains nothing from out-of-order streaming.
//! - [`pages`]: one module per route (home, hello, preferences, not found).
//! - [`islands`]: the only components that run in the browser (islands mode), so the wasm
//!   bundle stays small enough to serve from the function.
//! - [`preferences`]: the theme and display-name cookies and the server functions that read
//!   and write them.
//! - [`client_error`]: how server functions refuse a client's value: 422 and a bounded message.
//!
//! Features: `ssr` for the server (`server-lambda`), `hydrate` for the wasm bundle.

pub mod client_error;
pub mod islands;
pub mod pages;
pub mod preferences;
pub mod routes;
mod shell;

pub use routes::App;
pub use shell::shell;

/// Entry point of the wasm bundle: hydrates the islands of the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
