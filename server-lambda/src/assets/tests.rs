//! Unit tests of content negotiation, caching headers and lazy, bounded loading.

use super::*;

fn site() -> (tempdir::TempSite, SiteAssets) {
    let site = tempdir::TempSite::new();
    site.write("pkg/site.AbC-12_x.wasm", b"\0asm-identity");
    site.write("pkg/site.AbC-12_x.wasm.br", b"brotli");
    site.write("pkg/site.AbC-12_x.wasm.gz", b"gzip");
    site.write("favicon.png", b"\x89PNG");
    site.write("hash.txt", b"js: Zz9\nwasm: AbC-12_x\ncss: Yy8\n");
    let assets = SiteAssets::at(&site.path);
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

fn content(response: Response<Body>) -> Vec<u8> {
    use http_body_util::BodyExt as _;
    futures::executor::block_on(response.into_body().collect())
        .unwrap()
        .to_bytes()
        .to_vec()
}

#[test]
fn nothing_is_listed_or_read_before_it_is_asked_for() {
    let site = tempdir::TempSite::new();
    let assets = SiteAssets::at(&site.path);
    // Written after start-up: a site read eagerly would not serve these.
    site.write("late.css", b"body{}");
    site.write("favicon.png", b"first");
    assert_eq!(assets.cached_bytes(), 0);
    assert_eq!(content(get(&assets, "/late.css", &[]).unwrap()), b"body{}");
    site.write("favicon.png", b"second");
    assert_eq!(
        content(get(&assets, "/favicon.png", &[]).unwrap()),
        b"second"
    );
}

#[test]
fn small_files_stay_in_memory_within_the_budget_and_big_ones_are_read_each_time() {
    let site = tempdir::TempSite::new();
    let big = vec![b'b'; CACHE_FILE_MAX_BYTES as usize + 1];
    site.write("photo.jpg", &big);
    site.write("small.css", b"p{}");
    let near_max = vec![b'm'; CACHE_FILE_MAX_BYTES as usize];
    let files = CACHE_BUDGET_BYTES / near_max.len() + 2;
    for n in 0..files {
        site.write(&format!("img/{n}.png"), &near_max);
    }
    let assets = SiteAssets::at(&site.path);

    assert_eq!(content(get(&assets, "/photo.jpg", &[]).unwrap()), big);
    assert_eq!(assets.cached_bytes(), 0, "too big to keep");
    assert_eq!(content(get(&assets, "/small.css", &[]).unwrap()), b"p{}");
    // The content `p{}`, then its response body, the literal `"p{}"`.
    assert_eq!(assets.cached_bytes(), 3 + 5);
    site.write("small.css", b"changed");
    assert_eq!(
        content(get(&assets, "/small.css", &[]).unwrap()),
        b"p{}",
        "served from memory"
    );
    for n in 0..files {
        assert_eq!(
            content(get(&assets, &format!("/img/{n}.png"), &[]).unwrap()),
            near_max
        );
    }
    assert!(assets.cached_bytes() <= CACHE_BUDGET_BYTES);
    assert!(assets.cached_bytes() > CACHE_BUDGET_BYTES - near_max.len());
    site.write("photo.jpg", b"replaced");
    assert_eq!(
        content(get(&assets, "/photo.jpg", &[]).unwrap()),
        b"replaced",
        "read again, not kept"
    );
}

#[test]
fn a_revalidation_with_a_known_etag_is_answered_without_reading() {
    let site = tempdir::TempSite::new();
    site.write("photo.jpg", &vec![b'p'; CACHE_FILE_MAX_BYTES as usize + 1]);
    let assets = SiteAssets::at(&site.path);
    let etag = get(&assets, "/photo.jpg", &[]).unwrap().headers()[header::ETAG]
        .to_str()
        .unwrap()
        .to_string();
    // Not kept in memory, and now not on disk either: only the known ETag can answer.
    std::fs::remove_file(site.path.join("photo.jpg")).unwrap();
    let again = get(&assets, "/photo.jpg", &[("if-none-match", &etag)]).unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(get(&assets, "/photo.jpg", &[]).is_none());
}

#[test]
fn a_file_gone_after_listing_is_answered_as_unknown() {
    let (site, assets) = site();
    assert_eq!(assets.len(), 2);
    std::fs::remove_file(site.path.join("favicon.png")).unwrap();
    assert!(get(&assets, "/favicon.png", &[]).is_none());
}

#[test]
fn a_missing_site_root_serves_nothing() {
    let assets = SiteAssets::at(Path::new("/definitely/not/here"));
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

#[test]
fn kept_files_carry_their_prepared_response_body_and_big_ones_none() {
    let site = tempdir::TempSite::new();
    site.write("app.js", b"let s = \"quoted\";\n");
    site.write("photo.jpg", &vec![b'p'; CACHE_FILE_MAX_BYTES as usize + 1]);
    let assets = SiteAssets::at(&site.path);

    for _ in 0..2 {
        let response = get(&assets, "/app.js", &[]).unwrap();
        let prepared = response
            .extensions()
            .get::<Prepared>()
            .expect("a kept file is prepared")
            .clone();
        let bytes =
            futures::executor::block_on(http_body_util::BodyExt::collect(response.into_body()))
                .unwrap()
                .to_bytes();
        let body = prepared.body_for(&bytes, false).expect("the same buffer");
        assert_eq!(&*body, "let s = \"quoted\";\n");
        assert!(!body.is_base64_encoded());
    }
    let photo = get(&assets, "/photo.jpg", &[]).unwrap();
    assert!(photo.extensions().get::<Prepared>().is_none());
}

#[test]
fn a_body_the_budget_has_no_room_for_is_used_once_and_never_prepared_again() {
    let site = tempdir::TempSite::new();
    // Contents of 300 KiB and their base64 bodies (400 KiB) fill the budget: a later file's
    // content still fits once its body no longer does.
    let image = vec![b'm'; 300 * 1024];
    let files = CACHE_BUDGET_BYTES / image.len() + 1;
    for n in 0..files {
        site.write(&format!("img/{n}.png"), &image);
    }
    let assets = SiteAssets::at(&site.path);
    let prepared = |path: &str| {
        get(&assets, path, &[])
            .unwrap()
            .extensions()
            .get::<Prepared>()
            .is_some()
    };

    let mut used_once = 0;
    for n in 0..files {
        let path = format!("/img/{n}.png");
        let first = prepared(&path);
        let second = prepared(&path);
        assert!(assets.cached_bytes() <= CACHE_BUDGET_BYTES);
        if first && !second {
            used_once += 1;
        }
        assert!(
            first || !second,
            "{path}: prepared later than its first answer"
        );
    }
    assert!(used_once > 0, "no file was kept without its body");
}
