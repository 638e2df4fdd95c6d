#!/usr/bin/env python3
"""Seeds a MiniStack emulator with what a real AWS account already has for a stage, and prints
the seeded ids as `key=value` lines for `infra stage-copy --set` (value in TOML), with a summary
on stderr. Run by `scripts/ministack.sh seed` with the AWS venv's Python (botocore).

    ministack_seed.py ENDPOINT DESCRIBE_JSON

DESCRIBE_JSON is `infra describe` of the stage. Created when missing, found again otherwise (by
a Name tag, the zone name, the certificate's domain): a VPC and as many subnets as the stage
lists, in distinct availability zones; the hosted zone that is the domain's parent
(migrate.example.com -> example.com, shared between stages as in a real account); an ISSUED
certificate for every host name of the stage (its domain and any temporary_hostname); the SNS topic and the access-log bucket when the stage names them.
Never used against AWS: ENDPOINT must be a loopback URL.
"""

import json
import sys
import time
import urllib.parse
import zlib

import botocore.session


def main(endpoint, describe_path):
    host = urllib.parse.urlparse(endpoint).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"ministack_seed.py: {endpoint} is not a local emulator")
    with open(describe_path, encoding="utf-8") as handle:
        facts = json.load(handle)
    region = facts["region"]
    session = botocore.session.get_session()

    def client(service):
        return session.create_client(
            service, region_name=region, endpoint_url=endpoint,
            aws_access_key_id="test", aws_secret_access_key="test",
        )

    ec2 = client("ec2")
    name = f"{facts['stack_name']}-seed"
    octet = 10 + zlib.crc32(facts["stack_name"].encode()) % 200

    def tagged(kind, tag, extra=()):
        filters = [{"Name": "tag:Name", "Values": [tag]}, *extra]
        if kind == "vpc":
            found = ec2.describe_vpcs(Filters=filters)["Vpcs"]
            return found[0]["VpcId"] if found else None
        found = ec2.describe_subnets(Filters=filters)["Subnets"]
        return found[0]["SubnetId"] if found else None

    def tags(kind, tag):
        return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": tag}]}]

    vpc = tagged("vpc", name) or ec2.create_vpc(
        CidrBlock=f"10.{octet}.0.0/16", TagSpecifications=tags("vpc", name)
    )["Vpc"]["VpcId"]
    subnets = []
    for index in range(len(facts["subnet_ids"])):
        zone_name = f"{region}{'abcdef'[index]}"
        tag = f"{name}-{zone_name}"
        subnet = tagged("subnet", tag, [{"Name": "vpc-id", "Values": [vpc]}]) or ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.{octet}.{index + 1}.0/24", AvailabilityZone=zone_name,
            TagSpecifications=tags("subnet", tag),
        )["Subnet"]["SubnetId"]
        subnets.append(subnet)

    route53 = client("route53")
    zone_name = facts["domain"].split(".", 1)[1]
    zones = route53.list_hosted_zones_by_name(DNSName=zone_name)["HostedZones"]
    zone = next((z["Id"] for z in zones if z["Name"] == f"{zone_name}."), None) or route53.create_hosted_zone(
        Name=zone_name, CallerReference=f"seed-{zone_name}-{time.time_ns()}"
    )["HostedZone"]["Id"]
    zone = zone.split("/")[-1]

    acm = client("acm")
    names = facts["dns"]["host_names"]

    def covers_every_name(summary):
        if summary["DomainName"] != facts["domain"]:
            return False
        details = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
        return set(names) <= set(details.get("SubjectAlternativeNames") or [details["DomainName"]])

    certificates = acm.list_certificates()["CertificateSummaryList"]
    certificate = next((c["CertificateArn"] for c in certificates if covers_every_name(c)), None) \
        or acm.request_certificate(DomainName=facts["domain"], SubjectAlternativeNames=names,
                                   ValidationMethod="DNS")["CertificateArn"]

    seeded = {
        "network.vpc_id": vpc,
        "network.subnet_ids": subnets,
        "hosted_zone_id": zone,
        "certificate_arn": certificate,
    }
    if facts.get("alarm_topic_arn"):
        seeded["alarms.sns_topic_arn"] = client("sns").create_topic(Name=facts["alarm_topic_arn"].split(":")[-1])["TopicArn"]
    bucket = facts.get("access_log_bucket")
    if bucket:
        s3 = client("s3")
        if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
            location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            s3.create_bucket(Bucket=bucket, **location)
    for key, value in seeded.items():
        print(f"{key}={json.dumps(value)}")
        print(f"    {key}: {value}", file=sys.stderr)
    print(f"    zone: {zone_name}, account: {client('sts').get_caller_identity()['Account']}", file=sys.stderr)

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip())
    main(sys.argv[1], sys.argv[2])
