//! The CloudFormation vocabulary: intrinsic functions, resources with their linter skips, the
//! template, and its canonical JSON.
//!
//! Output is canonical (object keys sorted at every level) whatever `serde_json`'s map order
//! is, so a template is the same bytes on every run and every feature set.

use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Value, json};

/// `{"Ref": name}`: a parameter's value or a resource's primary id.
pub fn reference(name: &str) -> Value {
    json!({ "Ref": name })
}

/// `{"Fn::GetAtt": [resource, attribute]}`.
pub fn get_att(resource: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [resource, attribute] })
}

/// `{"Fn::Sub": text}`: `${AWS::Region}`-style substitution.
pub fn sub(text: impl Into<String>) -> Value {
    json!({ "Fn::Sub": text.into() })
}

/// `{"Fn::Sub": [text, variables]}`: substitution with named values.
pub fn sub_with(text: impl Into<String>, variables: Value) -> Value {
    json!({ "Fn::Sub": [text.into(), variables] })
}

/// `{"Fn::If": [condition, then, otherwise]}`.
pub fn if_(condition: &str, then: Value, otherwise: Value) -> Value {
    json!({ "Fn::If": [condition, then, otherwise] })
}

/// `{"Fn::Join": [separator, parts]}`.
pub fn join(separator: &str, parts: Vec<Value>) -> Value {
    json!({ "Fn::Join": [separator, parts] })
}

/// `[{"Key": …, "Value": …}, …]`, the shape of tags and ELB attributes, in the given order.
pub fn key_values(pairs: &[(&str, String)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(key, value)| json!({ "Key": key, "Value": value }))
            .collect(),
    )
}

/// A linter check switched off on one resource, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    /// The check id, e.g. `CKV_AWS_117`.
    pub id: &'static str,
    /// Why the check does not apply here.
    pub reason: String,
}

/// One resource of the template.
#[derive(Clone, Debug)]
pub struct Resource {
    /// The CloudFormation type, e.g. `AWS::Lambda::Function`.
    pub kind: &'static str,
    /// Its `Properties`.
    pub properties: Value,
    /// Logical ids it must wait for although it does not reference them.
    pub depends_on: Vec<&'static str>,
    /// checkov checks skipped, written to `Metadata.checkov.skip` with their reasons.
    pub checkov_skips: Vec<Skip>,
    /// cfn-lint rules ignored, written to `Metadata.cfn-lint.config.ignore_checks`.
    pub cfn_lint_ignores: Vec<Skip>,
    /// `DeletionPolicy` and `UpdateReplacePolicy`, for a resource that holds data.
    pub policies: Option<(&'static str, &'static str)>,
}

impl Resource {
    /// A resource of `kind` with `properties`.
    pub fn new(kind: &'static str, properties: Value) -> Self {
        Self {
            kind,
            properties,
            depends_on: Vec::new(),
            checkov_skips: Vec::new(),
            cfn_lint_ignores: Vec::new(),
            policies: None,
        }
    }

    /// What happens to the resource's data when the stack deletes it, and when an update
    /// replaces it (`Delete`, `Retain`, `Snapshot`).
    pub fn data_policies(mut self, deletion: &'static str, update_replace: &'static str) -> Self {
        self.policies = Some((deletion, update_replace));
        self
    }

    /// Adds an explicit `DependsOn`.
    pub fn depends_on(mut self, logical_id: &'static str) -> Self {
        self.depends_on.push(logical_id);
        self
    }

    /// Skips a checkov check on this resource, with the reason shown in the template.
    pub fn skip_checkov(mut self, id: &'static str, reason: impl Into<String>) -> Self {
        self.checkov_skips.push(Skip {
            id,
            reason: reason.into(),
        });
        self
    }

    /// Ignores a cfn-lint rule on this resource; the reason stays in the code (cfn-lint's
    /// metadata has no place for one).
    pub fn ignore_cfn_lint(mut self, id: &'static str, reason: impl Into<String>) -> Self {
        self.cfn_lint_ignores.push(Skip {
            id,
            reason: reason.into(),
        });
        self
    }

