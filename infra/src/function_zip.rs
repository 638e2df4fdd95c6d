//! The function zip: written reproducibly (the same files give the same bytes, so its sha256,
//! which names the artifact, changes only when the function does), and checked before a deploy
//! for what Lambda would refuse. `infra zip-normalize`, `zip-check` and `zip-add` run these.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::Path;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

/// Lambda's limit for a zip uploaded through S3 (50 MB).
pub const ZIP_LIMIT_BYTES: u64 = 50 * 1024 * 1024;
/// Lambda's limit for the function unzipped (250 MB).
pub const UNZIPPED_LIMIT_BYTES: u64 = 250 * 1024 * 1024;
/// The file whose presence shows the site root is in the zip.
pub const SITE_MARKER: &str = "target/site/hash.txt";
/// The executable Lambda's `provided.al2023` runtime starts.
const BOOTSTRAP: &str = "bootstrap";

/// What a checked zip holds, as the deploy scripts print and use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZipFacts {
    /// The zip's sha256, hex: the artifact's key.
    pub sha256_hex: String,
    /// The same digest in base64: what Lambda reports as `CodeSha256`.
    pub sha256_base64: String,
    /// The zip's size.
    pub bytes: u64,
    /// The size of every file unzipped.
    pub unzipped_bytes: u64,
    /// The size of `bootstrap`.
    pub bootstrap_bytes: u64,
    /// The size of the site root's files.
    pub site_bytes: u64,
    /// How many files the site root has.
    pub site_files: usize,
    /// `arm64` or `x86_64`: what `bootstrap` is built for.
    pub arch: &'static str,
}

impl ZipFacts {
    /// `NAME='value'` lines for a shell's `eval` (every value is a number or a plain word).
    pub fn shell_assignments(&self) -> String {
        [
            ("ZIP_SHA256", self.sha256_hex.clone()),
            ("ZIP_SHA256_B64", self.sha256_base64.clone()),
            ("ZIP_BYTES", self.bytes.to_string()),
            ("ZIP_UNZIPPED_BYTES", self.unzipped_bytes.to_string()),
            ("ZIP_BOOTSTRAP_BYTES", self.bootstrap_bytes.to_string()),
            ("ZIP_SITE_BYTES", self.site_bytes.to_string()),
            ("ZIP_SITE_FILES", self.site_files.to_string()),
            ("ZIP_ARCH", self.arch.to_string()),
        ]
        .iter()
        .map(|(name, value)| format!("{name}='{value}'\n"))
        .collect()
    }
}

/// The architecture an ELF executable is built for, from its `e_machine` field.
pub fn elf_arch(executable: &[u8]) -> Option<&'static str> {
    if executable.len() < 20 || &executable[..4] != b"\x7fELF" {
        return None;
    }
    match u16::from_le_bytes([executable[18], executable[19]]) {
        0x3E => Some("x86_64"),
        0xB7 => Some("arm64"),
        _ => Some("unknown"),
    }
}

/// Every file of a zip (directories left out), by name.
pub fn read_entries(path: &Path) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut archive = open(path)?;
    let mut entries = BTreeMap::new();
    for index in 0..archive.len() {
        let mut file = archive
            .by_index(index)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        if file.is_dir() {
            continue;
        }
        let mut bytes = Vec::with_capacity(file.size() as usize);
        file.read_to_end(&mut bytes)
            .map_err(|error| format!("{}: {}: {error}", path.display(), file.name()))?;
        entries.insert(file.name().to_string(), bytes);
    }
    Ok(entries)
}

/// Writes files into a zip reproducibly: sorted by name, the zip epoch (1980-01-01) as every
/// time, mode 0755 for `bootstrap` and 0644 for the rest, deflated at level 9.
pub fn write_entries(path: &Path, entries: &BTreeMap<String, Vec<u8>>) -> Result<(), String> {
    let failed = |error: &dyn std::fmt::Display| format!("{}: {error}", path.display());
    let mut zip = ZipWriter::new(File::create(path).map_err(|error| failed(&error))?);
    for (name, bytes) in entries {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(9))
            .last_modified_time(DateTime::default())
            .unix_permissions(if name == BOOTSTRAP { 0o755 } else { 0o644 });
        zip.start_file(name.as_str(), options)
            .map_err(|error| failed(&error))?;
        zip.write_all(bytes).map_err(|error| failed(&error))?;
    }
    zip.finish().map_err(|error| failed(&error))?;
    Ok(())
}

