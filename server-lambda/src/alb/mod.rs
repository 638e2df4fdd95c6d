//! The ALB ⇄ Lambda contract, both directions.
//!
//! - [`event`]: the request event ALB sends, as one serde type that the function parses and the
//!   local emulator writes, and its conversion into an `http::Request`.
//! - [`response`]: the response ALB accepts, built from an `http::Response` without JSON nulls.
//! - [`body`]: ALB's rule for which bodies travel base64-encoded.
//! - [`response_body`]: the body as the response JSON holds it, or as a static file prepared it
//!   ahead of time.
//! - [`uri`]: the path and raw query re-joined into a URI without decoding anything.
//! - [`limit`]: ALB's 1 MB response cap, enforced before a response leaves.
//! - [`contract`]: the response JSON checked the way ALB checks it (the emulator's 502s).

pub mod body;
pub mod contract;
pub mod event;
pub mod limit;
pub mod response;
pub mod response_body;
pub mod uri;

pub use event::{AlbEvent, EventError};
pub use response::AlbResponse;

/// Largest request body ALB forwards and largest response JSON it accepts (1 MB).
pub const ALB_MAX_BYTES: usize = 1024 * 1024;

/// How the target group passes headers and query parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderMode {
    /// `headers` + `queryStringParameters`: ALB's default; repeated keys keep the last value.
    SingleValue,
    /// `multiValueHeaders` + `multiValueQueryStringParameters`: enabled by the target-group
    /// attribute `lambda.multi_value_headers.enabled=true`, which this template deploys.
    MultiValue,
}

impl HeaderMode {
    /// The name used on the command line and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            HeaderMode::SingleValue => "single-value",
            HeaderMode::MultiValue => "multi-value",
        }
    }

    /// The mode [`as_str`](Self::as_str) names, if `name` is one.
    pub fn from_name(name: &str) -> Option<Self> {
        [HeaderMode::SingleValue, HeaderMode::MultiValue]
            .into_iter()
            .find(|mode| mode.as_str() == name)
    }
}
