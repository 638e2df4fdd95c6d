//! The facts a deploy script needs about a stage, as JSON, from the same stage file as the
//! template: nothing about a stage is written down twice.

use serde_json::{Value, json};

use crate::config::Stage;
use crate::resources::parameters;

/// IAM capability the stack needs: it creates a role (with a generated name).
pub const CAPABILITIES: [&str; 1] = ["CAPABILITY_IAM"];

/// Stack name, region, account, artifact bucket, parameter names and derived names.
pub fn describe(stage: &Stage) -> Value {
    let settings = &stage.settings;
    let names = &stage.names;
    json!({
        "stage": stage.name,
        "stack_name": names.stack,
        "region": settings.region,
        "account_id": settings.account_id,
        "artifact_bucket": names.artifact_bucket,
        "parameters": {
            "artifact_bucket": parameters::ARTIFACT_BUCKET,
            "artifact_key": parameters::ARTIFACT_KEY,
        },
        "capabilities": CAPABILITIES,
        "architecture": settings.function.architecture.as_str(),
        "domain": settings.domain,
        "url": format!("https://{}", settings.domain),
        "function_name": names.function,
        "log_group": names.log_group,
        "target_group_name": names.target_group,
        "dashboard_name": names.dashboard,
        "deletion_protection": stage.deletion_protection(),
        "dualstack": settings.network.dualstack,
        "health_check": settings.load_balancer.health_check,
    })
}
