//! What a real AWS account already has for a stage, created in an emulator (or found again
//! from an earlier seed): a VPC with a subnet per listed subnet in distinct availability zones,
//! the hosted zone holding the domain, an ISSUED certificate for every host name of the stage,
//! and the SNS topic and access-log bucket when the stage names them. The ids come back as
//! `infra stage-copy --set` assignments, so the stage file keeps every other value as written.

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::aws::{AwsApi, items, text};

/// Seeds the emulator for the stage `facts` (`describe`'s output); returns the stage-copy
/// assignments (`key`, TOML value) and a summary for people.
pub fn seed(aws: &dyn AwsApi, facts: &Value) -> Result<(Vec<(String, String)>, String), String> {
    let stack = text(&facts["stack_name"]);
    let (vpc, subnets) = seed_network(aws, facts, stack)?;
    let zone_name = zone_of(text(&facts["domain"]));
    let zone = seed_zone(aws, zone_name, stack)?;
    let certificate = seed_certificate(aws, facts)?;
    let mut seeded = vec![
        ("network.vpc_id", json!(vpc)),
        ("network.subnet_ids", json!(subnets)),
        ("hosted_zone_id", json!(zone)),
        ("certificate_arn", json!(certificate)),
    ];
    if let Some(topic) = facts["alarm_topic_arn"].as_str() {
        let name = topic.rsplit(':').next().unwrap_or(topic);
        let created = aws.call("sns", "create-topic", &["--name", name])?;
        seeded.push(("alarms.sns_topic_arn", created["TopicArn"].clone()));
    }
    if let Some(bucket) = facts["access_log_bucket"].as_str() {
        seed_bucket(aws, bucket, text(&facts["region"]))?;
    }
    let account = aws.call("sts", "get-caller-identity", &[])?;
    let mut summary = String::new();
    for (key, value) in &seeded {
        summary.push_str(&format!("    {key}: {value}\n"));
    }
    summary.push_str(&format!(
        "    zone: {zone_name}, account: {}\n",
        text(&account["Account"])
    ));
    let assignments = seeded
        .into_iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    Ok((assignments, summary))
}

/// The hosted zone a seed makes for `domain`: its parent (`shop.example.com` →
/// `example.com`, shared by the stages as in a real account), or the domain itself when it
/// is an apex (`example.com`).
pub fn zone_of(domain: &str) -> &str {
    match domain.split_once('.') {
        Some((_, parent)) if parent.contains('.') => parent,
        _ => domain,
    }
}

/// The second octet of the stack's VPC (10.X.0.0/16): the same for a stack every run,
/// mostly different between stacks.
fn octet_of(stack: &str) -> u32 {
    10 + u32::from(Sha256::digest(stack.as_bytes())[0]) % 200
}

