//! The listing `scripts/releases.sh` prints: the kept versions newest first with their code,
//! configuration and share of traffic, then the zips in the bucket no kept version runs.

use std::fmt::Write as _;

use super::{Releases, short};
use crate::resources::function::{CANARY_ALIAS, LIVE_ALIAS};

/// The share of the `live` alias's traffic a version takes, if any, as text; a canary's says
/// so (its share is the load balancer's weight, which the deploy baking it prints).
fn traffic(releases: &Releases, version: u64) -> String {
    if releases.canary == Some(version) {
        return format!("{CANARY_ALIAS}: baking");
    }
    let Some(serving) = &releases.serving else {
        return String::new();
    };
    let others: f64 = serving.weights.iter().map(|(_, weight)| weight).sum();
    let share = if serving.version == version {
        1.0 - others
    } else if let Some((_, weight)) = serving.weights.iter().find(|(other, _)| *other == version) {
        *weight
    } else {
        return String::new();
    };
    format!("{LIVE_ALIAS}: {} %", (share * 1000.0).round() / 10.0)
}

/// The table, ready to print.
pub fn table(releases: &Releases) -> String {
    let mut out = String::new();
    if releases.releases.is_empty() {
        out.push_str("no published versions: the stage has not been deployed with releases yet\n");
    } else {
        let _ = writeln!(
            out,
            "{:>8}  {:<30}  {:<12}  {:<12}  traffic",
            "version", "published", "code", "config"
        );
        for release in releases.releases.iter().rev() {
            let code = release.sha256.as_deref().map_or("(by hand)", short);
            let line = format!(
                "{:>8}  {:<30}  {:<12}  {:<12}  {}",
                release.version,
                release.published,
                code,
                release.config.as_deref().unwrap_or(""),
                traffic(releases, release.version)
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    let unkept: Vec<_> = releases
        .zips
        .iter()
        .filter(|zip| {
            !releases
                .releases
                .iter()
                .any(|release| release.sha256.as_deref() == Some(zip.sha256.as_str()))
        })
        .collect();
    if !unkept.is_empty() {
        out.push_str("\nzips in the artifact bucket that no kept version runs (rollback.sh --to SHA deploys one):\n");
        for zip in unkept.iter().rev() {
            let _ = writeln!(
                out,
                "  {}  uploaded {}  {:.2} MiB",
                short(&zip.sha256),
                zip.uploaded,
                zip.bytes as f64 / 1_048_576.0
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::listings;
    use super::*;

    #[test]
    fn newest_first_with_the_serving_share_and_the_unkept_zips() {
        let releases = listings(&[(1, Some('a')), (2, None), (3, Some('b'))], 3, &[]);
        let text = table(&releases);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].trim_start().starts_with("version"), "{text}");
        assert!(
            lines[1].trim_start().starts_with("3 ")
                && lines[1].contains("bbbbbbbbbbbb")
                && lines[1].ends_with("live: 100 %"),
            "{text}"
        );
        assert!(
            lines[2].contains("(by hand)") && !lines[2].contains("live"),
            "{text}"
        );
        assert!(
            lines[3].trim_start().starts_with("1 ") && lines[3].ends_with("0123456789ab"),
            "{text}"
        );
        assert!(
            text.contains("ffffffffffff  uploaded 2026-11-01T00:00:00.000Z  3.34 MiB"),
            "{text}"
        );
    }

    #[test]
    fn a_baking_canary_is_marked_beside_the_live_version() {
        let text = table(&super::super::tests::with_canary(2, 3));
        let line = |version: &str| {
            text.lines()
                .find(|line| line.trim_start().starts_with(version))
                .unwrap_or_default()
                .to_string()
        };
        assert!(line("3 ").ends_with("canary: baking"), "{text}");
        assert!(line("2 ").ends_with("live: 100 %"), "{text}");
        assert!(
            !line("1 ").contains("canary") && !line("1 ").contains("live"),
            "{text}"
        );
    }

    #[test]
    fn a_canary_shows_both_shares() {
        let text = table(&listings(&[(1, Some('a')), (2, Some('b'))], 1, &[(2, 0.1)]));
        assert!(
            text.lines()
                .any(|line| line.trim_start().starts_with("2 ") && line.ends_with("live: 10 %")),
            "{text}"
        );
        assert!(
            text.lines()
                .any(|line| line.trim_start().starts_with("1 ") && line.ends_with("live: 90 %")),
            "{text}"
        );
    }

    #[test]
    fn nothing_published_says_so() {
        assert!(table(&Releases::default()).starts_with("no published versions"));
    }
}
