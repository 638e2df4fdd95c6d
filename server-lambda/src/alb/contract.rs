//! What ALB accepts from a Lambda target, checked on the response JSON the way ALB checks it
//! (it answers 502 otherwise): the local emulator runs every response through it, and tests use
//! it on what the handler writes.

use axum::body::Body;
use http::{HeaderValue, Method, Response, StatusCode};
use serde_json::Value;

use super::{ALB_MAX_BYTES, HeaderMode, body};

/// A way the function's response breaks the ALB contract (ALB answers 502).
#[derive(Debug, PartialEq, Eq)]
pub enum ContractViolation {
    /// The response JSON is larger than ALB accepts.
    TooLarge(usize),
    /// The response is not a JSON object.
    NotAnObject(String),
    /// A field is missing or has the wrong JSON type (null included).
    BadField {
        field: String,
        expected: &'static str,
    },
    /// `isBase64Encoded` is true but the body is not valid base64 (line breaks included).
    InvalidBase64Body,
    /// A header cannot be put on the wire.
    InvalidHeader(String),
}

impl std::fmt::Display for ContractViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContractViolation::TooLarge(size) => {
                write!(
                    f,
                    "the response JSON is {size} bytes; ALB accepts at most {ALB_MAX_BYTES}"
                )
            }
            ContractViolation::NotAnObject(error) => {
                write!(f, "the response is not a JSON object: {error}")
            }
            ContractViolation::BadField { field, expected } => {
                write!(f, "`{field}` must be {expected}")
            }
            ContractViolation::InvalidBase64Body => f.write_str(
                "isBase64Encoded is true but the body is not valid base64 (no line breaks allowed)",
            ),
            ContractViolation::InvalidHeader(name) => {
                write!(f, "header {name:?} cannot be sent over HTTP")
            }
        }
    }
}

impl std::error::Error for ContractViolation {}

