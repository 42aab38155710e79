//! `ssec-conform load`: concurrent mixed SSE-C traffic with every read verified.

use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use ssec_conform::loadgen::{self, Settings};
use ssec_conform::scenario::runner;
use ssec_conform::units::parse_size;

use super::endpoint::EndpointArgs;

/// Options of `load`.
#[derive(Debug, clap::Args)]
pub(super) struct LoadArgs {
    #[command(flatten)]
    endpoint: EndpointArgs,
    /// Concurrent clients.
    #[arg(long, value_name = "N", env = "SSEC_CLIENTS", default_value_t = 16)]
    clients: usize,
    /// Duration in seconds.
    #[arg(long, value_name = "T", env = "SSEC_DURATION", default_value_t = 30)]
    duration: u64,
    /// Object size: bytes with an optional binary unit and offset, e.g. 4096, 64KiB, 4M, 5MiB+1.
    #[arg(long, value_name = "S", env = "SSEC_SIZE", default_value = "64KiB", value_parser = parse_size)]
    size: u64,
}

/// This process's resident set size in KiB (Linux), for the embedded server's memory.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs the load and prints throughput, latency, errors and corrupt reads; exit 1 on any error.
pub(super) async fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(args.clients > 0, "--clients must be at least 1");
    let (client, server) = args.endpoint.connect().await?;
    let settings = Settings {
        clients: args.clients,
        duration: Duration::from_secs(args.duration),
        size: usize::try_from(args.size)?,
        bucket: format!("ssec-load-{}", runner::new_run_id()),
    };
    println!(
        "load: {} clients for {} s, {} B objects, against {}",
        settings.clients,
        args.duration,
        settings.size,
        client.target().endpoint
    );
    let samples = Mutex::new(Vec::new());
    let embedded = server.is_some();
    let sample = || {
        if embedded && let (Some(kib), Ok(mut v)) = (rss_kib(), samples.lock()) {
            v.push(kib);
        }
    };
    let started = std::time::Instant::now();
    let stats = loadgen::run(&client, &settings, &sample).await?;
    let secs = started.elapsed().as_secs_f64();
    if let Some(s) = server {
        s.shutdown().await;
    }
    println!(
        "{:<14} {:>9} {:>9} {:>10} {:>10} {:>7} {:>8}",
        "operation", "ops", "ops/s", "p50 ms", "p99 ms", "errors", "corrupt"
    );
    for (op, s) in &stats.ops {
        println!(
            "{:<14} {:>9} {:>9.1} {:>10.2} {:>10.2} {:>7} {:>8}",
            op,
            s.latencies.len(),
            s.latencies.len() as f64 / secs,
            s.quantile(0.5).as_secs_f64() * 1000.0,
            s.quantile(0.99).as_secs_f64() * 1000.0,
            s.errors,
            s.corrupt
        );
    }
    println!(
        "total: {} ops in {secs:.1} s ({:.0} ops/s), {} errors, {} corrupt reads",
        stats.completed(),
        stats.completed() as f64 / secs,
        stats.errors(),
        stats.corrupt_reads()
    );
    if let Ok(v) = samples.lock()
        && let (Some(first), Some(max), Some(last)) = (v.first(), v.iter().max(), v.last())
    {
        println!("process RSS (server and clients): first {first} KiB, peak {max} KiB, last {last} KiB");
        let every: Vec<String> = v.iter().step_by(10).map(|k| format!("{} MiB", k / 1024)).collect();
        println!("process RSS every 10 s: {}", every.join(", "));
    }
    for s in &stats.samples {
        println!("  {s}");
    }
    Ok(if stats.errors() == 0 && stats.corrupt_reads() == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
