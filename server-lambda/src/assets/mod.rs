//! The site's static files, served the way a CDN would, since behind an ALB there is none:
//! the best encoding the browser accepts (`br`, `gzip`, identity; `Vary: Accept-Encoding`), a
//! strong `ETag` per variant with `If-None-Match` → 304, and `immutable` caching for the
//! content-hashed files cargo-leptos writes (`pkg/site.<hash>.wasm`), revalidation for
//! everything else.
//!
//! Nothing is read at start-up, so a cold start costs the same whatever the site weighs: the
//! site root is listed on the first request that is not a page, and a file is read when it is
//! first asked for. Small files stay in memory afterwards within a fixed budget
//! ([`CACHE_BUDGET_BYTES`]), with their bodies as the response JSON carries them (prepared on
//! first use, see `alb::response_body`); bigger ones (photos) are read from the package on each
//! request, where the OS page cache keeps them warm.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use axum::body::{Body, Bytes};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};

use crate::alb::response_body::{Prepared, PreparedBody, same_buffer};
use negotiation::{accepted_encodings, content_type_of, none_match};

mod negotiation;
#[cfg(test)]
mod tests;

/// `Cache-Control` of files whose name carries their content hash.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of files that keep their name across builds.
pub const REVALIDATE: &str = "public, no-cache";
/// What the in-memory copies of files, and their prepared response bodies, may add up to, per
/// process.
pub const CACHE_BUDGET_BYTES: usize = 4 * 1024 * 1024;
/// Files larger than this are never kept in memory.
pub const CACHE_FILE_MAX_BYTES: u64 = 512 * 1024;

/// One encoding of a file: where it lives, and what its first read learned.
#[derive(Debug)]
struct Variant {
    encoding: Option<&'static str>,
    path: PathBuf,
    len: u64,
    /// The strong ETag, from the content, known after the first read.
    etag: OnceLock<HeaderValue>,
    /// The content, kept after the first read when it is small and the budget allows.
    cached: OnceLock<Bytes>,
    /// The kept content as the response JSON's body, worked out once: `None` when the budget
    /// had no room for it (the response JSON is then encoded per request, as for big files).
    prepared: OnceLock<Option<Arc<PreparedBody>>>,
}

/// A file and its precompressed twins.
#[derive(Debug)]
struct Asset {
    content_type: HeaderValue,
    cache_control: &'static str,
    /// Identity first, then the compressed variants present on disk.
    variants: Vec<Variant>,
}

/// Every servable file of the site root, keyed by URL path (`/pkg/site.abc.wasm`), listed on
/// first use.
#[derive(Debug, Default)]
pub struct SiteAssets {
    site_root: PathBuf,
    files: OnceLock<HashMap<String, Asset>>,
    cached_bytes: AtomicUsize,
}

impl SiteAssets {
    /// The files under `site_root`, read from disk only when asked for. A missing root serves
    /// nothing (the pages still render), so a server built before its assets starts;
    /// `hash.txt` names the immutable files.
    pub fn at(site_root: &Path) -> Self {
        Self {
            site_root: site_root.to_path_buf(),
            ..Self::default()
        }
    }

    fn files(&self) -> &HashMap<String, Asset> {
        self.files
            .get_or_init(|| match list(&self.site_root) {
                Ok(files) => files,
                Err(error) => {
                    tracing::error!(site_root = %self.site_root.display(), %error, "cannot list the site root; serving no static files");
                    HashMap::new()
                }
            })
    }

    /// How many files are servable.
    pub fn len(&self) -> usize {
        self.files().len()
    }

    /// Whether no file is servable.
    pub fn is_empty(&self) -> bool {
        self.files().is_empty()
    }

    /// How many bytes of file content and prepared response bodies are held in memory now.
    pub fn cached_bytes(&self) -> usize {
        self.cached_bytes.load(Ordering::Relaxed)
    }

