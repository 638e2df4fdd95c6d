//! The table `scripts/bench.sh` prints: cold start of the real `bootstrap` against a bare
//! `lambda_runtime` function (examples/echo_bootstrap.rs) with the starter's site and with a
//! generated ~30 MB one, memory over 1,000 and 10,000 invocations in one process, the warm
//! figures criterion measured just before (benches/warm.rs), and the sizes of what ships.
//!
//! Every figure comes from processes answering a Runtime API on 127.0.0.1, as on Lambda.
//! Configured by environment (bench.sh sets it): `BENCH_ECHO_BOOTSTRAP` (the fixture binary),
//! `BENCH_SITE_ROOT` (the release site), `BENCH_SAMPLES` (spawns per row, default 30),
//! `BENCH_INVOCATIONS` (default 10000), `BENCH_ZIP` (the arm64 zip, optional),
//! `BENCH_CRITERION_DIR` (criterion's output, optional).

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use common::runtime_api::{Faults, LambdaUnderTest};
use common::{browser_headers, event, memory_kib};
use server_lambda::alb::HeaderMode::MultiValue;

/// What the big site adds: this many generated files of this size (random, incompressible).
const BIG_SITE_FILES: usize = 40;
const BIG_SITE_FILE_BYTES: usize = 750 * 1024;

struct Settings {
    bootstrap: PathBuf,
    echo: PathBuf,
    site_root: PathBuf,
    samples: usize,
    invocations: usize,
    zip: Option<PathBuf>,
    criterion: Option<PathBuf>,
}

impl Settings {
    fn from_env() -> Result<Self, String> {
        let path = |name: &str| std::env::var_os(name).map(PathBuf::from);
        let required = |name: &str| {
            path(name).ok_or_else(|| format!("{name} is not set (run scripts/bench.sh)"))
        };
        let number = |name: &str, default: usize| match std::env::var(name) {
            Ok(value) => value
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{name} must be a positive whole number, got {value:?}")),
            Err(_) => Ok(default),
        };
        let settings = Self {
            bootstrap: PathBuf::from(env!("CARGO_BIN_EXE_bootstrap")),
            echo: required("BENCH_ECHO_BOOTSTRAP")?,
            site_root: required("BENCH_SITE_ROOT")?,
            samples: number("BENCH_SAMPLES", 30)?,
            invocations: number("BENCH_INVOCATIONS", 10_000)?,
            zip: path("BENCH_ZIP").filter(|zip| zip.is_file()),
            criterion: path("BENCH_CRITERION_DIR").filter(|dir| dir.is_dir()),
        };
        for binary in [&settings.echo, &settings.bootstrap] {
            if !binary.is_file() {
                return Err(format!(
                    "{} does not exist; build it first",
                    binary.display()
                ));
            }
        }
        if !settings.site_root.join("pkg").is_dir() {
            return Err(format!(
                "{} has no pkg/: build the site first (scripts/build-site.sh)",
                settings.site_root.display()
            ));
        }
        Ok(settings)
    }
}

/// One cold start: spawn → first response to `GET /`, and the process's figures then.
struct ColdStart {
    elapsed: Duration,
    peak_rss_kib: u64,
    /// `bootstrap`'s own account of its start-up (`initialized` log line), if it logs one.
    init_ms: Option<f64>,
    router_ms: Option<f64>,
    /// The first request's handling time from the access log line, if any.
    first_request_ms: Option<f64>,
}

async fn cold_start(binary: &Path, site_root: &Path) -> ColdStart {
    let mut lambda =
        LambdaUnderTest::start_binary(binary, &site_root.to_string_lossy(), Faults::default())
            .await;
    let spawned_at = lambda.spawned_at;
    let response = lambda
        .invoke(&event(MultiValue, "GET", "/", &[], &browser_headers()))
        .await;
    let elapsed = spawned_at.elapsed();
    assert_eq!(response["statusCode"], 200, "{response}");
    let peak_rss_kib = memory_kib(lambda.pid(), "VmHWM");
    // The log lines of the first event are written before its response is posted.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let logs = lambda.logs();
    let field = |message: &str, name: &str| {
        logs.iter()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find(|line| line["message"] == message)
            .and_then(|line| line[name].as_f64())
    };
    let cold = ColdStart {
        elapsed,
        peak_rss_kib,
        init_ms: field("initialized", "total_ms"),
        router_ms: field("initialized", "router_ms"),
        first_request_ms: field("request", "duration_ms"),
    };
    lambda.stop().await;
    cold
}

async fn cold_starts(binary: &Path, site_root: &Path, samples: usize) -> Vec<ColdStart> {
    let mut runs = Vec::with_capacity(samples);
    for _ in 0..samples {
        runs.push(cold_start(binary, site_root).await);
    }
    runs
}

