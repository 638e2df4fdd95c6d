//! The response ALB accepts from a Lambda target, built from an `http::Response`.

use axum::body::Body;
use http::{HeaderMap, Method, Response, StatusCode, header};
use http_body_util::BodyExt as _;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::response_body::{Prepared, ResponseBody};
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
    pub body: ResponseBody,
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
            (ResponseBody::default(), false)
        } else {
            let header_text = |name| {
                parts
                    .headers
                    .get(name)
                    .and_then(|value: &http::HeaderValue| value.to_str().ok())
            };
            let content_type = header_text(header::CONTENT_TYPE);
            let content_encoding = header_text(header::CONTENT_ENCODING);
            let prepared = parts.extensions.get::<Prepared>().and_then(|prepared| {
                let need_base64 = body::headers_need_base64(content_type, content_encoding);
                prepared.body_for(&bytes, need_base64)
            });
            match prepared {
                Some(prepared) => {
                    let is_base64_encoded = prepared.is_base64_encoded();
                    (prepared, is_base64_encoded)
                }
                None => {
                    let (text, is_base64_encoded) =
                        body::encode(content_type, content_encoding, &bytes);
                    (text.into(), is_base64_encoded)
                }
            }
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
        response.body = text.into();
        response
    }

    /// (status code, every header with every value, body, isBase64Encoded): the parts other
    /// event shapes rebuild their responses from.
    pub fn into_parts(self) -> (u16, IndexMap<String, Vec<String>>, ResponseBody, bool) {
        let headers = match (self.multi_value_headers, self.headers) {
            (Some(multi), _) => multi,
            (None, single) => single
                .unwrap_or_default()
                .into_iter()
                .map(|(name, value)| (name, vec![value]))
                .collect(),
        };
        (self.status_code, headers, self.body, self.is_base64_encoded)
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
            body: ResponseBody::default(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::logs_of;
    use HeaderMode::{MultiValue, SingleValue};

    fn convert(response: Response<Body>, method: Method, mode: HeaderMode) -> AlbResponse {
        futures::executor::block_on(AlbResponse::from_http(response, &method, mode))
    }

    fn with_body(status: u16, headers: &[(&str, &str)], body: &'static str) -> Response<Body> {
        let mut builder = Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::from(body)).unwrap()
    }

    #[test]
    fn bodies_are_dropped_exactly_where_http_has_none() {
        let text = [("content-type", "text/plain")];
        for (method, status) in [
            (Method::HEAD, 200),
            (Method::GET, 204),
            (Method::GET, 304),
            (Method::GET, 103),
        ] {
            let response = convert(with_body(status, &text, "body"), method.clone(), MultiValue);
            assert_eq!(response.body, "", "{method} {status}");
            assert!(!response.is_base64_encoded);
            assert_eq!(response.status_code, status);
        }
        for status in [200, 201, 404, 500] {
            let response = convert(with_body(status, &text, "body"), Method::GET, MultiValue);
            assert_eq!(response.body, "body", "{status}");
        }
    }

    #[test]
    fn connection_headers_and_a_204s_length_are_dropped() {
        let headers = [
            ("connection", "keep-alive"),
            ("transfer-encoding", "chunked"),
            ("content-length", "4"),
            ("x-kept", "yes"),
        ];
        let ok = convert(with_body(200, &headers, "body"), Method::GET, SingleValue);
        assert_eq!(ok.header("connection"), None);
        assert_eq!(ok.header("transfer-encoding"), None);
        assert_eq!(ok.header("content-length"), Some("4"));
        assert_eq!(ok.header("x-kept"), Some("yes"));
        let no_content = convert(with_body(204, &headers, ""), Method::GET, SingleValue);
        assert_eq!(no_content.header("content-length"), None);
        assert_eq!(no_content.header("x-kept"), Some("yes"));
    }

    #[test]
    fn single_value_mode_joins_repeats_keeps_the_last_cookie_and_warns_only_for_several() {
        let one = logs_of(|| {
            let response = convert(
                with_body(
                    200,
                    &[("set-cookie", "a=1"), ("x-tag", "p"), ("x-tag", "q")],
                    "",
                ),
                Method::GET,
                SingleValue,
            );
            assert_eq!(response.header("set-cookie"), Some("a=1"));
            assert_eq!(response.header("x-tag"), Some("p, q"));
        });
        assert!(!one.contains("single-value header mode"), "{one}");
        let two = logs_of(|| {
            let response = convert(
                with_body(200, &[("set-cookie", "a=1"), ("set-cookie", "b=2")], ""),
                Method::GET,
                SingleValue,
            );
            assert_eq!(response.header("set-cookie"), Some("b=2"));
        });
        assert!(two.contains("single-value header mode"), "{two}");
        assert!(two.contains("set_cookie_count=2"), "{two}");
    }

    #[test]
    fn multi_value_mode_keeps_every_value_in_order() {
        let response = convert(
            with_body(200, &[("set-cookie", "a=1"), ("set-cookie", "b=2")], ""),
            Method::GET,
            MultiValue,
        );
        assert_eq!(response.mode(), MultiValue);
        assert_eq!(response.headers, None);
        assert_eq!(
            response.multi_value_headers.unwrap()["set-cookie"],
            ["a=1", "b=2"]
        );
    }

    #[test]
    fn headers_are_set_read_and_removed_in_either_mode() {
        for mode in [SingleValue, MultiValue] {
            let mut response = AlbResponse::plain_text(StatusCode::OK, "x", mode);
            assert_eq!(response.mode(), mode);
            assert_eq!(
                response.header("content-type"),
                Some("text/plain; charset=utf-8")
            );
            response.set_header("x-a", "1");
            response.set_header("x-a", "2");
            assert_eq!(response.header("x-a"), Some("2"), "{mode:?}");
            response.remove_header("x-a");
            assert_eq!(response.header("x-a"), None, "{mode:?}");
        }
    }

    #[test]
    fn vary_gains_accept_encoding_once() {
        let mut response = AlbResponse::plain_text(StatusCode::OK, "x", MultiValue);
        response.add_vary_accept_encoding();
        assert_eq!(response.header("vary"), Some("accept-encoding"));
        response.add_vary_accept_encoding();
        assert_eq!(response.header("vary"), Some("accept-encoding"));
        response.set_header("vary", "Cookie");
        response.add_vary_accept_encoding();
        assert_eq!(response.header("vary"), Some("Cookie, accept-encoding"));
        response.set_header("vary", "cookie, Accept-Encoding");
        response.add_vary_accept_encoding();
        assert_eq!(response.header("vary"), Some("cookie, Accept-Encoding"));
    }
}
