//! The site Router through the adapter: islands markup, HTML compression (gzip), hashed asset names
//! from a built site root, and asset caching — what a browser gets from the function behind ALB.

mod common;

use common::*;
use serde_json::Value;
use server_lambda::AlbHandler;
use server_lambda::alb::HeaderMode::MultiValue;
use server_lambda::config::{BuildDefaults, Inputs, Settings};
use server_lambda::site::COMPRESSION_THRESHOLD_BYTES;

async fn invoke(router: axum::Router, event: Value) -> Value {
    let response = AlbHandler::new(router)
        .handle(&serde_json::to_vec(&event).unwrap(), "site-test")
        .await;
    serde_json::to_value(response).unwrap()
}

fn with_header(
    mut headers: Vec<(&'static str, &'static str)>,
    name: &'static str,
    value: &'static str,
) -> Vec<(&'static str, &'static str)> {
    headers.retain(|(existing, _)| *existing != name);
    headers.push((name, value));
    headers
}

#[tokio::test]
async fn html_is_gzipped_for_a_browser_that_accepts_brotli_too() {
    let _serial = one_renderer_at_a_time().await;
    let headers = with_header(browser_headers(), "accept-encoding", "gzip, deflate, br");
    let response = invoke(site_router(), event(MultiValue, "GET", "/", &[], &headers)).await;
    assert_alb_contract(&response, MultiValue);
    assert_eq!(header_values(&response, "content-encoding"), ["gzip"]);
    assert_eq!(
        response["isBase64Encoded"], true,
        "compressed bodies travel base64"
    );
    let compressed = body_bytes(&response);
    let html = String::from_utf8(gunzip(&compressed)).unwrap();
    assert!(html.contains("id=\"counter\""), "{html}");
    assert!(
        compressed.len() * 2 < html.len(),
        "{} compressed vs {} raw",
        compressed.len(),
        html.len()
    );
}

#[tokio::test]
async fn html_goes_as_is_to_a_client_that_accepts_no_gzip() {
    let _serial = one_renderer_at_a_time().await;
    for accept in [None, Some("br"), Some("br, gzip;q=0")] {
        let headers = match accept {
            Some(accept) => with_header(browser_headers(), "accept-encoding", accept),
            None => browser_headers(),
        };
        let response = invoke(site_router(), event(MultiValue, "GET", "/", &[], &headers)).await;
        assert!(
            header_values(&response, "content-encoding").is_empty(),
            "{accept:?}"
        );
        assert_eq!(response["isBase64Encoded"], false, "{accept:?}");
        let html = String::from_utf8(body_bytes(&response)).unwrap();
        assert!(html.contains("id=\"counter\""), "{accept:?}");
    }
}

/// The `<leptos-island>` elements of a page, each as its opening tag.
fn islands_of(html: &str) -> Vec<&str> {
    html.match_indices("<leptos-island")
        .map(|(start, _)| &html[start..start + html[start..].find('>').unwrap()])
        .collect()
}

#[tokio::test]
async fn pages_hydrate_only_their_islands_with_the_saved_preferences_as_props() {
    let _serial = one_renderer_at_a_time().await;
    let headers = with_header(
        browser_headers(),
        "cookie",
        "theme=dark; display_name=Zo%C3%AB%20%26%20Co",
    );

    let home = invoke(site_router(), event(MultiValue, "GET", "/", &[], &headers)).await;
    // Without the `<!>` text markers Leptos puts between static and dynamic text.
    let home = String::from_utf8(body_bytes(&home))
        .unwrap()
        .replace("<!>", "");
    let preferences = invoke(
        site_router(),
        event(MultiValue, "GET", "/preferences", &[], &headers),
    )
    .await;
    let preferences = String::from_utf8(body_bytes(&preferences))
        .unwrap()
        .replace("<!>", "");

    // The islands hydration script, not the whole-page one.
    assert!(home.contains("hydrateIslands"), "{home}");
    let home_islands = islands_of(&home);
    assert_eq!(home_islands.len(), 1, "{home_islands:?}");
    assert!(
        home_islands[0].contains("data-component=\"Counter"),
        "{home_islands:?}"
    );
    assert!(home.contains("Welcome back, Zoë &amp; Co!"), "{home}");

    let form_islands = islands_of(&preferences);
    assert_eq!(form_islands.len(), 1, "{form_islands:?}");
    let island = form_islands[0];
    assert!(
        island.contains("data-component=\"PreferencesForm"),
        "{island}"
    );
    // Props travel as HTML-escaped JSON; the fields are server-rendered children.
    assert!(
        island.contains("&quot;theme&quot;:&quot;dark&quot;"),
        "{island}"
    );
    assert!(
        island.contains("&quot;display_name&quot;:&quot;Zoë &amp; Co&quot;"),
        "{island}"
    );
    assert!(preferences.contains("<leptos-children"), "{preferences}");
    assert!(
        preferences.contains("value=\"Zoë &amp; Co\""),
        "{preferences}"
    );
    assert!(
        preferences.contains("<html lang=\"en\" data-theme=\"dark\""),
        "{preferences}"
    );
}

