//! The one table of `scripts/bench.sh`: every figure beside its reference and its goal.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::quantile;

/// Everything measured in one run.
pub struct Figures {
    pub samples: usize,
    /// Spawn → first response, in ms, per sample.
    pub echo: Vec<f64>,
    pub starter: Vec<f64>,
    pub big: Vec<f64>,
    pub starter_site_bytes: u64,
    pub big_site_bytes: u64,
    pub echo_peak_kib: u64,
    pub starter_peak_kib: u64,
    pub big_peak_kib: u64,
    pub init_ms: Option<f64>,
    pub router_ms: Option<f64>,
    pub first_request_ms: Option<f64>,
    /// (invocations, peak KiB, resident KiB) at each checkpoint.
    pub memory: Vec<(usize, u64, u64)>,
    pub bootstrap: PathBuf,
    pub site_root: PathBuf,
    pub zip: Option<PathBuf>,
    pub criterion: Option<PathBuf>,
}

/// The warm cases `benches/warm.rs` measures, as criterion names them.
const WARM_CASES: [&str; 3] = ["home", "hello", "asset"];

struct Table(String);

impl Table {
    fn row(&mut self, figure: &str, value: String, reference: String, ratio: String, goal: &str) {
        let _ = writeln!(
            self.0,
            "| {figure} | {value} | {reference} | {ratio} | {goal} |"
        );
    }
}

fn ms(value: f64) -> String {
    format!("{value:.2} ms")
}

fn mib_of_kib(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 / 1024.0)
}

fn size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

fn ratio(value: f64, reference: f64) -> String {
    format!("{:.2}×", value / reference)
}

/// Criterion's median for `warm/<function>/<case>` in µs, if that bench ran.
fn warm_us(criterion: &Path, function: &str, case: &str) -> Option<f64> {
    let estimates = criterion
        .join("warm")
        .join(function)
        .join(case)
        .join("new/estimates.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(estimates).ok()?).ok()?;
    Some(json["median"]["point_estimate"].as_f64()? / 1000.0)
}

/// Sizes of the hydrate bundle as shipped: raw and its precompressed twins.
fn wasm_sizes(site_root: &Path) -> Option<(u64, Option<u64>, Option<u64>)> {
    let wasm = std::fs::read_dir(site_root.join("pkg"))
        .ok()?
        .flatten()
        .map(|entry| entry.path())
        .find(|path| {
            path.extension()
                .is_some_and(|extension| extension == "wasm")
        })?;
    let size_of = |path: PathBuf| std::fs::metadata(path).ok().map(|meta| meta.len());
    let twin = |suffix: &str| size_of(PathBuf::from(format!("{}.{suffix}", wasm.display())));
    Some((size_of(wasm.clone())?, twin("gz"), twin("br")))
}

/// The markdown table.
pub fn table(figures: &Figures) -> String {
    let mut table = Table(String::new());
    let _ = writeln!(
        table.0,
        "| Figure | bootstrap | Reference | Ratio | Goal |\n|---|---|---|---|---|"
    );
    let (echo50, echo90) = (quantile(&figures.echo, 0.5), quantile(&figures.echo, 0.9));
    let n = figures.samples;
    for (label, runs, site_bytes) in [
        ("starter site", &figures.starter, figures.starter_site_bytes),
        ("big site", &figures.big, figures.big_site_bytes),
    ] {
        let (p50, p90) = (quantile(runs, 0.5), quantile(runs, 0.9));
        table.row(
            &format!("cold start p50, {label} ({}), {n} spawns", size(site_bytes)),
            ms(p50),
            format!("echo {}", ms(echo50)),
            ratio(p50, echo50),
            "≤ 1.2×",
        );
        table.row(
            &format!("cold start p90, {label}"),
            ms(p90),
            format!("echo {}", ms(echo90)),
            ratio(p90, echo90),
            "≤ 1.2×",
        );
    }
    table.row(
        "peak RSS at first response, starter / big site",
        format!(
            "{} / {}",
            mib_of_kib(figures.starter_peak_kib),
            mib_of_kib(figures.big_peak_kib)
        ),
        format!("echo {}", mib_of_kib(figures.echo_peak_kib)),
        ratio(figures.big_peak_kib as f64, figures.starter_peak_kib as f64),
        "independent of site size",
    );
    let or_dash = |value: Option<f64>| value.map(ms).unwrap_or_else(|| "–".into());
    table.row(
        "… of which: main() → ready (router built)",
        or_dash(figures.init_ms),
        format!("router {}", or_dash(figures.router_ms)),
        String::new(),
        "",
    );
    table.row(
        "… of which: first `/` handled (first render)",
        or_dash(figures.first_request_ms),
        String::new(),
        String::new(),
        "",
    );
    if let Some(criterion) = &figures.criterion {
        for case in WARM_CASES {
            let Some(ours) = warm_us(criterion, "bootstrap-handler", case) else {
                continue;
            };
            let oneshot = warm_us(criterion, "router-oneshot", case);
            let lambda_http = warm_us(criterion, "lambda_http", case);
            table.row(
                &format!("warm `{case}`: ALB JSON in → out"),
                format!("{ours:.1} µs"),
                oneshot
                    .map(|us| format!("oneshot {us:.1} µs"))
                    .unwrap_or_default(),
                oneshot.map(|us| ratio(ours, us)).unwrap_or_default(),
                "≤ 1.10× oneshot",
            );
            if let Some(us) = lambda_http {
                table.row(
                    &format!("warm `{case}`: lambda_http's ALB path"),
                    format!("{ours:.1} µs"),
                    format!("lambda_http {us:.1} µs"),
                    ratio(ours, us),
                    "< 1×",
                );
            }
        }
    }
    if let [
        (first_n, first_peak, first_rss),
        (last_n, last_peak, last_rss),
    ] = figures.memory[..]
    {
        table.row(
            &format!("peak RSS after {first_n} / {last_n} invocations"),
            format!("{} / {}", mib_of_kib(first_peak), mib_of_kib(last_peak)),
            format!("RSS {} / {}", mib_of_kib(first_rss), mib_of_kib(last_rss)),
            ratio(last_peak as f64, first_peak as f64),
            "≤ 20 MB, no growth",
        );
    }
    let bootstrap_bytes = std::fs::metadata(&figures.bootstrap)
        .map(|meta| meta.len())
        .unwrap_or(0);
    table.row(
        "`bootstrap` (this machine's target)",
        size(bootstrap_bytes),
        String::new(),
        String::new(),
        "",
    );
    match &figures.zip {
        Some(zip) => {
            let bytes = std::fs::metadata(zip).map(|meta| meta.len()).unwrap_or(0);
            table.row(
                "arm64 `bootstrap.zip` with the site",
                size(bytes),
                String::new(),
                String::new(),
                "≤ 1.6 MB",
            )
        }
        None => table.row(
            "arm64 `bootstrap.zip` with the site",
            "not built".into(),
            String::new(),
            String::new(),
            "≤ 1.6 MB",
        ),
    }
    if let Some((raw, gzip, brotli)) = wasm_sizes(&figures.site_root) {
        let maybe = |bytes: Option<u64>| bytes.map(size).unwrap_or_else(|| "–".into());
        table.row(
            "hydrate wasm raw / gzip / brotli",
            format!("{} / {} / {}", size(raw), maybe(gzip), maybe(brotli)),
            String::new(),
            String::new(),
            "≤ 80 KB brotli",
        );
    }
    table.0
}
