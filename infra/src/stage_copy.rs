//! Copies of a stage file with some values replaced: what the deploy rehearsal and the
//! MiniStack seed deploy instead of the owner's file (emulator ids in, a setting changed, a
//! value removed to provoke an error). Every value not named is copied, so the stage file stays
//! the one source of truth; the copy need not be valid, since some are made to be refused.

use toml::{Table, Value};

/// One change: `key` is dotted (`network.subnet_ids`).
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Set the key to a TOML value (`64`, `true`, `"text"`, `["a", "b"]`).
    Set(String, Value),
    /// Remove the key.
    Unset(String),
}

impl Change {
    /// Parses `key=value`, the value written as in TOML (JSON strings, numbers, booleans and
    /// arrays are TOML too).
    pub fn parse_set(assignment: &str) -> Result<Self, String> {
        let (key, raw) = assignment
            .split_once('=')
            .ok_or_else(|| format!("--set wants KEY=VALUE, got {assignment:?}"))?;
        let document: Table = format!("value = {raw}")
            .parse()
            .map_err(|_| format!("--set {key}: {raw:?} is not a TOML value (text needs quotes)"))?;
        let value = document
            .get("value")
            .cloned()
            .expect("parsed from `value = ...`");
        Ok(Change::Set(key.to_string(), value))
    }
}

/// The stage file's text with the changes applied, under a header naming its source.
pub fn copy_with_changes(
    source: &str,
    source_name: &str,
    changes: &[Change],
) -> Result<String, String> {
    let mut settings: Table = source
        .parse()
        .map_err(|error| format!("{source_name} is not valid TOML: {error}"))?;
    for change in changes {
        let key = match change {
            Change::Set(key, _) | Change::Unset(key) => key,
        };
        let mut parts: Vec<&str> = key.split('.').collect();
        let leaf = parts
            .pop()
            .filter(|leaf| !leaf.is_empty())
            .ok_or_else(|| format!("empty key in {key:?}"))?;
        let mut table = &mut settings;
        for part in parts {
            let entry = table
                .entry(part.to_string())
                .or_insert_with(|| Value::Table(Table::new()));
            table = entry
                .as_table_mut()
                .ok_or_else(|| format!("{key}: {part} is not a table in {source_name}"))?;
        }
        match change {
            Change::Set(_, value) => {
                table.insert(leaf.to_string(), value.clone());
            }
            Change::Unset(_) => {
                table.remove(leaf);
            }
        }
    }
    let changed: Vec<&str> = changes
        .iter()
        .map(|change| match change {
            Change::Set(key, _) | Change::Unset(key) => key.as_str(),
        })
        .collect();
    let body = toml::to_string(&settings).map_err(|error| error.to_string())?;
    Ok(format!(
        "# GENERATED from {source_name}; replaced: {}.\n# Do not edit: edit the source instead.\n\n{body}",
        if changed.is_empty() {
            "nothing".to_string()
        } else {
            changed.join(", ")
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "# a comment\nregion = \"eu-west-1\"\n\n[function]\nmemory_mb = 512\n";

    fn copy(changes: &[Change]) -> Table {
        copy_with_changes(SOURCE, "migrate.toml", changes)
            .unwrap()
            .parse()
            .unwrap()
    }

    #[test]
    fn named_values_change_and_the_rest_is_copied() {
        let copied = copy(&[
            Change::parse_set("function.memory_mb=64").unwrap(),
            Change::parse_set("network.subnet_ids=[\"subnet-a\", \"subnet-b\"]").unwrap(),
            Change::parse_set("certificate_arn=\"arn:aws:acm:x\"").unwrap(),
        ]);
        assert_eq!(copied["region"].as_str(), Some("eu-west-1"));
        assert_eq!(copied["function"]["memory_mb"].as_integer(), Some(64));
        assert_eq!(copied["network"]["subnet_ids"].as_array().unwrap().len(), 2);
        assert_eq!(copied["certificate_arn"].as_str(), Some("arn:aws:acm:x"));
    }

    #[test]
    fn unset_removes_a_key_and_the_header_names_the_changes() {
        let text =
            copy_with_changes(SOURCE, "migrate.toml", &[Change::Unset("region".into())]).unwrap();
        assert!(
            text.starts_with("# GENERATED from migrate.toml; replaced: region."),
            "{text}"
        );
        let copied: Table = text.parse().unwrap();
        assert!(copied.get("region").is_none());
        assert_eq!(copied["function"]["memory_mb"].as_integer(), Some(512));
    }

    #[test]
    fn bad_changes_are_named() {
        assert!(
            Change::parse_set("region")
                .unwrap_err()
                .contains("KEY=VALUE")
        );
        assert!(
            Change::parse_set("region=eu-west-1")
                .unwrap_err()
                .contains("text needs quotes")
        );
        let error = copy_with_changes(
            SOURCE,
            "migrate.toml",
            &[Change::parse_set("region.x=1").unwrap()],
        )
        .unwrap_err();
        assert!(error.contains("region is not a table"), "{error}");
        assert!(
            copy_with_changes("x = ", "bad.toml", &[])
                .unwrap_err()
                .contains("bad.toml is not valid TOML")
        );
    }
}
