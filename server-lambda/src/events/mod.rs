//! The event shapes one `bootstrap` answers, so the same artifact serves the ALB stage and an
//! older API Gateway or Function URL stack during a migration.
//!
//! - [`crate::alb`]: ALB target-group events, the shape this template deploys.
//! - [`rest_v1`]: API Gateway REST API proxy events (payload 1.0).
//! - [`http_v2`]: payload 2.0, sent by HTTP APIs, Function URLs and `cargo lambda watch`.
//! - [`request`]: the one builder of the `http::Request` every shape converts into.
//!
//! [`Shape::of_event`] tells the shapes apart by each one's own marker fields; an event with
//! none of them is answered with a 400.

pub mod http_v2;
pub mod request;
pub mod rest_v1;

use axum::body::Body;
use http::Request;
use indexmap::IndexMap;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use crate::alb::{AlbResponse, EventError};
pub use http_v2::{HttpEvent, HttpResponse};
pub use request::PublicPathPrefix;
pub use rest_v1::{RestEvent, RestResponse};

/// Lambda's cap on a synchronous invocation's response payload (6 MB), the only one API
/// Gateway and Function URL responses meet.
pub const LAMBDA_MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// Response headers with every value, in the order the app set them.
pub type ResponseHeaders = IndexMap<String, Vec<String>>;

/// What the handler needs of an API Gateway or Function URL event shape: parse, say what the
/// public path carries in front of the route, become a request, and write the answer back.
pub trait ApiShape: serde::de::DeserializeOwned {
    /// The shape's name in messages.
    const NAME: &'static str;
    /// The response JSON of this shape.
    type Response;

    /// Parses the event from JSON text.
    fn from_json(event: &[u8]) -> Result<Self, EventError> {
        serde_json::from_slice(event).map_err(|error| EventError::MalformedEvent {
            shape: Self::NAME,
            reason: error.to_string(),
        })
    }
    /// What the public URL carries in front of the path the app routes by, if anything.
    fn public_prefix(&self) -> Option<String>;
    /// Converts the event into the request the Router sees.
    fn into_request(self) -> Result<Request<Body>, EventError>;
    /// The same response in this shape; redirects to a path gain `prefix`.
    fn respond(response: AlbResponse, prefix: Option<&str>) -> Self::Response;
}

/// Which shape an event is, read from its marker fields alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `requestContext.elb`: an ALB target group.
    Alb,
    /// `httpMethod` and `requestContext.apiId` (or `stage`), no `version: "2.0"`: a REST API.
    RestV1,
    /// `version: "2.0"`: an HTTP API or a Function URL.
    HttpV2,
}

impl Shape {
    /// The shape of an event given as JSON text; an event of no known shape is an error.
    pub fn of_event(event: &[u8]) -> Result<Self, EventError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Markers {
            version: Option<serde_json::Value>,
            http_method: Option<IgnoredAny>,
            request_context: Option<ContextMarkers>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct ContextMarkers {
            elb: Option<IgnoredAny>,
            api_id: Option<IgnoredAny>,
            stage: Option<IgnoredAny>,
        }
        let markers: Markers = serde_json::from_slice(event)
            .map_err(|error| EventError::UnrecognizedEvent(error.to_string()))?;
        let context = markers.request_context;
        if context
            .as_ref()
            .is_some_and(|context| context.elb.is_some())
        {
            return Ok(Shape::Alb);
        }
        if markers.version.as_ref().and_then(|v| v.as_str()) == Some("2.0") {
            return Ok(Shape::HttpV2);
        }
        let api_gateway = context.is_some_and(|c| c.api_id.is_some() || c.stage.is_some());
        if api_gateway && markers.http_method.is_some() {
            return Ok(Shape::RestV1);
        }
        Err(EventError::UnrecognizedEvent(
            "it has neither requestContext.elb, version \"2.0\", nor httpMethod with \
             requestContext.apiId"
                .to_string(),
        ))
    }
}

/// A response in the shape of the event it answers: what crosses the Lambda boundary.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum LambdaResponse {
    /// To an ALB event (and to an event of no known shape).
    Alb(AlbResponse),
    /// To a REST API event.
    Rest(RestResponse),
    /// To a payload 2.0 event.
    Http(HttpResponse),
}

