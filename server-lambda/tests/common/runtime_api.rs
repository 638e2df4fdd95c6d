//! A small Lambda Runtime API on 127.0.0.1 and the real `bootstrap` binary polling it.
//!
//! The API follows the documented `2018-06-01` routes: `invocation/next` hands out queued
//! events (long-polling), `invocation/{id}/response` and `/error` complete them.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{Path, State},
    routing::{get, post},
};
use http::Response;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};

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

struct ApiState {
    queue: tokio::sync::Mutex<mpsc::Receiver<(String, Vec<u8>)>>,
    pending: Pending,
}

/// A running Runtime API with a `bootstrap` process attached to it.
pub struct LambdaUnderTest {
    sender: mpsc::Sender<(String, Vec<u8>)>,
    pending: Pending,
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    next_id: u64,
    server: tokio::task::JoinHandle<()>,
}

impl LambdaUnderTest {
    /// Starts the API on an ephemeral port and the real `bootstrap` against it.
    pub async fn start() -> Self {
        Self::start_with_site_root(&super::public_dir()).await
    }

    /// The same, serving the given site root.
    pub async fn start_with_site_root(site_root: &str) -> Self {
        let (sender, receiver) = mpsc::channel(16);
        let pending: Pending = Arc::default();
        let state = Arc::new(ApiState {
            queue: tokio::sync::Mutex::new(receiver),
            pending: Arc::clone(&pending),
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
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });

        let mut child = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", api_addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "site-test")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
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
        let logs: Arc<Mutex<Vec<String>>> = Arc::default();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let logs = Arc::clone(&logs);
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    logs.lock().unwrap().push(line);
                }
            });
        }
        Self {
            sender,
            pending,
            child,
            logs,
            next_id: 0,
            server,
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

    /// Everything the process printed so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// Stops the process (by PID) and the API.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        self.server.abort();
    }
}

async fn next(State(state): State<Arc<ApiState>>) -> Response<Body> {
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
    Response::builder()
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
        .unwrap()
}

async fn respond(state: State<Arc<ApiState>>, id: Path<String>, body: Bytes) -> &'static str {
    complete(state, id, Outcome::Response(body))
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
