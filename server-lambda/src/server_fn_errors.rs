//! Server-function errors as clients get them: a client's mistake is a 4xx, never a 5xx, and no
//! error echoes unbounded input.
//!
//! server_fn answers every error of a server function 500, with a `serverfnerror` header and
//! the error as `Kind|message` text; a plain form post (`Accept: text/html`) instead gets a
//! 302 back to the Referer, the error base64-encoded in its `__err` query parameter. This
//! layer rewrites those answers — and only those — for every server function, present or
//! future:
//!
//! - an error server_fn raised while decoding the request, before the function ran (`Args`,
//!   `MissingArg`, `Deserialization`: a missing field, a body that is not UTF-8 or not the
//!   expected encoding, a body over the limit) is the client's fault: 500 becomes 400;
//! - a status the function set itself (the app refuses values with 422, see
//!   `app::client_error`) is kept, except that the answer to a plain form post stays a redirect
//!   back to the form, which shows the error (leptos would otherwise turn it into a 422 page
//!   showing `ServerError|…` text);
//! - the message is cut to [`MAX_MESSAGE_BYTES`] with an ellipsis, in the body and in the
//!   redirect's `__err`, and the whole `Location` to [`MAX_LOCATION_BYTES`].
//!
//! Any other 5xx stays a 5xx: it is the site's own fault.

