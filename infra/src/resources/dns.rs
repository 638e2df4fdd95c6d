//! Route 53 alias records for the stage's host name (`domain`, or `temporary_hostname` during a
//! migration): A always, AAAA when the ALB is dualstack.

use serde_json::json;

use super::ids;
use crate::cfn::{self, Resource, Template};
use crate::config::Stage;

/// Adds the alias record(s).
pub fn add(template: &mut Template, stage: &Stage) {
    for record_type in stage.dns_record_types() {
        let logical_id = match record_type {
            "AAAA" => ids::DNS_RECORD_AAAA,
            _ => ids::DNS_RECORD_A,
        };
        template.add(
            logical_id,
            Resource::new(
                "AWS::Route53::RecordSet",
                json!({
                    "HostedZoneId": stage.settings.hosted_zone_id,
                    "Name": stage.hostname(),
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
