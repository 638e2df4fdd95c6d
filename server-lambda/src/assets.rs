//! The site's static files, loaded into memory once at start-up and served the way a CDN
//! would, since behind an ALB there is none: the best encoding the browser accepts (`br`,
//! `gzip`, identity; `Vary: Accept-Encoding`), a strong `ETag` per variant with
//! `If-None-Match` → 304, and `immutable` caching for the content-hashed files cargo-leptos
//! writes (`pkg/site.<hash>.wasm`), revalidation for everything else.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher as _};
use std::path::{Path, PathBuf};

use axum::body::{Body, Bytes};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};

/// `Cache-Control` of files whose name carries their content hash.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of files that keep their name across builds.
pub const REVALIDATE: &str = "public, no-cache";

/// One encoding of a file.
#[derive(Debug)]
struct Variant {
    encoding: Option<&'static str>,
    bytes: Bytes,
    etag: HeaderValue,
}

/// A file and its precompressed twins.
#[derive(Debug)]
struct Asset {
    content_type: HeaderValue,
    cache_control: &'static str,
    /// Identity first, then the compressed variants present on disk.
    variants: Vec<Variant>,
}

/// Every servable file of the site root, keyed by URL path (`/pkg/site.abc.wasm`).
#[derive(Debug, Default)]
pub struct SiteAssets {
    files: HashMap<String, Asset>,
}

impl SiteAssets {
    /// Reads the site root. A missing root gives an empty set (the pages still render), so a
    /// server built before its assets starts; `hash.txt` names the immutable files.
    pub fn load(site_root: &Path) -> std::io::Result<Self> {
        let mut files = HashMap::new();
        if !site_root.is_dir() {
            tracing::warn!(site_root = %site_root.display(), "the site root does not exist; no static files will be served");
            return Ok(Self { files });
        }
        let hashes = content_hashes(site_root);
        let mut paths = Vec::new();
        collect_files(site_root, &mut paths)?;
        for path in &paths {
            let name = path.to_string_lossy();
            if name.ends_with(".br")
                || name.ends_with(".gz")
                || path.file_name().is_some_and(|file| file == "hash.txt")
            {
                continue;
            }
            let relative = path
                .strip_prefix(site_root)
                .expect("walked inside the root");
            let url_path = format!("/{}", relative.to_string_lossy().replace('\\', "/"));
            let identity = std::fs::read(path)?;
            let mut variants = vec![variant(None, identity)];
            for (encoding, suffix) in [("br", "br"), ("gzip", "gz")] {
                let twin = PathBuf::from(format!("{name}.{suffix}"));
                if twin.is_file() {
                    variants.push(variant(Some(encoding), std::fs::read(twin)?));
                }
            }
            let file_name = relative
                .file_name()
                .map(|file| file.to_string_lossy().into_owned())
                .unwrap_or_default();
            let hashed = hashes
                .iter()
                .any(|hash| file_name.contains(&format!(".{hash}.")));
            let content_type = content_type_of(&file_name);
            files.insert(
                url_path,
                Asset {
                    content_type: HeaderValue::from_static(content_type),
                    cache_control: if hashed { IMMUTABLE } else { REVALIDATE },
                    variants,
                },
            );
        }
        Ok(Self { files })
    }

    /// How many files are servable.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is servable.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The response for a GET or HEAD of a known file; `None` for anything else.
    pub fn respond(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
    ) -> Option<Response<Body>> {
        if method != Method::GET && method != Method::HEAD {
            return None;
        }
        let asset = self.files.get(path)?;
        let accepted = accepted_encodings(headers);
        let chosen = ["br", "gzip"]
            .into_iter()
            .filter(|encoding| accepted.contains(encoding))
            .find_map(|encoding| {
                asset
                    .variants
                    .iter()
                    .find(|variant| variant.encoding == Some(encoding))
            })
            .unwrap_or(&asset.variants[0]);

        let mut response = Response::builder()
            .header(header::CONTENT_TYPE, asset.content_type.clone())
            .header(header::CACHE_CONTROL, asset.cache_control)
            .header(header::ETAG, chosen.etag.clone());
        if asset.variants.len() > 1 {
            response = response.header(header::VARY, "accept-encoding");
        }
        if none_match(headers, &chosen.etag) {
            return Some(
                response
                    .status(StatusCode::NOT_MODIFIED)
                    .body(Body::empty())
                    .expect("valid headers"),
            );
        }
        if let Some(encoding) = chosen.encoding {
            response = response.header(header::CONTENT_ENCODING, encoding);
        }
        Some(
            response
                .body(Body::from(chosen.bytes.clone()))
                .expect("valid headers"),
        )
    }
}

fn variant(encoding: Option<&'static str>, bytes: Vec<u8>) -> Variant {
    let mut hasher = DefaultHasher::new();
    hasher.write(&bytes);
    let suffix = encoding
        .map(|encoding| format!("-{encoding}"))
        .unwrap_or_default();
    let etag = HeaderValue::from_str(&format!("\"{:016x}{suffix}\"", hasher.finish()))
        .expect("ASCII etag");
    Variant {
        encoding,
        bytes: Bytes::from(bytes),
        etag,
    }
}

fn collect_files(dir: &Path, into: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, into)?;
        } else {
            into.push(path);
        }
    }
    Ok(())
}

/// The hashes cargo-leptos wrote to `hash.txt` (`js: …`, `wasm: …`, `css: …`).
fn content_hashes(site_root: &Path) -> Vec<String> {
    std::fs::read_to_string(site_root.join("hash.txt"))
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(_, hash)| hash.trim().to_string())
        .filter(|hash| !hash.is_empty())
        .collect()
}

