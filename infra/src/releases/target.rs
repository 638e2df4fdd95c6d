//! Which release a rollback puts back. A rollback deploys the chosen zip again (a new version
//! with that code and the stage file's current configuration), so a second rollback without
//! `--to` undoes the first, as it does on most hosting platforms.

use super::{Release, Releases, short};

/// Digits of a sha256 `--to` needs at least, so that it is not read as a version number.
pub const MIN_SHA_PREFIX: usize = 7;

/// The release a rollback deploys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The zip's sha256 (its key in the artifact bucket is `<stack>/<sha256>.zip`).
    pub sha256: String,
    /// What changes, in a line: from which version and code to which.
    pub summary: String,
}

/// The release to put back: `to` is a version number, or at least [`MIN_SHA_PREFIX`] hex
/// digits of a zip's sha256 (a kept version's or a zip's in the bucket); without it, the
/// newest release older than the serving one whose code differs.
pub fn rollback_target(releases: &Releases, to: Option<&str>) -> Result<Choice, String> {
    let serving = releases.serving.as_ref().ok_or(
        "the function has no `live` alias: nothing was deployed by scripts/deploy.sh since \
         releases began, so there is no release to go back from",
    )?;
    let current = releases.version(serving.version);
    let current_sha = current.and_then(|release| release.sha256.as_deref());
    let from = match current_sha {
        Some(sha) => format!("version {} (code {})", serving.version, short(sha)),
        None => format!("version {}", serving.version),
    };
    if !serving.weights.is_empty() {
        return Err(format!(
            "the `live` alias splits traffic between version {} and {} (a canary is running): \
             let it finish, then roll back",
            serving.version,
            serving
                .weights
                .iter()
                .map(|(version, _)| version.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    // While a canary bakes, a rollback without --to ends it: the serving code is deployed
    // again, so the version on trial takes no traffic and the serving one all of it.
    if let (Some(canary), None) = (releases.canary, to) {
        let sha = current_sha.ok_or_else(|| {
            format!(
                "a canary of version {canary} is baking, but the serving {from} names no zip to \
                 deploy again; end the canary with scripts/deploy.sh"
            )
        })?;
        return Ok(Choice {
            sha256: sha.to_string(),
            summary: format!(
                "the canary of version {canary} ends: the code of the serving {from} is deployed \
                 again and takes every request"
            ),
        });
    }
    let described = |release: &Release, sha: &str| {
        format!(
            "version {} (code {}, published {})",
            release.version,
            short(sha),
            release.published
        )
    };
    let (sha256, to_text) = match to.map(str::trim) {
        None => releases
            .releases
            .iter()
            .rev()
            .filter(|release| release.version < serving.version)
            .find_map(|release| {
                let sha = release.sha256.as_deref()?;
                (Some(sha) != current_sha).then(|| (sha.to_string(), described(release, sha)))
            })
            .ok_or_else(|| {
                format!(
                    "no release older than the serving {from} with other code is kept: nothing \
                     to roll back to. scripts/releases.sh lists what there is; --to SHA256 puts \
                     back a zip still in the artifact bucket"
                )
            })?,
        Some(number) if is_version_number(number) => {
            let version: u64 = number
                .parse()
                .map_err(|_| format!("--to {number}: not a version number"))?;
            let release = releases.version(version).ok_or_else(|| {
                format!(
                    "--to {version}: version {version} is not kept (deploys keep the last {} \
                     and delete older ones); scripts/releases.sh lists what there is",
                    super::VERSIONS_KEPT
                )
            })?;
            let sha = release.sha256.as_deref().ok_or_else(|| {
                format!(
                    "--to {version}: version {version} was not published by scripts/deploy.sh \
                     (its description names no zip), so its code cannot be deployed again"
                )
            })?;
            (sha.to_string(), described(release, sha))
        }
        Some(prefix) => {
            let prefix = prefix.to_ascii_lowercase();
            if prefix.len() < MIN_SHA_PREFIX || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "--to takes a version number or at least {MIN_SHA_PREFIX} hex digits of a \
                     zip's sha256 (scripts/releases.sh lists both), not {prefix:?}"
                ));
            }
            let mut matches: Vec<&str> = releases
                .releases
                .iter()
                .filter_map(|release| release.sha256.as_deref())
                .chain(releases.zips.iter().map(|zip| zip.sha256.as_str()))
                .filter(|sha| sha.starts_with(&prefix))
                .collect();
            matches.sort_unstable();
            matches.dedup();
            match matches[..] {
                [sha] => {
                    let newest = releases
                        .releases
                        .iter()
                        .rev()
                        .find(|release| release.sha256.as_deref() == Some(sha));
                    let text = match newest {
                        Some(release) => described(release, sha),
                        None => format!("the zip {} from the artifact bucket", short(sha)),
                    };
                    (sha.to_string(), text)
                }
                [] => {
                    return Err(format!(
                        "--to {prefix}: no kept version and no zip in the artifact bucket has a \
                         sha256 starting so; scripts/releases.sh lists them"
                    ));
                }
                _ => {
                    return Err(format!(
                        "--to {prefix}: more than one release matches ({}); give more digits",
                        matches
                            .iter()
                            .map(|sha| short(sha))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
    };
    if Some(sha256.as_str()) == current_sha {
        return Err(format!(
            "{to_text} runs the code that serves now ({from}): nothing to roll back"
        ));
    }
    Ok(Choice {
        summary: format!("{from} → the code of {to_text}"),
        sha256,
    })
}

/// Whether `--to` names a version: digits only, fewer than a sha256 prefix needs.
fn is_version_number(text: &str) -> bool {
    !text.is_empty() && text.len() < MIN_SHA_PREFIX && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{listings, sha};
    use super::*;

    #[test]
    fn by_default_the_newest_older_release_with_other_code() {
        // 4 re-published 3's code with new configuration: not a rollback target from 4.
        let releases = listings(
            &[
                (1, Some('a')),
                (2, Some('b')),
                (3, Some('c')),
                (4, Some('c')),
            ],
            4,
            &[],
        );
        let choice = rollback_target(&releases, None).unwrap();
        assert_eq!(choice.sha256, sha('b'));
        assert!(
            choice.summary.starts_with(
                "version 4 (code cccccccccccc) → the code of version 2 (code bbbbbbbbbbbb"
            ),
            "{}",
            choice.summary
        );
    }

    #[test]
    fn during_a_canary_the_default_rollback_ends_it_with_the_serving_code() {
        let releases = super::super::tests::with_canary(2, 3);
        let choice = rollback_target(&releases, None).unwrap();
        assert_eq!(choice.sha256, sha('c'), "version 2's code");
        assert!(
            choice.summary.contains("the canary of version 3 ends"),
            "{}",
            choice.summary
        );
        // An explicit --to still goes where it says.
        let explicit = rollback_target(&releases, Some("1")).unwrap();
        assert_eq!(explicit.sha256, sha('b'));
    }

    #[test]
    fn a_second_rollback_undoes_the_first() {
        // 3 was bad; the rollback published 4 with 2's code.
        let releases = listings(&[(2, Some('b')), (3, Some('c')), (4, Some('b'))], 4, &[]);
        assert_eq!(rollback_target(&releases, None).unwrap().sha256, sha('c'));
    }

    #[test]
    fn to_a_version_or_a_sha_prefix_in_versions_or_the_bucket() {
        let releases = listings(&[(1, Some('a')), (2, Some('b')), (3, Some('c'))], 3, &[]);
        assert_eq!(
            rollback_target(&releases, Some("1")).unwrap().sha256,
            sha('a')
        );
        assert_eq!(
            rollback_target(&releases, Some("BBBBBBB")).unwrap().sha256,
            sha('b')
        );
        let from_bucket = rollback_target(&releases, Some("fffffff")).unwrap();
        assert_eq!(from_bucket.sha256, sha('f'));
        assert!(
            from_bucket
                .summary
                .ends_with("the zip ffffffffffff from the artifact bucket"),
            "{}",
            from_bucket.summary
        );
        // Seven digits are a sha prefix even when they are all digits.
        let digits = listings(&[(1, Some('1')), (2, Some('2'))], 2, &[]);
        assert_eq!(
            rollback_target(&digits, Some("1111111")).unwrap().sha256,
            sha('1')
        );
    }

    #[test]
    fn what_cannot_be_rolled_back_to_says_why() {
        let releases = listings(&[(1, None), (2, Some('a')), (3, Some('b'))], 3, &[]);
        for (to, message) in [
            (Some("9"), "version 9 is not kept"),
            (Some("1"), "was not published by scripts/deploy.sh"),
            (Some("3"), "runs the code that serves now"),
            (Some("abc"), "at least 7 hex digits"),
            (Some("xyz1234567"), "at least 7 hex digits"),
            (Some("1234567"), "no kept version and no zip"),
        ] {
            let error = rollback_target(&releases, to).unwrap_err();
            assert!(error.contains(message), "{to:?}: {error}");
        }
        let first = listings(&[(1, Some('a'))], 1, &[]);
        assert!(
            rollback_target(&first, None)
                .unwrap_err()
                .contains("nothing to roll back to")
        );
        let canary = listings(&[(1, Some('a')), (2, Some('b'))], 1, &[(2, 0.1)]);
        assert!(
            rollback_target(&canary, None)
                .unwrap_err()
                .contains("a canary is running")
        );
        let none = crate::releases::Releases::default();
        assert!(
            rollback_target(&none, None)
                .unwrap_err()
                .contains("no `live` alias")
        );
    }

    #[test]
    fn an_ambiguous_prefix_lists_the_candidates() {
        let mut releases = listings(&[(1, Some('a')), (2, Some('b'))], 2, &[]);
        releases.releases[0].sha256 = Some(format!("abcdef0{}", "1".repeat(57)));
        releases.zips[0].sha256 = format!("abcdef0{}", "2".repeat(57));
        let error = rollback_target(&releases, Some("abcdef0")).unwrap_err();
        assert!(
            error.contains("more than one release matches (abcdef011111, abcdef022222)"),
            "{error}"
        );
    }
}