use axum::{body::Body, extract::Request, middleware::Next, response::Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// The longest error message sent, in bytes (cut at a character boundary, then `…`).
pub const MAX_MESSAGE_BYTES: usize = 200;
/// The longest `Location` an error redirect carries, in bytes.
pub const MAX_LOCATION_BYTES: usize = 1024;
/// Error bodies in an encoding this layer cannot cut are replaced when longer than this.
const MAX_OPAQUE_BODY_BYTES: usize = 1024;
/// Error bodies are built in memory; this only guards the read.
const MAX_READ_BYTES: usize = 16 * 1024 * 1024;
/// Error kinds server_fn raises on the server while decoding the request: the client's fault.
const CLIENT_ERROR_KINDS: [&str; 3] = ["Args", "MissingArg", "Deserialization"];

/// The middleware (`axum::middleware::from_fn(server_fn_errors::bound)`); responses without
/// the `serverfnerror` header pass untouched.
pub async fn bound(request: Request, next: Next) -> Response {
    // The test leptos and server_fn use to tell a plain form post from their own client.
    let form_post = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let response = next.run(request).await;
    if !response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, MAX_READ_BYTES)
        .await
        .unwrap_or_default();

    let (kind, body) = match encoded_error(&parts.headers, &body) {
        Some((kind, message)) => {
            let body = format!("{kind}|{}", truncated(message, MAX_MESSAGE_BYTES));
            (Some(kind.to_string()), Bytes::from(body))
        }
        None if body.len() > MAX_OPAQUE_BODY_BYTES => {
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            (None, Bytes::from_static(b"the error was too long to send"))
        }
        None => (None, body),
    };

    if parts.status.is_server_error()
        && kind
            .as_deref()
            .is_some_and(|kind| CLIENT_ERROR_KINDS.contains(&kind))
    {
        parts.status = StatusCode::BAD_REQUEST;
    }
    if let Some(location) = parts.headers.get(header::LOCATION) {
        let location = bounded_location(&String::from_utf8_lossy(location.as_bytes()), &body);
        parts.headers.insert(
            header::LOCATION,
            HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/")),
        );
        if form_post && !parts.status.is_redirection() {
            parts.status = StatusCode::FOUND;
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// `(kind, message)` of an error in server_fn's `ServerFnError` text encoding.
fn encoded_error<'a>(headers: &HeaderMap, body: &'a [u8]) -> Option<(&'a str, &'a str)> {
    let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    if !content_type.starts_with("text/plain") {
        return None;
    }
    let (kind, message) = std::str::from_utf8(body).ok()?.split_once('|')?;
    (!kind.is_empty() && kind.len() <= 32 && kind.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then_some((kind, message))
}

/// `text` cut to at most `max_bytes` at a character boundary, `…` marking the cut.
fn truncated(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_string();
    }
    let end = (0..=max_bytes)
        .rev()
        .find(|&index| text.is_char_boundary(index))
        .unwrap_or(0);
    format!("{}…", &text[..end])
}

/// The redirect of an error answer: its `__err` re-encoded from the (cut) error `body`, and
/// the Referer's own query, fragment and then path dropped as far as needed to fit
/// [`MAX_LOCATION_BYTES`].
fn bounded_location(location: &str, body: &[u8]) -> String {
    let key = |pair: &str| pair.split('=').next().unwrap_or_default().to_string();
    let without_fragment = location.split('#').next().unwrap_or_default();
    let (base, query) = without_fragment
        .split_once('?')
        .unwrap_or((without_fragment, ""));
    let pairs: Vec<&str> = query.split('&').filter(|pair| !pair.is_empty()).collect();
    let carries_error = pairs.iter().any(|pair| key(pair) == "__err");
    let (own_pairs, error_pairs) = if carries_error {
        // server_fn appends `__path` and `__err` to the Referer, which may hold older ones.
        let own: Vec<&str> = pairs
            .iter()
            .copied()
            .filter(|pair| !matches!(key(pair).as_str(), "__path" | "__err"))
            .collect();
        let path = pairs.iter().rev().find(|pair| key(pair) == "__path");
        let error = format!("__err={}", URL_SAFE.encode(body).replace('=', "%3D"));
        (
            own,
            path.map(|path| path.to_string())
                .into_iter()
                .chain([error])
                .collect(),
        )
    } else {
        (pairs, Vec::new())
    };
    let with_query = |base: &str, pairs: &[&str]| {
        let query: Vec<&str> = pairs
            .iter()
            .copied()
            .chain(error_pairs.iter().map(String::as_str))
            .collect();
        if query.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", query.join("&"))
        }
    };
    [
        location.to_string(),
        with_query(base, &own_pairs),
        with_query(base, &[]),
        with_query("/", &[]),
    ]
    .into_iter()
    // The original carries the uncut error.
    .skip(usize::from(carries_error))
    .find(|candidate| candidate.len() <= MAX_LOCATION_BYTES)
    .unwrap_or_else(|| "/".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_cut_at_a_character_boundary() {
        assert_eq!(truncated("short", 10), "short");
        assert_eq!(truncated("ëëë", 3), "ë…");
        assert_eq!(truncated(&"x".repeat(500), MAX_MESSAGE_BYTES).len(), 203);
    }

    #[test]
    fn the_error_in_a_redirect_is_the_cut_body() {
        let huge = URL_SAFE.encode("ServerError|".to_string() + &"q".repeat(100_000));
        let location = format!(
            "https://site.example.com/preferences?__path=old&tab=1&__err=old&__path=%2Fapi%2Fpreferences&__err={huge}"
        );
        let bounded = bounded_location(&location, b"ServerError|q\xe2\x80\xa6");
        assert_eq!(
            bounded,
            format!(
                "https://site.example.com/preferences?tab=1&__path=%2Fapi%2Fpreferences&__err={}",
                URL_SAFE.encode("ServerError|q…").replace('=', "%3D")
            )
        );
    }

    #[test]
    fn a_long_referer_gives_way_to_the_error() {
        let long_query = format!("https://site.example.com/p?{}", "a=1&".repeat(1000));
        let bounded = bounded_location(&format!("{long_query}__err=x"), b"Args|missing");
        assert_eq!(
            bounded,
            format!(
                "https://site.example.com/p?__err={}",
                URL_SAFE.encode("Args|missing").replace('=', "%3D")
            )
        );
        let long_path = format!("https://site.example.com/{}", "p".repeat(2000));
        assert_eq!(bounded_location(&long_path, b"Args|x"), "/");
        assert_eq!(
            bounded_location("https://site.example.com/preferences", b"Args|x"),
            "https://site.example.com/preferences"
        );
    }
}