/// The value at quantile `q` (0..=1) of `values`, nearest rank.
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn median_of(runs: &[ColdStart], figure: impl Fn(&ColdStart) -> Option<f64>) -> Option<f64> {
    let values: Vec<f64> = runs.iter().filter_map(figure).collect();
    (!values.is_empty()).then(|| quantile(&values, 0.5))
}

fn ms_of(runs: &[ColdStart]) -> Vec<f64> {
    runs.iter()
        .map(|run| run.elapsed.as_secs_f64() * 1000.0)
        .collect()
}

/// Peak and current resident memory after `checkpoints` invocations of `GET /` in one process.
async fn memory_over(
    binary: &Path,
    site_root: &Path,
    checkpoints: &[usize],
) -> Vec<(usize, u64, u64)> {
    let mut lambda =
        LambdaUnderTest::start_binary(binary, &site_root.to_string_lossy(), Faults::default())
            .await;
    let home = event(MultiValue, "GET", "/", &[], &browser_headers());
    let mut figures = Vec::new();
    let mut done = 0;
    for &checkpoint in checkpoints {
        while done < checkpoint {
            let response = lambda.invoke(&home).await;
            assert_eq!(response["statusCode"], 200);
            done += 1;
        }
        figures.push((
            done,
            memory_kib(lambda.pid(), "VmHWM"),
            memory_kib(lambda.pid(), "VmRSS"),
        ));
    }
    lambda.stop().await;
    figures
}

/// A copy of `site_root` with [`BIG_SITE_FILES`] incompressible images added, in a fresh
/// temporary directory.
fn big_site(site_root: &Path) -> std::io::Result<PathBuf> {
    let target = std::env::temp_dir().join(format!("bench-big-site-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&target);
    copy_dir(site_root, &target)?;
    let images = target.join("photos");
    std::fs::create_dir_all(&images)?;
    for n in 0..BIG_SITE_FILES {
        let photo = common::incompressible(BIG_SITE_FILE_BYTES, n as u64 + 1);
        std::fs::write(images.join(format!("photo-{n:02}.jpg")), photo)?;
    }
    Ok(target)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let destination = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &destination)?;
        } else {
            std::fs::copy(entry.path(), destination)?;
        }
    }
    Ok(())
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => dir_bytes(&entry.path()),
            _ => entry.metadata().map(|meta| meta.len()).unwrap_or(0),
        })
        .sum()
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; nothing else is taken from the command line.
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(problem) => {
            eprintln!("bench: {problem}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let table = runtime.block_on(measure(&settings));
    match table {
        Ok(table) => {
            println!("{table}");
            ExitCode::SUCCESS
        }
        Err(problem) => {
            eprintln!("bench: {problem}");
            ExitCode::FAILURE
        }
    }
}

#[path = "startup/report.rs"]
mod report;

async fn measure(settings: &Settings) -> Result<String, String> {
    let samples = settings.samples;
    // One unmeasured start each, so the first sample does not pay for a cold page cache.
    cold_start(&settings.echo, &settings.site_root).await;
    cold_start(&settings.bootstrap, &settings.site_root).await;
    let echo = cold_starts(&settings.echo, &settings.site_root, samples).await;
    let starter = cold_starts(&settings.bootstrap, &settings.site_root, samples).await;

    let big_root = big_site(&settings.site_root)
        .map_err(|error| format!("cannot write the big site: {error}"))?;
    let big = cold_starts(&settings.bootstrap, &big_root, samples).await;
    let big_bytes = dir_bytes(&big_root);
    let _ = std::fs::remove_dir_all(&big_root);

    let checkpoints = [settings.invocations / 10, settings.invocations];
    let memory = memory_over(&settings.bootstrap, &settings.site_root, &checkpoints).await;

    Ok(report::table(&report::Figures {
        samples,
        echo: ms_of(&echo),
        starter: ms_of(&starter),
        big: ms_of(&big),
        starter_site_bytes: dir_bytes(&settings.site_root),
        big_site_bytes: big_bytes,
        echo_peak_kib: echo.iter().map(|run| run.peak_rss_kib).max().unwrap_or(0),
        starter_peak_kib: starter
            .iter()
            .map(|run| run.peak_rss_kib)
            .max()
            .unwrap_or(0),
        big_peak_kib: big.iter().map(|run| run.peak_rss_kib).max().unwrap_or(0),
        init_ms: median_of(&starter, |run| run.init_ms),
        router_ms: median_of(&starter, |run| run.router_ms),
        first_request_ms: median_of(&starter, |run| run.first_request_ms),
        memory,
        bootstrap: settings.bootstrap.clone(),
        site_root: settings.site_root.clone(),
        zip: settings.zip.clone(),
        criterion: settings.criterion.clone(),
    }))
}
