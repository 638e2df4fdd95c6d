//! Releases: each deploy that changes the code or its configuration publishes an immutable
//! Lambda version behind the alias the load balancer invokes; the stack retains the versions
//! it replaces, and the deploy prunes them to the last few so that a recent release can be put
//! back. The zips stay in the artifact bucket under their sha256.
//!
//! The scripts hand `infra releases …` what the AWS CLI lists (versions, aliases, the bucket's
//! zips, as JSON files), and it decides:
//! - [`Releases`]: those listings read into releases, what serves now, and the zips.
//! - [`target`]: which release a rollback puts back (`--to` a version or a sha256 prefix).
//! - [`table`]: the listing `scripts/releases.sh` prints.

pub mod table;
pub mod target;

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use crate::cli::subcommand::{self, Group};
use crate::describe::shell_quote;
use crate::resources::function::{CANARY_ALIAS, LIVE_ALIAS};

/// Published versions a stage keeps besides those an alias points at.
pub const VERSIONS_KEPT: usize = 5;

/// `infra releases` help.
pub const USAGE: &str = "\
usage: infra releases <command> --versions FILE --aliases FILE [options]

  FILE: the AWS CLI's JSON output of `lambda list-versions-by-function` (--versions),
  `lambda list-aliases` (--aliases) and `s3api list-objects-v2` over the stage's artifacts
  (--zips; an empty file is no zips).

  list [--zips FILE]              the releases kept, newest first, what serves now, and the zips
                                  in the bucket with no version kept
  rollback-target [--zips FILE] [--to VERSION|SHA256-PREFIX]
                                  the release a rollback puts back (default: the newest older
                                  one whose code differs from the serving one), as
                                  RELEASE_SHA256='…' and RELEASE_SUMMARY='…' lines
  prune                           the versions a deploy deletes, one per line: all but the
                                  newest few and those an alias points at";

/// What `infra releases` accepts.
const GROUP: Group = Group {
    name: "releases",
    usage: USAGE,
    commands: &[
        ("list", &["zips"]),
        ("rollback-target", &["zips", "to"]),
        ("prune", &[]),
    ],
    common: &["versions", "aliases"],
    bare: &[],
    repeated: &[],
};

/// One published version of the function.
#[derive(Clone, Debug, PartialEq)]
pub struct Release {
    /// Its version number.
    pub version: u64,
    /// The zip's sha256, from the description deploy.sh gave it (`<stack>/<sha256>.zip config
    /// <digest>`); `None` for a version published some other way.
    pub sha256: Option<String>,
    /// The digest of its versioned configuration, from the same description.
    pub config: Option<String>,
    /// When Lambda last modified the function before publishing it, as Lambda gives it.
    pub published: String,
}

/// A zip in the artifact bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredZip {
    /// Its sha256, from its key.
    pub sha256: String,
    /// When it was uploaded, as S3 gives it.
    pub uploaded: String,
    /// Its size.
    pub bytes: u64,
}

/// What the alias the load balancer invokes points at.
#[derive(Clone, Debug, PartialEq)]
pub struct Serving {
    /// The version taking the traffic the weights leave.
    pub version: u64,
    /// Other versions with their share of traffic (0 to 1), from the alias's routing config.
    pub weights: Vec<(u64, f64)>,
}

/// A function's releases, read from the AWS CLI's listings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Releases {
    /// The published versions, oldest first (`$LATEST` is not one).
    pub releases: Vec<Release>,
    /// What the `live` alias points at; `None` before the first deploy that made it.
    pub serving: Option<Serving>,
    /// The version the `canary` alias points at while a canary bakes (when it differs from
    /// the `live` alias's; between canaries the two are the same).
    pub canary: Option<u64>,
    /// Every version an alias points at, with or without a weight.
    pub aliased: Vec<u64>,
    /// The zips in the artifact bucket, oldest upload first.
    pub zips: Vec<StoredZip>,
}

/// The first 12 digits of a sha256: enough to tell releases apart in a message or a table.
pub fn short(sha256: &str) -> &str {
    &sha256[..sha256.len().min(12)]
}