#[tokio::test]
async fn text_is_compressed_from_the_threshold_up() {
    let _serial = one_renderer_at_a_time().await;
    // The documented value; the sizes below follow the constant the router uses.
    assert_eq!(COMPRESSION_THRESHOLD_BYTES, 1024);
    let threshold = usize::from(COMPRESSION_THRESHOLD_BYTES);
    // tower-http's `SizeAbove` compresses bodies of at least its size: 1023 bytes go as is,
    // 1024 are compressed. Static files have an exact length, which the pages have not.
    let page = |size: usize| -> Vec<u8> {
        b"<p>compressible text</p>\n"
            .iter()
            .copied()
            .cycle()
            .take(size)
            .collect()
    };
    let site = BuiltSite::new("threshold");
    site.write("below.html", &page(threshold - 1));
    site.write("at.html", &page(threshold));
    let headers = with_header(browser_headers(), "accept-encoding", "br, gzip");

    let below = invoke(
        site.router(),
        event(MultiValue, "GET", "/below.html", &[], &headers),
    )
    .await;
    assert_eq!(below["statusCode"], 200);
    assert!(
        header_values(&below, "content-encoding").is_empty(),
        "{below}"
    );
    assert_eq!(body_bytes(&below), page(threshold - 1));

    let at = invoke(
        site.router(),
        event(MultiValue, "GET", "/at.html", &[], &headers),
    )
    .await;
    assert_alb_contract(&at, MultiValue);
    assert_eq!(header_values(&at, "content-encoding"), ["gzip"]);
    assert_eq!(at["isBase64Encoded"], true);
    assert_eq!(gunzip(&body_bytes(&at)), page(threshold));

    // A handler response, not a file: `/healthz` is far below the threshold.
    let healthz = invoke(
        site.router(),
        event(MultiValue, "GET", "/healthz", &[], &headers),
    )
    .await;
    assert!(header_values(&healthz, "content-encoding").is_empty());
    assert_eq!(healthz["body"], "ok");
}

/// A built site root as cargo-leptos writes it, in a temp dir removed on drop.
struct BuiltSite {
    root: std::path::PathBuf,
}

