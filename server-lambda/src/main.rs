//! `bootstrap`: the Lambda function when `AWS_LAMBDA_RUNTIME_API` is set, the local ALB
//! emulator otherwise.

use std::process::ExitCode;
use std::time::Instant;

use server_lambda::config::{ConfigError, RunMode, Settings, USAGE};
use server_lambda::{AlbHandler, emulator, lambda, site, telemetry};

fn main() -> ExitCode {
    let started = Instant::now();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let settings = match Settings::from_env(&args) {
        Ok(settings) => settings,
        Err(ConfigError::HelpRequested) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("bootstrap: {error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    telemetry::init();
    let logging_ready = started.elapsed();

    // Lambda sends one event at a time: a single-threaded runtime starts faster.
    let runtime = match settings.run_mode {
        RunMode::Lambda => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        RunMode::Emulator { .. } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    }
    .expect("the tokio runtime starts");

    let runtime_ready = started.elapsed();

    runtime.block_on(async move {
        let handler = AlbHandler::new(site::router(settings.leptos));
        // One line per cold start: where the time before the first event went.
        tracing::info!(
            logging_ms = ms(logging_ready),
            runtime_ms = ms(runtime_ready - logging_ready),
            router_ms = ms(started.elapsed() - runtime_ready),
            total_ms = ms(started.elapsed()),
            "initialized"
        );
        match settings.run_mode {
            RunMode::Lambda => match lambda::run(handler).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    // Lambda answers a non-zero exit with a fresh execution environment,
                    // which is the only cure for a Runtime API that fails (lambda.rs).
                    tracing::error!(%error, "the Lambda runtime loop stopped; exiting so Lambda restarts the environment");
                    ExitCode::FAILURE
                }
            },
            RunMode::Emulator { addr, header_mode } => {
                let listener = match tokio::net::TcpListener::bind(addr).await {
                    Ok(listener) => listener,
                    Err(error) => {
                        eprintln!("bootstrap: cannot listen on {addr}: {error}");
                        return ExitCode::FAILURE;
                    }
                };
                let local = listener
                    .local_addr()
                    .map(|addr| addr.to_string())
                    .unwrap_or_default();
                println!(
                    "ALB emulator ({} headers) listening on http://{local}",
                    header_mode.as_str()
                );
                match emulator::serve(listener, handler, header_mode).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(error) => {
                        eprintln!("bootstrap: the emulator stopped: {error}");
                        ExitCode::FAILURE
                    }
                }
            }
        }
    })
}

/// A duration in milliseconds, as the logs carry them.
fn ms(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