/// The content types of the files a Leptos site ships.
fn content_type_of(file_name: &str) -> &'static str {
    let extension = file_name
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

/// The encodings an `Accept-Encoding` header allows (q > 0).
fn accepted_encodings(headers: &HeaderMap) -> Vec<&'static str> {
    let mut accepted = Vec::new();
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        for item in value.to_str().unwrap_or_default().split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let refused = parts.any(|parameter| {
                parameter
                    .trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            if refused {
                continue;
            }
            match coding.as_str() {
                "br" => accepted.push("br"),
                "gzip" | "x-gzip" => accepted.push("gzip"),
                "*" => accepted.extend(["br", "gzip"]),
                _ => {}
            }
        }
    }
    accepted
}

/// Whether `If-None-Match` names this ETag (or `*`), comparing weakly as RFC 9110 asks.
fn none_match(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = etag.to_str().unwrap_or_default();
    headers.get_all(header::IF_NONE_MATCH).iter().any(|value| {
        value
            .to_str()
            .unwrap_or_default()
            .split(',')
            .map(|tag| tag.trim().trim_start_matches("W/"))
            .any(|tag| tag == "*" || tag == ours)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> (tempdir::TempSite, SiteAssets) {
        let site = tempdir::TempSite::new();
        site.write("pkg/site.AbC-12_x.wasm", b"\0asm-identity");
        site.write("pkg/site.AbC-12_x.wasm.br", b"brotli");
        site.write("pkg/site.AbC-12_x.wasm.gz", b"gzip");
        site.write("favicon.png", b"\x89PNG");
        site.write("hash.txt", b"js: Zz9\nwasm: AbC-12_x\ncss: Yy8\n");
        let assets = SiteAssets::load(&site.path).unwrap();
        (site, assets)
    }

    fn get(assets: &SiteAssets, path: &str, headers: &[(&str, &str)]) -> Option<Response<Body>> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        assets.respond(&Method::GET, path, &map)
    }

    #[test]
    fn brotli_is_preferred_then_gzip_then_identity() {
        let (_site, assets) = site();
        let br = get(
            &assets,
            "/pkg/site.AbC-12_x.wasm",
            &[("accept-encoding", "gzip, deflate, br, zstd")],
        )
        .unwrap();
        assert_eq!(br.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(br.headers()[header::VARY], "accept-encoding");
        assert_eq!(br.headers()[header::CONTENT_TYPE], "application/wasm");
        let gzip = get(
            &assets,
            "/pkg/site.AbC-12_x.wasm",
            &[("accept-encoding", "gzip, br;q=0")],
        )
        .unwrap();
        assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
        let identity = get(&assets, "/pkg/site.AbC-12_x.wasm", &[]).unwrap();
        assert!(identity.headers().get(header::CONTENT_ENCODING).is_none());
    }

    #[test]
    fn hashed_files_are_immutable_and_others_revalidate() {
        let (_site, assets) = site();
        assert_eq!(
            get(&assets, "/pkg/site.AbC-12_x.wasm", &[])
                .unwrap()
                .headers()[header::CACHE_CONTROL],
            IMMUTABLE
        );
        let favicon = get(&assets, "/favicon.png", &[]).unwrap();
        assert_eq!(favicon.headers()[header::CACHE_CONTROL], REVALIDATE);
        assert!(
            favicon.headers().get(header::VARY).is_none(),
            "no variants, no Vary"
        );
    }

    #[test]
    fn matching_etag_gives_304_per_variant() {
        let (_site, assets) = site();
        let br = get(
            &assets,
            "/pkg/site.AbC-12_x.wasm",
            &[("accept-encoding", "br")],
        )
        .unwrap();
        let etag = br.headers()[header::ETAG].to_str().unwrap().to_string();
        let again = get(
            &assets,
            "/pkg/site.AbC-12_x.wasm",
            &[
                ("accept-encoding", "br"),
                ("if-none-match", &format!("W/{etag}")),
            ],
        )
        .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        let identity = get(
            &assets,
            "/pkg/site.AbC-12_x.wasm",
            &[("if-none-match", &etag)],
        )
        .unwrap();
        assert_eq!(
            identity.status(),
            StatusCode::OK,
            "the br ETag does not match the identity variant"
        );
    }

    #[test]
    fn unknown_paths_twins_and_posts_are_not_served() {
        let (_site, assets) = site();
        assert!(get(&assets, "/pkg/site.AbC-12_x.wasm.br", &[]).is_none());
        assert!(get(&assets, "/hash.txt", &[]).is_none());
        assert!(get(&assets, "/nope.css", &[]).is_none());
        assert!(
            assets
                .respond(&Method::POST, "/favicon.png", &HeaderMap::new())
                .is_none()
        );
        assert_eq!(assets.len(), 2);
    }

    #[test]
    fn a_missing_site_root_serves_nothing() {
        let assets = SiteAssets::load(Path::new("/definitely/not/here")).unwrap();
        assert!(assets.is_empty());
    }

    mod tempdir {
        use std::path::PathBuf;

        /// A throwaway site root under the system temp dir, removed on drop.
        pub struct TempSite {
            pub path: PathBuf,
        }

        impl TempSite {
            pub fn new() -> Self {
                let unique = format!(
                    "site-assets-{}-{:?}",
                    std::process::id(),
                    std::thread::current().id()
                );
                let path = std::env::temp_dir().join(unique.replace(['(', ')'], ""));
                let _ = std::fs::remove_dir_all(&path);
                std::fs::create_dir_all(&path).unwrap();
                Self { path }
            }

            pub fn write(&self, relative: &str, bytes: &[u8]) {
                let file = self.path.join(relative);
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(file, bytes).unwrap();
            }
        }

        impl Drop for TempSite {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.path);
            }
        }
    }
}
