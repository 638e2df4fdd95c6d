//! A response body as the JSON carries it, and bodies prepared for it ahead of time.
//!
//! A warm request for a static file would otherwise check its bytes for UTF-8 (or base64 them),
//! copy them and escape them into a JSON string, every time, for the same bytes: for a 20 KB
//! script that was two thirds of the request. [`PreparedBody`] does that once, when the file is
//! first kept in memory; [`Prepared`] carries it on the `http::Response` next to the very
//! buffer it was made from, and the response takes it only if that buffer is what arrives.

use std::sync::Arc;

use axum::body::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::body;

/// A response body: the text (base64 for binary) the JSON's `body` field holds.
#[derive(Clone, Debug)]
pub struct ResponseBody(Repr);

#[derive(Clone, Debug)]
enum Repr {
    /// Text escaped into the JSON when written.
    Text(String),
    /// Text whose JSON string literal was written ahead.
    Prepared(Arc<PreparedBody>),
}

/// A body worked out once for the JSON: its JSON string literal (quotes included), and whether
/// the text is base64.
#[derive(Debug)]
pub struct PreparedBody {
    literal: Box<str>,
    /// The text, kept apart only when escaping changed it; otherwise (always for base64) it is
    /// the literal without its quotes, so memory holds one copy.
    escaped_text: Option<Box<str>>,
    is_base64_encoded: bool,
}

impl PreparedBody {
    /// Encodes `bytes` as [`body::encode`] would for a response with these headers, and
    /// escapes the result.
    pub fn new(content_type: Option<&str>, content_encoding: Option<&str>, bytes: &[u8]) -> Self {
        let (text, is_base64_encoded) = body::encode(content_type, content_encoding, bytes);
        let literal = body::json_string(&text).into_boxed_str();
        // Escaping only ever lengthens: the same length plus two quotes means nothing changed.
        let escaped_text = (literal.len() != text.len() + 2).then(|| text.into_boxed_str());
        Self {
            literal,
            escaped_text,
            is_base64_encoded,
        }
    }

    /// The text the literal stands for.
    fn text(&self) -> &str {
        match &self.escaped_text {
            Some(text) => text,
            None => &self.literal[1..self.literal.len() - 1],
        }
    }

    /// The bytes it holds in memory.
    pub fn memory_bytes(&self) -> usize {
        self.literal.len() + self.escaped_text.as_ref().map_or(0, |text| text.len())
    }
}

/// A response extension: `body` was prepared from exactly the bytes of `source`.
#[derive(Clone, Debug)]
pub struct Prepared {
    source: Bytes,
    body: Arc<PreparedBody>,
}

impl Prepared {
    /// Ties `body` to the buffer it was made from.
    pub fn new(source: Bytes, body: Arc<PreparedBody>) -> Self {
        Self { source, body }
    }

    /// The prepared body for a response whose collected body is `bytes`: only when that is
    /// still the same buffer (a layer that rewrote the body, compression say, made another
    /// one) and the final headers do not ask base64 of a body prepared as text.
    pub fn body_for(&self, bytes: &Bytes, headers_need_base64: bool) -> Option<ResponseBody> {
        (same_buffer(bytes, &self.source) && (self.body.is_base64_encoded || !headers_need_base64))
            .then(|| ResponseBody(Repr::Prepared(Arc::clone(&self.body))))
    }
}

/// Whether `a` and `b` are the same bytes in memory (clones of one buffer), not just equal ones.
pub fn same_buffer(a: &Bytes, b: &Bytes) -> bool {
    a.as_ptr() == b.as_ptr() && a.len() == b.len()
}

impl ResponseBody {
    /// Whether the text is base64 (always false for a body built from text).
    pub fn is_base64_encoded(&self) -> bool {
        match &self.0 {
            Repr::Text(_) => false,
            Repr::Prepared(prepared) => prepared.is_base64_encoded,
        }
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        match self.0 {
            Repr::Text(text) => text,
            Repr::Prepared(prepared) => prepared.text().to_string(),
        }
    }
}

impl std::ops::Deref for ResponseBody {
    type Target = str;

