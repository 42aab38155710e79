//! Command-line parsing and the subcommands.

mod catalogue;
mod credentials;
mod endpoint;
mod fuzz;
mod load;
mod report;
mod run;
mod serve;

use clap::{Parser, Subcommand};

/// Checks whether an S3 endpoint implements SSE-C exactly as AWS S3 does.
#[derive(Debug, Parser)]
#[command(name = "ssec-conform", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the scenario catalogue against the embedded reference server or --endpoint-url.
    Run(Box<run::RunArgs>),
    /// Concurrent mixed SSE-C load with every read verified.
    Load(Box<load::LoadArgs>),
    /// List the scenario catalogue.
    List(catalogue::ListArgs),
    /// Check profiles for unknown capabilities, missing reasons and stale entries.
    CheckProfiles(catalogue::CheckProfilesArgs),
    /// Differential fuzzing of --endpoint-url against the embedded reference server.
    Fuzz(Box<fuzz::FuzzArgs>),
    /// Merge report.json files of several endpoints into one matrix.
    Report(report::ReportArgs),
    /// Print a fresh random SSE-C key and its MD5.
    Keygen,
    /// Run the reference SSE-C S3 server until Ctrl-C.
    Serve(serve::ServeArgs),
}

/// Logging to stderr, controlled by `RUST_LOG`. The reference server keeps s3s's events (request
/// headers, which may carry a customer key) away from this subscriber whatever the filter says.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Parses the command line and runs the subcommand; errors are one sentence on stderr.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run::run(*args).await,
            Command::Fuzz(args) => fuzz::run(*args).await,
            Command::Load(args) => load::run(*args).await,
            Command::List(args) => catalogue::list(args),
            Command::CheckProfiles(args) => catalogue::check_profiles(args),
            Command::Report(args) => report::merge(args),
            Command::Keygen => catalogue::keygen(),
            Command::Serve(args) => serve::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
