//! The real `bootstrap` binary in emulator mode on an ephemeral 127.0.0.1 port, its output
//! kept for assertions, stopped by PID.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// A running emulator process.
pub struct EmulatorProcess {
    child: Child,
    /// `http://127.0.0.1:<port>`, as the process printed it.
    pub base: String,
    logs: Arc<Mutex<Vec<String>>>,
}

impl EmulatorProcess {
    /// Starts the binary with `extra_args` and waits (at most 30 s) until it listens.
    pub async fn start(extra_args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
            .args(["--addr", "127.0.0.1:0"])
            .args(extra_args)
            .env_remove("AWS_LAMBDA_RUNTIME_API")
            .env("LEPTOS_SITE_ROOT", super::public_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the bootstrap binary starts");
        let logs: Arc<Mutex<Vec<String>>> = Arc::default();
        let stderr = child.stderr.take().unwrap();
        let stderr_logs = Arc::clone(&logs);
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                stderr_logs.lock().unwrap().push(line);
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(url) = line.split("listening on ").nth(1) {
                    return url.trim().to_string();
                }
            }
            panic!("the emulator exited before listening");
        })
        .await
        .expect("the emulator starts listening within 30 s");
        // Keep draining stdout so the process never blocks on a full pipe.
        let stdout_logs = Arc::clone(&logs);
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                stdout_logs.lock().unwrap().push(line);
            }
        });
        Self { child, base, logs }
    }

    /// The process ID, for reading its memory from `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the emulator is running")
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Whether a line containing `needle` was printed, waiting up to `limit` for it.
    pub async fn logged_within(&self, needle: &str, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if self
                .logs
                .lock()
                .unwrap()
                .iter()
                .any(|line| line.contains(needle))
            {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Everything printed after the listening line.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// Stops the process by PID.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