impl LambdaResponse {
    /// The HTTP status code.
    pub fn status_code(&self) -> u16 {
        match self {
            LambdaResponse::Alb(response) => response.status_code,
            LambdaResponse::Rest(response) => response.status_code,
            LambdaResponse::Http(response) => response.status_code,
        }
    }
}

/// A header or query value as API Gateway writes it: one string, a list, or `null`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StringOrList {
    /// One value.
    One(String),
    /// Every value.
    Many(Vec<String>),
    /// `null`: no value.
    Null,
}

impl StringOrList {
    /// Every value, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let values: &[String] = match self {
            StringOrList::One(value) => std::slice::from_ref(value),
            StringOrList::Many(values) => values,
            StringOrList::Null => &[],
        };
        values.iter().map(String::as_str)
    }
}

/// Every (name, value) pair of a header map, in order.
fn header_pairs(map: &IndexMap<String, StringOrList>) -> Vec<(&str, &str)> {
    map.iter()
        .flat_map(|(name, values)| values.iter().map(move |value| (name.as_str(), value)))
        .collect()
}

/// Puts the public path prefix in front of redirects to a path of this site (`/...`, not the
/// protocol-relative `//...`), so they lead where the client came from.
fn prefixed_redirects(headers: &mut ResponseHeaders, prefix: Option<&str>) {
    let Some(prefix) = prefix else { return };
    let prefix = crate::alb::uri::escape_path(prefix);
    if let Some(locations) = headers.get_mut("location") {
        for location in locations.iter_mut() {
            if location.starts_with('/') && !location.starts_with("//") {
                *location = format!("{prefix}{location}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(json: &str) -> Result<Shape, EventError> {
        Shape::of_event(json.as_bytes())
    }

    #[test]
    fn each_shape_is_told_by_its_own_markers() {
        assert_eq!(
            shape(r#"{"requestContext":{"elb":{}},"version":"2.0"}"#),
            Ok(Shape::Alb)
        );
        assert_eq!(
            shape(r#"{"version":"2.0","rawPath":"/"}"#),
            Ok(Shape::HttpV2)
        );
        assert_eq!(
            shape(r#"{"httpMethod":"GET","requestContext":{"apiId":"a"}}"#),
            Ok(Shape::RestV1)
        );
        // HTTP APIs with payload format 1.0 send the REST shape with version "1.0".
        assert_eq!(
            shape(r#"{"version":"1.0","httpMethod":"GET","requestContext":{"stage":"$default"}}"#),
            Ok(Shape::RestV1)
        );
    }

    #[test]
    fn an_event_without_markers_is_unrecognized() {
        for json in [
            r#"{"httpMethod":"GET","path":"/"}"#,
            r#"{"requestContext":{"apiId":"a"}}"#,
            r#"{"version":2.0}"#,
            r#"{"requestContext":"elb"}"#,
            "[]",
            "",
        ] {
            assert!(
                matches!(shape(json), Err(EventError::UnrecognizedEvent(_))),
                "{json}"
            );
        }
    }

    #[test]
    fn values_read_as_one_string_a_list_or_null() {
        let map: IndexMap<String, StringOrList> =
            serde_json::from_str(r#"{"a":"1","b":["2","3"],"c":null,"d":[]}"#).unwrap();
        let pairs = header_pairs(&map);
        assert_eq!(pairs, [("a", "1"), ("b", "2"), ("b", "3")]);
    }

    #[test]
    fn only_redirects_to_a_path_of_this_site_gain_the_prefix() {
        let mut headers = ResponseHeaders::new();
        headers.insert(
            "location".into(),
            vec!["/a".into(), "//evil.example".into(), "https://x/".into()],
        );
        prefixed_redirects(&mut headers, Some("/prod"));
        assert_eq!(
            headers["location"],
            ["/prod/a", "//evil.example", "https://x/"]
        );
        prefixed_redirects(&mut headers, None);
        assert_eq!(headers["location"][0], "/prod/a");
    }
}
