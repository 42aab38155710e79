//! `ssec-conform fuzz`: differential fuzzing of an endpoint against the embedded reference server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use ssec_conform::differential::{self, Settings, Stop};
use ssec_conform::scenario::runner;
use tokio_util::sync::CancellationToken;

use super::endpoint::{EndpointArgs, embedded};

/// Options of `fuzz`.
#[derive(Debug, clap::Args)]
pub(super) struct FuzzArgs {
    #[command(flatten)]
    endpoint: EndpointArgs,
    /// Cases to generate (each divergence is then shrunk).
    #[arg(long, value_name = "N", env = "SSEC_CASES", default_value_t = 500)]
    cases: u32,
    /// Generator seed; a random one is drawn and printed when absent.
    #[arg(long, value_name = "S", env = "SSEC_SEED")]
    seed: Option<u64>,
    /// Time budget in seconds, shrinking included.
    #[arg(long, value_name = "T", env = "SSEC_TIME", default_value_t = 300)]
    time: u64,
    /// Cases run at once (each against both targets).
    #[arg(long, value_name = "N", env = "SSEC_JOBS", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    jobs: u32,
    /// Divergences go to DIR/fuzz.
    #[arg(long, value_name = "DIR", env = "SSEC_REPORT_DIR", default_value = "reports")]
    report_dir: PathBuf,
}

/// Cancels `stop` on Ctrl-C (SIGINT) or SIGTERM.
fn cancel_on_signal(stop: CancellationToken) -> anyhow::Result<()> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::spawn(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("stopping: writing the summary of what was found so far");
        stop.cancel();
    });
    Ok(())
}

/// Fuzzes; exit 1 when any divergence was found, 130 when interrupted without one.
pub(super) async fn run(args: FuzzArgs) -> anyhow::Result<ExitCode> {
    let stop = CancellationToken::new();
    cancel_on_signal(stop.clone())?;
    let seed = args.seed.unwrap_or_else(rand::random);
    // Without --endpoint-url the endpoint is a second reference server: a self-check of the fuzzer.
    let (endpoint, endpoint_server) = args.endpoint.connect().await?;
    let (reference, reference_server) = embedded(Duration::from_secs(30)).await?;
    let settings = Settings {
        cases: args.cases,
        seed,
        time: Duration::from_secs(args.time),
        jobs: args.jobs,
        out_dir: args.report_dir.join("fuzz"),
        run_id: runner::new_run_id(),
    };
    println!(
        "fuzzing {} against the reference server, seed {seed}, {} cases at once; divergences go to {} as found",
        endpoint.target().endpoint,
        settings.jobs,
        settings.out_dir.display()
    );
    let outcome = differential::run(&reference, &endpoint, &settings, stop).await?;
    reference_server.shutdown().await;
    if let Some(s) = endpoint_server {
        s.shutdown().await;
    }
    let security = outcome.found.iter().filter(|f| f.divergence.security).count();
    println!(
        "{} cases, {} divergences ({security} on a security property), {} set-up failures; seed {seed}",
        outcome.cases_run,
        outcome.found.len(),
        outcome.setup_errors
    );
    for f in &outcome.found {
        println!(
            "  {}{:?}: reference {}, endpoint {} — {}",
            if f.divergence.security { "[security] " } else { "" },
            f.case.op,
            f.reference.short(),
            f.endpoint.short(),
            f.divergence.differences.join("; ")
        );
    }
    if let Some(summary) = outcome.written.last() {
        println!("summary: {}", summary.display());
    }
    Ok(if !outcome.found.is_empty() {
        ExitCode::FAILURE
    } else if outcome.stop == Stop::Interrupted {
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    })
}
