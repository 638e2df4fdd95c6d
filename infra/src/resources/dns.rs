//! Route 53 alias records for the site's domain: A always, AAAA when the ALB is dualstack.

use serde_json::json;

use super::ids;
use crate::cfn::{self, Resource, Template};
use crate::config::Stage;

/// Adds the alias record(s).
pub fn add(template: &mut Template, stage: &Stage) {
    let mut records = vec![(ids::DNS_RECORD_A, "A")];
    if stage.settings.network.dualstack {
        // AAAA only with a dualstack ALB: an IPv4-only ALB has no IPv6 address to alias.
        records.push((ids::DNS_RECORD_AAAA, "AAAA"));
    }
    for (logical_id, record_type) in records {
        template.add(
            logical_id,
            Resource::new(
                "AWS::Route53::RecordSet",
                json!({
                    "HostedZoneId": stage.settings.hosted_zone_id,
                    "Name": stage.settings.domain,
                    "Type": record_type,
                    // The alias zone is the ALB's own canonical zone, not the stage's zone: the
                    // record lives in our zone, its target in ELB's.
                    "AliasTarget": {
                        "HostedZoneId": cfn::get_att(ids::LOAD_BALANCER, "CanonicalHostedZoneID"),
                        "DNSName": cfn::join("", vec![json!("dualstack."), cfn::get_att(ids::LOAD_BALANCER, "DNSName")]),
                        "EvaluateTargetHealth": false,
                    },
                }),
            ),
        );
    }
}
