//! A small Lambda Runtime API on 127.0.0.1 and the real `bootstrap` binary polling it.
//!
//! The API follows the documented `2018-06-01` routes: `invocation/next` hands out queued
//! events (long-polling), `invocation/{id}/response` and `/error` complete them. [`Faults`]
//! makes it misbehave the ways a Runtime API can: an error status, a slow answer, a rejected
//! response, or no API at all.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{Path, State},
    routing::{get, post},
};
use http::Response;
use tokio::io::BufReader;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};

/// The published version the bootstrap under test is told it serves.
pub const FUNCTION_VERSION: &str = "7";

/// The binary under test.
const BOOTSTRAP: &str = env!("CARGO_BIN_EXE_bootstrap");

/// How long one invocation may take before the test fails.
const INVOCATION_TIMEOUT: Duration = Duration::from_secs(30);

/// The outcome the function reported for an invocation.
#[derive(Debug)]
pub enum Outcome {
    /// `POST …/response` with this body.
    Response(Bytes),
    /// `POST …/error` with this body.
    Error(Bytes),
}

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Outcome>>>>;

/// Misbehaviour the Runtime API shows; the default is none.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// The first `invocation/next` answers this status with an error body and no event.
    pub next_fails_with: Option<u16>,
    /// Every `invocation/next` holds the event this long before handing it out.
    pub next_delay: Duration,
    /// The first `…/response` POST is answered with this status (its outcome still counts).
    pub first_response_rejected_with: Option<u16>,
    /// Every `…/response` POST is held this long before it is accepted.
    pub response_delay: Duration,
    /// Nothing listens at the address the function is given.
    pub unreachable: bool,
}

struct ApiState {
    queue: tokio::sync::Mutex<mpsc::Receiver<(String, Vec<u8>)>>,
    pending: Pending,
    faults: Faults,
    next_failed: AtomicBool,
    response_rejected: AtomicBool,
}

/// A running Runtime API with a `bootstrap` process attached to it.
pub struct LambdaUnderTest {
    sender: mpsc::Sender<(String, Vec<u8>)>,
    pending: Pending,
    child: Child,
    logs: super::Lines,
    next_id: u64,
    server: tokio::task::JoinHandle<()>,
    /// When the process was spawned.
    pub spawned_at: Instant,
}

impl LambdaUnderTest {
    /// Starts the API on an ephemeral port and the real `bootstrap` against it.
    pub async fn start() -> Self {
        Self::start_with_site_root(&super::public_dir()).await
    }

    /// The same, serving the given site root.
    pub async fn start_with_site_root(site_root: &str) -> Self {
        Self::start_binary(BOOTSTRAP.as_ref(), site_root, Faults::default()).await
    }

    /// The same, against a Runtime API showing `faults`.
    pub async fn start_with_faults(faults: Faults) -> Self {
        Self::start_binary(BOOTSTRAP.as_ref(), &super::public_dir(), faults).await
    }

