//! The AWS CLI as a function from arguments to JSON, pointed only at an emulator on this
//! machine. The real CLI (not an SDK) keeps the rehearsal's calls the ones a user types, and
//! the crate free of the SDK's compile time.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// What the seed and the checks ask of AWS: one call, its JSON answer.
pub trait AwsApi {
    /// Runs `service operation args…` (the AWS CLI's names, e.g. `elbv2 describe-listeners`).
    fn call(&self, service: &str, operation: &str, args: &[&str]) -> Result<Value, String>;
}

/// The AWS CLI with an emulator's endpoint, region and dummy credentials.
#[derive(Clone, Debug)]
pub struct AwsCli {
    program: PathBuf,
    endpoint: String,
    region: String,
}

impl AwsCli {
    /// The CLI at `program` against `endpoint`, refused unless the endpoint is on loopback.
    pub fn new(program: PathBuf, endpoint: &str, region: &str) -> Result<Self, String> {
        ensure_loopback(endpoint)?;
        Ok(Self {
            program,
            endpoint: endpoint.to_string(),
            region: region.to_string(),
        })
    }

    /// The same CLI in another region.
    pub fn in_region(&self, region: &str) -> Self {
        Self {
            region: region.to_string(),
            ..self.clone()
        }
    }
}

impl AwsApi for AwsCli {
    fn call(&self, service: &str, operation: &str, args: &[&str]) -> Result<Value, String> {
        let output = Command::new(&self.program)
            .args(["--endpoint-url", &self.endpoint, "--region", &self.region])
            .args(["--output", "json", service, operation])
            .args(args)
            // The emulator's credentials: "test" is MiniStack's default account. Nothing may
            // fall back to a profile or a metadata service.
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_DEFAULT_PROFILE")
            .output()
            .map_err(|error| format!("cannot run {}: {error}", self.program.display()))?;
        if !output.status.success() {
            return Err(format!(
                "aws {service} {operation} {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        parse_answer(&output.stdout)
            .map_err(|error| format!("aws {service} {operation}: not JSON: {error}"))
    }
}

/// The CLI's stdout as JSON; an operation that returns nothing prints nothing.
fn parse_answer(stdout: &[u8]) -> Result<Value, serde_json::Error> {
    if stdout.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(stdout)
}

/// Refuses any endpoint but `http://127.0.0.1:…`, `localhost` or `[::1]`: the seed creates
/// resources and the checks assume an emulator's account.
pub fn ensure_loopback(endpoint: &str) -> Result<(), String> {
    let host = host_and_port(endpoint)
        .map(|(host, _)| host)
        .unwrap_or_default();
    if matches!(host, "127.0.0.1" | "localhost" | "::1") {
        Ok(())
    } else {
        Err(format!(
            "{endpoint} is not an emulator on this machine (only http:// to 127.0.0.1, localhost or [::1])"
        ))
    }
}

/// The host and port of an `http://host:port[/…]` URL (port 80 when absent).
pub fn host_and_port(url: &str) -> Result<(&str, u16), String> {
    let bad = || format!("{url} is not an http://host:port URL");
    let rest = url.strip_prefix("http://").ok_or_else(bad)?;
    let authority = rest.split('/').next().unwrap_or_default();
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed.split_once(']').ok_or_else(bad)?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = match port {
        Some(port) => port.parse().map_err(|_| bad())?,
        None => 80,
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host, port))
}

/// `[{"Key": k, "Value": v}, …]` (load balancer and target group attributes) as pairs.
pub fn attributes(items: &Value) -> BTreeMap<String, String> {
    items
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| {
            (
                text(&item["Key"]).to_string(),
                text(&item["Value"]).to_string(),
            )
        })
        .collect()
}

/// The stack `name` as `describe-stacks` gives it (status, parameters, outputs).
pub fn described_stack(aws: &dyn AwsApi, name: &str) -> Result<Value, String> {
    let answer = aws.call("cloudformation", "describe-stacks", &["--stack-name", name])?;
    Ok(answer["Stacks"][0].clone())
}

/// `[{key_name: k, value_name: v}, …]` (parameters, outputs) as a map.
pub fn pairs(list: &Value, key_name: &str, value_name: &str) -> BTreeMap<String, String> {
    items(list)
        .iter()
        .map(|item| {
            (
                text(&item[key_name]).to_string(),
                text(&item[value_name]).to_string(),
            )
        })
        .collect()
}

/// A JSON string's text, or "" for anything else.
pub fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// The elements of a JSON array (none for anything else).
pub fn items(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_endpoints_are_accepted() {
        for endpoint in [
            "http://127.0.0.1:4566",
            "http://localhost:4566/",
            "http://[::1]:4566",
        ] {
            assert_eq!(ensure_loopback(endpoint), Ok(()), "{endpoint}");
        }
        for endpoint in [
            "https://s3.amazonaws.com",
            "http://10.0.0.1:4566",
            "http://127.0.0.1.example.com:4566",
            "127.0.0.1:4566",
        ] {
            assert!(ensure_loopback(endpoint).is_err(), "{endpoint}");
        }
    }

    #[test]
    fn host_and_port_read_the_authority() {
        assert_eq!(host_and_port("http://127.0.0.1:9/x"), Ok(("127.0.0.1", 9)));
        assert_eq!(host_and_port("http://[::1]:4566"), Ok(("::1", 4566)));
        assert_eq!(host_and_port("http://localhost"), Ok(("localhost", 80)));
        assert!(host_and_port("http://127.0.0.1:port").is_err());
        assert!(host_and_port("http://:80").is_err());
    }

    #[test]
    fn an_empty_answer_is_an_empty_object() {
        assert_eq!(parse_answer(b"\n").unwrap(), serde_json::json!({}));
        assert_eq!(parse_answer(b"{\"A\": 1}").unwrap()["A"], 1);
        assert!(parse_answer(b"not json").is_err());
    }

    #[test]
    fn attributes_become_pairs() {
        let pairs = attributes(
            &serde_json::json!([{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "x"}]),
        );
        assert_eq!(pairs.get("a").map(String::as_str), Some("1"));
        assert_eq!(pairs.len(), 2);
        assert!(attributes(&Value::Null).is_empty());
    }
}
