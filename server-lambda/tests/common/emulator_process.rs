//! The real `bootstrap` binary in emulator mode on an ephemeral 127.0.0.1 port, its output
//! kept for assertions, stopped by PID.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use super::Lines;

/// A running emulator process.
pub struct EmulatorProcess {
    child: Child,
    /// `http://127.0.0.1:<port>`, as the process printed it.
    pub base: String,
    logs: Lines,
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
        let logs = Lines::default();
        super::collect_lines(BufReader::new(child.stderr.take().unwrap()), &logs);
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
        super::collect_lines(lines.into_inner(), &logs);
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
        super::line_within(&self.logs, needle, limit).await
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