/// The sha256 a content-addressed key names: `<prefix>/<64 hex>.zip`.
pub fn sha256_of_key(key: &str) -> Option<String> {
    let name = key.rsplit('/').next()?;
    let sha = name.strip_suffix(".zip")?;
    (sha.len() == 64 && sha.bytes().all(|byte| byte.is_ascii_hexdigit()))
        .then(|| sha.to_ascii_lowercase())
}

/// A text field of a listing entry ("" when absent).
fn field(entry: &Value, name: &str) -> String {
    match &entry[name] {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl Releases {
    /// Reads the listings; `zips` is `Value::Null` when the bucket was not listed.
    pub fn from_listings(versions: &Value, aliases: &Value, zips: &Value) -> Result<Self, String> {
        let entries = |listing: &Value, key: &str, what: &str| -> Result<Vec<Value>, String> {
            match &listing[key] {
                Value::Array(entries) => Ok(entries.clone()),
                Value::Null => Ok(Vec::new()),
                _ => Err(format!("{what}: `{key}` is not a list")),
            }
        };
        let mut releases: Vec<Release> = entries(versions, "Versions", "the versions")?
            .iter()
            .filter_map(|entry| {
                let version = field(entry, "Version").parse().ok()?;
                let description = field(entry, "Description");
                let (key, config) = description
                    .split_once(" config ")
                    .map_or((description.as_str(), None), |(key, config)| {
                        (key, Some(config.trim().to_string()))
                    });
                let sha256 = sha256_of_key(key.trim());
                Some(Release {
                    version,
                    config: config.filter(|_| sha256.is_some()),
                    sha256,
                    published: field(entry, "LastModified"),
                })
            })
            .collect();
        releases.sort_by_key(|release| release.version);
        releases.dedup_by_key(|release| release.version);

        let mut serving = None;
        let mut canary = None;
        let mut aliased = Vec::new();
        for alias in entries(aliases, "Aliases", "the aliases")? {
            let Ok(version) = field(&alias, "FunctionVersion").parse::<u64>() else {
                continue;
            };
            let mut weights: Vec<(u64, f64)> = alias["RoutingConfig"]["AdditionalVersionWeights"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(other, weight)| Some((other.parse().ok()?, weight.as_f64()?)))
                .collect();
            weights.sort_by_key(|(other, _)| *other);
            aliased.push(version);
            aliased.extend(weights.iter().map(|(other, _)| *other));
            match field(&alias, "Name").as_str() {
                LIVE_ALIAS => serving = Some(Serving { version, weights }),
                CANARY_ALIAS => canary = Some(version),
                _ => {}
            }
        }
        aliased.sort_unstable();
        aliased.dedup();
        let canary = canary.filter(|version| {
            serving
                .as_ref()
                .is_some_and(|serving: &Serving| serving.version != *version)
        });

        let mut stored: Vec<StoredZip> = entries(zips, "Contents", "the zips")?
            .iter()
            .filter_map(|object| {
                Some(StoredZip {
                    sha256: sha256_of_key(&field(object, "Key"))?,
                    uploaded: field(object, "LastModified"),
                    bytes: object["Size"].as_u64().unwrap_or(0),
                })
            })
            .collect();
        stored.sort_by(|a, b| a.uploaded.cmp(&b.uploaded));
        Ok(Releases {
            releases,
            serving,
            canary,
            aliased,
            zips: stored,
        })
    }

    /// Reads the listings from the files the AWS CLI wrote (`zips` optional; an empty file is
    /// an empty listing, as some CLI versions print nothing for an empty bucket).
    pub fn from_files(
        versions: &Path,
        aliases: &Path,
        zips: Option<&Path>,
    ) -> Result<Self, String> {
        let read = |path: &Path| -> Result<Value, String> {
            let text = std::fs::read_to_string(path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            serde_json::from_str(&text)
                .map_err(|error| format!("{} is not the AWS CLI's JSON: {error}", path.display()))
        };
        Self::from_listings(
            &read(versions)?,
            &read(aliases)?,
            &zips.map(read).transpose()?.unwrap_or(Value::Null),
        )
    }

    /// The release with this version number.
    pub fn version(&self, version: u64) -> Option<&Release> {
        self.releases
            .iter()
            .find(|release| release.version == version)
    }

    /// The published versions to delete: all but the newest `keep` and those an alias points
    /// at.
    pub fn to_prune(&self, keep: usize) -> Vec<u64> {
        let old = self.releases.len().saturating_sub(keep);
        self.releases
            .iter()
            .take(old)
            .map(|release| release.version)
            .filter(|version| !self.aliased.contains(version))
            .collect()
    }
}

/// Runs `infra releases …` (the arguments after `releases`), writing results to `out`.
pub fn run(args: &[String], out: &mut dyn Write) -> Result<(), String> {
    let invocation = subcommand::parse(&GROUP, args)?;
    let releases = Releases::from_files(
        Path::new(invocation.required("versions")?),
        Path::new(invocation.required("aliases")?),
        invocation.get("zips").map(Path::new),
    )?;
    let text = match invocation.command.as_str() {
        "list" => table::table(&releases),
        "rollback-target" => {
            let choice = target::rollback_target(&releases, invocation.get("to"))?;
            format!(
                "RELEASE_SHA256={}\nRELEASE_SUMMARY={}\n",
                shell_quote(&choice.sha256),
                shell_quote(&choice.summary)
            )
        }
        _ => releases
            .to_prune(VERSIONS_KEPT)
            .iter()
            .map(|version| format!("{version}\n"))
            .collect(),
    };
    out.write_all(text.as_bytes())
        .map_err(|error| format!("cannot write: {error}"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// A sha256 made of one repeated hex digit.
    pub fn sha(digit: char) -> String {
        digit.to_string().repeat(64)
    }

    /// Listings as the AWS CLI gives them: versions with the given code digits (`None` for a
    /// version published by hand), `live` on `serving` with optional weights.
    pub fn listings(
        codes: &[(u64, Option<char>)],
        serving: u64,
        weights: &[(u64, f64)],
    ) -> Releases {
        let mut versions =
            vec![json!({"Version": "$LATEST", "Description": "", "LastModified": "now"})];
        for (version, code) in codes {
            let description = match code {
                Some(digit) => format!("site-migrate/{}.zip config 0123456789ab", sha(*digit)),
                None => "made by hand".to_string(),
            };
            versions.push(json!({
                "Version": version.to_string(),
                "Description": description,
                "LastModified": format!("2026-12-0{version}T10:00:00.000+0000"),
            }));
        }
        let weights: serde_json::Map<String, Value> = weights
            .iter()
            .map(|(version, weight)| (version.to_string(), json!(weight)))
            .collect();
        let aliases = json!({"Aliases": [{
            "Name": LIVE_ALIAS,
            "FunctionVersion": serving.to_string(),
            "RoutingConfig": {"AdditionalVersionWeights": weights},
        }]});
        let zips = json!({"Contents": [
            {"Key": format!("site-migrate/{}.zip", sha('f')), "LastModified": "2026-11-01T00:00:00.000Z", "Size": 3_500_000},
            {"Key": "site-migrate/templates/abc.json", "LastModified": "2026-11-02T00:00:00.000Z", "Size": 10},
        ]});
        Releases::from_listings(&json!({"Versions": versions}), &aliases, &zips).unwrap()
    }

    /// Listings with the `live` alias on `live` and the `canary` alias on `canary`.
    pub fn with_canary(live: u64, canary: u64) -> Releases {
        let versions: Vec<Value> = (1..=3)
            .map(|version| {
                json!({
                    "Version": version.to_string(),
                    "Description": format!("site-migrate/{}.zip config 0123456789ab", sha(char::from(b'a' + version as u8))),
                    "LastModified": "2026-12-01T10:00:00.000+0000",
                })
            })
            .collect();
        let aliases = json!({"Aliases": [
            {"Name": LIVE_ALIAS, "FunctionVersion": live.to_string()},
            {"Name": CANARY_ALIAS, "FunctionVersion": canary.to_string()},
        ]});
        Releases::from_listings(&json!({"Versions": versions}), &aliases, &Value::Null).unwrap()
    }

    #[test]
    fn the_canary_alias_is_a_canary_only_while_it_differs_from_live() {
        let baking = with_canary(2, 3);
        assert_eq!(baking.canary, Some(3));
        assert_eq!(
            baking.serving.as_ref().map(|serving| serving.version),
            Some(2)
        );
        assert_eq!(baking.aliased, vec![2, 3]);
        assert_eq!(
            baking.to_prune(0),
            vec![1],
            "a baking canary is never pruned"
        );
        let idle = with_canary(2, 2);
        assert_eq!(idle.canary, None);
        assert_eq!(idle.aliased, vec![2]);
    }

    #[test]
    fn descriptions_give_the_code_and_config_and_latest_is_not_a_release() {
        let releases = listings(&[(2, Some('b')), (1, Some('a')), (3, None)], 2, &[(3, 0.1)]);
        let numbers: Vec<u64> = releases.releases.iter().map(|r| r.version).collect();
        assert_eq!(numbers, [1, 2, 3]);
        assert_eq!(releases.version(1).unwrap().sha256, Some(sha('a')));
        assert_eq!(
            releases.version(1).unwrap().config.as_deref(),
            Some("0123456789ab")
        );
        assert_eq!(releases.version(3).unwrap().sha256, None);
        assert_eq!(
            releases.serving,
            Some(Serving {
                version: 2,
                weights: vec![(3, 0.1)]
            })
        );
        assert_eq!(releases.aliased, [2, 3]);
        assert_eq!(releases.zips.len(), 1, "the template is not a zip");
        assert_eq!(releases.zips[0].sha256, sha('f'));
    }

    #[test]
    fn empty_and_malformed_listings() {
        let empty = Releases::from_listings(&Value::Null, &Value::Null, &Value::Null).unwrap();
        assert_eq!(empty, Releases::default());
        let error = Releases::from_listings(&json!({"Versions": 3}), &Value::Null, &Value::Null)
            .unwrap_err();
        assert!(error.contains("`Versions` is not a list"), "{error}");
    }

    #[test]
    fn the_newest_are_kept_and_an_aliased_version_however_old() {
        let codes: Vec<(u64, Option<char>)> = (1..=7).map(|v| (v, Some('a'))).collect();
        assert_eq!(listings(&codes, 7, &[]).to_prune(5), [1, 2]);
        assert_eq!(listings(&codes, 1, &[]).to_prune(5), [2]);
        assert_eq!(listings(&codes, 7, &[(2, 0.1)]).to_prune(5), [1]);
        assert_eq!(listings(&codes[..2], 2, &[]).to_prune(5), Vec::<u64>::new());
    }

    #[test]
    fn versions_are_ordered_as_numbers_not_text() {
        let releases = listings(&[(10, Some('a')), (9, Some('a')), (2, Some('a'))], 10, &[]);
        assert_eq!(releases.to_prune(1), [2, 9]);
    }

    #[test]
    fn keys_name_their_sha256_only_in_the_content_addressed_shape() {
        assert_eq!(
            sha256_of_key(&format!("s/{}.zip", sha('A'))),
            Some(sha('a'))
        );
        assert_eq!(sha256_of_key(&format!("{}.zip", sha('a'))), Some(sha('a')));
        for key in [
            "s/abc.zip",
            "s/templates/x.json",
            "",
            &format!("s/{}.json", sha('a')),
        ] {
            assert_eq!(sha256_of_key(key), None, "{key}");
        }
    }

    #[test]
    fn the_command_line_reads_files_and_refuses_strays() {
        let dir = std::env::temp_dir().join(format!("infra-releases-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let versions = dir.join("versions.json");
        let aliases = dir.join("aliases.json");
        std::fs::write(
            &versions,
            r#"{"Versions": [{"Version": "$LATEST"}, {"Version": "1"}, {"Version": "2"}]}"#,
        )
        .unwrap();
        std::fs::write(&aliases, "").unwrap();
        let args = |line: &str| -> Vec<String> {
            let line = line
                .replace("V", &versions.display().to_string())
                .replace("A", &aliases.display().to_string());
            line.split_whitespace().map(str::to_string).collect()
        };
        let mut out = Vec::new();
        run(&args("prune --versions V --aliases A"), &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "");
        let error = run(
            &args("prune --versions V --aliases A --to 1"),
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(
            error.contains("--to does not go with releases prune"),
            "{error}"
        );
        let error = run(&args("list --aliases A"), &mut Vec::new()).unwrap_err();
        assert!(error.contains("releases list needs --versions"), "{error}");
        std::fs::write(&aliases, "not json").unwrap();
        let error = run(&args("list --versions V --aliases A"), &mut Vec::new()).unwrap_err();
        assert!(error.contains("is not the AWS CLI's JSON"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
