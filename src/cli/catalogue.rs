//! `ssec-conform list`, `check-profiles` and `keygen`.

use std::path::PathBuf;
use std::process::ExitCode;

use ssec_conform::scenario::{Profile, runner};
use ssec_conform::sse_c::CustomerKey;

/// Options of `list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only scenarios with this tag or area (repeatable).
    #[arg(long, value_name = "T")]
    tag: Vec<String>,
    /// Only scenarios whose id or catalogue case contains this text (repeatable).
    #[arg(long, value_name = "S")]
    filter: Vec<String>,
    /// The scenario directory.
    #[arg(long, value_name = "DIR")]
    scenarios: Option<PathBuf>,
}

/// Prints the catalogue: id, level, cases, title.
pub fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let scenarios = super::run::select(args.scenarios, &args.filter, &args.tag)?;
    for s in &scenarios {
        let level = format!("{:?}", s.scenario.level).to_ascii_lowercase();
        println!("{:<48} {:<6} {:<14} {}", s.id, level, s.scenario.cases.join(","), s.scenario.title);
    }
    println!("{} scenarios", scenarios.len());
    Ok(ExitCode::SUCCESS)
}

/// Options of `check-profiles`.
#[derive(Debug, clap::Args)]
pub struct CheckProfilesArgs {
    /// Profile files to check (default: every profiles/*.yaml).
    files: Vec<PathBuf>,
}

/// Loads every profile and reports stale entries; exit 1 if any.
pub fn check_profiles(args: CheckProfilesArgs) -> anyhow::Result<ExitCode> {
    let scenarios = super::run::select(None, &[], &[])?;
    let files = if args.files.is_empty() {
        let dir = runner::default_profiles_dir();
        let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        v.sort();
        v
    } else {
        args.files
    };
    let mut problems = 0;
    for file in &files {
        match Profile::load(file) {
            Ok(p) => {
                let stale = p.stale_entries(&scenarios);
                problems += stale.len();
                for s in &stale {
                    println!("{}: {s}", file.display());
                }
                if stale.is_empty() {
                    println!("{}: ok ({} xfail, {} skip)", file.display(), p.xfail.len(), p.skip.len());
                }
            }
            Err(e) => {
                problems += 1;
                println!("{e}");
            }
        }
    }
    Ok(if problems == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Prints a fresh random key as the three SSE-C header values, for manual use with the AWS CLI.
pub fn keygen() -> anyhow::Result<ExitCode> {
    let key = CustomerKey::random();
    println!("SSE_C_KEY={}", key.to_base64().as_str());
    println!("SSE_C_KEY_MD5={}", key.md5_b64());
    Ok(ExitCode::SUCCESS)
}
