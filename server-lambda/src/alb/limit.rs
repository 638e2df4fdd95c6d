//! ALB's 1 MB cap on the response JSON, enforced before a response leaves the function (and
//! Lambda's 6 MB one for the other event shapes, by the same code).
//!
//! ALB turns an oversized answer into a bare 502 while the function's own log shows a normal
//! request. The handler runs every response through [`fit`], so the Lambda loop and the local
//! emulator share one guard: a response over the cap is gzipped when the client accepts
//! gzip, and otherwise replaced by a small 502 page of our own, with the reason logged. (Gzip
//! only, like the Router's own compression: a brotli encoder would be a fifth of the
//! function's zip, see `site.rs`.)

use std::io::Write as _;

use http::StatusCode;

use super::{ALB_MAX_BYTES, AlbResponse, body};

/// The page sent instead of a response too large for ALB.
const TOO_LARGE_PAGE: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Bad Gateway</title></head><body><h1>Bad Gateway</h1>\
<p>This response is too large to be delivered. Please try again later.</p></body></html>";

/// What [`fit`] did to a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// It was within the cap.
    Unchanged,
    /// It was over the cap and now fits, compressed.
    Compressed {
        /// JSON bytes before.
        before: usize,
        /// JSON bytes after.
        after: usize,
        /// The coding, `gzip`.
        encoding: &'static str,
    },
    /// It was over the cap and could not be made to fit: a 502 page replaced it.
    Replaced {
        /// JSON bytes of the response that was dropped.
        size: usize,
        /// Why compressing did not help.
        reason: &'static str,
    },
}

/// The size of the response's JSON as it crosses the Lambda boundary, without building it.
pub fn json_len(response: &AlbResponse) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    serde_json::to_writer(&mut counter, response).expect("an AlbResponse always serializes");
    counter.0
}

/// An upper bound of [`json_len`] that costs no serialization: JSON escapes a byte of a string
/// into at most six (`\u00XX`), and the rest is field names, quotes and punctuation.
fn json_len_bound(response: &AlbResponse) -> usize {
    const FIXED: usize = 128; // field names, status code, flags, braces
    const PER_STRING: usize = 8; // quotes, `:`, `,`, `[]` around one header value
    let headers = response
        .headers
        .iter()
        .flatten()
        .map(|(name, value)| 6 * (name.len() + value.len()) + 2 * PER_STRING);
    let multi_value_headers =
        response
            .multi_value_headers
            .iter()
            .flatten()
            .map(|(name, values)| {
                6 * name.len()
                    + PER_STRING
                    + values
                        .iter()
                        .map(|value| 6 * value.len() + PER_STRING)
                        .sum::<usize>()
            });
    FIXED
        + 6 * (response.status_description.len() + response.body.len())
        + headers.chain(multi_value_headers).sum::<usize>()
}

/// Makes the response fit ALB's cap, given the request's `accept-encoding`.
pub fn fit(response: AlbResponse, accept_encoding: Option<&str>) -> (AlbResponse, Fit) {
    fit_within(response, accept_encoding, ALB_MAX_BYTES)
}

/// Makes the response fit a cap of `max_bytes` of JSON (ALB's, or Lambda's own for the other
/// event shapes, whose JSON is no larger than ALB's for the same response).
pub fn fit_within(
    response: AlbResponse,
    accept_encoding: Option<&str>,
    max_bytes: usize,
) -> (AlbResponse, Fit) {
    // Nearly every response is far below the cap: tell so without serializing it twice.
    if json_len_bound(&response) <= max_bytes {
        return (response, Fit::Unchanged);
    }
    let before = json_len(&response);
    if before <= max_bytes {
        return (response, Fit::Unchanged);
    }
    let replaced = |reason| {
        let page = AlbResponse::with_body(
            StatusCode::BAD_GATEWAY,
            "text/html; charset=utf-8",
            TOO_LARGE_PAGE,
            response.mode(),
        );
        let fit = Fit::Replaced {
            size: before,
            reason,
        };
        (page, fit)
    };
    if response.header("content-encoding").is_some() {
        return replaced("the body is already compressed");
    }
    let Some(encoding) = preferred_encoding(accept_encoding.unwrap_or_default()) else {
        return replaced("the client does not accept gzip");
    };
    let Some(bytes) = body::decode(&response.body, response.is_base64_encoded) else {
        return replaced("the body is not valid base64");
    };
    let mut compressed = response.clone();
    compressed.body = body::encode_base64(&compress(&bytes)).into();
    compressed.is_base64_encoded = true;
    compressed.remove_header("content-length");
    compressed.set_header("content-encoding", encoding);
    compressed.add_vary_accept_encoding();
    let after = json_len(&compressed);
    if after > max_bytes {
        return replaced("it is still over the limit compressed");
    }
    (
        compressed,
        Fit::Compressed {
            before,
            after,
            encoding,
        },
    )
}