impl BuiltSite {
    fn new(name: &str) -> Self {
        let root = std::env::temp_dir().join(format!("built-site-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        std::fs::write(
            root.join("hash.txt"),
            "js: Js-hash_1\nwasm: Wasm-hash_2\ncss: Css-hash_3\n",
        )
        .unwrap();
        std::fs::write(
            root.join("pkg/site.Js-hash_1.js"),
            "export default function init() {}\n",
        )
        .unwrap();
        std::fs::write(root.join("pkg/site.Wasm-hash_2.wasm"), b"\0asm\x01\0\0\0").unwrap();
        std::fs::write(root.join("pkg/site.Wasm-hash_2.wasm.br"), b"br-bytes").unwrap();
        std::fs::write(root.join("pkg/site.Css-hash_3.css"), "body { margin: 0 }\n").unwrap();
        std::fs::write(root.join("favicon.png"), b"\x89PNG").unwrap();
        Self { root }
    }

    fn write(&self, relative: &str, bytes: &[u8]) {
        std::fs::write(self.root.join(relative), bytes).unwrap();
    }

    /// The site Router with the settings `bootstrap` would start with for this site root.
    fn router(&self) -> axum::Router {
        let site_root = self.root.to_string_lossy().to_string();
        let env = |key: &str| match key {
            "LEPTOS_SITE_ROOT" => Ok(site_root.clone()),
            _ => Err(std::env::VarError::NotPresent),
        };
        let settings = Settings::load(
            &[],
            Inputs {
                env: &env,
                defaults: BuildDefaults {
                    output_name: "site",
                    site_root: "target/site",
                },
                current_dir: None,
                is_file: &|path| path.is_file(),
            },
        )
        .unwrap();
        server_lambda::site::router(settings.leptos)
    }
}

impl Drop for BuiltSite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[tokio::test]
async fn pages_reference_the_hashed_bundle_and_stylesheet() {
    let _serial = one_renderer_at_a_time().await;
    let site = BuiltSite::new("hashed");
    let response = invoke(
        site.router(),
        event(MultiValue, "GET", "/", &[], &browser_headers()),
    )
    .await;
    let html = String::from_utf8(body_bytes(&response)).unwrap();
    assert!(html.contains("/pkg/site.Js-hash_1.js"), "{html}");
    assert!(html.contains("/pkg/site.Wasm-hash_2.wasm"), "{html}");
    assert!(html.contains("href=\"/pkg/site.Css-hash_3.css\""), "{html}");
}

#[tokio::test]
async fn hashed_assets_are_immutable_compressed_and_revalidate_to_304() {
    let _serial = one_renderer_at_a_time().await;
    let site = BuiltSite::new("assets");
    let headers = with_header(browser_headers(), "accept-encoding", "gzip, br");
    let wasm = invoke(
        site.router(),
        event(
            MultiValue,
            "GET",
            "/pkg/site.Wasm-hash_2.wasm",
            &[],
            &headers,
        ),
    )
    .await;
    assert_alb_contract(&wasm, MultiValue);
    assert_eq!(header_values(&wasm, "content-encoding"), ["br"]);
    assert_eq!(header_values(&wasm, "content-type"), ["application/wasm"]);
    assert_eq!(
        header_values(&wasm, "cache-control"),
        ["public, max-age=31536000, immutable"]
    );
    assert_eq!(header_values(&wasm, "vary"), ["accept-encoding"]);
    assert_eq!(body_bytes(&wasm), b"br-bytes");

    let etag = header_values(&wasm, "etag").remove(0);
    let mut conditional = headers.clone();
    let etag_static: &'static str = Box::leak(etag.into_boxed_str());
    conditional.push(("if-none-match", etag_static));
    let not_modified = invoke(
        site.router(),
        event(
            MultiValue,
            "GET",
            "/pkg/site.Wasm-hash_2.wasm",
            &[],
            &conditional,
        ),
    )
    .await;
    assert_eq!(not_modified["statusCode"], 304);
    assert_eq!(not_modified["body"], "");

    let favicon = invoke(
        site.router(),
        event(MultiValue, "GET", "/favicon.png", &[], &headers),
    )
    .await;
    assert_eq!(
        header_values(&favicon, "cache-control"),
        ["public, no-cache"]
    );
    assert!(
        header_values(&favicon, "content-encoding").is_empty(),
        "images are not recompressed"
    );
}

#[tokio::test]
async fn a_kept_asset_answers_the_same_bytes_every_time_and_compressed_when_asked() {
    let _serial = one_renderer_at_a_time().await;
    let site = BuiltSite::new("prepared");
    // Over the compression threshold, with quotes, backslashes and line breaks to escape, and
    // no precompressed twins: the compression layer gzips it for a client that accepts gzip.
    let script: String = (0..COMPRESSION_THRESHOLD_BYTES / 4)
        .map(|n| format!("a[{n}]=\"\\\";\n"))
        .collect();
    site.write("pkg/extra.js", script.as_bytes());
    let router = site.router();
    let plain = browser_headers();
    let gzip_ok = with_header(browser_headers(), "accept-encoding", "gzip");
    for round in 0..3 {
        let identity = invoke(
            router.clone(),
            event(MultiValue, "GET", "/pkg/extra.js", &[], &plain),
        )
        .await;
        assert_alb_contract(&identity, MultiValue);
        assert_eq!(identity["isBase64Encoded"], false, "round {round}");
        assert_eq!(body_bytes(&identity), script.as_bytes(), "round {round}");

        let compressed = invoke(
            router.clone(),
            event(MultiValue, "GET", "/pkg/extra.js", &[], &gzip_ok),
        )
        .await;
        assert_eq!(header_values(&compressed, "content-encoding"), ["gzip"]);
        assert_eq!(compressed["isBase64Encoded"], true, "round {round}");
        assert_eq!(
            gunzip(&body_bytes(&compressed)),
            script.as_bytes(),
            "round {round}"
        );

        let head = invoke(
            router.clone(),
            event(MultiValue, "HEAD", "/pkg/extra.js", &[], &plain),
        )
        .await;
        assert_eq!(head["body"], "", "round {round}");
    }
}

#[tokio::test]
async fn a_kept_binary_file_gzipped_by_the_router_is_sent_gzipped_not_as_prepared() {
    let _serial = one_renderer_at_a_time().await;
    let site = BuiltSite::new("prepared-binary");
    // Binary, compressible, over the threshold and without twins: its prepared body is base64
    // of the file as is, which the final headers (gzip) would accept, so only the buffer check
    // keeps it out of a gzipped answer.
    let module: Vec<u8> = b"\0asm\x01\0\0\0"
        .iter()
        .copied()
        .chain((0..4096u32).map(|n| (n % 7) as u8))
        .collect();
    site.write("pkg/extra.wasm", &module);
    let router = site.router();
    let gzip_ok = with_header(browser_headers(), "accept-encoding", "gzip");
    for round in 0..2 {
        let identity = invoke(
            router.clone(),
            event(
                MultiValue,
                "GET",
                "/pkg/extra.wasm",
                &[],
                &browser_headers(),
            ),
        )
        .await;
        assert_eq!(identity["isBase64Encoded"], true, "round {round}");
        assert_eq!(body_bytes(&identity), module, "round {round}");

        let compressed = invoke(
            router.clone(),
            event(MultiValue, "GET", "/pkg/extra.wasm", &[], &gzip_ok),
        )
        .await;
        assert_eq!(header_values(&compressed, "content-encoding"), ["gzip"]);
        assert_eq!(gunzip(&body_bytes(&compressed)), module, "round {round}");
    }
}
