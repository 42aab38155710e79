//! `ssec-conform report a.json b.json ...`: one matrix with a column per endpoint.

use std::path::PathBuf;
use std::process::ExitCode;

use ssec_conform::report::Transcripts;

/// Options of `report`.
#[derive(Debug, clap::Args)]
pub(super) struct ReportArgs {
    /// report.json files, one per endpoint.
    #[arg(required = true)]
    reports: Vec<PathBuf>,
    /// Where to write matrix.html and matrix.md.
    #[arg(long, value_name = "DIR", default_value = "reports")]
    out: PathBuf,
    /// Leave the transcripts of every scenario out of matrix.html, keeping one reproduction per
    /// finding: a page small enough to commit and view.
    #[arg(long)]
    no_transcripts: bool,
}

/// Merges several reports into `matrix.html` and `matrix.md`, each opening with every
/// endpoint's verdict and findings.
pub(super) fn merge(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let reports =
        args.reports.iter().map(|p| ssec_conform::report::read_json(p)).collect::<anyhow::Result<Vec<_>>>()?;
    std::fs::create_dir_all(&args.out).map_err(|e| anyhow::anyhow!("--out {}: {e}", args.out.display()))?;
    let html = args.out.join("matrix.html");
    let md = args.out.join("matrix.md");
    let transcripts = if args.no_transcripts { Transcripts::FindingsOnly } else { Transcripts::All };
    std::fs::write(&html, ssec_conform::report::merge_html(&reports, transcripts))
        .map_err(|e| anyhow::anyhow!("{}: {e}", html.display()))?;
    std::fs::write(&md, ssec_conform::report::merge_markdown(&reports))
        .map_err(|e| anyhow::anyhow!("{}: {e}", md.display()))?;
    println!("wrote {} and {}", html.display(), md.display());
    Ok(ExitCode::SUCCESS)
}
