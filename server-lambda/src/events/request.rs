//! One way to build the `http::Request` the Router sees, whichever event shape it came in.
//!
//! Each shape only says where its method, path, raw query, headers and body are; the rules
//! that keep a request safe live here once: the path is always the event's (a header can never
//! change the route), the authority comes from a valid `host` only, and header names and values
//! are checked before anything reaches the app.

use axum::body::Body;
use http::uri::{PathAndQuery, Scheme};
use http::{HeaderName, HeaderValue, Method, Request, Uri, header::HOST};

use crate::alb::{EventError, body, uri};

/// The prefix a public URL carries in front of the path the app routes by (API Gateway's
/// `/<stage>` on its default URL, or a custom domain's base path). Put in the request's
/// extensions, where no client can forge it, for an app that builds absolute links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicPathPrefix(pub String);

/// What an event says about its request, borrowed from the parsed event.
pub struct RequestParts<'a> {
    /// The method as the event wrote it.
    pub method: &'a str,
    /// The path the app routes by, not yet escaped.
    pub path: &'a str,
    /// The query string as a URI carries it: still percent-encoded, and nothing a URI cannot
    /// hold (each shape escapes its own once: ALB's join, REST's encoding, 2.0's raw string).
    pub raw_query: String,
    /// Every header as (name, value); names in any case.
    pub headers: Vec<(&'a str, &'a str)>,
    /// The scheme when no `x-forwarded-proto` says otherwise.
    pub default_scheme: Scheme,
    /// The host when the event has no `host` header (API Gateway's `domainName`).
    pub fallback_host: Option<&'a str>,
    /// The body, base64 when `is_base64_encoded`.
    pub body: Option<&'a str>,
    /// Whether `body` is base64.
    pub is_base64_encoded: bool,
    /// The public path prefix, when the shape has one.
    pub prefix: Option<String>,
}

impl RequestParts<'_> {
    /// The first value of a header, by name in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
            .map(|(_, value)| *value)
    }

    /// Builds the request. The URI is absolute when there is a valid host (scheme from
    /// `x-forwarded-proto`), so the app can build absolute URLs; health checks without `host`,
    /// and a `host` that is not a plain authority, get a path-only URI.
    pub fn into_request(self) -> Result<Request<Body>, EventError> {
        let method = Method::from_bytes(self.method.as_bytes())
            .map_err(|_| EventError::InvalidMethod(self.method.to_string()))?;
        if !self.path.starts_with('/') {
            return Err(EventError::InvalidPath(self.path.to_string()));
        }
        let mut path_and_query = uri::escape_path(self.path);
        if !self.raw_query.is_empty() {
            path_and_query.push('?');
            path_and_query.push_str(&self.raw_query);
        }
        let path_and_query = path_and_query
            .parse::<PathAndQuery>()
            .map_err(|_| EventError::InvalidPath(self.path.to_string()))?;
        let scheme = match self.header("x-forwarded-proto") {
            Some(proto) if proto.eq_ignore_ascii_case("https") => Scheme::HTTPS,
            Some(proto) if proto.eq_ignore_ascii_case("http") => Scheme::HTTP,
            _ => self.default_scheme.clone(),
        };
        let host = self.header(HOST.as_str()).or(self.fallback_host);
        let authority = host.and_then(|host| {
            let authority = uri::authority_of_host(host);
            if authority.is_none() && !host.is_empty() {
                tracing::warn!(
                    host = %uri::truncate_for_log(host),
                    path = %uri::truncate_for_log(self.path),
                    "ignored a host header that is not a valid authority (host or host:port)"
                );
            }
            authority
        });
        let mut parts = Uri::builder();
        if let Some(authority) = authority {
            parts = parts.scheme(scheme).authority(authority);
        }
        let uri = parts
            .path_and_query(path_and_query)
            .build()
            .map_err(|_| EventError::InvalidPath(self.path.to_string()))?;

        let mut request = Request::builder().method(method).uri(uri);
        let headers = request.headers_mut().expect("builder has no error yet");
        for (name, value) in &self.headers {
            // from_bytes lowercases: API Gateway keeps the client's case, ALB lowercases.
            let header_name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| EventError::InvalidHeader(name.to_string()))?;
            let header_value = HeaderValue::from_bytes(value.as_bytes())
                .map_err(|_| EventError::InvalidHeader(name.to_string()))?;
            headers.append(header_name, header_value);
        }
        if let Some(prefix) = self.prefix {
            request = request.extension(PublicPathPrefix(prefix));
        }
        let bytes = body::decode(self.body.unwrap_or_default(), self.is_base64_encoded)
            .ok_or(EventError::InvalidBase64Body)?;
        request
            .body(Body::from(bytes))
            .map_err(|error| EventError::InvalidHeader(error.to_string()))
    }
}