/// Rewrites a zip in place, reproducibly (see [`write_entries`]).
pub fn normalize(path: &Path) -> Result<(), String> {
    let entries = read_entries(path)?;
    let temporary = path.with_extension("zip.tmp");
    write_entries(&temporary, &entries)?;
    std::fs::rename(&temporary, path).map_err(|error| format!("{}: {error}", path.display()))
}

/// A copy of the zip at `out` with one more file (or one replaced), written reproducibly.
pub fn add(path: &Path, out: &Path, name: &str, contents: &[u8]) -> Result<(), String> {
    let mut entries = read_entries(path)?;
    entries.insert(name.to_string(), contents.to_vec());
    write_entries(out, &entries)
}

/// Checks that the zip is a function Lambda accepts for `arch` (a `bootstrap` ELF executable of
/// that architecture at its root, the site beside it, within Lambda's size limits) and says
/// what it holds; else why not.
pub fn check(path: &Path, arch: &str) -> Result<ZipFacts, String> {
    let refuse = |reason: String| Err(format!("{}: {reason}", path.display()));
    let mut archive = open(path)?;
    let (mut unzipped_bytes, mut site_bytes, mut site_files, mut has_site) = (0, 0, 0, false);
    for index in 0..archive.len() {
        let file = archive
            .by_index(index)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        if file.is_dir() {
            continue;
        }
        unzipped_bytes += file.size();
        if file.name().starts_with("target/site/") {
            site_bytes += file.size();
            site_files += 1;
        }
        has_site |= file.name() == SITE_MARKER;
    }
    let (bootstrap, mode) = match archive.by_name(BOOTSTRAP) {
        Ok(mut file) => {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)
                .map_err(|error| format!("{}: bootstrap: {error}", path.display()))?;
            (bytes, file.unix_mode().unwrap_or(0))
        }
        Err(_) => return refuse("no `bootstrap` at the root of the zip".into()),
    };
    if !has_site {
        return refuse(format!("no {SITE_MARKER}: the site is not in the zip"));
    }
    let built_for = match elf_arch(&bootstrap) {
        None => return refuse("bootstrap is not an ELF executable".into()),
        Some(built_for) if built_for != arch => {
            return refuse(format!(
                "bootstrap is built for {built_for}, but {arch} is needed"
            ));
        }
        Some(built_for) => built_for,
    };
    if mode & 0o111 == 0 {
        return refuse(format!(
            "bootstrap is not executable in the zip (mode {:o})",
            mode & 0o777
        ));
    }
    let data = std::fs::read(path).map_err(|error| format!("{}: {error}", path.display()))?;
    let bytes = data.len() as u64;
    if bytes > ZIP_LIMIT_BYTES {
        return refuse(format!(
            "{bytes} bytes, over Lambda's 50 MB limit for a zip"
        ));
    }
    if unzipped_bytes > UNZIPPED_LIMIT_BYTES {
        return refuse(format!(
            "{unzipped_bytes} bytes unzipped, over Lambda's 250 MB limit"
        ));
    }
    let digest = Sha256::digest(&data);
    Ok(ZipFacts {
        sha256_hex: digest.iter().map(|byte| format!("{byte:02x}")).collect(),
        sha256_base64: base64::engine::general_purpose::STANDARD.encode(digest),
        bytes,
        unzipped_bytes,
        bootstrap_bytes: bootstrap.len() as u64,
        site_bytes,
        site_files,
        arch: built_for,
    })
}

