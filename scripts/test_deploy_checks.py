#!/usr/bin/env python3
"""Assertions of scripts/test-deploy.sh against the MiniStack emulator (test harness only).

Run with the AWS venv's Python (it has botocore). Every command prints one line per check and
ends with `N checks passed`; the first failed check exits 1 with what was expected and seen.

  resources --endpoint URL --describe FILE --zip ZIP [--key KEY]
      the stage's stack, load balancer, listeners, target group, function, permission, log
      group, DNS records, dashboard, alarms, security group, artifact bucket and object
  http --endpoint URL --describe FILE --zip ZIP [--marker TEXT]
      HTTP through the emulated ALB: 301 on port 80; on 443 health, SSR pages, the hydration
      script of this zip's site, a brotli asset, the two-cookie preferences POST, a 404, and
      the marker file (or its absence)
  function --endpoint URL --describe FILE       the function's state as JSON (for comparisons)
  snapshot --endpoint URL --region R            what exists, as JSON (for "nothing changed")
  leftovers --endpoint URL --region R --prefix P --zone Z [--zone Z] [--bucket-kept B]
      [--bucket-gone B] [--stack-kept S]         nothing named P* is left (but the stacks S);
                                                 Z holds only NS/SOA
"""

import argparse
import base64
import hashlib
import http.client
import json
import re
import sys
import urllib.parse
import zipfile

import botocore.session
from botocore.exceptions import ClientError

# What the stack must hold (logical ids, alarm names, TLS policy) comes from `infra describe`
# (the --describe file): the rehearsal keeps no copy of infra's decisions.

passed = 0


def check(condition, what, seen=None):
    global passed
    if not condition:
        print(f"    FAIL  {what}" + (f"\n          seen: {seen!r}" if seen is not None else ""), file=sys.stderr)
        sys.exit(1)
    passed += 1
    print(f"    ok    {what}")


def done():
    print(f"{passed} checks passed")


class Aws:
    def __init__(self, endpoint, region):
        self.session = botocore.session.get_session()
        self.endpoint = endpoint
        self.region = region

    def __call__(self, service):
        return self.session.create_client(
            service, region_name=self.region, endpoint_url=self.endpoint,
            aws_access_key_id="test", aws_secret_access_key="test",
        )


def load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def zip_facts(path):
    with open(path, "rb") as handle:
        data = handle.read()
    with zipfile.ZipFile(path) as archive:
        hashes = dict(
            line.split(": ", 1)
            for line in archive.read("target/site/hash.txt").decode().splitlines()
            if ": " in line
        )
    digest = hashlib.sha256(data).digest()
    return {
        "sha256": digest.hex(),
        "code_sha256": base64.b64encode(digest).decode(),
        "hashes": hashes,
    }


def stack_resources(aws, stack):
    cfn = aws("cloudformation")
    resources = cfn.describe_stack_resources(StackName=stack)["StackResources"]
    return {r["LogicalResourceId"]: r for r in resources}


