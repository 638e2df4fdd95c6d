//! Site preferences kept in two cookies, `theme` and `display_name`.
//!
//! The cookie format lives in plain functions (unit-tested); the server functions read and
//! write the cookies; pages read them from the request being rendered.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::client_error::quoted;

/// Longest display name accepted, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 40;
/// Cookie lifetime: one year.
const COOKIE_MAX_AGE_SECONDS: u32 = 31_536_000;

/// The colour theme of the site.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

impl Theme {
    /// The value used in the cookie, the form and `data-theme`.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// The human label shown in the form.
    pub fn label(self) -> &'static str {
        match self {
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }

    /// Parses `light` or `dark`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }
}

/// A visitor's saved preferences.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// The colour theme.
    pub theme: Theme,
    /// The name to greet, if one was saved.
    pub display_name: Option<String>,
}

impl Preferences {
    /// Validates the submitted form fields.
    pub fn from_form(theme: &str, display_name: &str) -> Result<Self, String> {
        let theme = Theme::parse(theme).ok_or_else(|| {
            format!(
                "unknown theme {}: choose \"light\" or \"dark\"",
                quoted(theme)
            )
        })?;
        let display_name = display_name.trim();
        if display_name.chars().count() > MAX_DISPLAY_NAME_CHARS {
            return Err(format!(
                "the display name is longer than {MAX_DISPLAY_NAME_CHARS} characters"
            ));
        }
        if display_name.chars().any(char::is_control) {
            return Err("the display name contains control characters".to_string());
        }
        Ok(Self {
            theme,
            display_name: (!display_name.is_empty()).then(|| display_name.to_string()),
        })
    }

    /// Reads the preferences from the `Cookie` header value(s) of a request; anything
    /// missing or malformed falls back to the default.
    pub fn from_cookie_header(header: &str) -> Self {
        let mut preferences = Self::default();
        for pair in header.split(';') {
            let Some((name, value)) = pair.trim().split_once('=') else {
                continue;
            };
            match name {
                "theme" => preferences.theme = Theme::parse(value).unwrap_or_default(),
                "display_name" => {
                    preferences.display_name = percent_decode(value).filter(|name| {
                        !name.is_empty() && name.chars().count() <= MAX_DISPLAY_NAME_CHARS
                    })
                }
                _ => {}
            }
        }
        preferences
    }

    /// The two `Set-Cookie` values that store these preferences; an empty display name
    /// expires its cookie.
    pub fn set_cookie_headers(&self) -> [String; 2] {
        let attributes = "Path=/; HttpOnly; SameSite=Lax";
        let theme = format!(
            "theme={}; Max-Age={COOKIE_MAX_AGE_SECONDS}; {attributes}",
            self.theme.as_str()
        );
        let display_name = match &self.display_name {
            Some(name) => format!(
                "display_name={}; Max-Age={COOKIE_MAX_AGE_SECONDS}; {attributes}",
                percent_encode(name)
            ),
            None => format!("display_name=; Max-Age=0; {attributes}"),
        };
        [theme, display_name]
    }
}

/// Encodes everything but unreserved ASCII, so any display name is a valid cookie value.
fn percent_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Reverses [`percent_encode`]; `None` for a malformed escape or bytes that are not UTF-8.
fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = value.get(index + 1..index + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

/// The preferences carried by the request being rendered (server only; defaults elsewhere).
pub fn preferences_of_request() -> Preferences {
    #[cfg(feature = "ssr")]
    if let Some(parts) = use_context::<http::request::Parts>() {
        let header = parts
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect::<Vec<_>>()
            .join("; ");
        return Preferences::from_cookie_header(&header);
    }
    Preferences::default()
}

/// The theme of the request being rendered, for `<html data-theme>`.
pub fn theme_of_request() -> Theme {
    preferences_of_request().theme
}

/// Saves the preferences as two cookies (`POST /api/preferences`, form-encoded). A value the
/// form cannot hold is refused with 422 (see [`crate::client_error`]).
#[server(prefix = "/api", endpoint = "preferences")]
pub async fn save_preferences(
    theme: String,
    display_name: String,
) -> Result<Preferences, ServerFnError> {
    use http::{HeaderValue, header::SET_COOKIE};

    let preferences =
        Preferences::from_form(&theme, &display_name).map_err(crate::client_error::refused)?;
    let response = expect_context::<leptos_axum::ResponseOptions>();
    for cookie in preferences.set_cookie_headers() {
        let value = HeaderValue::from_str(&cookie).map_err(ServerFnError::new)?;
        response.append_header(SET_COOKIE, value);
    }
    Ok(preferences)
}

/// The preferences of the calling browser (`POST /api/current_preferences`).
#[server(prefix = "/api", endpoint = "current_preferences")]
pub async fn current_preferences() -> Result<Preferences, ServerFnError> {
    Ok(preferences_of_request())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_round_trip_a_unicode_display_name() {
        let saved = Preferences::from_form("dark", "  Zoë; a=b ✓ ").unwrap();
        let [theme, name] = saved.set_cookie_headers();
        let header = format!(
            "{}; other=1; {}",
            theme.split(';').next().unwrap(),
            name.split(';').next().unwrap()
        );
        assert_eq!(Preferences::from_cookie_header(&header), saved);
        assert_eq!(saved.display_name.as_deref(), Some("Zoë; a=b ✓"));
    }

    #[test]
    fn form_rejects_unknown_theme_and_long_name() {
        assert!(
            Preferences::from_form("blue", "x")
                .unwrap_err()
                .contains("blue")
        );
        let long = "n".repeat(MAX_DISPLAY_NAME_CHARS + 1);
        assert!(Preferences::from_form("light", &long).is_err());
    }

    #[test]
    fn refusals_quote_the_value_only_as_a_short_excerpt() {
        assert_eq!(
            Preferences::from_form("purple", "x").unwrap_err(),
            "unknown theme \"purple\": choose \"light\" or \"dark\""
        );
        let huge = "q".repeat(600 * 1024);
        let message = Preferences::from_form(&huge, "x").unwrap_err();
        assert!(message.len() < 200, "{message}");
        assert!(message.contains("qqq…\""), "{message}");
        let message = Preferences::from_form("dark", &huge).unwrap_err();
        assert!(!message.contains("qqq"), "{message}");
    }

    #[test]
    fn empty_display_name_expires_its_cookie() {
        let saved = Preferences::from_form("light", "   ").unwrap();
        assert_eq!(saved.display_name, None);
        assert!(saved.set_cookie_headers()[1].starts_with("display_name=; Max-Age=0"));
    }

    #[test]
    fn malformed_cookies_fall_back_to_defaults() {
        let parsed = Preferences::from_cookie_header("theme=purple; display_name=%E2%2; junk");
        assert_eq!(parsed, Preferences::default());
    }
}
