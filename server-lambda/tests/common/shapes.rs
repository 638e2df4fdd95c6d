//! API Gateway and Function URL events composed from their documented formats, and the checks
//! their responses must pass.

use serde_json::{Map, Value, json};

/// A REST API proxy event. `query` holds **decoded** parameters, as API Gateway sends them;
/// `public_path` is what the client asked for (stage or base path in front of `path`).
pub fn rest_event(
    method: &str,
    path: &str,
    public_path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Value {
    json!({
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": last_values(headers),
        "multiValueHeaders": super::grouped(headers),
        "queryStringParameters": if query.is_empty() { Value::Null } else { last_values(query) },
        "multiValueQueryStringParameters": if query.is_empty() { Value::Null } else { super::grouped(query) },
        "pathParameters": {"proxy": path.trim_start_matches('/')},
        "stageVariables": null,
        "requestContext": {
            "resourceId": "abc123",
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": public_path,
            "stage": "prod",
            "accountId": "123456789012",
            "apiId": "r3pmxmplak",
            "domainName": "r3pmxmplak.execute-api.us-east-1.amazonaws.com",
            "protocol": "HTTP/1.1",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"}
        },
        "body": null,
        "isBase64Encoded": false
    })
}

/// A payload 2.0 event (HTTP API or Function URL): `raw_query` as the client sent it,
/// repeated headers joined with commas, cookies in their own array.
pub fn http_event(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: &[(&str, &str)],
    cookies: &[&str],
    stage: &str,
) -> Value {
    let mut joined = Map::new();
    for (name, value) in headers {
        match joined.get_mut(*name) {
            Some(Value::String(existing)) => *existing = format!("{existing},{value}"),
            _ => {
                joined.insert(name.to_string(), json!(value));
            }
        }
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdefghij",
            "domainName": "abcdefghij.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abcdefghij",
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"},
            "requestId": "id", "routeKey": "$default", "stage": stage,
            "time": "12/Mar/2020:19:03:58 +0000", "timeEpoch": 1583348638390_u64
        },
        "isBase64Encoded": false
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    event
}

fn last_values(pairs: &[(&str, &str)]) -> Value {
    let mut map = Map::new();
    for (key, value) in pairs {
        map.insert(key.to_string(), json!(value));
    }
    Value::Object(map)
}

/// A REST API response: status, `multiValueHeaders` of string lists, string body, base64
/// flag, and nothing else (no nulls, no ALB-only fields).
pub fn assert_rest_contract(response: &Value) {
    let object = assert_fields(
        response,
        &["body", "isBase64Encoded", "multiValueHeaders", "statusCode"],
    );
    assert!(object["statusCode"].is_u64() && object["body"].is_string());
    for values in object["multiValueHeaders"].as_object().unwrap().values() {
        assert!(
            values.as_array().unwrap().iter().all(Value::is_string),
            "{values}"
        );
    }
    assert!(object["isBase64Encoded"].is_boolean());
}

/// A payload 2.0 response: status, string `headers`, a `cookies` list, string body, base64
/// flag, and nothing else.
pub fn assert_http_contract(response: &Value) {
    let object = response.as_object().expect("the response is a JSON object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "body",
            "cookies",
            "headers",
            "isBase64Encoded",
            "statusCode"
        ],
        "{response}"
    );
    assert!(object["statusCode"].is_u64() && object["body"].is_string());
    assert!(
        object["headers"]
            .as_object()
            .unwrap()
            .values()
            .all(Value::is_string)
    );
    assert!(
        object["cookies"]
            .as_array()
            .unwrap()
            .iter()
            .all(Value::is_string)
    );
    assert!(object["isBase64Encoded"].is_boolean());
    assert!(
        !object["headers"]
            .as_object()
            .unwrap()
            .contains_key("set-cookie"),
        "cookies belong in `cookies`: {response}"
    );
}

/// Asserts the response is an object with exactly these fields (sorted), and returns it.
fn assert_fields<'a>(response: &'a Value, fields: &[&str]) -> &'a Map<String, Value> {
    let object = response.as_object().expect("the response is a JSON object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, fields, "{response}");
    object
}