    /// Starts `binary` (the benchmarks also start a bare fixture) serving `site_root`.
    pub async fn start_binary(binary: &std::path::Path, site_root: &str, faults: Faults) -> Self {
        let (sender, receiver) = mpsc::channel(16);
        let pending: Pending = Arc::default();
        let unreachable = faults.unreachable;
        let state = Arc::new(ApiState {
            queue: tokio::sync::Mutex::new(receiver),
            pending: Arc::clone(&pending),
            faults,
            next_failed: AtomicBool::new(false),
            response_rejected: AtomicBool::new(false),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(respond),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api_addr = listener.local_addr().unwrap();
        let server = if unreachable {
            // The port was just free; closing the listener leaves nothing there.
            drop(listener);
            tokio::spawn(async {})
        } else {
            tokio::spawn(async move {
                axum::serve(listener, app).await.unwrap();
            })
        };

        let spawned_at = Instant::now();
        let mut child = Command::new(binary)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", api_addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "site-test")
            .env("AWS_LAMBDA_FUNCTION_VERSION", FUNCTION_VERSION)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/site-test")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "test-stream")
            .env("LEPTOS_SITE_ROOT", site_root)
            .env("RUST_BACKTRACE", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the bootstrap binary starts");
        let logs = super::Lines::default();
        super::collect_lines(BufReader::new(child.stdout.take().unwrap()), &logs);
        super::collect_lines(BufReader::new(child.stderr.take().unwrap()), &logs);
        Self {
            sender,
            pending,
            child,
            logs,
            next_id: 0,
            server,
            spawned_at,
        }
    }

    /// Invokes the function with a raw payload and waits for its outcome.
    pub async fn invoke_raw(&mut self, payload: Vec<u8>) -> Outcome {
        self.next_id += 1;
        let id = format!("request-{}", self.next_id);
        let (done, outcome) = oneshot::channel();
        self.pending.lock().unwrap().insert(id.clone(), done);
        self.sender.send((id, payload)).await.unwrap();
        match tokio::time::timeout(INVOCATION_TIMEOUT, outcome).await {
            Ok(outcome) => outcome.unwrap(),
            Err(_) => panic!(
                "no answer within {INVOCATION_TIMEOUT:?}; logs:\n{}",
                self.logs().join("\n")
            ),
        }
    }

    /// Invokes the function with an event and returns its response JSON.
    pub async fn invoke(&mut self, event: &serde_json::Value) -> serde_json::Value {
        match self.invoke_raw(serde_json::to_vec(event).unwrap()).await {
            Outcome::Response(body) => serde_json::from_slice(&body).expect("the response is JSON"),
            Outcome::Error(body) => panic!("invocation error: {}", String::from_utf8_lossy(&body)),
        }
    }

    /// The process ID, for reading its memory from `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the process is running")
    }

    /// Everything the process printed so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// Waits up to `limit` for the process to exit on its own; `None` if it is still running.
    pub async fn wait_for_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .ok()
            .map(|status| status.expect("the process can be waited for"))
    }

    /// Whether a log line containing `needle` has been printed, waiting up to `limit` for it.
    pub async fn logged_within(&self, needle: &str, limit: Duration) -> bool {
        super::line_within(&self.logs, needle, limit).await
    }

    /// Stops the process (by PID) and the API.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        self.server.abort();
    }
}

async fn next(State(state): State<Arc<ApiState>>) -> Response<Body> {
    if let Some(status) = state.faults.next_fails_with
        && !state.next_failed.swap(true, Ordering::SeqCst)
    {
        return Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Body::from(
                r#"{"errorMessage":"injected fault","errorType":"ServiceException"}"#,
            ))
            .unwrap();
    }
    let (id, payload) = state
        .queue
        .lock()
        .await
        .recv()
        .await
        .expect("the test keeps the sender");
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        + Duration::from_secs(30);
    let response = Response::builder()
        .header("lambda-runtime-aws-request-id", id)
        .header(
            "lambda-runtime-deadline-ms",
            deadline.as_millis().to_string(),
        )
        .header(
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:site-test",
        )
        .header(
            "lambda-runtime-trace-id",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        )
        .body(Body::from(payload))
        .unwrap();
    tokio::time::sleep(state.faults.next_delay).await;
    response
}

async fn respond(state: State<Arc<ApiState>>, id: Path<String>, body: Bytes) -> Response<Body> {
    tokio::time::sleep(state.0.faults.response_delay).await;
    let rejected = state
        .0
        .faults
        .first_response_rejected_with
        .filter(|_| !state.0.response_rejected.swap(true, Ordering::SeqCst));
    complete(state, id, Outcome::Response(body));
    match rejected {
        Some(status) => Response::builder()
            .status(status)
            .body(Body::from(r#"{"errorMessage":"injected fault"}"#))
            .unwrap(),
        None => Response::new(Body::from("{}")),
    }
}

async fn fail(state: State<Arc<ApiState>>, id: Path<String>, body: Bytes) -> &'static str {
    complete(state, id, Outcome::Error(body))
}

fn complete(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    outcome: Outcome,
) -> &'static str {
    if let Some(done) = state.pending.lock().unwrap().remove(&id) {
        let _ = done.send(outcome);
    }
    "{}"
}
