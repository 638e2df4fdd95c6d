//! The production options of a stage, each off by default because each costs money: X-Ray
//! active tracing and provisioned concurrency on the `live` alias (`[function]`), an AWS WAF
//! web ACL in front of the load balancer (`[load_balancer.waf]`) and an access-log bucket the
//! stack creates (`load_balancer.create_access_log_bucket`). Their rules, beside the stage's
//! other rules in the parent module.

use serde::Deserialize;

use super::{Problems, StageSettings, parse_arn};

/// Requests one client address may make in five minutes before the web ACL the stack creates
/// blocks it, unless the stage says otherwise.
pub const DEFAULT_RATE_LIMIT: u32 = 2000;

/// The rate limits AWS WAF accepts for a rate-based rule (requests per five minutes).
pub const RATE_LIMITS: std::ops::RangeInclusive<u32> = 10..=2_000_000_000;

/// `[load_balancer.waf]`: attach an existing web ACL, or (the table alone) have the stack
/// create one with the AWS managed common rule set and a per-address rate limit.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WafSettings {
    /// An existing regional web ACL to attach, by ARN; the stack then creates none.
    pub web_acl_arn: Option<String>,
    /// The created web ACL's limit: requests per client address per five minutes (default
    /// [`DEFAULT_RATE_LIMIT`]).
    pub rate_limit: Option<u32>,
}

impl WafSettings {
    /// The rate limit of the web ACL the stack creates.
    pub fn rate_limit(&self) -> u32 {
        self.rate_limit.unwrap_or(DEFAULT_RATE_LIMIT)
    }
}

