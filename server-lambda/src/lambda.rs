//! The Lambda function: the Runtime API loop of `lambda_runtime`, one ALB event per invocation.

use std::convert::Infallible;
use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::value::RawValue;

use crate::alb::AlbResponse;
use crate::handler::AlbHandler;

/// Serves invocations until the runtime stops the process.
pub async fn run(handler: AlbHandler) -> Result<(), lambda_runtime::Error> {
    let handler = Arc::new(handler);
    // The payload stays raw JSON text so the handler parses it once, in document order.
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| {
        let handler = Arc::clone(&handler);
        async move {
            let payload = event.payload.get().as_bytes();
            let response: AlbResponse = handler.handle(payload, &event.context.request_id).await;
            Ok::<_, Infallible>(response)
        }
    }))
    .await
}
