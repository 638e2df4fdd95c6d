use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags};

use crate::App;

/// The HTML document around [`App`]; rendered only on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let theme = crate::preferences::theme_of_request();
    #[cfg(feature = "ssr")]
    set_content_security_policy(&options);
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme.as_str()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/png" href="/favicon.png" />
                <AutoReload options=options.clone() />
                <HydrationScripts options=options.clone() islands=true />
                <HashedStylesheet options id="leptos" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy: inline scripts only with this response's nonce (Leptos
/// puts it on its hydration script), script files only from this origin (the bundle and its
/// `modulepreload`; `'strict-dynamic'` would refuse the preload), WebAssembly allowed to
/// compile, everything else from this origin, no framing.
#[cfg(feature = "ssr")]
pub fn content_security_policy(nonce: &str, reload_port: Option<u32>) -> String {
    // `cargo leptos watch` reloads the page over a WebSocket on its own port.
    let reload = reload_port.map_or(String::new(), |port| {
        format!(" ws://127.0.0.1:{port} ws://localhost:{port}")
    });
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'{reload}; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

#[cfg(feature = "ssr")]
fn set_content_security_policy(options: &LeptosOptions) {
    use http::{HeaderValue, header::CONTENT_SECURITY_POLICY};
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    // AutoReload only renders its script under `cargo leptos watch`, which sets LEPTOS_WATCH.
    let reload_port = std::env::var_os("LEPTOS_WATCH").map(|_| options.reload_port);
    if let Ok(policy) = HeaderValue::from_str(&content_security_policy(&nonce, reload_port)) {
        response.insert_header(CONTENT_SECURITY_POLICY, policy);
    }
}
