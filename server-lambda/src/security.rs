//! Secure defaults on every response, decided here once for every route:
//!
//! - `X-Content-Type-Options: nosniff` and a `Referrer-Policy` everywhere; HSTS when the
//!   request came over HTTPS (ALB's `x-forwarded-proto`), never over plain HTTP, where it
//!   would be ignored and would break a local emulator on http://127.0.0.1.
//! - A Content-Security-Policy on HTML: pages rendered by the app carry their own, with the
//!   per-response nonce Leptos puts on its inline scripts (`app::security`); any other HTML
//!   (a static page, an error page) gets a strict fallback with no inline script at all.
//! - Cookies get `Secure` over HTTPS (the app sets `HttpOnly; SameSite=Lax` itself).
//! - A state-changing request (anything but GET, HEAD, OPTIONS) that a browser says comes from
//!   another site (`Sec-Fetch-Site`, or an `Origin` that is not this host) is refused with
//!   403 before any handler runs. Requests that carry neither header (curl, health tools) pass.

use axum::body::Body;
use axum::middleware::Next;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};

/// The Content-Security-Policy of HTML the app did not render.
pub const FALLBACK_CSP: &str = "default-src 'self'; script-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// HSTS for two years; subdomains are the owner's choice, so not included.
pub const HSTS: &str = "max-age=63072000";
/// Full URL to this origin, only the origin to others, nothing over a downgrade.
pub const REFERRER_POLICY: &str = "strict-origin-when-cross-origin";

/// The middleware: refuses cross-site state changes, then adds the headers.
pub async fn secure_defaults(request: Request<Body>, next: Next) -> Response<Body> {
    let https = came_over_https(request.headers());
    if let Some(reason) = cross_site_reason(request.method(), request.headers()) {
        tracing::warn!(
            method = %request.method(),
            path = %crate::alb::uri::truncate_for_log(request.uri().path()),
            reason,
            "cross-site request refused with 403"
        );
        let mut response = Response::new(Body::from("Forbidden: cross-site request refused\n"));
        *response.status_mut() = StatusCode::FORBIDDEN;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        add_headers(response.headers_mut(), https);
        return response;
    }
    let mut response = next.run(request).await;
    add_headers(response.headers_mut(), https);
    response
}

/// Whether ALB received the request over HTTPS.
fn came_over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// Why a request must be refused as cross-site, if it must.
pub fn cross_site_reason(method: &Method, headers: &HeaderMap) -> Option<&'static str> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let text = |name: &str| {
        headers
            .get(name)
            .map(|value| value.to_str().unwrap_or("\u{fffd}").trim())
    };
    if let Some(site) = text("sec-fetch-site")
        && !(site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none"))
    {
        return Some("Sec-Fetch-Site is not same-origin");
    }
    if let Some(origin) = text("origin") {
        let origin_authority = origin
            .split_once("://")
            .map(|(_, rest)| rest)
            .filter(|rest| !rest.is_empty() && !rest.contains('/'));
        let host = text(header::HOST.as_str());
        match (origin_authority, host) {
            (Some(origin), Some(host)) if origin.eq_ignore_ascii_case(host) => {}
            _ => return Some("Origin is not this host"),
        }
    }
    None
}

fn add_headers(headers: &mut HeaderMap, https: bool) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static(REFERRER_POLICY));
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
        secure_cookies(headers);
    }
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|content_type| {
            content_type
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("text/html")
        });
    if is_html {
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(HeaderValue::from_static(FALLBACK_CSP));
    }
}

/// Adds `Secure` to every `Set-Cookie` that lacks it.
fn secure_cookies(headers: &mut HeaderMap) {
    let cookies: Vec<HeaderValue> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| {
            let has_secure = value.to_str().is_ok_and(|text| {
                text.split(';')
                    .skip(1)
                    .any(|attribute| attribute.trim().eq_ignore_ascii_case("secure"))
            });
            if has_secure {
                return value.clone();
            }
            let mut bytes = value.as_bytes().to_vec();
            bytes.extend_from_slice(b"; Secure");
            HeaderValue::from_bytes(&bytes).unwrap_or_else(|_| value.clone())
        })
        .collect();
    headers.remove(header::SET_COOKIE);
    for cookie in cookies {
        headers.append(header::SET_COOKIE, cookie);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    http::HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn cross_site_state_changes_are_refused_and_everything_else_passes() {
        let post = Method::POST;
        let host = ("host", "shop.example.org");
        for refused in [
            headers(&[host, ("sec-fetch-site", "cross-site")]),
            headers(&[host, ("sec-fetch-site", "same-site")]),
            headers(&[host, ("origin", "https://evil.example")]),
            headers(&[host, ("origin", "https://shop.example.org.evil.example")]),
            headers(&[host, ("origin", "null")]),
            headers(&[("origin", "https://shop.example.org")]),
            headers(&[
                host,
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://shop.example.org"),
            ]),
        ] {
            assert!(cross_site_reason(&post, &refused).is_some(), "{refused:?}");
            assert!(cross_site_reason(&Method::DELETE, &refused).is_some());
            assert_eq!(cross_site_reason(&Method::GET, &refused), None);
        }
        for allowed in [
            headers(&[host]),
            headers(&[]),
            headers(&[host, ("sec-fetch-site", "same-origin")]),
            headers(&[host, ("sec-fetch-site", "none")]),
            headers(&[host, ("origin", "https://shop.example.org")]),
            headers(&[
                ("host", "127.0.0.1:3000"),
                ("origin", "http://127.0.0.1:3000"),
            ]),
        ] {
            assert_eq!(cross_site_reason(&post, &allowed), None, "{allowed:?}");
        }
    }

    #[test]
    fn headers_depend_on_https_and_html() {
        let mut plain = headers(&[
            ("content-type", "text/html; charset=utf-8"),
            ("set-cookie", "theme=dark; Path=/; HttpOnly; SameSite=Lax"),
        ]);
        add_headers(&mut plain, false);
        assert_eq!(plain["x-content-type-options"], "nosniff");
        assert_eq!(plain["referrer-policy"], REFERRER_POLICY);
        assert_eq!(plain["content-security-policy"], FALLBACK_CSP);
        assert!(plain.get("strict-transport-security").is_none());
        assert_eq!(
            plain["set-cookie"],
            "theme=dark; Path=/; HttpOnly; SameSite=Lax"
        );

        let mut secure = headers(&[
            ("content-type", "text/html"),
            ("content-security-policy", "default-src 'none'"),
            ("set-cookie", "a=1; Path=/"),
        ]);
        secure.append(header::SET_COOKIE, HeaderValue::from_static("b=2; secure"));
        add_headers(&mut secure, true);
        assert_eq!(secure["strict-transport-security"], HSTS);
        assert_eq!(secure["content-security-policy"], "default-src 'none'");
        let cookies: Vec<&str> = secure
            .get_all("set-cookie")
            .iter()
            .map(|value| value.to_str().unwrap())
            .collect();
        assert_eq!(cookies, ["a=1; Path=/; Secure", "b=2; secure"]);

        let mut wasm = headers(&[("content-type", "application/wasm")]);
        add_headers(&mut wasm, true);
        assert!(wasm.get("content-security-policy").is_none());
        assert_eq!(wasm["x-content-type-options"], "nosniff");
    }
}