    fn deref(&self) -> &str {
        match &self.0 {
            Repr::Text(text) => text,
            Repr::Prepared(prepared) => prepared.text(),
        }
    }
}

impl Default for ResponseBody {
    fn default() -> Self {
        Self(Repr::Text(String::new()))
    }
}

impl From<String> for ResponseBody {
    fn from(text: String) -> Self {
        Self(Repr::Text(text))
    }
}

impl From<&str> for ResponseBody {
    fn from(text: &str) -> Self {
        Self(Repr::Text(text.to_string()))
    }
}

impl PartialEq for ResponseBody {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl PartialEq<&str> for ResponseBody {
    fn eq(&self, other: &&str) -> bool {
        &**self == *other
    }
}

impl Serialize for ResponseBody {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Text(text) => body::serialize_body(text, serializer),
            Repr::Prepared(prepared) => body::serialize_literal(&prepared.literal, serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ResponseBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(content_type: &str, encoding: Option<&str>, bytes: &'static [u8]) -> Prepared {
        let body = PreparedBody::new(Some(content_type), encoding, bytes);
        Prepared::new(Bytes::from_static(bytes), Arc::new(body))
    }

    #[test]
    fn a_prepared_body_serializes_as_the_same_text_would() {
        let cases: [(&str, Option<&str>, &'static [u8]); 4] = [
            ("application/javascript", None, b"let s = \"a\\b\";\n\t\x01"),
            ("text/css", Some("br"), b"\x1b\x00\xff compressed"),
            ("image/png", None, b"\x89PNG\r\n"),
            ("text/plain", None, b"\xff not utf-8"),
        ];
        for (content_type, encoding, bytes) in cases {
            let source = Bytes::from_static(bytes);
            let extension = prepared(content_type, encoding, bytes);
            let body = extension.body_for(&source, encoding.is_some()).unwrap();
            let (text, is_base64) = body::encode(Some(content_type), encoding, bytes);
            assert_eq!(&*body, text, "{content_type}");
            assert_eq!(body.is_base64_encoded(), is_base64, "{content_type}");
            assert_eq!(
                serde_json::to_string(&body).unwrap(),
                serde_json::to_string(&text).unwrap(),
                "{content_type}"
            );
            assert_eq!(body.clone().into_string(), text);
        }
    }

    #[test]
    fn one_copy_is_kept_unless_escaping_changed_the_text() {
        let plain = PreparedBody::new(Some("text/css"), None, b"p { color: red }");
        assert_eq!(plain.memory_bytes(), "p { color: red }".len() + 2);
        let binary = PreparedBody::new(Some("image/png"), None, b"\x89PNG\r\n");
        assert_eq!(binary.memory_bytes(), "iVBORw0K".len() + 2);
        let css = "a::after { content: \"x\" }";
        let escaped = PreparedBody::new(Some("text/css"), None, css.as_bytes());
        assert_eq!(escaped.text(), css);
        // The text, and the literal with its quotes and two backslashes.
        assert_eq!(escaped.memory_bytes(), css.len() + (css.len() + 2 + 2));
    }

    #[test]
    fn another_buffer_with_the_same_bytes_is_not_trusted() {
        let extension = prepared("text/css", None, b"body { color: red }");
        let copy = Bytes::copy_from_slice(b"body { color: red }");
        assert!(extension.body_for(&copy, false).is_none());
        let shorter = Bytes::from_static(b"body { color: red }").slice(0..4);
        assert!(extension.body_for(&shorter, false).is_none());
    }

    #[test]
    fn text_is_not_used_where_the_final_headers_want_base64() {
        let source: &'static [u8] = b"body { color: red }";
        let extension = prepared("text/css", None, source);
        assert!(
            extension
                .body_for(&Bytes::from_static(source), true)
                .is_none()
        );
        assert!(
            extension
                .body_for(&Bytes::from_static(source), false)
                .is_some()
        );
    }

    #[test]
    fn a_text_body_round_trips_through_json() {
        let body = ResponseBody::from("<p>\"quoted\"</p>");
        let json = serde_json::to_string(&body).unwrap();
        let back: ResponseBody = serde_json::from_str(&json).unwrap();
        assert_eq!(back, body);
        assert!(!back.is_base64_encoded());
    }
}
