//! A stand-in for the AWS CLI in unit tests: canned answers by `service operation`, every call
//! recorded.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::Value;

use super::aws::AwsApi;

/// Answers calls from a table (`{}` for any call not in it) and records them.
#[derive(Default)]
pub struct FakeAws {
    answers: BTreeMap<String, Value>,
    calls: RefCell<Vec<String>>,
}

impl FakeAws {
    /// No answers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers `service operation` (e.g. `"ec2 create-vpc"`) with `value`.
    pub fn answer(mut self, call: &str, value: Value) -> Self {
        self.answers.insert(call.to_string(), value);
        self
    }

    /// Every call so far, as `service operation args…`.
    pub fn calls(&self) -> Vec<String> {
        self.calls.borrow().clone()
    }
}

impl AwsApi for FakeAws {
    fn call(&self, service: &str, operation: &str, args: &[&str]) -> Result<Value, String> {
        let call = format!("{service} {operation}");
        self.calls
            .borrow_mut()
            .push(format!("{call} {}", args.join(" ")).trim_end().to_string());
        Ok(self
            .answers
            .get(&call)
            .cloned()
            .unwrap_or_else(|| Value::Object(Default::default())))
    }
}
