//! The Lambda function: the Runtime API loop of `lambda_runtime`, one event per invocation.

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt as _;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::value::RawValue;

use crate::events::LambdaResponse;
use crate::handler::{AlbHandler, panic_message};

/// Serves invocations until the runtime stops the process.
///
/// How Runtime API faults end up (tests/faults.rs proves each): `invocation/next` is a long
/// poll, so a slow answer is simply waited for; a response POST the API rejects is logged
/// by `lambda_runtime` and the loop goes on to the next event; an error status or a refused
/// connection on `invocation/next` ends the loop with an error, and `main` logs it and exits
/// non-zero. The Runtime API is a local endpoint of the execution environment: when it
/// fails, retrying inside the process cannot help, and Lambda replaces an environment whose
/// runtime exited.
pub async fn run(handler: AlbHandler) -> Result<(), lambda_runtime::Error> {
    let handler = Arc::new(handler);
    // The payload stays raw JSON text so the handler parses it once, in document order.
    let runtime_loop = lambda_runtime::run(service_fn(move |event: LambdaEvent<Box<RawValue>>| {
        let handler = Arc::clone(&handler);
        async move {
            let payload = event.payload.get().as_bytes();
            let response: LambdaResponse = handler
                .handle_event(payload, &event.context.request_id)
                .await;
            Ok::<_, Infallible>(response)
        }
    }));
    // lambda_runtime 1.5 panics when `invocation/next` answers without a request id, as it
    // does with an error status; that is a Runtime API failure like any other.
    match AssertUnwindSafe(runtime_loop).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(format!(
            "the Runtime API's answer to invocation/next was unusable: {}",
            panic_message(panic.as_ref())
        )
        .into()),
    }
}
