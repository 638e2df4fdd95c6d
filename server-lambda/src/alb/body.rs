//! ALB's rule for base64 bodies, used for requests (emulator) and responses (adapter) alike,
//! and the body written into the response JSON.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::ser::{SerializeStruct as _, Serializer};

/// Whether the headers alone send a body base64-encoded: any `content-encoding`, and any
/// content type ALB does not treat as text. (Bytes that are not UTF-8 go base64 too; `encode`
/// finds those while it copies them.)
pub(crate) fn headers_need_base64(
    content_type: Option<&str>,
    content_encoding: Option<&str>,
) -> bool {
    content_encoding.is_some_and(|encoding| !encoding.trim().is_empty())
        || content_type.is_some_and(|content_type| !is_text_content_type(content_type))
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

/// Encodes a body for the JSON: (body, isBase64Encoded). Base64 for anything with a
/// `content-encoding`, a content type ALB does not treat as text, or bytes that are not UTF-8;
/// text stays byte-exact.
pub fn encode(
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    bytes: &[u8],
) -> (String, bool) {
    if headers_need_base64(content_type, content_encoding) {
        return (encode_base64(bytes), true);
    }
    // The UTF-8 check and the copy in one pass over the body.
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => (encode_base64(bytes), true),
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

/// Serializes a response body (`#[serde(serialize_with)]`) into serde_json: the same JSON
/// string serde_json writes, escaped eight bytes at a time and written once. The body is nearly
/// all of a response's JSON, and serde_json's byte-at-a-time escaping was the largest single
/// cost of a warm request.
pub fn serialize_body<S: Serializer>(body: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serialize_literal(&json_string(body), serializer)
}

/// Writes `literal`, a JSON string literal made by [`json_string`], into serde_json as is.
pub(crate) fn serialize_literal<S: Serializer>(
    literal: &str,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    // serde_json writes a struct of this name verbatim: that is how its own `RawValue`
    // serializes. `RawValue::from_string` would parse the literal again and cost what the fast
    // escaping saves. The tests below fail if serde_json ever stops honouring the name.
    const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";
    let mut raw = serializer.serialize_struct(RAW_VALUE_TOKEN, 1)?;
    raw.serialize_field(RAW_VALUE_TOKEN, literal)?;
    raw.end()
}

/// `text` as a JSON string literal, quotes included, byte for byte as serde_json writes it.
pub(crate) fn json_string(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 8 + 2);
    out.push(b'"');
    let mut plain_from = 0;
    let mut at = 0;
    while at < bytes.len() {
        // Eight bytes at a time up to the first that needs escaping; the tail byte by byte.
        match bytes.get(at..at + 8) {
            Some(word) => {
                let mask = escape_mask(u64::from_le_bytes(word.try_into().unwrap_or_default()));
                if mask == 0 {
                    at += 8;
                    continue;
                }
                at += mask.trailing_zeros() as usize / 8;
            }
            None if !needs_escape(bytes[at]) => {
                at += 1;
                continue;
            }
            None => {}
        }
        let byte = bytes[at];
        out.extend_from_slice(&bytes[plain_from..at]);
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.extend_from_slice(&[HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]]);
            }
        }
        at += 1;
        plain_from = at;
    }
    out.extend_from_slice(&bytes[plain_from..]);
    out.push(b'"');
    // Only ASCII was inserted, at character boundaries, into valid UTF-8.
    String::from_utf8(out).expect("escaping keeps UTF-8 valid")
}

/// Whether JSON needs `byte` escaped: `"`, `\` and the control characters below 0x20.
fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// The high bit of each byte of `word` (little-endian) that [`needs_escape`]. Bytes of
/// multi-byte characters (0x80 and up) never match. Only the lowest set bit is exact (a borrow
/// may mark bytes above it), which is all the caller uses.
fn escape_mask(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGH_BITS;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGH_BITS;
    below_space
        | zero_bytes(word ^ (ONES * u64::from(b'"')))
        | zero_bytes(word ^ (ONES * u64::from(b'\\')))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `encode` sends the body base64-encoded.
    fn needs_base64(
        content_type: Option<&str>,
        content_encoding: Option<&str>,
        bytes: &[u8],
    ) -> bool {
        encode(content_type, content_encoding, bytes).1
    }

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
    fn json_strings_are_written_exactly_as_serde_json_writes_them() {
        let samples = [
            "",
            "plain text longer than one eight-byte word",
            "<a href=\"/x\">quote\\backslash</a>",
            "\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f} \u{7f}",
            "ünïcödé ✓ and 😀 across word boundaries: \"",
            "1234567\"",
            "12345678\"",
        ];
        for sample in samples {
            assert_eq!(
                json_string(sample),
                serde_json::to_string(sample).unwrap(),
                "{sample:?}"
            );
        }
    }

    #[test]
    fn bodies_serialize_exactly_as_serde_json_would_write_them() {
        #[derive(serde::Serialize)]
        struct Response<'a> {
            #[serde(serialize_with = "serialize_body")]
            body: &'a str,
            #[serde(rename = "plain")]
            reference: &'a str,
        }
        let text = "<p class=\"x\">a\\b\n\u{1}✓</p>";
        let response = Response {
            body: text,
            reference: text,
        };
        let written = serde_json::to_string(&response).unwrap();
        let reference = serde_json::to_string(text).unwrap();
        assert_eq!(
            written,
            format!("{{\"body\":{reference},\"plain\":{reference}}}")
        );
        let value = serde_json::to_value(&response).unwrap();
        assert_eq!(value["body"], text);
    }

    proptest::proptest! {
        /// Any text, with its escapes at any offset from the eight-byte words.
        #[test]
        fn any_text_is_written_as_serde_json_writes_it(text in "(\\PC|[\\x00-\\x1f\"\\\\]){0,80}") {
            proptest::prop_assert_eq!(json_string(&text), serde_json::to_string(&text).unwrap());
        }
    }

    #[test]
    fn word_mask_points_at_the_first_byte_that_needs_escaping() {
        for position in 0..8 {
            for byte in 0u8..=0xff {
                let mut word = *b"abcdefgh";
                word[position] = byte;
                let mask = escape_mask(u64::from_le_bytes(word));
                let first = (mask != 0).then(|| mask.trailing_zeros() as usize / 8);
                assert_eq!(
                    first,
                    needs_escape(byte).then_some(position),
                    "{byte:#x} at {position}"
                );
            }
        }
    }

    #[test]
    fn decode_rejects_line_breaks_and_garbage() {
        assert_eq!(decode("aGk=", true).as_deref(), Some(&b"hi"[..]));
        assert_eq!(decode("aG\nk=", true), None);
        assert_eq!(decode("***", true), None);
    }
}
