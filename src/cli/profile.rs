//! `ssec-conform profile draft`: a starting profile from a run.

use std::path::PathBuf;
use std::process::ExitCode;

use ssec_conform::scenario::{Profile, draft};

/// Work with endpoint profiles.
#[derive(Debug, clap::Subcommand)]
pub(super) enum ProfileCommand {
    /// Write a starting profile from a run's report.json: a waiver per automatic check that fired,
    /// an xfail entry per other finding, reasons to fill in.
    Draft(DraftArgs),
}

/// Options of `profile draft`.
#[derive(Debug, clap::Args)]
pub(super) struct DraftArgs {
    /// The report.json of a run against the endpoint (with the default profile, or its current one).
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// The profile's name (the report column); the run's profile name by default.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Write the profile here instead of to standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Runs a `profile` subcommand.
pub(super) fn run(command: ProfileCommand) -> anyhow::Result<ExitCode> {
    let ProfileCommand::Draft(args) = command;
    let report = ssec_conform::report::read_json(&args.from)?;
    let name = args.name.unwrap_or_else(|| report.endpoint.profile.clone());
    let text = draft::draft(&report, &name);
    // A draft always loads: check it the way --profile will read it.
    Profile::parse("the drafted profile", &text)?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            eprintln!("wrote {} ({} findings in the report)", path.display(), report.findings.len());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
