//! API Gateway REST API (proxy integration, payload 1.0) events and responses; HTTP APIs with
//! payload format 1.0 send the same shape.
//!
//! Unlike ALB, API Gateway hands the query parameters over **decoded**, so they are encoded again
//! here (a literal `+` or `&` in a value stays one). It sends both header fields; the multi-value
//! one is read, so repeated headers and cookies all arrive. `path` is the route without the
//! stage; what the public URL carries in front of it (`/<stage>` on the default execute-api
//! URL, or a custom domain's base path) is put back into redirects the app answers with.

use axum::body::Body;
use http::Request;
use http::uri::Scheme;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::request::RequestParts;
use super::{ApiShape, ResponseHeaders, StringOrList, prefixed_redirects};
use crate::alb::{AlbResponse, EventError};

/// The REST API proxy event, read with only the fields the request needs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestEvent {
    /// The HTTP method.
    pub http_method: String,
    /// The path the app routes by: the public path without the stage or base path.
    pub path: String,
    /// Headers, last value wins (API Gateway sends this and `multi_value_headers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<IndexMap<String, StringOrList>>,
    /// Headers with every value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_value_headers: Option<IndexMap<String, StringOrList>>,
    /// Decoded query parameters, last value wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_string_parameters: Option<IndexMap<String, StringOrList>>,
    /// Decoded query parameters with every value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_value_query_string_parameters: Option<IndexMap<String, StringOrList>>,
    /// Where the request came in.
    pub request_context: RestContext,
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
pub struct RestContext {
    /// The stage name.
    #[serde(default)]
    pub stage: Option<String>,
    /// The public path, stage or base path included.
    #[serde(default)]
    pub path: Option<String>,
    /// The host name the client used.
    #[serde(default)]
    pub domain_name: Option<String>,
}

impl RestEvent {
    /// The decoded parameters, encoded into a query string in their order.
    pub fn raw_query(&self) -> String {
        let parameters = match (
            &self.multi_value_query_string_parameters,
            &self.query_string_parameters,
        ) {
            (Some(multi), _) if !multi.is_empty() => multi,
            (_, Some(single)) => single,
            _ => return String::new(),
        };
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, values) in parameters {
            for value in values.iter() {
                query.append_pair(key, value);
            }
        }
        query.finish()
    }
}

/// The response a REST API proxy integration accepts: every header value in
/// `multiValueHeaders`, no nulls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestResponse {
    /// The HTTP status code.
    pub status_code: u16,
    /// Every header with every value, `set-cookie` included.
    pub multi_value_headers: ResponseHeaders,
    /// The body: text as is, anything else base64 (the API needs binary media types for it).
    pub body: crate::alb::response_body::ResponseBody,
    /// Whether `body` is base64.
    pub is_base64_encoded: bool,
}

impl ApiShape for RestEvent {
    const NAME: &'static str = "API Gateway REST";
    type Response = RestResponse;

    fn public_prefix(&self) -> Option<String> {
        let public = self.request_context.path.as_deref()?;
        let prefix = if self.path == "/" {
            public.trim_end_matches('/')
        } else {
            public.strip_suffix(self.path.as_str())?
        };
        (prefix.starts_with('/') && !prefix.ends_with('/')).then(|| prefix.to_string())
    }

    fn into_request(self) -> Result<Request<Body>, EventError> {
        let headers = match (&self.multi_value_headers, &self.headers) {
            (Some(multi), _) if !multi.is_empty() => super::header_pairs(multi),
            (_, Some(single)) => super::header_pairs(single),
            _ => Vec::new(),
        };
        RequestParts {
            method: &self.http_method,
            path: &self.path,
            raw_query: self.raw_query(),
            headers,
            default_scheme: Scheme::HTTPS,
            fallback_host: self.request_context.domain_name.as_deref(),
            body: self.body.as_deref(),
            is_base64_encoded: self.is_base64_encoded.unwrap_or_default(),
            prefix: self.public_prefix(),
        }
        .into_request()
    }

    fn respond(response: AlbResponse, prefix: Option<&str>) -> RestResponse {
        let (status_code, mut headers, body, is_base64_encoded) = response.into_parts();
        prefixed_redirects(&mut headers, prefix);
        RestResponse {
            status_code,
            multi_value_headers: headers,
            body,
            is_base64_encoded,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(path: &str, public_path: Option<&str>) -> RestEvent {
        RestEvent {
            http_method: "GET".into(),
            path: path.into(),
            request_context: RestContext {
                path: public_path.map(str::to_string),
                ..RestContext::default()
            },
            ..RestEvent::default()
        }
    }

    #[test]
    fn the_prefix_is_what_the_public_path_has_in_front_of_the_route() {
        assert_eq!(
            event("/a/b", Some("/prod/a/b")).public_prefix().as_deref(),
            Some("/prod")
        );
        assert_eq!(
            event("/", Some("/prod/")).public_prefix().as_deref(),
            Some("/prod")
        );
        assert_eq!(
            event("/", Some("/prod")).public_prefix().as_deref(),
            Some("/prod")
        );
        assert_eq!(
            event("/a", Some("/shop/v1/a")).public_prefix().as_deref(),
            Some("/shop/v1")
        );
        assert_eq!(event("/a", Some("/a")).public_prefix(), None);
        assert_eq!(event("/", Some("/")).public_prefix(), None);
        assert_eq!(event("/a", Some("/b")).public_prefix(), None);
        assert_eq!(event("/a", None).public_prefix(), None);
    }

    #[test]
    fn multi_value_parameters_win_and_single_ones_are_the_fallback() {
        let mut event = event("/", None);
        event.query_string_parameters = Some(
            [("k".to_string(), StringOrList::One("last".into()))]
                .into_iter()
                .collect(),
        );
        assert_eq!(event.raw_query(), "k=last");
        event.multi_value_query_string_parameters = Some(
            [(
                "k".to_string(),
                StringOrList::Many(vec!["1 2".into(), "&".into()]),
            )]
            .into_iter()
            .collect(),
        );
        assert_eq!(event.raw_query(), "k=1+2&k=%26");
    }
}
