//! Releases: each deploy publishes an immutable Lambda version behind the alias the load
//! balancer invokes; the stack retains the versions it replaces, and the deploy prunes them
//! to the last few so that a recent release can be put back.

/// Published versions a stage keeps besides those an alias points at.
pub const VERSIONS_KEPT: usize = 5;

/// The published versions to delete: all but the newest `keep` and those in `aliased`.
/// Both lists are as the AWS CLI's text output gives them (separated by spaces, tabs or
/// newlines); `$LATEST` and anything else that is not a version number is never named.
pub fn versions_to_prune(versions: &str, aliased: &str, keep: usize) -> Vec<u64> {
    let numbers = |list: &str| -> Vec<u64> {
        list.split([' ', '\t', '\n', ','])
            .filter_map(|version| version.trim().parse().ok())
            .collect()
    };
    let aliased = numbers(aliased);
    let mut published = numbers(versions);
    published.sort_unstable();
    published.dedup();
    let old = published.len().saturating_sub(keep);
    published
        .into_iter()
        .take(old)
        .filter(|version| !aliased.contains(version))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_are_kept_and_latest_is_never_named() {
        assert_eq!(
            versions_to_prune("$LATEST\t1\t2\t3\t4\t5\t6\t7", "7", 5),
            [1, 2]
        );
        assert_eq!(versions_to_prune("$LATEST 1 2", "2", 5), Vec::<u64>::new());
        assert_eq!(versions_to_prune("", "", 5), Vec::<u64>::new());
    }

    #[test]
    fn an_aliased_version_is_kept_however_old() {
        assert_eq!(versions_to_prune("1 2 3 4", "1", 2), [2]);
        assert_eq!(versions_to_prune("1 2 3 4", "1\t2", 0), [3, 4]);
    }

    #[test]
    fn versions_are_ordered_as_numbers_not_text() {
        assert_eq!(versions_to_prune("10 9 11 2", "11", 2), [2, 9]);
    }
}
