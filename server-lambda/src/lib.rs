//! The site as an AWS Lambda function behind an Application Load Balancer.
//!
//! One binary, `bootstrap`, two ways to run, one code path:
//!
//! - [`alb`]: the ALB ⇄ Lambda contract — the event, the response, ALB's base64 rule and the
//!   raw query handling — in both directions.
//! - [`events`]: the other shapes the same artifact answers — API Gateway REST, HTTP API,
//!   Function URL — told apart per event, and the one request builder all shapes share.
//! - [`handler`]: turns one event into one response of its shape through the Router; malformed
//!   events get 400, panics 500, and each request one log line. Shared by Lambda and the
//!   emulator.
//! - [`site`]: the Router (Leptos pages, server functions, `/healthz`, static files, HTML
//!   compression), built once.
//! - [`security`]: secure defaults on every response (CSP, HSTS, nosniff, cookies) and the
//!   refusal of cross-site state changes.
//! - [`assets`]: the site root's files in memory, served with content negotiation and caching.
//! - [`lambda`]: the Runtime API loop (`lambda_runtime`) feeding events to the handler.
//! - [`emulator`]: the local ALB emulator, HTTP ⇄ event JSON, enforcing ALB's limits.
//! - [`config`]: typed start-up settings from arguments and the environment.
//! - [`telemetry`]: JSON log lines for CloudWatch.
//!
//! The crate also sets the process's allocator (mimalloc), below.

pub mod alb;
pub mod assets;
pub mod config;
pub mod emulator;
pub mod events;
pub mod handler;
pub mod lambda;
pub mod security;
pub mod server_fn_errors;
pub mod site;
pub mod telemetry;

pub use handler::AlbHandler;

/// mimalloc rather than glibc's malloc: a request allocates and frees hundreds of small
/// blocks (event maps, headers, the rendered page), and mimalloc made a warm page 20 % faster.
/// Set here, not in `main.rs`, so the benchmarks and tests run with what the function runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