/// The VPC tagged `<stack>-seed` and its subnets, one per listed subnet id.
fn seed_network(
    aws: &dyn AwsApi,
    facts: &Value,
    stack: &str,
) -> Result<(String, Vec<String>), String> {
    let name = format!("{stack}-seed");
    let octet = octet_of(stack);
    let filter = |tag: &str| format!("Name=tag:Name,Values={tag}");
    let tags = |kind: &str, tag: &str| {
        json!([{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": tag}]}]).to_string()
    };
    let found = aws.call("ec2", "describe-vpcs", &["--filters", &filter(&name)])?;
    let vpc = match found["Vpcs"][0]["VpcId"].as_str() {
        Some(vpc) => vpc.to_string(),
        None => {
            let cidr = format!("10.{octet}.0.0/16");
            let created = aws.call(
                "ec2",
                "create-vpc",
                &[
                    "--cidr-block",
                    &cidr,
                    "--tag-specifications",
                    &tags("vpc", &name),
                ],
            )?;
            text(&created["Vpc"]["VpcId"]).to_string()
        }
    };
    let region = text(&facts["region"]);
    let mut subnets = Vec::new();
    for (index, letter) in ('a'..='f')
        .enumerate()
        .take(items(&facts["subnet_ids"]).len())
    {
        let zone = format!("{region}{letter}");
        let tag = format!("{name}-{zone}");
        let in_vpc = format!("Name=vpc-id,Values={vpc}");
        let found = aws.call(
            "ec2",
            "describe-subnets",
            &["--filters", &filter(&tag), &in_vpc],
        )?;
        let subnet = match found["Subnets"][0]["SubnetId"].as_str() {
            Some(subnet) => subnet.to_string(),
            None => {
                let cidr = format!("10.{octet}.{}.0/24", index + 1);
                let created = aws.call(
                    "ec2",
                    "create-subnet",
                    &[
                        "--vpc-id",
                        &vpc,
                        "--cidr-block",
                        &cidr,
                        "--availability-zone",
                        &zone,
                        "--tag-specifications",
                        &tags("subnet", &tag),
                    ],
                )?;
                text(&created["Subnet"]["SubnetId"]).to_string()
            }
        };
        subnets.push(subnet);
    }
    Ok((vpc, subnets))
}

/// The hosted zone named `zone_name`, its id without the `/hostedzone/` prefix.
fn seed_zone(aws: &dyn AwsApi, zone_name: &str, stack: &str) -> Result<String, String> {
    let found = aws.call(
        "route53",
        "list-hosted-zones-by-name",
        &["--dns-name", zone_name],
    )?;
    let existing = items(&found["HostedZones"])
        .iter()
        .find(|zone| text(&zone["Name"]) == format!("{zone_name}."))
        .map(|zone| text(&zone["Id"]).to_string());
    let id = match existing {
        Some(id) => id,
        None => {
            let reference = format!("seed-{stack}-{zone_name}");
            let created = aws.call(
                "route53",
                "create-hosted-zone",
                &["--name", zone_name, "--caller-reference", &reference],
            )?;
            text(&created["HostedZone"]["Id"]).to_string()
        }
    };
    Ok(id.rsplit('/').next().unwrap_or_default().to_string())
}

/// A certificate for the domain naming every host name of the stage.
fn seed_certificate(aws: &dyn AwsApi, facts: &Value) -> Result<String, String> {
    let domain = text(&facts["domain"]);
    let names: Vec<&str> = items(&facts["dns"]["host_names"])
        .iter()
        .map(text)
        .collect();
    let listed = aws.call("acm", "list-certificates", &[])?;
    for summary in items(&listed["CertificateSummaryList"]) {
        if text(&summary["DomainName"]) != domain {
            continue;
        }
        let arn = text(&summary["CertificateArn"]);
        let details = aws.call("acm", "describe-certificate", &["--certificate-arn", arn])?;
        let details = &details["Certificate"];
        let covered: Vec<&str> = match items(&details["SubjectAlternativeNames"]) {
            [] => vec![text(&details["DomainName"])],
            alternatives => alternatives.iter().map(text).collect(),
        };
        if names.iter().all(|name| covered.contains(name)) {
            return Ok(arn.to_string());
        }
    }
    let mut request = vec!["--domain-name", domain, "--validation-method", "DNS"];
    request.push("--subject-alternative-names");
    request.extend(&names);
    let created = aws.call("acm", "request-certificate", &request)?;
    Ok(text(&created["CertificateArn"]).to_string())
}

/// The bucket, created in `region` unless it exists.
fn seed_bucket(aws: &dyn AwsApi, bucket: &str, region: &str) -> Result<(), String> {
    let listed = aws.call("s3api", "list-buckets", &[])?;
    if items(&listed["Buckets"])
        .iter()
        .any(|b| text(&b["Name"]) == bucket)
    {
        return Ok(());
    }
    let location = format!("LocationConstraint={region}");
    let mut create = vec!["--bucket", bucket];
    if region != "us-east-1" {
        create.extend(["--create-bucket-configuration", &location]);
    }
    aws.call("s3api", "create-bucket", &create).map(drop)
}

#[cfg(test)]
mod tests {
    use super::super::fake::FakeAws;
    use super::*;

    fn facts() -> Value {
        json!({
            "stack_name": "shop-migrate", "region": "eu-west-1", "domain": "migrate.shop.example",
            "subnet_ids": ["subnet-1", "subnet-2"],
            "dns": {"host_names": ["migrate.shop.example", "preview.shop.example"]},
            "alarm_topic_arn": null, "access_log_bucket": "shop-logs",
        })
    }

    #[test]
    fn an_empty_account_gets_every_resource_created() {
        let aws = FakeAws::new()
            .answer("ec2 create-vpc", json!({"Vpc": {"VpcId": "vpc-9"}}))
            .answer(
                "ec2 create-subnet",
                json!({"Subnet": {"SubnetId": "subnet-9"}}),
            )
            .answer(
                "route53 create-hosted-zone",
                json!({"HostedZone": {"Id": "/hostedzone/Z9"}}),
            )
            .answer(
                "acm request-certificate",
                json!({"CertificateArn": "arn:cert"}),
            )
            .answer(
                "sts get-caller-identity",
                json!({"Account": "000000000000"}),
            );

        let (assignments, summary) = seed(&aws, &facts()).unwrap();

        assert_eq!(
            assignments,
            [
                ("network.vpc_id".to_string(), r#""vpc-9""#.to_string()),
                (
                    "network.subnet_ids".into(),
                    r#"["subnet-9","subnet-9"]"#.into()
                ),
                ("hosted_zone_id".into(), r#""Z9""#.into()),
                ("certificate_arn".into(), r#""arn:cert""#.into()),
            ]
        );
        assert!(
            summary.contains("zone: shop.example, account: 000000000000"),
            "{summary}"
        );
        let calls = aws.calls();
        assert!(
            calls
                .iter()
                .any(|c| c.contains("create-subnet") && c.contains("eu-west-1b")),
            "{calls:?}"
        );
        assert!(
            calls.iter().any(|c| c.contains("request-certificate")
                && c.ends_with("migrate.shop.example preview.shop.example")),
            "{calls:?}"
        );
        assert!(
            calls
                .iter()
                .any(|c| c.contains("create-bucket") && c.contains("LocationConstraint=eu-west-1")),
            "{calls:?}"
        );
    }

    #[test]
    fn a_second_seed_finds_what_the_first_made() {
        let aws = FakeAws::new()
            .answer("ec2 describe-vpcs", json!({"Vpcs": [{"VpcId": "vpc-1"}]}))
            .answer("ec2 describe-subnets", json!({"Subnets": [{"SubnetId": "subnet-1"}]}))
            .answer("route53 list-hosted-zones-by-name", json!({"HostedZones": [{"Name": "shop.example.", "Id": "/hostedzone/Z1"}]}))
            .answer("acm list-certificates", json!({"CertificateSummaryList": [{"DomainName": "migrate.shop.example", "CertificateArn": "arn:old"}]}))
            .answer("acm describe-certificate", json!({"Certificate": {"DomainName": "migrate.shop.example", "SubjectAlternativeNames": ["migrate.shop.example", "preview.shop.example"]}}))
            .answer("s3api list-buckets", json!({"Buckets": [{"Name": "shop-logs"}]}));

        let (assignments, _) = seed(&aws, &facts()).unwrap();

        assert_eq!(assignments[0].1, r#""vpc-1""#);
        assert_eq!(assignments[2].1, r#""Z1""#);
        assert_eq!(assignments[3].1, r#""arn:old""#);
        assert!(
            aws.calls()
                .iter()
                .all(|c| !c.contains(" create-") && !c.contains("request-")),
            "{:?}",
            aws.calls()
        );
    }

    #[test]
    fn a_certificate_missing_a_host_name_is_not_reused() {
        let aws = FakeAws::new()
            .answer("acm list-certificates", json!({"CertificateSummaryList": [{"DomainName": "migrate.shop.example", "CertificateArn": "arn:old"}]}))
            .answer("acm describe-certificate", json!({"Certificate": {"DomainName": "migrate.shop.example"}}))
            .answer("acm request-certificate", json!({"CertificateArn": "arn:new"}));
        assert_eq!(seed_certificate(&aws, &facts()).unwrap(), "arn:new");
    }

    #[test]
    fn the_zone_is_the_parent_or_the_apex_itself() {
        assert_eq!(zone_of("migrate.example.com"), "example.com");
        assert_eq!(zone_of("a.b.example.co.uk"), "b.example.co.uk");
        assert_eq!(zone_of("example.com"), "example.com");
    }

    #[test]
    fn stacks_get_stable_private_octets() {
        assert_eq!(octet_of("shop-migrate"), octet_of("shop-migrate"));
        assert!((10..210).contains(&octet_of("anything")));
    }
}
