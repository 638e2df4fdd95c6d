//! Path and raw query → URI, without decoding anything.
//!
//! ALB passes query keys and values exactly as the client sent them (still percent-encoded,
//! `+` still a plus). Decoding and re-encoding would turn `%2F` into `/` or `+` into a space,
//! so the pairs are only re-joined; bytes a URI cannot hold are escaped, `%` never is.
//! The `host` header only ever supplies an authority, never part of the path.

use http::uri::Authority;

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

/// The event's path as the path of a URI: invalid bytes escaped as in a query, and `?` too, so
/// a path that carries one (never sent by ALB, but possible in a forged event) stays a path
/// instead of starting a query that would change the route.
pub fn escape_path(path: &str) -> String {
    escape_invalid_uri_bytes(path).replace('?', "%3F")
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

/// The authority of a `host` header when it is one: a DNS name or IPv4 address, or an IPv6
/// address in brackets, with an optional numeric port; nothing else (no user info, path,
/// query or fragment), so a header can never change the path a request is routed by.
pub fn authority_of_host(host: &str) -> Option<Authority> {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, _)) if !name.ends_with(']') && name.contains(':') => (host, None),
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let valid_port = port.is_none_or(|port| {
        !port.is_empty() && port.len() <= 5 && port.bytes().all(|byte| byte.is_ascii_digit())
    });
    let valid_name = match name
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
    {
        Some(ipv6) => ipv6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => {
            !name.is_empty()
                && name.len() <= 253
                && name.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label.bytes().all(|byte| {
                            byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
                        })
                })
        }
    };
    if !(valid_name && valid_port) {
        return None;
    }
    host.parse::<Authority>().ok()
}

/// At most 200 characters of a client's text, for a log line that must stay bounded.
pub fn truncate_for_log(text: &str) -> String {
    const LIMIT: usize = 200;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}… ({} bytes in all)", &text[..cut], text.len()),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_are_hosts_and_ports_only() {
        for valid in [
            "shop.example.org",
            "shop.example.org:443",
            "127.0.0.1:3000",
            "localhost",
            "[::1]:8080",
            "[2001:db8::1]",
            "my_host.internal",
        ] {
            assert_eq!(
                authority_of_host(valid).map(|authority| authority.to_string()),
                Some(valid.to_string()),
                "{valid}"
            );
        }
        for invalid in [
            "",
            "shop.example.org?x",
            "shop.example.org/preferences?",
            "shop.example.org#frag",
            "user@shop.example.org",
            "shop.example.org:",
            "shop.example.org:99999x",
            "shop.example.org:123456",
            "shop..example.org",
            ".example.org",
            "exa mple.org",
            "[::1",
            "[not-ipv6]:80",
            "::1",
            "shop.example.org:80:80",
            "ex%61mple.org",
        ] {
            assert!(authority_of_host(invalid).is_none(), "{invalid:?}");
        }
    }

    #[test]
    fn a_question_mark_in_a_path_stays_in_the_path() {
        assert_eq!(escape_path("/echo?x=1"), "/echo%3Fx=1");
        assert_eq!(escape_path("/a b#c"), "/a%20b%23c");
    }

    #[test]
    fn log_text_is_bounded() {
        assert_eq!(truncate_for_log("short"), "short");
        let long = "é".repeat(1000);
        let cut = truncate_for_log(&long);
        assert!(cut.starts_with(&"é".repeat(200)));
        assert!(cut.ends_with("… (2000 bytes in all)"), "{cut}");
        assert_eq!(cut.chars().filter(|c| *c == 'é').count(), 200);
    }

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
