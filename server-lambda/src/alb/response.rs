//! The response ALB accepts from a Lambda target, built from an `http::Response`.

use axum::body::Body;
use http::{HeaderMap, Method, Response, StatusCode, header};
use http_body_util::BodyExt as _;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::{HeaderMode, body};

/// Headers that describe one connection and have no place in a Lambda response.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-authenticate",
];

/// The ALB response JSON.
///
/// An own type rather than `aws_lambda_events::alb::AlbTargetGroupResponse` because that type
/// serializes `statusDescription: null` when unset and `body: null` for an empty body, and
/// always writes both header fields; ALB answers 502 to nulls. This one always has a status
/// description, a string body and exactly the header field of the event's mode.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlbResponse {
    /// The HTTP status code.
    pub status_code: u16,
    /// `"<code> <reason>"`, e.g. `"200 OK"`.
    pub status_description: String,
    /// Single-value mode headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<IndexMap<String, String>>,
    /// Multi-value mode headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_value_headers: Option<IndexMap<String, Vec<String>>>,
    /// The body: text as is, anything else base64.
    pub body: String,
    /// Whether `body` is base64.
    pub is_base64_encoded: bool,
}

impl AlbResponse {
    /// Converts the Router's response for a request with `method` in header `mode`.
    pub async fn from_http(response: Response<Body>, method: &Method, mode: HeaderMode) -> Self {
        let (parts, response_body) = response.into_parts();
        let bytes = match response_body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) => {
                tracing::error!(%error, "the response body failed while being read");
                return Self::plain_text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error",
                    mode,
                );
            }
        };
        let no_body = *method == Method::HEAD
            || parts.status == StatusCode::NO_CONTENT
            || parts.status == StatusCode::NOT_MODIFIED
            || parts.status.is_informational();
        let (encoded_body, is_base64_encoded) = if no_body {
            (String::new(), false)
        } else {
            let header_text = |name| {
                parts
                    .headers
                    .get(name)
                    .and_then(|value: &http::HeaderValue| value.to_str().ok())
            };
            body::encode(
                header_text(header::CONTENT_TYPE),
                header_text(header::CONTENT_ENCODING),
                &bytes,
            )
        };
        let mut response = Self::empty(parts.status, mode);
        response.set_headers(&parts.headers, parts.status);
        response.body = encoded_body;
        response.is_base64_encoded = is_base64_encoded;
        response
    }

    /// A `text/plain` response, for errors the Router never saw.
    pub fn plain_text(status: StatusCode, text: &str, mode: HeaderMode) -> Self {
        Self::with_body(status, "text/plain; charset=utf-8", text, mode)
    }

    /// A text response with the given content type, built without the Router.
    pub fn with_body(
        status: StatusCode,
        content_type: &'static str,
        text: &str,
        mode: HeaderMode,
    ) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static(content_type),
        );
        let mut response = Self::empty(status, mode);
        response.set_headers(&headers, status);
        response.body = text.to_string();
        response
    }

    /// The header mode this response is written in.
    pub fn mode(&self) -> HeaderMode {
        if self.multi_value_headers.is_some() {
            HeaderMode::MultiValue
        } else {
            HeaderMode::SingleValue
        }
    }

    /// The first value of a header, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        match (&self.multi_value_headers, &self.headers) {
            (Some(multi), _) => multi
                .get(name)
                .and_then(|values| values.first())
                .map(String::as_str),
            (None, Some(single)) => single.get(name).map(String::as_str),
            (None, None) => None,
        }
    }

    /// Sets a header (lowercase name) to one value, replacing any it had.
    pub fn set_header(&mut self, name: &str, value: &str) {
        if let Some(multi) = &mut self.multi_value_headers {
            multi.insert(name.to_string(), vec![value.to_string()]);
        } else if let Some(single) = &mut self.headers {
            single.insert(name.to_string(), value.to_string());
        }
    }

    /// Removes a header (lowercase name).
    pub fn remove_header(&mut self, name: &str) {
        if let Some(multi) = &mut self.multi_value_headers {
            multi.shift_remove(name);
        }
        if let Some(single) = &mut self.headers {
            single.shift_remove(name);
        }
    }

    /// Adds `accept-encoding` to `vary`, for a body whose encoding was negotiated.
    pub fn add_vary_accept_encoding(&mut self) {
        let vary = match self.header("vary") {
            Some(vary)
                if vary
                    .split(',')
                    .any(|name| name.trim().eq_ignore_ascii_case("accept-encoding")) =>
            {
                return;
            }
            Some(vary) => format!("{vary}, accept-encoding"),
            None => "accept-encoding".to_string(),
        };
        self.set_header("vary", &vary);
    }

    fn empty(status: StatusCode, mode: HeaderMode) -> Self {
        let reason = status.canonical_reason().unwrap_or("Unknown");
        Self {
            status_code: status.as_u16(),
            status_description: format!("{} {reason}", status.as_u16()),
            headers: (mode == HeaderMode::SingleValue).then(IndexMap::new),
            multi_value_headers: (mode == HeaderMode::MultiValue).then(IndexMap::new),
            body: String::new(),
            is_base64_encoded: false,
        }
    }

    fn set_headers(&mut self, headers: &HeaderMap, status: StatusCode) {
        for name in headers.keys() {
            let name_text = name.as_str();
            if HOP_BY_HOP.contains(&name_text)
                || (status == StatusCode::NO_CONTENT && name == header::CONTENT_LENGTH)
            {
                continue;
            }
            let values: Vec<String> = headers
                .get_all(name)
                .iter()
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
                .collect();
            if let Some(multi) = &mut self.multi_value_headers {
                multi.insert(name_text.to_string(), values);
            } else if let Some(single) = &mut self.headers {
                let value = if name == header::SET_COOKIE {
                    if values.len() > 1 {
                        tracing::warn!(
                            set_cookie_count = values.len(),
                            "the response sets {} cookies but the target group is in single-value header mode, \
                             so ALB delivers only the last one; set the target-group attribute \
                             lambda.multi_value_headers.enabled=true",
                            values.len()
                        );
                    }
                    values.last().cloned().unwrap_or_default()
                } else {
                    // Comma-joining is how HTTP combines repeated fields (RFC 9110 §5.3);
                    // set-cookie is the exception handled above.
                    values.join(", ")
                };
                single.insert(name_text.to_string(), value);
            }
        }
    }
}
