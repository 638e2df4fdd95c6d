//! Path and raw query → URI, without decoding anything.
//!
//! ALB passes query keys and values exactly as the client sent them (still percent-encoded,
//! `+` still a plus). Decoding and re-encoding would turn `%2F` into `/` or `+` into a space,
//! so the pairs are only re-joined; bytes a URI cannot hold are escaped, `%` never is.

/// Joins raw `(key, value)` pairs into a query string; a pair with an empty value keeps `=`.
pub fn join_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut query = String::new();
    for (key, value) in pairs {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(key);
        query.push('=');
        query.push_str(value);
    }
    escape_invalid_uri_bytes(&query)
}

/// Splits a raw query string into raw `(key, value)` pairs, as ALB does before building
/// the event (the emulator's side).
pub fn split_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => (key.to_string(), value.to_string()),
            None => (pair.to_string(), String::new()),
        })
        .collect()
}

/// Escapes bytes that are not allowed in a URI (spaces, controls, non-ASCII, `"<>\^`{|}`)
/// and leaves everything else, `%` included, untouched.
pub fn escape_invalid_uri_bytes(raw: &str) -> String {
    let mut escaped = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        let allowed = byte.is_ascii_graphic()
            && !matches!(
                byte,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}' | b'#'
            );
        if allowed {
            escaped.push(byte as char);
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_keeps_encoded_bytes_and_plus() {
        let query = join_query([("path", "a%2Fb"), ("q", "x+y%26z"), ("flag", "")]);
        assert_eq!(query, "path=a%2Fb&q=x+y%26z&flag=");
    }

    #[test]
    fn join_escapes_only_what_a_uri_cannot_hold() {
        assert_eq!(join_query([("name", "a b✓%zz")]), "name=a%20b%E2%9C%93%zz");
    }

    #[test]
    fn split_keeps_raw_values_and_bare_keys() {
        assert_eq!(
            split_query("a=1&&b&c=%2B+"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "".into()),
                ("c".into(), "%2B+".into())
            ]
        );
    }
}
