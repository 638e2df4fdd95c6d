//! What the checks need to know of a function zip: its digest (Lambda's `CodeSha256`), its
//! size (the uploaded object's) and the hashes cargo-leptos gave the site's files.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use crate::function_zip::read_entries;

/// The file cargo-leptos writes beside the site, naming its hashed files (`js: …`).
const HASH_FILE: &str = "target/site/hash.txt";

/// A function zip's digest, size and site hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZipFacts {
    /// sha256 in hex (the artifact key's name).
    pub sha256_hex: String,
    /// sha256 in base64 (Lambda's `CodeSha256`).
    pub sha256_base64: String,
    /// Size in bytes.
    pub bytes: u64,
    /// `hash.txt`'s entries: `js`, `wasm`, `css` → hash.
    pub hashes: BTreeMap<String, String>,
}

impl ZipFacts {
    /// Reads the zip at `path`.
    pub fn read(path: &Path) -> Result<Self, String> {
        let data = std::fs::read(path).map_err(|error| format!("{}: {error}", path.display()))?;
        let entries = read_entries(path)?;
        let hash_file = entries
            .get(HASH_FILE)
            .ok_or_else(|| format!("{}: no {HASH_FILE} in the zip", path.display()))?;
        let digest = Sha256::digest(&data);
        Ok(Self {
            sha256_hex: format!("{digest:x}"),
            sha256_base64: base64::engine::general_purpose::STANDARD.encode(digest),
            bytes: data.len() as u64,
            hashes: parse_hashes(&String::from_utf8_lossy(hash_file)),
        })
    }

    /// The hash cargo-leptos gave the site's `kind` file (`js`, `wasm`), or "".
    pub fn hash(&self, kind: &str) -> &str {
        self.hashes
            .get(kind)
            .map(String::as_str)
            .unwrap_or_default()
    }
}

/// `hash.txt`'s `kind: hash` lines.
fn parse_hashes(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(kind, hash)| (kind.trim().to_string(), hash.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zip_gives_its_digest_size_and_site_hashes() {
        let dir = std::env::temp_dir().join(format!("zip-facts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let zip = dir.join("f.zip");
        let entries = BTreeMap::from([(
            HASH_FILE.to_string(),
            b"js: Zz9\nwasm: AbC-12_x\nnot a pair\n".to_vec(),
        )]);
        crate::function_zip::write_entries(&zip, &entries).unwrap();

        let facts = ZipFacts::read(&zip).unwrap();

        let data = std::fs::read(&zip).unwrap();
        assert_eq!(facts.bytes, data.len() as u64);
        assert_eq!(facts.sha256_hex, format!("{:x}", Sha256::digest(&data)));
        assert_eq!(
            (facts.hash("js"), facts.hash("wasm"), facts.hash("css")),
            ("Zz9", "AbC-12_x", "")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_zip_without_a_site_is_refused() {
        let dir = std::env::temp_dir().join(format!("zip-facts-none-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let zip = dir.join("f.zip");
        crate::function_zip::write_entries(&zip, &BTreeMap::from([("bootstrap".into(), vec![1])]))
            .unwrap();
        assert!(ZipFacts::read(&zip).unwrap_err().contains("hash.txt"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