def outputs_of(aws, stack):
    described = aws("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return described, {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def attributes(items):
    return {item["Key"]: item["Value"] for item in items}


def resources(args):
    facts = load(args.describe)
    aws = Aws(args.endpoint, facts["region"])
    stack = facts["stack_name"]
    account = facts["account_id"]
    z = zip_facts(args.zip)
    key = args.key or f"{stack}/{z['sha256']}.zip"
    print(f"  resources of stage {facts['stage']} (stack {stack})")

    described, outputs = outputs_of(aws, stack)
    check(described["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"), f"stack {stack} is complete ({described['StackStatus']})", described["StackStatus"])
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described.get("Parameters", [])}
    check(parameters.get("ArtifactKey") == key and parameters.get("ArtifactBucket") == facts["artifact_bucket"],
          f"stack parameters name s3://{facts['artifact_bucket']}/{key}", parameters)
    check(outputs.get("Url") == facts["url"], f"output Url is {facts['url']}", outputs)
    check(outputs.get("DashboardName") == facts["dashboard_name"] and outputs.get("FunctionName") == facts["function_name"],
          "outputs DashboardName and FunctionName", outputs)
    check(f":targetgroup/{facts['target_group_name']}/" in outputs.get("TargetGroupArn", ""), "output TargetGroupArn", outputs)
    lb_dns = outputs.get("LoadBalancerDnsName", "")
    check(lb_dns.endswith(".elb.amazonaws.com"), "output LoadBalancerDnsName", lb_dns)

    expected_ids = set(facts["logical_ids"])
    found = stack_resources(aws, stack)
    check(set(found) == expected_ids, f"the stack has exactly its {len(expected_ids)} resources", sorted(found))
    check(all(r["ResourceStatus"].endswith("_COMPLETE") for r in found.values()), "every resource is complete",
          {k: r["ResourceStatus"] for k, r in found.items()})
    physical = {k: r["PhysicalResourceId"] for k, r in found.items()}

    # Load balancer
    elb = aws("elbv2")
    lb_arn = physical["LoadBalancer"]
    lb = elb.describe_load_balancers(LoadBalancerArns=[lb_arn])["LoadBalancers"][0]
    check(lb["DNSName"] == lb_dns, "the load balancer's DNS name is the output", lb["DNSName"])
    check((lb["Scheme"], lb["Type"]) == ("internet-facing", "application"), "an internet-facing application load balancer",
          (lb["Scheme"], lb["Type"]))
    check(lb["IpAddressType"] == ("dualstack" if facts["dualstack"] else "ipv4"), "IP address type per network.dualstack",
          lb["IpAddressType"])
    subnets = {az["SubnetId"] for az in lb.get("AvailabilityZones", [])}
    check(subnets == set(facts["subnet_ids"]), "in the stage's subnets", subnets)
    check(lb.get("SecurityGroups") == [physical["LoadBalancerSecurityGroup"]], "behind the stack's security group", lb.get("SecurityGroups"))
    lb_attrs = attributes(elb.describe_load_balancer_attributes(LoadBalancerArn=lb_arn)["Attributes"])
    check(lb_attrs.get("deletion_protection.enabled") == str(facts["deletion_protection"]).lower(),
          f"deletion protection {facts['deletion_protection']}", lb_attrs)
    check(lb_attrs.get("idle_timeout.timeout_seconds") == str(facts["idle_timeout_seconds"]), "idle timeout", lb_attrs)
    check(lb_attrs.get("routing.http.drop_invalid_header_fields.enabled") == "true"
          and lb_attrs.get("routing.http.desync_mitigation_mode") == "defensive", "invalid headers dropped, defensive desync mode", lb_attrs)
    if facts["access_log_bucket"]:
        check(lb_attrs.get("access_logs.s3.enabled") == "true" and lb_attrs.get("access_logs.s3.bucket") == facts["access_log_bucket"],
              f"access logs to {facts['access_log_bucket']}", lb_attrs)
    else:
        check(lb_attrs.get("access_logs.s3.enabled", "false") == "false", "no access logs", lb_attrs)

    # Listeners
    listeners = {l["Port"]: l for l in elb.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]}
    check(set(listeners) == {80, 443}, "two listeners, 80 and 443", sorted(listeners))
    tg_arn = physical["TargetGroup"]
    https = listeners[443]
    check(https["Protocol"] == "HTTPS" and https.get("SslPolicy") == facts["ssl_policy"], f"443 is HTTPS with {facts['ssl_policy']}",
          (https["Protocol"], https.get("SslPolicy")))
    check([c["CertificateArn"] for c in https.get("Certificates", [])] == [facts["certificate_arn"]],
          "443 uses the stage's certificate", https.get("Certificates"))
    actions = https["DefaultActions"]
    check(len(actions) == 1 and actions[0]["Type"] == "forward" and actions[0].get("TargetGroupArn") == tg_arn,
          "443 forwards to the target group", actions)
    redirect = listeners[80]
    check(redirect["Protocol"] == "HTTP", "80 is HTTP", redirect["Protocol"])
    config = (redirect["DefaultActions"][0].get("RedirectConfig") or {}) if redirect["DefaultActions"] else {}
    check(redirect["DefaultActions"][0]["Type"] == "redirect"
          and {k: config.get(k) for k in ("Protocol", "Port", "Host", "Path", "Query", "StatusCode")}
          == {"Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/#{path}", "Query": "#{query}", "StatusCode": "HTTP_301"},
          "80 redirects to HTTPS with a 301, keeping host, path and query", redirect["DefaultActions"])

    # Target group
    tg = elb.describe_target_groups(TargetGroupArns=[tg_arn])["TargetGroups"][0]
    check(tg["TargetGroupName"] == facts["target_group_name"] and tg["TargetType"] == "lambda",
          f"target group {facts['target_group_name']} of type lambda", (tg["TargetGroupName"], tg["TargetType"]))
    check(tg["HealthCheckEnabled"] == facts["health_check"], f"health checks {facts['health_check']}", tg["HealthCheckEnabled"])
    if facts["health_check"]:
        check(tg.get("HealthCheckPath") == "/healthz", "health check path /healthz", tg.get("HealthCheckPath"))
    tg_attrs = attributes(elb.describe_target_group_attributes(TargetGroupArn=tg_arn)["Attributes"])
    check(tg_attrs.get("lambda.multi_value_headers.enabled") == "true", "multi-value headers on", tg_attrs)

    # Function
    lam = aws("lambda")
    function = lam.get_function_configuration(FunctionName=facts["function_name"])
    check(function["FunctionArn"] == f"arn:aws:lambda:{facts['region']}:{account}:function:{facts['function_name']}",
          "function ARN in the stage's account and region", function["FunctionArn"])
    check((function["Runtime"], function["Handler"]) == ("provided.al2023", "bootstrap"), "provided.al2023 runtime, bootstrap handler",
          (function["Runtime"], function["Handler"]))
    check(function.get("Architectures") == [facts["architecture"]], f"architecture {facts['architecture']}", function.get("Architectures"))
    fn = facts["function"]
    check(function["MemorySize"] == fn["memory_mb"], f"memory {fn['memory_mb']} MB", function["MemorySize"])
    check(function["Timeout"] == fn["timeout_seconds"], f"timeout {fn['timeout_seconds']} s", function["Timeout"])
    check((function.get("Environment") or {}).get("Variables", {}) == fn["environment"], "environment", function.get("Environment"))
    check(function["CodeSha256"] == z["code_sha256"], f"code is the zip {z['sha256'][:12]}…", function["CodeSha256"])
    role = aws("iam").get_role(RoleName=physical["FunctionRole"].split("/")[-1])["Role"]
    check(function["Role"] == role["Arn"], "runs as the stack's role", function["Role"])
    concurrency = lam.get_function_concurrency(FunctionName=facts["function_name"]).get("ReservedConcurrentExecutions")
    body = aws("cloudformation").get_template(StackName=stack)["TemplateBody"]
    body = body if isinstance(body, dict) else json.loads(body)
    declared = body["Resources"]["Function"]["Properties"].get("ReservedConcurrentExecutions")
    check(declared == fn["reserved_concurrency"], f"the deployed template reserves concurrency {fn['reserved_concurrency']}", declared)
    if concurrency is None and declared is not None:
        # MiniStack gap (ministack 1.5.33): CloudFormation's ReservedConcurrentExecutions is
        # not applied to the function; the template above is what AWS would apply.
        print(f"    note  MiniStack does not apply ReservedConcurrentExecutions ({declared}) from CloudFormation")
    else:
        check(concurrency == fn["reserved_concurrency"], f"reserved concurrency {fn['reserved_concurrency']}", concurrency)
    targets = [d["Target"]["Id"] for d in elb.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]]
    check(targets == [function["FunctionArn"]], "the function is the target group's one target", targets)

    # Permission
    policy = json.loads(lam.get_policy(FunctionName=facts["function_name"])["Policy"])
    source = f"arn:aws:elasticloadbalancing:{facts['region']}:{account}:targetgroup/{facts['target_group_name']}/*"
    statements = [
        s for s in policy["Statement"]
        if (s.get("Principal") or {}).get("Service") == "elasticloadbalancing.amazonaws.com"
        and s.get("Action") == "lambda:InvokeFunction"
    ]
    check(len(statements) == 1, "one ELB invoke permission", policy["Statement"])
    condition = statements[0].get("Condition") or {}
    check((condition.get("ArnLike") or {}).get("AWS:SourceArn") == source
          and (condition.get("StringEquals") or {}).get("AWS:SourceAccount") == account,
          f"scoped to {source} and account {account}", condition)

    # Logs
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=facts["log_group"])["logGroups"]
    group = next((g for g in groups if g["logGroupName"] == facts["log_group"]), None)
    check(group is not None and group.get("retentionInDays") == fn["log_retention_days"],
          f"log group {facts['log_group']} keeps {fn['log_retention_days']} days", group)

    # DNS
    records = aws("route53").list_resource_record_sets(HostedZoneId=facts["hosted_zone_id"])["ResourceRecordSets"]
    ours = {r["Type"]: r for r in records if r["Name"].rstrip(".") == facts["domain"]}
    wanted = {"A", "AAAA"} if facts["dualstack"] else {"A"}
    check(set(ours) == wanted, f"{facts['domain']} has {'/'.join(sorted(wanted))} records", sorted(ours))
    for record in ours.values():
        alias = record.get("AliasTarget") or {}
        check(alias.get("DNSName", "").rstrip(".").lower() == f"dualstack.{lb_dns}".lower()
              and alias.get("HostedZoneId") == lb["CanonicalHostedZoneId"] != facts["hosted_zone_id"],
              f"{record['Type']} is an alias to dualstack.<ALB> in the ALB's canonical zone", alias)

    # Dashboard and alarms
    body = aws("cloudwatch").get_dashboard(DashboardName=facts["dashboard_name"])["DashboardBody"]
    dashboard = json.loads(body)
    lb_full = lb_arn.split(":loadbalancer/")[-1]
    check(len(dashboard.get("widgets", [])) >= 4 and "${" not in body and facts["function_name"] in body and lb_full in body,
          f"dashboard {facts['dashboard_name']}: widgets on the function and {lb_full}", body[:300])
    alarms = aws("cloudwatch").describe_alarms(AlarmNamePrefix=facts["alarm_prefix"] + "-")["MetricAlarms"]
    names = {a["AlarmName"] for a in alarms}
    check(names == set(facts["alarm_names"]), f"the {len(facts['alarm_names'])} alarms", sorted(names))
    topic = [facts["alarm_topic_arn"]] if facts["alarm_topic_arn"] else []
    check(all(a.get("AlarmActions", []) == topic and a.get("OKActions", []) == topic for a in alarms),
          f"alarm actions {topic or 'none'}", [(a["AlarmName"], a.get("AlarmActions")) for a in alarms])

    # Security group
    group = aws("ec2").describe_security_groups(GroupIds=[physical["LoadBalancerSecurityGroup"]])["SecurityGroups"][0]
    check(group["VpcId"] == facts["vpc_id"], "security group in the stage's VPC", group["VpcId"])
    rules = set()
    for rule in group["IpPermissions"]:
        for r in rule.get("IpRanges", []):
            rules.add((rule.get("FromPort"), r.get("CidrIp")))
        for r in rule.get("Ipv6Ranges", []):
            rules.add((rule.get("FromPort"), r.get("CidrIpv6")))
    check(rules == {(80, "0.0.0.0/0"), (80, "::/0"), (443, "0.0.0.0/0"), (443, "::/0")}, "ingress 80 and 443 from anywhere", rules)

    # Artifact bucket, in its own stack
    artifact_stack = aws("cloudformation").describe_stacks(StackName=facts["artifact_stack_name"])["Stacks"][0]
    check(artifact_stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"),
          f"stack {facts['artifact_stack_name']} holds the artifact bucket", artifact_stack["StackStatus"])
    check({o["OutputKey"]: o["OutputValue"] for o in artifact_stack.get("Outputs", [])}.get("BucketName") == facts["artifact_bucket"],
          "its output BucketName is the stage's bucket", artifact_stack.get("Outputs"))
    s3 = aws("s3")
    bucket = facts["artifact_bucket"]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    check(all(block.get(k) for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")),
          f"bucket {bucket} blocks public access", block)
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    check(rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms"), "bucket encrypted", rules)
    check(s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled", "bucket versioned")
    head = s3.head_object(Bucket=bucket, Key=key)
    check(head["ContentLength"] == len(open(args.zip, "rb").read()), f"s3://{bucket}/{key} is the zip", head["ContentLength"])
    done()


class Alb:
    """Requests through MiniStack's emulated ALB: its gateway, with Host <alb-dns>:<port>."""

    def __init__(self, endpoint, lb_dns):
        parsed = urllib.parse.urlparse(endpoint)
        self.host, self.port, self.lb_dns = parsed.hostname, parsed.port, lb_dns

    def request(self, port, method, path, headers=None, body=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=20)
        try:
            connection.request(method, path, body=body, headers={"Host": f"{self.lb_dns}:{port}", **(headers or {})})
            response = connection.getresponse()
            return response.status, response.msg, response.read()
        finally:
            connection.close()


def http_checks(args):
    facts = load(args.describe)
    aws = Aws(args.endpoint, facts["region"])
    _, outputs = outputs_of(aws, facts["stack_name"])
    alb = Alb(args.endpoint, outputs["LoadBalancerDnsName"])
    z = zip_facts(args.zip)
    print(f"  HTTP through the emulated ALB of stage {facts['stage']} ({outputs['LoadBalancerDnsName']})")

    status, headers, _ = alb.request(80, "GET", "/hello?name=Ada&x=1")
    location = headers.get("location", "")
    check(status == 301 and location.startswith("https://") and location.endswith("/hello?name=Ada&x=1"),
          "port 80: 301 to https, path and query kept", (status, location))

    status, headers, body = alb.request(443, "GET", "/healthz")
    check((status, body) == (200, b"ok"), "443 /healthz: 200 ok", (status, body[:200]))

    status, headers, body = alb.request(443, "GET", "/")
    html = body.decode("utf-8", "replace")
    found = re.search(r"/pkg/[A-Za-z0-9_-]+\." + re.escape(z["hashes"]["js"]) + r"\.js", html)
    script = found.group(0) if found else f"/pkg/<name>.{z['hashes']['js']}.js"
    check(status == 200 and headers.get("content-type", "").startswith("text/html"), "443 /: 200 HTML (server-rendered)", (status, headers.get("content-type")))
    check('data-theme="light"' in html and "<h1>" in html, "the page is rendered, light theme without cookies", html[:300])
    check(found is not None and "hydrate" in html, f"/ carries the hydration script of this build ({script})", html[:500])

    status, headers, body = alb.request(443, "GET", script, {"accept-encoding": "br"})
    check(status == 200 and headers.get("content-encoding") == "br", f"{script}: 200, brotli", (status, headers.get("content-encoding")))
    wasm = script.rsplit(".", 2)[0] + f".{z['hashes']['wasm']}.wasm"
    status, headers, body = alb.request(443, "GET", wasm, {"accept-encoding": "br"})
    check(status == 200 and headers.get("content-encoding") == "br" and headers.get("content-type") == "application/wasm",
          f"{wasm}: 200 application/wasm, brotli, {len(body)} bytes", (status, dict(headers)))

    status, headers, body = alb.request(443, "GET", "/preferences")
    check(status == 200 and b"display_name" in body, "443 /preferences: 200 with the form", (status, body[:200]))

    status, headers, body = alb.request(
        443, "POST", "/api/preferences",
        {"content-type": "application/x-www-form-urlencoded", "accept": "text/html",
         "referer": f"https://{facts['domain']}/preferences"},
        b"theme=dark&display_name=Ada",
    )
    cookies = headers.get_all("set-cookie") or []
    names = sorted(cookie.split("=", 1)[0] for cookie in cookies)
    check(status == 302 and names == ["display_name", "theme"], "POST /api/preferences: 302 with two set-cookie headers", (status, cookies))
    check(any(c.startswith("theme=dark;") for c in cookies) and any(c.startswith("display_name=Ada;") for c in cookies),
          "the cookies carry theme=dark and display_name=Ada", cookies)

    status, headers, body = alb.request(443, "GET", "/", {"cookie": "theme=dark; display_name=Ada"})
    html = body.decode("utf-8", "replace")
    check(status == 200 and 'data-theme="dark"' in html and "Ada" in html, "with the cookies, / renders dark and greets Ada", html[:300])

    status, _, _ = alb.request(443, "GET", "/no-such-page")
    check(status == 404, "443 /no-such-page: 404", status)

    status, _, body = alb.request(443, "GET", "/deploy-marker.txt")
    if args.marker:
        check((status, body.decode()) == (200, args.marker), f"the marker of this zip is served: {args.marker}", (status, body[:100]))
    else:
        check(status == 404, "no marker file in this zip", status)
    done()


def function_state(args):
    facts = load(args.describe)
    aws = Aws(args.endpoint, facts["region"])
    function = aws("lambda").get_function_configuration(FunctionName=facts["function_name"])
    described, _ = outputs_of(aws, facts["stack_name"])
    events = aws("cloudformation").describe_stack_events(StackName=facts["stack_name"])["StackEvents"]
    print(json.dumps({
        "CodeSha256": function["CodeSha256"],
        "MemorySize": function["MemorySize"],
        "LastModified": function["LastModified"],
        "StackStatus": described["StackStatus"],
        "LastUpdatedTime": str(described.get("LastUpdatedTime")),
        "StackEvents": len(events),
        "ChangeSets": len(aws("cloudformation").list_change_sets(StackName=facts["stack_name"])["Summaries"]),
    }, sort_keys=True))


def snapshot(args):
    aws = Aws(args.endpoint, args.region)
    stacks = [
        (s["StackName"], s["StackStatus"])
        for s in aws("cloudformation").list_stacks()["StackSummaries"]
        if s["StackStatus"] != "DELETE_COMPLETE"
    ]
    state = {
        "stacks": sorted(stacks),
        "buckets": sorted(b["Name"] for b in aws("s3").list_buckets()["Buckets"]),
        "functions": sorted(f["FunctionName"] for f in aws("lambda").list_functions()["Functions"]),
        "load_balancers": sorted(lb["LoadBalancerName"] for lb in aws("elbv2").describe_load_balancers()["LoadBalancers"]),
    }
    print(json.dumps(state, sort_keys=True))


def leftovers(args):
    aws = Aws(args.endpoint, args.region)
    prefix = args.prefix
    print(f"  nothing named {prefix}* is left in {args.region}")
    stacks = {s["StackName"] for s in aws("cloudformation").list_stacks()["StackSummaries"]
              if s["StackStatus"] != "DELETE_COMPLETE" and s["StackName"].startswith(prefix)}
    kept = set(args.stack_kept or [])
    check(stacks == kept, f"no stacks{' but ' + ', '.join(sorted(kept)) if kept else ''}", sorted(stacks))
    elb = aws("elbv2")
    lbs = [lb["LoadBalancerArn"] for lb in elb.describe_load_balancers()["LoadBalancers"]]
    check(lbs == [], "no load balancers", lbs)
    tgs = [tg["TargetGroupName"] for tg in elb.describe_target_groups()["TargetGroups"]]
    check(tgs == [], "no target groups", tgs)
    functions = [f["FunctionName"] for f in aws("lambda").list_functions()["Functions"] if f["FunctionName"].startswith(prefix)]
    check(functions == [], "no functions", functions)
    roles = [r["RoleName"] for r in aws("iam").list_roles()["Roles"] if r["RoleName"].startswith(prefix)]
    check(roles == [], "no roles", roles)
    groups = [g["logGroupName"] for g in aws("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{prefix}")["logGroups"]]
    check(groups == [], "no log groups", groups)
    dashboards = [d["DashboardName"] for d in aws("cloudwatch").list_dashboards(DashboardNamePrefix=prefix)["DashboardEntries"]]
    check(dashboards == [], "no dashboards", dashboards)
    alarms = [a["AlarmName"] for a in aws("cloudwatch").describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]]
    check(alarms == [], "no alarms", alarms)
    security_groups = [g["GroupId"] for g in aws("ec2").describe_security_groups()["SecurityGroups"]
                       if g["GroupName"] != "default" and prefix in (g.get("GroupName", "") + g.get("Description", ""))]
    check(security_groups == [], "no security groups", security_groups)
    for zone in args.zone:
        records = [(r["Name"], r["Type"]) for r in aws("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
                   if r["Type"] not in ("NS", "SOA")]
        check(records == [], f"zone {zone} holds only NS and SOA", records)
    s3 = aws("s3")
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    for bucket in args.bucket_kept or []:
        check(bucket in buckets, f"artifact bucket {bucket} kept")
    for bucket in args.bucket_gone or []:
        check(bucket not in buckets, f"artifact bucket {bucket} deleted")
    done()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("resources", "http", "function"):
        command = sub.add_parser(name)
        command.add_argument("--endpoint", required=True)
        command.add_argument("--describe", required=True)
        if name != "function":
            command.add_argument("--zip", required=True)
        if name == "resources":
            command.add_argument("--key")
        if name == "http":
            command.add_argument("--marker")
    for name in ("snapshot", "leftovers"):
        command = sub.add_parser(name)
        command.add_argument("--endpoint", required=True)
        command.add_argument("--region", required=True)
        if name == "leftovers":
            command.add_argument("--prefix", required=True)
            command.add_argument("--zone", action="append", default=[])
            command.add_argument("--bucket-kept", action="append")
            command.add_argument("--stack-kept", action="append")
            command.add_argument("--bucket-gone", action="append")
    args = parser.parse_args()
    try:
        {"resources": resources, "http": http_checks, "function": function_state,
         "snapshot": snapshot, "leftovers": leftovers}[args.command](args)
    except ClientError as error:
        print(f"    FAIL  {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
