//! The access-log bucket the stack creates when the stage asks for one
//! (`load_balancer.create_access_log_bucket`): private, encrypted with S3's keys (the only kind
//! ELB's log delivery writes to), TLS only, objects expiring with the function's log
//! retention, and a policy that lets the region's ELB log delivery write under the stage's
//! prefix. Kept when the stack is deleted: logs outlive the site they describe.

use serde_json::{Value, json};

use super::{ids, tags};
use crate::artifacts::{private_bucket, tls_only};
use crate::cfn::{self, Resource, Template};
use crate::config::{Stage, partition_of};

/// The account ELB delivers access logs from, in each region that opened before August 2022
/// (the ELB user guide's table). Newer regions deliver as the service principal
/// [`LOG_DELIVERY_SERVICE`].
pub const ELB_LOG_ACCOUNTS: [(&str, &str); 26] = [
    ("af-south-1", "098369216593"),
    ("ap-east-1", "754344448648"),
    ("ap-northeast-1", "582318560864"),
    ("ap-northeast-2", "600734575887"),
    ("ap-northeast-3", "383597477331"),
    ("ap-south-1", "718504428378"),
    ("ap-southeast-1", "114774131450"),
    ("ap-southeast-2", "783225319266"),
    ("ap-southeast-3", "589379963580"),
    ("ca-central-1", "985666609251"),
    ("cn-north-1", "638102146993"),
    ("cn-northwest-1", "037604701340"),
    ("eu-central-1", "054676820928"),
    ("eu-north-1", "897822967062"),
    ("eu-south-1", "635631232127"),
    ("eu-west-1", "156460612806"),
    ("eu-west-2", "652711504416"),
    ("eu-west-3", "009996457667"),
    ("me-south-1", "076674570225"),
    ("sa-east-1", "507241528517"),
    ("us-east-1", "127311923021"),
    ("us-east-2", "033677994240"),
    ("us-gov-east-1", "190560391635"),
    ("us-gov-west-1", "048591011584"),
    ("us-west-1", "027434742980"),
    ("us-west-2", "797873946194"),
];

/// The principal ELB delivers access logs as in regions missing from [`ELB_LOG_ACCOUNTS`].
pub const LOG_DELIVERY_SERVICE: &str = "logdelivery.elasticloadbalancing.amazonaws.com";

/// Who writes a region's ELB access logs, as a bucket policy `Principal`.
pub fn log_delivery_principal(region: &str) -> Value {
    match ELB_LOG_ACCOUNTS.iter().find(|(name, _)| *name == region) {
        Some((_, account)) => {
            json!({ "AWS": format!("arn:{}:iam::{account}:root", partition_of(region)) })
        }
        None => json!({ "Service": LOG_DELIVERY_SERVICE }),
    }
}

/// The bucket the load balancer's access logs go to, as its attribute value: the existing
/// bucket the stage names, `Ref` the bucket the stack creates, or none.
pub fn destination(stage: &Stage) -> Option<Value> {
    let settings = &stage.settings.load_balancer;
    if settings.create_access_log_bucket {
        Some(cfn::reference(ids::ACCESS_LOG_BUCKET))
    } else {
        settings
            .access_log_bucket
            .as_ref()
            .map(|bucket| json!(bucket))
    }
}

/// Adds the bucket and its policy when the stage asks the stack to create them.
pub fn add(template: &mut Template, stage: &Stage) {
    if !stage.settings.load_balancer.create_access_log_bucket {
        return;
    }
    let mut properties = private_bucket(&stage.names.access_log_bucket);
    properties["LifecycleConfiguration"] = json!({ "Rules": [{
        "Id": "expire-with-the-function-logs",
        "Status": "Enabled",
        "ExpirationInDays": stage.settings.function.log_retention_days,
    }] });
    properties["Tags"] = tags(stage);
    template.add(
        ids::ACCESS_LOG_BUCKET,
        Resource::new("AWS::S3::Bucket", properties)
            .data_policies("Retain", "Retain")
            .skip_checkov(
                "CKV_AWS_18",
                "this is the access-log bucket; logging its own reads would log the log readers",
            )
            .skip_checkov(
                "CKV_AWS_21",
                "ELB writes each log object once and never overwrites it; they expire with the \
                 function's log retention",
            ),
    );
    let writer = json!({
        "Sid": "ElbLogDelivery",
        "Effect": "Allow",
        "Principal": log_delivery_principal(&stage.settings.region),
        "Action": "s3:PutObject",
        "Resource": cfn::sub(format!(
            "${{{}.Arn}}/{}/AWSLogs/${{AWS::AccountId}}/*",
            ids::ACCESS_LOG_BUCKET,
            stage.names.access_log_prefix
        )),
    });
    template.add(
        ids::ACCESS_LOG_BUCKET_POLICY,
        Resource::new(
            "AWS::S3::BucketPolicy",
            json!({
                "Bucket": cfn::reference(ids::ACCESS_LOG_BUCKET),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [writer, tls_only(ids::ACCESS_LOG_BUCKET)],
                },
            }),
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_regions_deliver_from_an_elb_account_new_ones_as_the_service() {
        assert_eq!(
            log_delivery_principal("eu-west-1"),
            json!({ "AWS": "arn:aws:iam::156460612806:root" })
        );
        assert_eq!(
            log_delivery_principal("cn-north-1"),
            json!({ "AWS": "arn:aws-cn:iam::638102146993:root" })
        );
        assert_eq!(
            log_delivery_principal("ap-southeast-5"),
            json!({ "Service": "logdelivery.elasticloadbalancing.amazonaws.com" })
        );
        let mut regions: Vec<&str> = ELB_LOG_ACCOUNTS.iter().map(|(region, _)| *region).collect();
        regions.dedup();
        assert_eq!(
            regions.len(),
            ELB_LOG_ACCOUNTS.len(),
            "one account per region"
        );
        assert!(
            ELB_LOG_ACCOUNTS
                .iter()
                .all(|(_, account)| account.len() == 12)
        );
    }
}
