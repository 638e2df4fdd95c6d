//! A change set as the deploy prints it before running it: one row per resource, with what
//! happens to it and which properties change (`infra change-table` < describe-change-set JSON).

use serde_json::Value;

/// The table of `describe-change-set` output, indented for the deploy's log.
pub fn change_table(change_set: &Value) -> String {
    let changes = change_set["Changes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
    let mut rows: Vec<[String; 5]> = vec![[
        "action".into(),
        "resource".into(),
        "type".into(),
        "replacement".into(),
        "what changes".into(),
    ]];
    for change in &changes {
        let resource = &change["ResourceChange"];
        let mut targets: Vec<String> = resource["Details"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|detail| {
                let target = &detail["Target"];
                match target["Name"].as_str() {
                    Some(name) if !name.is_empty() => name.to_string(),
                    _ => text(&target["Attribute"]),
                }
            })
            .filter(|target| !target.is_empty())
            .collect();
        targets.sort();
        targets.dedup();
        let or_dash = |value: String| {
            if value.is_empty() {
                "-".to_string()
            } else {
                value
            }
        };
        rows.push([
            text(&resource["Action"]),
            text(&resource["LogicalResourceId"]),
            text(&resource["ResourceType"]),
            or_dash(text(&resource["Replacement"])),
            or_dash(targets.join(", ")),
        ]);
    }
    if rows.len() == 1 {
        return "    (no resource changes)\n".to_string();
    }
    let width = |column: usize| rows.iter().map(|row| row[column].len()).max().unwrap_or(0);
    let widths = [width(0), width(1), width(2), width(3)];
    rows.iter()
        .map(|row| {
            let padded: Vec<String> = (0..4)
                .map(|column| format!("{:<width$}", row[column], width = widths[column]))
                .collect();
            format!("    {}  {}\n", padded.join("  "), row[4])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_change_is_a_row_with_its_changed_properties_once() {
        let table = change_table(&json!({"Changes": [
            {"ResourceChange": {"Action": "Modify", "LogicalResourceId": "Function",
             "ResourceType": "AWS::Lambda::Function", "Replacement": "False",
             "Details": [{"Target": {"Name": "Code", "Attribute": "Properties"}},
                         {"Target": {"Name": "MemorySize"}}, {"Target": {"Name": "Code"}}]}},
            {"ResourceChange": {"Action": "Add", "LogicalResourceId": "DnsRecordA",
             "ResourceType": "AWS::Route53::RecordSet", "Details": []}},
            {"ResourceChange": {"Action": "Modify", "LogicalResourceId": "Alarm",
             "ResourceType": "AWS::CloudWatch::Alarm", "Replacement": null,
             "Details": [{"Target": {"Attribute": "Tags"}}]}}
        ]}));
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        assert!(
            lines[0].starts_with("    action  resource    type"),
            "{table}"
        );
        assert!(
            lines[1].contains("Modify  Function    AWS::Lambda::Function"),
            "{table}"
        );
        assert!(
            lines[1].ends_with("False        Code, MemorySize"),
            "{table}"
        );
        assert!(lines[2].ends_with("-            -"), "{table}");
        assert!(lines[3].ends_with("Tags"), "{table}");
    }

    #[test]
    fn no_changes_says_so() {
        assert_eq!(
            change_table(&json!({"Changes": []})),
            "    (no resource changes)\n"
        );
        assert_eq!(change_table(&json!({})), "    (no resource changes)\n");
    }
}
