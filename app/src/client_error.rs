//! Refusing a client's request from a server function: a 4xx status and a short message that
//! quotes what was submitted only as a bounded excerpt.
//!
//! Malformed requests (a body that is not UTF-8, a missing or undecodable argument) never reach
//! a server function: server_fn answers them itself, and the site's Router maps those answers
//! to 400 (`server-lambda/src/server_fn_errors.rs`), which also bounds every error message and
//! keeps a no-JS form post's error answer a redirect back to the form.

/// The most characters of a submitted value an error message quotes, escapes included.
pub const MAX_QUOTED_CHARS: usize = 64;

/// `value` in double quotes for an error message, escaped like `{:?}` and cut to
/// [`MAX_QUOTED_CHARS`] characters, an ellipsis marking the cut: `"qqq…"`.
pub fn quoted(value: &str) -> String {
    let mut quoted = String::from('"');
    let mut chars = 0;
    for c in value.chars() {
        let escaped: String = match c {
            '\'' => "'".into(),
            c => c.escape_debug().collect(),
        };
        let width = escaped.chars().count();
        if chars + width > MAX_QUOTED_CHARS {
            quoted.push('…');
            break;
        }
        chars += width;
        quoted.push_str(&escaped);
    }
    quoted.push('"');
    quoted
}

/// The error for a value the app refuses: answered 422 Unprocessable Content (to the
/// hydrated page's `fetch`; a plain form post is redirected back to the form with the error).
/// `message` should quote submitted values only through [`quoted`].
#[cfg(feature = "ssr")]
pub fn refused(message: impl std::fmt::Display) -> leptos::prelude::ServerFnError {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
    }
    leptos::prelude::ServerFnError::new(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_quoted_whole() {
        assert_eq!(quoted("purple"), "\"purple\"");
        assert_eq!(quoted("it's \"x\""), "\"it's \\\"x\\\"\"");
        assert_eq!(quoted(""), "\"\"");
    }

    #[test]
    fn long_values_are_cut_with_an_ellipsis() {
        let cut = quoted(&"ë".repeat(10_000));
        assert_eq!(cut, format!("\"{}…\"", "ë".repeat(MAX_QUOTED_CHARS)));
        assert_eq!(quoted(&"x".repeat(MAX_QUOTED_CHARS)).chars().count(), 66);
    }

    #[test]
    fn escapes_count_towards_the_limit() {
        let cut = quoted(&"\u{1b}".repeat(1000));
        // `\u{1b}` is six characters: ten fit in 64.
        assert_eq!(cut, format!("\"{}…\"", "\\u{1b}".repeat(10)));
        assert!(cut.chars().count() <= MAX_QUOTED_CHARS + 3);
    }
}