    /// The response for a GET or HEAD of a known file; `None` for anything else, including a
    /// file that can no longer be read (logged).
    pub fn respond(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
    ) -> Option<Response<Body>> {
        if method != Method::GET && method != Method::HEAD {
            return None;
        }
        let asset = self.files().get(path)?;
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

        // A revalidation with a known ETag needs no read at all.
        let known = chosen.etag.get().filter(|etag| none_match(headers, etag));
        let (content, etag) = match known {
            Some(etag) => (None, etag),
            None => match self.read(chosen) {
                Ok(content) => (Some(content), chosen.etag.get().expect("set by the read")),
                Err(error) => {
                    tracing::error!(file = %chosen.path.display(), %error, "cannot read a static file; answered as unknown");
                    return None;
                }
            },
        };
        let mut response = Response::builder()
            .header(header::CONTENT_TYPE, asset.content_type.clone())
            .header(header::CACHE_CONTROL, asset.cache_control)
            .header(header::ETAG, etag.clone());
        if asset.variants.len() > 1 {
            response = response.header(header::VARY, "accept-encoding");
        }
        match content {
            Some(content) if !none_match(headers, etag) => {
                if let Some(encoding) = chosen.encoding {
                    response = response.header(header::CONTENT_ENCODING, encoding);
                }
                if let Some(body) = self.prepare(asset, chosen, &content) {
                    response = response.extension(Prepared::new(content.clone(), body));
                }
                Some(response.body(Body::from(content)).expect("valid headers"))
            }
            _ => Some(
                response
                    .status(StatusCode::NOT_MODIFIED)
                    .body(Body::empty())
                    .expect("valid headers"),
            ),
        }
    }

    /// The content of a variant: from memory if kept, else from disk, keeping it when it is
    /// small and the budget allows; the ETag is set on the first read.
    fn read(&self, variant: &Variant) -> std::io::Result<Bytes> {
        if let Some(content) = variant.cached.get() {
            return Ok(content.clone());
        }
        let content = Bytes::from(std::fs::read(&variant.path)?);
        variant
            .etag
            .get_or_init(|| etag_of(&content, variant.encoding));
        let keep = variant.len <= CACHE_FILE_MAX_BYTES && self.reserve(content.len());
        if keep && variant.cached.set(content.clone()).is_err() {
            // Another thread kept it first.
            self.cached_bytes
                .fetch_sub(content.len(), Ordering::Relaxed);
        }
        Ok(content)
    }

    /// The response body prepared from a variant's kept `content`, made on its first use and
    /// kept when the budget allows; `None` for content that is not kept, or whose body did not
    /// fit the budget before.
    fn prepare(
        &self,
        asset: &Asset,
        variant: &Variant,
        content: &Bytes,
    ) -> Option<Arc<PreparedBody>> {
        if !same_buffer(variant.cached.get()?, content) {
            return None;
        }
        if let Some(prepared) = variant.prepared.get() {
            return prepared.clone();
        }
        let content_type = asset.content_type.to_str().ok();
        let body = Arc::new(PreparedBody::new(content_type, variant.encoding, content));
        let size = body.memory_bytes();
        let fits = self.reserve(size);
        if variant
            .prepared
            .set(fits.then(|| Arc::clone(&body)))
            .is_err()
            && fits
        {
            // Another thread decided first.
            self.cached_bytes.fetch_sub(size, Ordering::Relaxed);
        }
        // This response uses it either way: the work is done.
        Some(body)
    }

    /// Takes `len` bytes from the cache budget if they fit.
    fn reserve(&self, len: usize) -> bool {
        let before = self.cached_bytes.fetch_add(len, Ordering::Relaxed);
        if before.saturating_add(len) <= CACHE_BUDGET_BYTES {
            return true;
        }
        self.cached_bytes.fetch_sub(len, Ordering::Relaxed);
        false
    }
}

/// Lists the servable files of the site root with their twins; no content is read.
fn list(site_root: &Path) -> std::io::Result<HashMap<String, Asset>> {
    let mut files = HashMap::new();
    if !site_root.is_dir() {
        tracing::warn!(site_root = %site_root.display(), "the site root does not exist; no static files will be served");
        return Ok(files);
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
        let mut variants = vec![variant(None, path.clone())?];
        for (encoding, suffix) in [("br", "br"), ("gzip", "gz")] {
            let twin = PathBuf::from(format!("{name}.{suffix}"));
            if twin.is_file() {
                variants.push(variant(Some(encoding), twin)?);
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
    Ok(files)
}

fn variant(encoding: Option<&'static str>, path: PathBuf) -> std::io::Result<Variant> {
    Ok(Variant {
        encoding,
        len: std::fs::metadata(&path)?.len(),
        path,
        etag: OnceLock::new(),
        cached: OnceLock::new(),
        prepared: OnceLock::new(),
    })
}

fn etag_of(content: &[u8], encoding: Option<&'static str>) -> HeaderValue {
    let mut hasher = DefaultHasher::new();
    hasher.write(content);
    let suffix = encoding
        .map(|encoding| format!("-{encoding}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!("\"{:016x}{suffix}\"", hasher.finish())).expect("ASCII etag")
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
