//! The request event ALB sends to a Lambda target, and its conversion into an `http::Request`.

use aws_lambda_events::alb::AlbTargetGroupRequestContext;
use axum::body::Body;
use http::Request;
use http::uri::Scheme;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::{HeaderMode, uri};
use crate::events::request::RequestParts;

/// The ALB request event.
///
/// An own type rather than `aws_lambda_events::alb::AlbTargetGroupRequest` because that type
/// turns a missing map and an empty map into the same value, so it cannot tell which header
/// mode the target group is in, and it cannot be serialized with only one header pair as a
/// real event carries (the local emulator writes events with this type). Maps keep the order
/// of the JSON document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlbEvent {
    /// Carries the target group ARN; its presence is what marks an ALB event.
    pub request_context: AlbTargetGroupRequestContext,
    /// The HTTP method.
    pub http_method: String,
    /// The path, as the client sent it.
    pub path: String,
    /// Single-value mode: raw (still percent-encoded) query parameters, last value wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_string_parameters: Option<IndexMap<String, String>>,
    /// Multi-value mode: raw query parameters with every value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_value_query_string_parameters: Option<IndexMap<String, Vec<String>>>,
    /// Single-value mode: lowercase header names, last value wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<IndexMap<String, String>>,
    /// Multi-value mode: lowercase header names with every value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_value_headers: Option<IndexMap<String, Vec<String>>>,
    /// The body, base64 when `is_base64_encoded`.
    #[serde(default)]
    pub body: Option<String>,
    /// Whether `body` is base64.
    #[serde(default)]
    pub is_base64_encoded: bool,
}

/// Why an event could not become a request; answered with 400.
#[derive(Debug, PartialEq, Eq)]
pub enum EventError {
    /// The JSON does not have the shape of an ALB event.
    NotAnAlbEvent(String),
    /// The method is not a valid HTTP method.
    InvalidMethod(String),
    /// The path is empty or does not start with `/`.
    InvalidPath(String),
    /// A header name or value cannot be carried by HTTP.
    InvalidHeader(String),
    /// `isBase64Encoded` is true but the body is not valid base64.
    InvalidBase64Body,
    /// An API Gateway or Function URL event that does not have its shape's fields.
    MalformedEvent {
        /// The shape its marker fields named.
        shape: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No shape's marker fields are there: not an event this function answers.
    UnrecognizedEvent(String),
}

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventError::NotAnAlbEvent(reason) => {
                write!(f, "not an ALB target-group event: {reason}")
            }
            EventError::InvalidMethod(method) => write!(f, "invalid HTTP method {method:?}"),
            EventError::InvalidPath(path) => {
                write!(f, "invalid path {path:?}: it must start with '/'")
            }
            EventError::InvalidHeader(name) => write!(f, "invalid header {name:?}"),
            EventError::MalformedEvent { shape, reason } => {
                write!(f, "not a valid {shape} event: {reason}")
            }
            EventError::UnrecognizedEvent(reason) => write!(
                f,
                "not an ALB target-group, API Gateway or Function URL event: {reason}"
            ),
            EventError::InvalidBase64Body => {
                write!(
                    f,
                    "isBase64Encoded is true but the body is not valid base64"
                )
            }
        }
    }
}

impl std::error::Error for EventError {}

impl HeaderMode {
    /// The mode of an event, read from which header field it carries; works on events too
    /// malformed to parse, so even the 400 answer uses the right field.
    pub fn of_raw_event(event: &[u8]) -> Self {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct ModeProbe {
            multi_value_headers: Option<serde::de::IgnoredAny>,
            multi_value_query_string_parameters: Option<serde::de::IgnoredAny>,
        }
        match serde_json::from_slice::<ModeProbe>(event) {
            Ok(probe) => Self::of_fields(
                probe.multi_value_headers.is_some(),
                probe.multi_value_query_string_parameters.is_some(),
            ),
            // Not even a JSON object: the template deploys multi-value mode.
            Err(_) => HeaderMode::MultiValue,
        }
    }

    /// The one rule: either multi-value field present means multi-value mode (ALB sends both,
    /// but a hand-written or truncated event may carry only one).
    fn of_fields(multi_value_headers: bool, multi_value_query: bool) -> Self {
        if multi_value_headers || multi_value_query {
            HeaderMode::MultiValue
        } else {
            HeaderMode::SingleValue
        }
    }
}

impl AlbEvent {
    /// Parses an event from JSON text, insisting on the ALB request context.
    pub fn from_json(event: &[u8]) -> Result<Self, EventError> {
        let event: AlbEvent = serde_json::from_slice(event)
            .map_err(|error| EventError::NotAnAlbEvent(error.to_string()))?;
        if event.request_context.elb.target_group_arn.is_none() {
            return Err(EventError::NotAnAlbEvent(
                "requestContext.elb.targetGroupArn is missing".to_string(),
            ));
        }
        Ok(event)
    }

    /// The header mode this event was sent in.
    pub fn mode(&self) -> HeaderMode {
        HeaderMode::of_fields(
            self.multi_value_headers.is_some(),
            self.multi_value_query_string_parameters.is_some(),
        )
    }

