//! The Lambda function: the Runtime API loop of `lambda_runtime`, one ALB event per invocation.

use std::convert::Infallible;
use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};

use crate::alb::AlbResponse;
use crate::handler::AlbHandler;

/// Serves invocations until the runtime stops the process.
pub async fn run(handler: AlbHandler) -> Result<(), lambda_runtime::Error> {
    let handler = Arc::new(handler);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let handler = Arc::clone(&handler);
        async move {
            let response: AlbResponse = handler.handle(event.payload, &event.context.request_id).await;
            Ok::<_, Infallible>(response)
        }
    }))
    .await
}