/// `gzip` if the client accepts it (a `q=0` refuses it), else nothing.
fn preferred_encoding(accept_encoding: &str) -> Option<&'static str> {
    let accepts = |wanted: &str| {
        accept_encoding.split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|parameter| {
                parameter
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case(wanted) || coding == "*") && !refused
        })
    };
    accepts("gzip").then_some("gzip")
}

/// Gzips `bytes` (the one coding [`preferred_encoding`] names).
fn compress(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / 4);
    let mut writer = flate2::write::GzEncoder::new(&mut out, flate2::Compression::default());
    writer.write_all(bytes).expect("writing to memory");
    writer.finish().expect("writing to memory");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alb::HeaderMode;

    fn text_response(size: usize, mode: HeaderMode) -> AlbResponse {
        AlbResponse::with_body(
            StatusCode::OK,
            "text/html; charset=utf-8",
            &"<p>the same words again</p>".repeat(size / 27 + 1)[..size],
            mode,
        )
    }

    #[test]
    fn the_limit_is_on_the_whole_json_not_the_body() {
        let response = text_response(ALB_MAX_BYTES - 50, HeaderMode::MultiValue);
        assert!(json_len(&response) > ALB_MAX_BYTES);
        assert_eq!(
            json_len(&response),
            serde_json::to_vec(&response).unwrap().len()
        );
    }

    /// The cheap bound is safe (never below the exact size) and useful (within what the
    /// worst case, every byte escaped, can cost).
    fn assert_bound_is_safe_and_close(response: &AlbResponse, case: &str) {
        let (exact, bound) = (json_len(response), json_len_bound(response));
        assert!(bound >= exact, "{case}: bound {bound} < exact {exact}");
        assert!(
            bound <= 6 * exact + 128,
            "{case}: bound {bound} for {exact}"
        );
    }

    #[test]
    fn the_cheap_bound_is_never_below_the_exact_size() {
        for mode in [HeaderMode::SingleValue, HeaderMode::MultiValue] {
            for body in [
                "",
                "plain text",
                "\u{0}\u{1f}\"\\\n✓",
                &"\u{1}".repeat(5000),
                &"x".repeat(5000),
            ] {
                let mut response = AlbResponse::with_body(StatusCode::OK, "text/plain", body, mode);
                response.set_header("set-cookie", "a=\u{7}\"; Path=/");
                response.set_header("x-\u{1}", "\u{1}\u{1}");
                assert_bound_is_safe_and_close(&response, &format!("{mode:?} {body:?}"));
            }
            // Many headers: short (quotes and separators outweigh their text), plain, or
            // escaped through and through (each byte written as six, so the bound has no
            // slack but the punctuation), with one value or several.
            let escaped_name = |index: u8| {
                // Control characters JSON writes as `\u00XX` (not `\n`, `\t`, ...).
                let escaped = |n: u8| char::from(0x0e + n % 18);
                [escaped(index), escaped(index / 18), '\u{1f}', '\u{1f}']
                    .iter()
                    .collect()
            };
            for (name, value) in [("h", ""), ("header", "value"), ("", "\u{1}")] {
                for values in [1, 3] {
                    let mut response =
                        AlbResponse::with_body(StatusCode::OK, "text/plain", "", mode);
                    for index in 0..100 {
                        let name = match name {
                            "" => escaped_name(index),
                            prefix => format!("{prefix}{index:02}"),
                        };
                        response.set_header(&name, &value.repeat(30));
                        if let Some(multi) = &mut response.multi_value_headers {
                            multi.insert(name, vec![value.repeat(30); values]);
                        }
                    }
                    let case = format!("{mode:?} {name:?}: {value:?} ×{values}");
                    assert_bound_is_safe_and_close(&response, &case);
                }
            }
        }
    }

    #[test]
    fn a_response_within_the_limit_is_left_alone() {
        let response = text_response(ALB_MAX_BYTES - 1000, HeaderMode::MultiValue);
        assert!(json_len(&response) <= ALB_MAX_BYTES);
        let (fitted, fit) = fit(response.clone(), Some("br"));
        assert_eq!(fit, Fit::Unchanged);
        assert_eq!(fitted, response);
    }

    #[test]
    fn an_oversized_response_is_compressed_with_what_the_client_accepts() {
        for (accept, expected) in [
            ("gzip, deflate, br", "gzip"),
            ("gzip", "gzip"),
            ("br;q=0, GZIP;q=0.5", "gzip"),
            ("*", "gzip"),
        ] {
            for mode in [HeaderMode::SingleValue, HeaderMode::MultiValue] {
                let response = text_response(ALB_MAX_BYTES + 10, mode);
                let (fitted, fit) = fit(response, Some(accept));
                let Fit::Compressed {
                    encoding, after, ..
                } = fit
                else {
                    panic!("{accept}: {fit:?}");
                };
                assert_eq!(encoding, expected, "{accept}");
                assert_eq!(after, json_len(&fitted));
                assert!(after < ALB_MAX_BYTES / 10);
                assert_eq!(fitted.header("content-encoding"), Some(expected));
                assert_eq!(
                    gunzip(&fitted),
                    text_response(ALB_MAX_BYTES + 10, mode).body.as_bytes(),
                    "{accept}: the body decodes with the coding it is labelled with"
                );
                assert!(fitted.header("vary").unwrap().contains("accept-encoding"));
                assert!(fitted.is_base64_encoded);
                assert_eq!(fitted.mode(), mode);
            }
        }
    }

    #[test]
    fn what_cannot_be_made_to_fit_becomes_a_small_502() {
        let plain = text_response(ALB_MAX_BYTES + 10, HeaderMode::MultiValue);
        let (page, fit) = fit(plain.clone(), Some("identity, br, gzip;q=0"));
        assert!(matches!(fit, Fit::Replaced { reason, .. } if reason.contains("gzip")));
        assert_eq!(page.status_code, 502);
        assert!(json_len(&page) < 1024);
        assert_eq!(
            fit_of(plain.clone(), None),
            "the client does not accept gzip"
        );
        assert_eq!(
            fit_of(plain.clone(), Some("br")),
            "the client does not accept gzip"
        );

        let mut encoded = plain.clone();
        encoded.set_header("content-encoding", "gzip");
        assert_eq!(
            fit_of(encoded, Some("gzip")),
            "the body is already compressed"
        );

        let mut binary = plain;
        binary.body = body::encode_base64(&noise(ALB_MAX_BYTES)).into();
        binary.is_base64_encoded = true;
        assert_eq!(
            fit_of(binary, Some("br, gzip")),
            "it is still over the limit compressed"
        );
    }

    #[test]
    fn a_compressed_response_of_exactly_the_limit_fits() {
        // Half noise, half repeated text: over the cap as is, well under it compressed; a
        // header (never compressed) then pads the compressed JSON to exactly the cap.
        let mut bytes = noise(500_000);
        bytes.extend("<p>the same words again</p>".repeat(20_000).bytes());
        let padded = |padding: usize| {
            let mut response =
                AlbResponse::with_body(StatusCode::OK, "text/html", "", HeaderMode::MultiValue);
            response.body = body::encode_base64(&bytes).into();
            response.is_base64_encoded = true;
            response.set_header("x-padding", &"a".repeat(padding));
            response
        };
        let (unpadded, _) = fit(padded(0), Some("gzip"));
        let room = ALB_MAX_BYTES - json_len(&unpadded);
        let (fitted, outcome) = fit(padded(room), Some("gzip"));
        assert_eq!(json_len(&fitted), ALB_MAX_BYTES);
        assert!(
            matches!(outcome, Fit::Compressed { after, .. } if after == ALB_MAX_BYTES),
            "{outcome:?}"
        );
        let (_, outcome) = fit(padded(room + 1), Some("gzip"));
        assert!(matches!(outcome, Fit::Replaced { .. }), "{outcome:?}");
    }

    /// The body of a gzipped response, decoded.
    fn gunzip(response: &AlbResponse) -> Vec<u8> {
        use std::io::Read as _;
        let bytes = body::decode(&response.body, response.is_base64_encoded).unwrap();
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    /// Bytes that do not compress (xorshift).
    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    fn fit_of(response: AlbResponse, accept: Option<&str>) -> &'static str {
        match fit(response, accept).1 {
            Fit::Replaced { reason, .. } => reason,
            other => panic!("{other:?}"),
        }
    }
}
