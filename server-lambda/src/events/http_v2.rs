//! Payload format 2.0: API Gateway HTTP APIs and Lambda Function URLs (the same shape; a
//! Function URL's stage is always `$default`). `cargo lambda watch` sends it too.
//!
//! `rawQueryString` is the query as the client sent it, kept as is. Cookies come in their own
//! `cookies` array and go back out in one; repeated headers arrive joined with commas. On an HTTP
//! API stage other than `$default`, `rawPath` starts with `/<stage>`: the app routes by the path
//! without it, and redirects to a path get it back.

use axum::body::Body;
use http::Request;
use http::uri::Scheme;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::request::RequestParts;
use super::{ApiShape, StringOrList, prefixed_redirects};
use crate::alb::{AlbResponse, EventError, uri};

/// The stage of a Function URL, and of an HTTP API's default stage: no path prefix.
const DEFAULT_STAGE: &str = "$default";

/// The payload 2.0 event, read with only the fields the request needs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpEvent {
    /// `"2.0"`, the marker of this shape.
    pub version: String,
    /// The public path, still percent-encoded as the client sent it.
    pub raw_path: String,
    /// The query as the client sent it.
    #[serde(default)]
    pub raw_query_string: Option<String>,
    /// The request's cookies, one per entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookies: Option<Vec<String>>,
    /// Headers, repeated ones joined with commas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<IndexMap<String, StringOrList>>,
    /// Where the request came in, and its method.
    pub request_context: HttpContext,
    /// The body, base64 when `is_base64_encoded`.
    #[serde(default)]
    pub body: Option<String>,
    /// Whether `body` is base64 (`null` reads as false).
    #[serde(default)]
    pub is_base64_encoded: Option<bool>,
}

/// The parts of `requestContext` the request needs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpContext {
    /// Carries the method.
    pub http: HttpDescription,
    /// The stage name; `$default` for a Function URL.
    #[serde(default)]
    pub stage: Option<String>,
    /// The host name the client used.
    #[serde(default)]
    pub domain_name: Option<String>,
}

/// `requestContext.http`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HttpDescription {
    /// The HTTP method.
    pub method: String,
}

impl HttpEvent {
    /// The path the app routes by: `rawPath` without the stage prefix.
    pub fn route_path(&self) -> &str {
        self.path_after(self.public_prefix().as_deref())
    }

    /// `rawPath` without `prefix` (which [`ApiShape::public_prefix`] found at its start).
    fn path_after(&self, prefix: Option<&str>) -> &str {
        match prefix {
            Some(prefix) => match &self.raw_path[prefix.len()..] {
                "" => "/",
                rest => rest,
            },
            None => &self.raw_path,
        }
    }
}

/// The payload 2.0 response: headers joined with commas, cookies in their own array, no nulls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status_code: u16,
    /// Every header but `set-cookie`, repeated values joined with `, `.
    pub headers: IndexMap<String, String>,
    /// Every `set-cookie` value, in order.
    pub cookies: Vec<String>,
    /// The body: text as is, anything else base64.
    pub body: crate::alb::response_body::ResponseBody,
    /// Whether `body` is base64.
    pub is_base64_encoded: bool,
}

impl ApiShape for HttpEvent {
    const NAME: &'static str = "HTTP API or Function URL";
    type Response = HttpResponse;

    fn public_prefix(&self) -> Option<String> {
        let stage = self.request_context.stage.as_deref()?;
        if stage.is_empty() || stage == DEFAULT_STAGE {
            return None;
        }
        let prefix = format!("/{stage}");
        let rest = self.raw_path.strip_prefix(&prefix)?;
        (rest.is_empty() || rest.starts_with('/')).then_some(prefix)
    }

    fn into_request(self) -> Result<Request<Body>, EventError> {
        let mut headers = self
            .headers
            .as_ref()
            .map(super::header_pairs)
            .unwrap_or_default();
        // API Gateway moves the cookie header into `cookies`; a client like `cargo lambda
        // watch` leaves it in both. One `cookie` header built from the array serves either.
        let cookie = self.cookies.as_ref().map(|cookies| cookies.join("; "));
        if let Some(cookie) = &cookie {
            headers.retain(|(name, _)| !name.eq_ignore_ascii_case("cookie"));
            if !cookie.is_empty() {
                headers.push(("cookie", cookie));
            }
        }
        let prefix = self.public_prefix();
        RequestParts {
            method: &self.request_context.http.method,
            path: self.path_after(prefix.as_deref()),
            // As the client sent it: only what a URI cannot hold is escaped.
            raw_query: uri::escape_invalid_uri_bytes(
                self.raw_query_string.as_deref().unwrap_or_default(),
            ),
            headers,
            default_scheme: Scheme::HTTPS,
            fallback_host: self.request_context.domain_name.as_deref(),
            body: self.body.as_deref(),
            is_base64_encoded: self.is_base64_encoded.unwrap_or_default(),
            prefix,
        }
        .into_request()
    }

    fn respond(response: AlbResponse, prefix: Option<&str>) -> HttpResponse {
        let (status_code, mut lists, body, is_base64_encoded) = response.into_parts();
        prefixed_redirects(&mut lists, prefix);
        let cookies = lists.shift_remove("set-cookie").unwrap_or_default();
        let headers = lists
            .into_iter()
            .map(|(name, values)| (name, values.join(", ")))
            .collect();
        HttpResponse {
            status_code,
            headers,
            cookies,
            body,
            is_base64_encoded,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(raw_path: &str, stage: Option<&str>) -> HttpEvent {
        HttpEvent {
            version: "2.0".into(),
            raw_path: raw_path.into(),
            request_context: HttpContext {
                stage: stage.map(str::to_string),
                ..HttpContext::default()
            },
            ..HttpEvent::default()
        }
    }

    #[test]
    fn a_named_stage_is_stripped_only_as_a_whole_segment() {
        let cases = [
            ("/beta/a", Some("beta"), "/a", Some("/beta")),
            ("/beta", Some("beta"), "/", Some("/beta")),
            ("/beta/", Some("beta"), "/", Some("/beta")),
            ("/betamax", Some("beta"), "/betamax", None),
            ("/a", Some("beta"), "/a", None),
            ("/$default/a", Some("$default"), "/$default/a", None),
            ("/a", None, "/a", None),
            ("/a", Some(""), "/a", None),
        ];
        for (raw_path, stage, route, prefix) in cases {
            let event = event(raw_path, stage);
            assert_eq!(event.route_path(), route, "{raw_path} {stage:?}");
            assert_eq!(
                event.public_prefix().as_deref(),
                prefix,
                "{raw_path} {stage:?}"
            );
        }
    }
}
