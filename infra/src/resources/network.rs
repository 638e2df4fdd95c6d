//! The load balancer's security group: HTTP and HTTPS from anywhere, IPv4 and IPv6.
//!
//! The rules are inline (`SecurityGroupIngress`), not separate `AWS::EC2::SecurityGroupIngress`
//! resources: one resource to read, and the MiniStack emulator refuses the separate kind.

use serde_json::{Value, json};

use super::{ids, tags};
use crate::cfn::{Resource, Template};
use crate::config::Stage;

/// Ports the load balancer listens on: HTTP (redirect only) and HTTPS.
pub const PORTS: [(u16, &str); 2] = [(80, "HTTP (redirected to HTTPS)"), (443, "HTTPS")];

/// Adds the security group.
pub fn add(template: &mut Template, stage: &Stage) {
    let mut ingress: Vec<Value> = Vec::new();
    for (port, purpose) in PORTS {
        ingress.push(json!({
            "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
            "CidrIp": "0.0.0.0/0", "Description": format!("{purpose} from any IPv4 address"),
        }));
        ingress.push(json!({
            "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
            "CidrIpv6": "::/0", "Description": format!("{purpose} from any IPv6 address"),
        }));
    }
    template.add(
        ids::SECURITY_GROUP,
        Resource::new(
            "AWS::EC2::SecurityGroup",
            json!({
                "GroupDescription": format!("{}: public HTTP and HTTPS to the load balancer", stage.names.stack),
                "VpcId": stage.settings.network.vpc_id,
                "SecurityGroupIngress": ingress,
                "Tags": tags(stage),
            }),
        )
        .skip_checkov(
            "CKV_AWS_260",
            "a public website: port 80 is open to the world only to answer with a 301 to HTTPS",
        ),
    );
}
