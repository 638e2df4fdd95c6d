//! ALB's rule for base64 bodies, used for requests (emulator) and responses (adapter) alike.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Whether a body travels base64-encoded: anything with a `content-encoding`, any content type
/// ALB does not treat as text, and any bytes that are not UTF-8.
pub fn needs_base64(
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    bytes: &[u8],
) -> bool {
    if content_encoding.is_some_and(|encoding| !encoding.trim().is_empty()) {
        return true;
    }
    if let Some(content_type) = content_type
        && !is_text_content_type(content_type)
    {
        return true;
    }
    std::str::from_utf8(bytes).is_err()
}

/// The content types ALB passes as plain text.
pub fn is_text_content_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || matches!(
            essence.as_str(),
            "application/json" | "application/javascript" | "application/xml"
        )
}

/// Encodes a body for the JSON: (body, isBase64Encoded). Text stays byte-exact.
pub fn encode(
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    bytes: &[u8],
) -> (String, bool) {
    if needs_base64(content_type, content_encoding, bytes) {
        (encode_base64(bytes), true)
    } else {
        // needs_base64 is false only for valid UTF-8.
        (String::from_utf8(bytes.to_vec()).unwrap_or_default(), false)
    }
}

/// Standard, padded base64 with no line breaks: the only form ALB accepts.
pub fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes a body from the JSON; `None` when the base64 is invalid.
pub fn decode(body: &str, is_base64_encoded: bool) -> Option<Vec<u8>> {
    if is_base64_encoded {
        STANDARD.decode(body.as_bytes()).ok()
    } else {
        Some(body.as_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_are_base64_like_alb_sends_them() {
        assert!(needs_base64(
            Some("application/x-www-form-urlencoded"),
            None,
            b"a=1"
        ));
    }

    #[test]
    fn json_and_text_stay_plain_unless_compressed() {
        assert!(!needs_base64(
            Some("application/json; charset=utf-8"),
            None,
            b"{}"
        ));
        assert!(!needs_base64(Some("text/html"), None, "✓".as_bytes()));
        assert!(needs_base64(Some("text/html"), Some("gzip"), b"x"));
    }

    #[test]
    fn invalid_utf8_is_base64_even_as_text() {
        assert!(needs_base64(Some("text/plain"), None, &[0xff, 0xfe]));
        assert!(needs_base64(None, None, &[0xc3]));
    }

    #[test]
    fn decode_rejects_line_breaks_and_garbage() {
        assert_eq!(decode("aGk=", true).as_deref(), Some(&b"hi"[..]));
        assert_eq!(decode("aG\nk=", true), None);
        assert_eq!(decode("***", true), None);
    }
}