    /// The resource as template JSON.
    pub fn to_json(&self) -> Value {
        let mut resource = json!({ "Type": self.kind, "Properties": self.properties });
        if !self.depends_on.is_empty() {
            resource["DependsOn"] = json!(self.depends_on);
        }
        if let Some((deletion, update_replace)) = self.policies {
            resource["DeletionPolicy"] = json!(deletion);
            resource["UpdateReplacePolicy"] = json!(update_replace);
        }
        let mut metadata = serde_json::Map::new();
        if !self.checkov_skips.is_empty() {
            let skips: Vec<Value> = self
                .checkov_skips
                .iter()
                .map(|skip| json!({ "id": skip.id, "comment": skip.reason }))
                .collect();
            metadata.insert("checkov".into(), json!({ "skip": skips }));
        }
        if !self.cfn_lint_ignores.is_empty() {
            let ids: Vec<&str> = self.cfn_lint_ignores.iter().map(|skip| skip.id).collect();
            metadata.insert(
                "cfn-lint".into(),
                json!({ "config": { "ignore_checks": ids } }),
            );
        }
        if !metadata.is_empty() {
            resource["Metadata"] = Value::Object(metadata);
        }
        resource
    }
}

/// A whole template.
#[derive(Clone, Debug, Default)]
pub struct Template {
    /// `Description`.
    pub description: String,
    /// `Parameters` by name.
    pub parameters: BTreeMap<String, Value>,
    /// `Conditions` by name (the section is left out when there are none).
    pub conditions: BTreeMap<String, Value>,
    /// `Resources` by logical id.
    pub resources: BTreeMap<String, Resource>,
    /// `Outputs` by name.
    pub outputs: BTreeMap<String, Value>,
}

impl Template {
    /// Adds a resource; a logical id used twice is a bug in the builders.
    pub fn add(&mut self, logical_id: &str, resource: Resource) {
        let previous = self.resources.insert(logical_id.to_string(), resource);
        assert!(previous.is_none(), "logical id {logical_id} added twice");
    }

    /// Adds an output with a description.
    pub fn output(&mut self, name: &str, description: &str, value: Value) {
        self.outputs.insert(
            name.to_string(),
            json!({ "Description": description, "Value": value }),
        );
    }

    /// The template as JSON.
    pub fn to_json(&self) -> Value {
        let resources: serde_json::Map<String, Value> = self
            .resources
            .iter()
            .map(|(id, resource)| (id.clone(), resource.to_json()))
            .collect();
        let mut template = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": self.description,
            "Parameters": self.parameters,
            "Resources": resources,
            "Outputs": self.outputs,
        });
        if !self.conditions.is_empty() {
            template["Conditions"] = json!(self.conditions);
        }
        template
    }

    /// The template as canonical, indented JSON with a final newline.
    pub fn render(&self) -> String {
        let mut text = to_canonical_json(&self.to_json(), true);
        text.push('\n');
        text
    }
}

/// Serializes `value` with object keys sorted at every level, indented or compact.
pub fn to_canonical_json(value: &Value, pretty: bool) -> String {
    let sorted = Sorted(value);
    let result = if pretty {
        serde_json::to_string_pretty(&sorted)
    } else {
        serde_json::to_string(&sorted)
    };
    result.expect("a JSON value always serializes")
}

/// A `Value` that serializes its objects' keys in sorted order.
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(object) => {
                let mut entries: Vec<(&String, &Value)> = object.iter().collect();
                entries.sort_by(|left, right| left.0.cmp(right.0));
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, &Sorted(value))?;
                }
                map.end()
            }
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Sorted(item))?;
                }
                seq.end()
            }
            scalar => scalar.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let value = json!({ "b": 1, "a": { "d": [ { "z": 1, "y": 2 } ], "c": null } });
        assert_eq!(
            to_canonical_json(&value, false),
            r#"{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}"#
        );
    }

    #[test]
    fn skips_become_metadata() {
        let resource = Resource::new("AWS::X::Y", json!({}))
            .skip_checkov("CKV_AWS_1", "because")
            .ignore_cfn_lint("W1", "because")
            .depends_on("Other");
        let json = resource.to_json();
        assert_eq!(
            json["Metadata"]["checkov"]["skip"][0],
            json!({ "id": "CKV_AWS_1", "comment": "because" })
        );
        assert_eq!(
            json["Metadata"]["cfn-lint"]["config"]["ignore_checks"],
            json!(["W1"])
        );
        assert_eq!(json["DependsOn"], json!(["Other"]));
    }
}
