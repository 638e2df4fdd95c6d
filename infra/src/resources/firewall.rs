//! The AWS WAF web ACL in front of the load balancer, when the stage asks for one: an existing
//! regional web ACL attached by ARN, or one the stack creates with AWS's managed rule groups
//! and a per-address rate limit.

use serde_json::{Value, json};

use super::{ids, tags};
use crate::cfn::{self, Resource, Template};
use crate::config::Stage;

/// The AWS managed rule groups the created web ACL runs, in priority order after the rate
/// limit: the common rule set (OWASP-style protections) and known bad inputs (Log4j-style
/// lookups, exploit paths).
pub const MANAGED_RULE_GROUPS: [&str; 2] = [
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
];

/// A common rule set rule the created web ACL only counts: it blocks any request body over
/// 8 KB, which would refuse the site's own larger forms and uploads. The function enforces
/// its own body limit with a clear 4xx.
pub const COUNTED_RULES: [&str; 1] = ["SizeRestrictions_BODY"];

/// Metrics and sampled requests for a rule or the web ACL, under `name`.
fn visibility(name: &str) -> Value {
    json!({
        "CloudWatchMetricsEnabled": true,
        "MetricName": name,
        "SampledRequestsEnabled": true,
    })
}

/// Adds the web ACL (unless an existing one is attached) and its association with the load
/// balancer; nothing when the stage has no `[load_balancer.waf]`.
pub fn add(template: &mut Template, stage: &Stage) {
    let Some(waf) = &stage.settings.load_balancer.waf else {
        return;
    };
    let web_acl_arn = match &waf.web_acl_arn {
        Some(arn) => json!(arn),
        None => {
            let name = format!("{}-web-acl", stage.names.stack);
            let mut rules = vec![json!({
                "Name": "rate-limit-per-address",
                "Priority": 0,
                "Action": { "Block": {} },
                "Statement": {
                    "RateBasedStatement": { "Limit": waf.rate_limit(), "AggregateKeyType": "IP" },
                },
                "VisibilityConfig": visibility(&format!("{name}-rate-limit")),
            })];
            for (priority, group) in (1..).zip(MANAGED_RULE_GROUPS) {
                let mut statement = json!({ "VendorName": "AWS", "Name": group });
                if group == MANAGED_RULE_GROUPS[0] {
                    statement["RuleActionOverrides"] = COUNTED_RULES
                        .iter()
                        .map(|rule| json!({ "Name": rule, "ActionToUse": { "Count": {} } }))
                        .collect();
                }
                rules.push(json!({
                    "Name": group,
                    "Priority": priority,
                    "OverrideAction": { "None": {} },
                    "Statement": { "ManagedRuleGroupStatement": statement },
                    "VisibilityConfig": visibility(&format!("{name}-{group}")),
                }));
            }
            template.add(
                ids::WEB_ACL,
                Resource::new(
                    "AWS::WAFv2::WebACL",
                    json!({
                        "Name": name,
                        "Scope": "REGIONAL",
                        // WAF allows no parentheses here.
                        "Description": format!(
                            "{} {} stage: rate limit per address, AWS managed rules",
                            stage.settings.service, stage.name
                        ),
                        "DefaultAction": { "Allow": {} },
                        "Rules": rules,
                        "VisibilityConfig": visibility(&name),
                        "Tags": tags(stage),
                    }),
                ),
            );
            cfn::get_att(ids::WEB_ACL, "Arn")
        }
    };
    template.add(
        ids::WEB_ACL_ASSOCIATION,
        Resource::new(
            "AWS::WAFv2::WebACLAssociation",
            json!({
                "ResourceArn": cfn::reference(ids::LOAD_BALANCER),
                "WebACLArn": web_acl_arn,
            }),
        ),
    );
}