/// Records every broken rule of the production options.
pub(super) fn validate(settings: &StageSettings, problems: &mut Problems) {
    let load_balancer = &settings.load_balancer;
    if load_balancer.create_access_log_bucket {
        problems.require(
            load_balancer.access_log_bucket.is_none(),
            "load_balancer.create_access_log_bucket",
            "and load_balancer.access_log_bucket each name where the access logs go: keep one",
        );
        // Its name, <service>-<stage>-alb-logs-<account>, is a valid bucket name whenever
        // the target group name (<service>-<stage>, at most 32 characters) is valid.
    }
    let function = &settings.function;
    if let Some(provisioned) = function.provisioned_concurrency {
        problems.require(
            provisioned >= 1,
            "function.provisioned_concurrency",
            "must be at least 1; leave it out for none",
        );
        if let Some(reserved) = function.reserved_concurrency {
            problems.require(
                provisioned <= reserved,
                "function.provisioned_concurrency",
                format!(
                    "must not exceed function.reserved_concurrency ({reserved}), which caps every \
                     execution environment of the function, got {provisioned}"
                ),
            );
        }
    }

    let Some(waf) = &settings.load_balancer.waf else {
        return;
    };
    if let Some(rate_limit) = waf.rate_limit {
        problems.require(
            RATE_LIMITS.contains(&rate_limit),
            "load_balancer.waf.rate_limit",
            format!(
                "must be between {} and {} requests per five minutes (AWS WAF's limits), got {rate_limit}",
                RATE_LIMITS.start(),
                RATE_LIMITS.end()
            ),
        );
    }
    let Some(arn_text) = &waf.web_acl_arn else {
        return;
    };
    problems.require(
        waf.rate_limit.is_none(),
        "load_balancer.waf.rate_limit",
        "goes with the web ACL the stack creates; an existing one (web_acl_arn) keeps its own \
         rules: remove one of the two",
    );
    match parse_arn(arn_text) {
        Some(arn) if arn.service == "wafv2" && arn.resource.starts_with("regional/webacl/") => {
            problems.require(
                arn.region == settings.region,
                "load_balancer.waf.web_acl_arn",
                format!(
                    "must be a web ACL in the stage's region {:?} (a load balancer takes web ACLs \
                     of its own region only), got one in {:?}",
                    settings.region, arn.region
                ),
            );
            problems.require(
                arn.account == settings.account_id,
                "load_balancer.waf.web_acl_arn",
                format!(
                    "must be a web ACL of the stage's account {}, got one of {}",
                    settings.account_id, arn.account
                ),
            );
        }
        Some(arn) if arn.service == "wafv2" && arn.resource.starts_with("global/") => problems
            .record(
                "load_balancer.waf.web_acl_arn",
                format!(
                    "is a CloudFront (global) web ACL; a load balancer needs a regional one in \
                     {:?}, got {arn_text:?}",
                    settings.region
                ),
            ),
        _ => problems.record(
            "load_balancer.waf.web_acl_arn",
            format!(
                "must be a WAFv2 web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>), \
                 got {arn_text:?}"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{ConfigError, Stage};

    use crate::config::tests::VALID;

    /// The tests' valid stage file (its `[function]` table last) with `function` lines added to
    /// that table and a `[load_balancer]` table of `load_balancer` lines.
    fn parse(function: &str, load_balancer: &str) -> Result<Stage, ConfigError> {
        let text = format!("{VALID}{function}\n[load_balancer]\n{load_balancer}\n");
        Stage::parse("test", "stages/test.toml", &text)
    }

    fn refused(function: &str, load_balancer: &str, key: &str, rule: &str) {
        let message = parse(function, load_balancer)
            .expect_err("must be refused")
            .to_string();
        assert!(
            message.contains(key) && message.contains(rule),
            "{key} / {rule}: {message}"
        );
    }

    const ACL: &str = "arn:aws:wafv2:eu-west-1:111111111111:regional/webacl/site/0123abcd";

    #[test]
    fn every_option_is_off_by_default_and_each_can_be_turned_on() {
        let off = parse("", "").unwrap().settings;
        assert!(!off.function.tracing);
        assert_eq!(off.function.provisioned_concurrency, None);
        assert_eq!(off.load_balancer.waf, None);

        let on = parse(
            "tracing = true\nprovisioned_concurrency = 2\n",
            "[load_balancer.waf]\n",
        )
        .unwrap()
        .settings;
        assert!(on.function.tracing);
        assert_eq!(on.function.provisioned_concurrency, Some(2));
        assert_eq!(
            on.load_balancer.waf.unwrap().rate_limit(),
            super::DEFAULT_RATE_LIMIT
        );
        let attached = parse(
            "",
            &format!("[load_balancer.waf]\nweb_acl_arn = \"{ACL}\"\n"),
        )
        .unwrap();
        assert_eq!(
            attached
                .settings
                .load_balancer
                .waf
                .unwrap()
                .web_acl_arn
                .as_deref(),
            Some(ACL)
        );
    }

    #[test]
    fn provisioned_concurrency_is_positive_and_within_the_reservation() {
        refused(
            "provisioned_concurrency = 0",
            "",
            "function.provisioned_concurrency",
            "at least 1",
        );
        refused(
            "reserved_concurrency = 5\nprovisioned_concurrency = 6",
            "",
            "function.provisioned_concurrency",
            "must not exceed function.reserved_concurrency (5)",
        );
        assert!(parse("reserved_concurrency = 5\nprovisioned_concurrency = 5", "").is_ok());
    }

    #[test]
    fn a_web_acl_is_regional_in_the_stage_region_and_account_or_created() {
        let waf = |body: &str| format!("[load_balancer.waf]\n{body}\n");
        refused(
            "",
            &waf("rate_limit = 5"),
            "load_balancer.waf.rate_limit",
            "between 10 and 2000000000",
        );
        refused(
            "",
            &waf(&format!("web_acl_arn = \"{ACL}\"\nrate_limit = 100")),
            "load_balancer.waf.rate_limit",
            "an existing one (web_acl_arn) keeps its own rules",
        );
        for (arn, rule) in [
            (
                ACL.replace("eu-west-1", "us-east-1"),
                "in the stage's region \"eu-west-1\"",
            ),
            (
                ACL.replace("111111111111", "222222222222"),
                "of the stage's account 111111111111",
            ),
            (
                ACL.replace("regional/", "global/"),
                "is a CloudFront (global) web ACL",
            ),
            (
                "arn:aws:waf::111111111111:webacl/x".to_string(),
                "must be a WAFv2 web ACL ARN",
            ),
            ("not an arn".to_string(), "must be a WAFv2 web ACL ARN"),
        ] {
            refused(
                "",
                &waf(&format!("web_acl_arn = \"{arn}\"")),
                "load_balancer.waf.web_acl_arn",
                rule,
            );
        }
        refused(
            "",
            &waf("rules = []"),
            "rules = []",
            "unknown field `rules`",
        );
    }

    #[test]
    fn a_created_access_log_bucket_excludes_an_existing_one() {
        assert!(parse("", "create_access_log_bucket = true").is_ok());
        refused(
            "",
            "create_access_log_bucket = true\naccess_log_bucket = \"logs\"",
            "load_balancer.create_access_log_bucket",
            "each name where the access logs go",
        );
    }
}