fn open(path: &Path) -> Result<ZipArchive<File>, String> {
    let file = File::open(path).map_err(|error| format!("{}: {error}", path.display()))?;
    ZipArchive::new(file)
        .map_err(|error| format!("{}: not a readable zip: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of this test's own under the system's temporary directory.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("infra-zip-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The first 20 bytes of an ELF executable for `machine`.
    fn elf(machine: u16) -> Vec<u8> {
        let mut header = b"\x7fELF".to_vec();
        header.resize(18, 0);
        header.extend(machine.to_le_bytes());
        header.extend(b"rest of the binary");
        header
    }

    fn function_files(machine: u16) -> BTreeMap<String, Vec<u8>> {
        BTreeMap::from([
            (BOOTSTRAP.to_string(), elf(machine)),
            (SITE_MARKER.to_string(), b"abc".to_vec()),
            (
                "target/site/pkg/app.js".to_string(),
                b"console.log(1)".to_vec(),
            ),
        ])
    }

    #[test]
    fn a_function_zip_is_checked_and_described() {
        let dir = scratch("check");
        let zip = dir.join("f.zip");
        write_entries(&zip, &function_files(0xB7)).unwrap();
        let facts = check(&zip, "arm64").unwrap();
        assert_eq!(facts.arch, "arm64");
        assert_eq!((facts.site_files, facts.site_bytes), (2, 17));
        assert_eq!(facts.bootstrap_bytes, 38);
        assert_eq!(facts.unzipped_bytes, 55);
        assert_eq!(facts.bytes, std::fs::metadata(&zip).unwrap().len());
        assert_eq!(facts.sha256_hex.len(), 64);
        assert!(facts.shell_assignments().contains("ZIP_ARCH='arm64'\n"));
        let wrong = check(&zip, "x86_64").unwrap_err();
        assert!(
            wrong.ends_with("bootstrap is built for arm64, but x86_64 is needed"),
            "{wrong}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn what_lambda_would_refuse_is_refused_with_the_reason() {
        let dir = scratch("refuse");
        let zip = dir.join("f.zip");
        let refusal = |files: BTreeMap<String, Vec<u8>>| {
            write_entries(&zip, &files).unwrap();
            check(&zip, "x86_64").unwrap_err()
        };
        let mut no_bootstrap = function_files(0x3E);
        no_bootstrap.remove(BOOTSTRAP);
        assert!(refusal(no_bootstrap).contains("no `bootstrap` at the root"));
        let mut no_site = function_files(0x3E);
        no_site.remove(SITE_MARKER);
        assert!(refusal(no_site).contains("the site is not in the zip"));
        let mut not_elf = function_files(0x3E);
        not_elf.insert(BOOTSTRAP.into(), b"#!/bin/sh\necho hi\n".to_vec());
        assert!(refusal(not_elf).contains("not an ELF executable"));

        // Written by another tool without the executable bit.
        let mut writer = ZipWriter::new(File::create(&zip).unwrap());
        for (name, bytes) in function_files(0x3E) {
            writer
                .start_file(name, SimpleFileOptions::default().unix_permissions(0o644))
                .unwrap();
            writer.write_all(&bytes).unwrap();
        }
        writer.finish().unwrap();
        assert!(
            check(&zip, "x86_64")
                .unwrap_err()
                .contains("not executable in the zip (mode 644)")
        );

        std::fs::write(&zip, b"not a zip").unwrap();
        assert!(
            check(&zip, "x86_64")
                .unwrap_err()
                .contains("not a readable zip")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn normalizing_gives_the_same_bytes_whatever_the_order_and_times_were() {
        let dir = scratch("normalize");
        let (first, second) = (dir.join("a.zip"), dir.join("b.zip"));
        for (path, reversed) in [(&first, false), (&second, true)] {
            let mut writer = ZipWriter::new(File::create(path).unwrap());
            let mut files: Vec<_> = function_files(0x3E).into_iter().collect();
            if reversed {
                files.reverse();
            }
            for (name, bytes) in files {
                let time = DateTime::from_date_and_time(2020 + reversed as u16, 5, 6, 7, 8, 10);
                writer
                    .start_file(
                        name,
                        SimpleFileOptions::default().last_modified_time(time.unwrap()),
                    )
                    .unwrap();
                writer.write_all(&bytes).unwrap();
            }
            writer.finish().unwrap();
        }
        assert_ne!(
            std::fs::read(&first).unwrap(),
            std::fs::read(&second).unwrap()
        );
        normalize(&first).unwrap();
        normalize(&second).unwrap();
        assert_eq!(
            std::fs::read(&first).unwrap(),
            std::fs::read(&second).unwrap()
        );
        assert_eq!(read_entries(&first).unwrap(), function_files(0x3E));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_is_added_to_a_copy() {
        let dir = scratch("add");
        let (zip, out) = (dir.join("f.zip"), dir.join("g.zip"));
        write_entries(&zip, &function_files(0x3E)).unwrap();
        add(&zip, &out, "target/site/marker.txt", b"v2").unwrap();
        let entries = read_entries(&out).unwrap();
        assert_eq!(entries["target/site/marker.txt"], b"v2");
        assert_eq!(entries.len(), 4);
        assert_eq!(
            read_entries(&zip).unwrap().len(),
            3,
            "the original is untouched"
        );
        assert_eq!(check(&out, "x86_64").unwrap().site_files, 3);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