    /// Every header as (lowercase name, value), whichever mode the event is in.
    pub fn header_pairs(&self) -> Vec<(&str, &str)> {
        match (&self.multi_value_headers, &self.headers) {
            (Some(multi), _) => multi
                .iter()
                .flat_map(|(name, values)| {
                    values
                        .iter()
                        .map(move |value| (name.as_str(), value.as_str()))
                })
                .collect(),
            (None, Some(single)) => single
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .collect(),
            (None, None) => Vec::new(),
        }
    }

    /// The first value of a header, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_pairs()
            .into_iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    /// The raw query string re-joined from the event's parameters.
    pub fn raw_query(&self) -> String {
        match (
            &self.multi_value_query_string_parameters,
            &self.query_string_parameters,
        ) {
            (Some(multi), _) => uri::join_query(multi.iter().flat_map(|(key, values)| {
                values
                    .iter()
                    .map(move |value| (key.as_str(), value.as_str()))
            })),
            (None, Some(single)) => uri::join_query(
                single
                    .iter()
                    .map(|(key, value)| (key.as_str(), value.as_str())),
            ),
            (None, None) => String::new(),
        }
    }

    /// Converts the event into the request the Router sees (rules in [`RequestParts`]).
    pub fn into_request(self) -> Result<Request<Body>, EventError> {
        RequestParts {
            method: &self.http_method,
            path: &self.path,
            raw_query: self.raw_query(),
            headers: self.header_pairs(),
            default_scheme: Scheme::HTTP,
            fallback_host: None,
            body: self.body.as_deref(),
            is_base64_encoded: self.is_base64_encoded,
            prefix: None,
        }
        .into_request()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTEXT: &str = r#""requestContext":{"elb":{"targetGroupArn":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/1"}},"httpMethod":"GET","path":"/""#;

    /// The mode of `fields` added to a valid event, as the parsed event and the raw probe see it.
    fn modes(fields: &str) -> (HeaderMode, HeaderMode) {
        let json = format!("{{{CONTEXT}{fields}}}");
        let parsed = AlbEvent::from_json(json.as_bytes()).unwrap().mode();
        (parsed, HeaderMode::of_raw_event(json.as_bytes()))
    }

    #[test]
    fn either_multi_value_field_alone_means_multi_value_mode() {
        use HeaderMode::*;
        assert_eq!(
            modes(r#","multiValueHeaders":{}"#),
            (MultiValue, MultiValue)
        );
        assert_eq!(
            modes(r#","multiValueQueryStringParameters":{}"#),
            (MultiValue, MultiValue)
        );
        assert_eq!(
            modes(r#","multiValueHeaders":{},"multiValueQueryStringParameters":{}"#),
            (MultiValue, MultiValue)
        );
        assert_eq!(
            modes(r#","headers":{},"queryStringParameters":{}"#),
            (SingleValue, SingleValue)
        );
        assert_eq!(modes(""), (SingleValue, SingleValue));
    }

    #[test]
    fn a_malformed_event_still_answers_in_its_own_mode() {
        use HeaderMode::*;
        // No request context: not parseable as an event, but its mode is still readable.
        assert_eq!(
            HeaderMode::of_raw_event(br#"{"headers":{"a":"b"}}"#),
            SingleValue
        );
        assert_eq!(
            HeaderMode::of_raw_event(br#"{"multiValueQueryStringParameters":{}}"#),
            MultiValue
        );
        assert_eq!(
            HeaderMode::of_raw_event(br#"{"multiValueHeaders":null}"#),
            SingleValue
        );
        assert_eq!(HeaderMode::of_raw_event(b"[1, 2]"), MultiValue);
        assert_eq!(HeaderMode::of_raw_event(b"not json"), MultiValue);
    }

    fn request_with_headers(headers: &str) -> Request<Body> {
        let json = format!(r#"{{{CONTEXT},"headers":{{{headers}}}}}"#);
        AlbEvent::from_json(json.as_bytes())
            .unwrap()
            .into_request()
            .unwrap()
    }

    #[test]
    fn the_scheme_is_https_only_when_the_forwarded_proto_says_so() {
        for (proto, scheme) in [
            (r#","x-forwarded-proto":"https""#, Some("https")),
            (r#","x-forwarded-proto":"HTTPS""#, Some("https")),
            (r#","x-forwarded-proto":"http""#, Some("http")),
            ("", Some("http")),
        ] {
            let request = request_with_headers(&format!(r#""host":"site.example.com"{proto}"#));
            assert_eq!(request.uri().scheme_str(), scheme, "{proto}");
            assert_eq!(request.uri().host(), Some("site.example.com"));
        }
    }

    #[test]
    fn only_a_host_that_is_not_an_authority_is_logged() {
        let logs = |host: &str| {
            crate::telemetry::logs_of(|| {
                let request = request_with_headers(&format!(r#""host":"{host}""#));
                assert_eq!(request.uri().path(), "/");
            })
        };
        const IGNORED: &str = "ignored a host header that is not a valid authority";
        assert!(logs("shop.example.org?x").contains(IGNORED));
        assert!(!logs("shop.example.org:8443").contains(IGNORED));
        assert!(
            !logs("").contains(IGNORED),
            "an empty host is a health check's, not an attack"
        );
    }
}
