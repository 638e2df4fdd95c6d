//! Benchmark fixture: the smallest `lambda_runtime` function that answers an ALB event, the
//! floor `scripts/bench.sh` measures `bootstrap`'s cold start against. Built with the same
//! profile as `bootstrap`; it echoes the event's path in a fixed ALB response.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        let path = event.payload["path"].as_str().unwrap_or("/").to_string();
        Ok::<_, Error>(json!({
            "statusCode": 200,
            "statusDescription": "200 OK",
            "headers": { "content-type": "text/plain; charset=utf-8" },
            "body": path,
            "isBase64Encoded": false,
        }))
    }))
    .await
}