/// Checks the function's response JSON as ALB does and turns it into the HTTP response.
pub fn http_from_alb_json(
    json: &[u8],
    mode: HeaderMode,
    method: &Method,
) -> Result<Response<Body>, ContractViolation> {
    if json.len() > ALB_MAX_BYTES {
        return Err(ContractViolation::TooLarge(json.len()));
    }
    let value: Value = serde_json::from_slice(json)
        .map_err(|error| ContractViolation::NotAnObject(error.to_string()))?;
    let object = value
        .as_object()
        .ok_or_else(|| ContractViolation::NotAnObject(format!("got {value}")))?;
    let bad = |field: &str, expected| ContractViolation::BadField {
        field: field.to_string(),
        expected,
    };

    let status = object
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| bad("statusCode", "an integer HTTP status"))?;
    let is_base64_encoded = object
        .get("isBase64Encoded")
        .and_then(Value::as_bool)
        .ok_or_else(|| bad("isBase64Encoded", "present and a boolean"))?;
    let body_text = match object.get("body") {
        None => "",
        Some(Value::String(text)) => text.as_str(),
        Some(_) => return Err(bad("body", "a string (never null)")),
    };
    let body_bytes =
        body::decode(body_text, is_base64_encoded).ok_or(ContractViolation::InvalidBase64Body)?;

    let (field, other) = match mode {
        HeaderMode::SingleValue => ("headers", "multiValueHeaders"),
        HeaderMode::MultiValue => ("multiValueHeaders", "headers"),
    };
    if object.contains_key(other) && !object.contains_key(field) {
        tracing::warn!(
            "the response has `{other}` but the target group is in {} mode and reads `{field}`",
            mode.as_str()
        );
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    match object.get(field) {
        None => {}
        Some(Value::Object(headers)) => {
            for (name, value) in headers {
                match (mode, value) {
                    (HeaderMode::SingleValue, Value::String(text)) => {
                        pairs.push((name.clone(), text.clone()))
                    }
                    (HeaderMode::MultiValue, Value::Array(values)) => {
                        for value in values {
                            let text = value
                                .as_str()
                                .ok_or_else(|| bad(&format!("{field}.{name}[]"), "a string"))?;
                            pairs.push((name.clone(), text.to_string()));
                        }
                    }
                    (HeaderMode::SingleValue, _) => {
                        return Err(bad(&format!("{field}.{name}"), "a string"));
                    }
                    (HeaderMode::MultiValue, _) => {
                        return Err(bad(&format!("{field}.{name}"), "an array of strings"));
                    }
                }
            }
        }
        Some(_) => return Err(bad(field, "an object (never null)")),
    }

    let mut response = Response::builder().status(status);
    let headers = response.headers_mut().expect("builder has no error yet");
    for (name, value) in pairs {
        let lower = name.to_ascii_lowercase();
        // ALB frames the body itself; the length is recomputed from the decoded body.
        if lower == "transfer-encoding"
            || lower == "connection"
            || (lower == "content-length" && method != Method::HEAD)
        {
            continue;
        }
        let header_name = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| ContractViolation::InvalidHeader(name.clone()))?;
        let header_value = HeaderValue::from_str(&value)
            .map_err(|_| ContractViolation::InvalidHeader(name.clone()))?;
        headers.append(header_name, header_value);
    }
    Ok(response
        .body(Body::from(body_bytes))
        .expect("status and headers were validated"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header;

    fn check(json: &str, mode: HeaderMode) -> Result<Response<Body>, ContractViolation> {
        http_from_alb_json(json.as_bytes(), mode, &Method::GET)
    }

    fn field_error(result: Result<Response<Body>, ContractViolation>) -> String {
        match result {
            Err(ContractViolation::BadField { field, .. }) => field,
            other => panic!("expected a bad field, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_response_becomes_http() {
        let response = check(
            r#"{"statusCode":201,"statusDescription":"201 Created","multiValueHeaders":{"set-cookie":["a=1","b=2"]},"body":"aGk=","isBase64Encoded":true}"#,
            HeaderMode::MultiValue,
        )
        .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(
            response
                .headers()
                .get_all(header::SET_COOKIE)
                .iter()
                .count(),
            2
        );
    }

    #[test]
    fn nulls_and_missing_flags_are_502_causes() {
        let single = HeaderMode::SingleValue;
        assert_eq!(
            field_error(check(r#"{"statusCode":200,"body":"x"}"#, single)),
            "isBase64Encoded"
        );
        assert_eq!(
            field_error(check(
                r#"{"statusCode":200,"body":null,"isBase64Encoded":false}"#,
                single
            )),
            "body"
        );
        assert_eq!(
            field_error(check(
                r#"{"statusCode":200,"headers":null,"body":"","isBase64Encoded":false}"#,
                single
            )),
            "headers"
        );
        assert_eq!(
            field_error(check(
                r#"{"statusCode":200,"headers":{"content-length":5},"body":"","isBase64Encoded":false}"#,
                single
            )),
            "headers.content-length"
        );
        assert_eq!(
            field_error(check(
                r#"{"statusCode":200,"multiValueHeaders":{"x":[true]},"body":"","isBase64Encoded":false}"#,
                HeaderMode::MultiValue
            )),
            "multiValueHeaders.x[]"
        );
        assert_eq!(
            field_error(check(
                r#"{"statusCode":"200","body":"","isBase64Encoded":false}"#,
                single
            )),
            "statusCode"
        );
    }

    #[test]
    fn base64_with_line_breaks_is_refused() {
        let result = check(
            r#"{"statusCode":200,"body":"aGVs\nbG8=","isBase64Encoded":true}"#,
            HeaderMode::SingleValue,
        );
        assert_eq!(result.unwrap_err(), ContractViolation::InvalidBase64Body);
    }

    #[test]
    fn more_than_one_megabyte_of_json_is_refused() {
        let body = "x".repeat(ALB_MAX_BYTES);
        let json = format!(r#"{{"statusCode":200,"body":"{body}","isBase64Encoded":false}}"#);
        let error = check(&json, HeaderMode::SingleValue).unwrap_err();
        assert!(matches!(error, ContractViolation::TooLarge(size) if size > ALB_MAX_BYTES));
        assert!(error.to_string().contains("at most 1048576"));
    }
}
