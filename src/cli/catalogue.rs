//! `ssec-conform list`, `scenarios export` and `check-profiles`: the catalogue built into
//! the binary, and the flags that select from it.

use std::path::PathBuf;
use std::process::ExitCode;

use ssec_conform::scenario::{LoadedScenario, Profile, catalogue};

/// Which scenarios: the built-in catalogue, plus a directory, narrowed by tag and text.
#[derive(Debug, clap::Args)]
pub(super) struct SelectArgs {
    /// Only scenarios with this tag or area (repeatable; comma-separated in the variable).
    #[arg(long, value_name = "T", env = "SSEC_TAG", value_delimiter = ',')]
    tag: Vec<String>,
    /// Only scenarios whose id or catalogue case contains this text (repeatable; comma-separated
    /// in the variable).
    #[arg(long, value_name = "S", env = "SSEC_FILTER", value_delimiter = ',')]
    filter: Vec<String>,
    /// Scenarios to add to the built-in catalogue: DIR/<area>/<NNN-slug>.yaml; a file with the id of
    /// a built-in scenario replaces it (`ssec-conform scenarios export DIR` writes them all out).
    #[arg(long, value_name = "DIR", env = "SSEC_SCENARIOS")]
    scenarios: Option<PathBuf>,
}

impl SelectArgs {
    /// Loads the catalogue and applies `--filter` and `--tag`.
    pub(super) fn select(&self) -> anyhow::Result<Vec<LoadedScenario>> {
        let all = catalogue::with_dir(self.scenarios.as_deref())
            .map_err(|e| anyhow::anyhow!("invalid scenario catalogue:\n{e}"))?;
        let (filters, tags) = (&self.filter, &self.tag);
        let selected: Vec<_> = all
            .into_iter()
            .filter(|s| {
                filters.is_empty()
                    || filters.iter().any(|f| s.id.contains(f.as_str()) || s.scenario.cases.iter().any(|c| c == f))
            })
            .filter(|s| tags.is_empty() || tags.iter().any(|t| s.area == *t || s.scenario.tags.contains(t)))
            .collect();
        anyhow::ensure!(!selected.is_empty(), "no scenario matches --filter {filters:?} --tag {tags:?}");
        Ok(selected)
    }
}

/// Options of `list`.
#[derive(Debug, clap::Args)]
pub(super) struct ListArgs {
    #[command(flatten)]
    select: SelectArgs,
}

/// Prints the catalogue: id, level, cases, title, then the number of scenarios and areas.
pub(super) fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let scenarios = args.select.select()?;
    for s in &scenarios {
        let level = format!("{:?}", s.scenario.level).to_ascii_lowercase();
        println!("{:<48} {:<6} {:<14} {}", s.id, level, s.scenario.cases.join(","), s.scenario.title);
    }
    let mut areas: Vec<&str> = scenarios.iter().map(|s| s.area.as_str()).collect();
    areas.dedup();
    println!("{} scenarios in {} areas: {}", scenarios.len(), areas.len(), areas.join(", "));
    Ok(ExitCode::SUCCESS)
}

/// `scenarios` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(super) enum ScenariosCommand {
    /// Write the built-in catalogue (and the profiles, under DIR/profiles) into DIR for editing; run
    /// the edited copy with `run --scenarios DIR`.
    Export {
        /// A new or empty directory.
        dir: PathBuf,
    },
}

/// Runs a `scenarios` subcommand.
pub(super) fn scenarios(command: ScenariosCommand) -> anyhow::Result<ExitCode> {
    match command {
        ScenariosCommand::Export { dir } => {
            let written = catalogue::export(&dir)?;
            println!("wrote {} files into {}", written.len(), dir.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Options of `check-profiles`.
#[derive(Debug, clap::Args)]
pub(super) struct CheckProfilesArgs {
    /// Profile files to check (default: every built-in profile).
    files: Vec<PathBuf>,
    /// Scenarios added to the built-in catalogue, as for `run`.
    #[arg(long, value_name = "DIR", env = "SSEC_SCENARIOS")]
    scenarios: Option<PathBuf>,
}

/// Loads every profile and reports stale entries; exit 1 if any.
pub(super) fn check_profiles(args: CheckProfilesArgs) -> anyhow::Result<ExitCode> {
    let scenarios = catalogue::with_dir(args.scenarios.as_deref())
        .map_err(|e| anyhow::anyhow!("invalid scenario catalogue:\n{e}"))?;
    let profiles: Vec<(String, anyhow::Result<Profile>)> = if args.files.is_empty() {
        catalogue::profile_names()
            .into_iter()
            .map(|name| (format!("profiles/{name}.yaml"), Profile::find(name)))
            .collect()
    } else {
        args.files.iter().map(|f| (f.display().to_string(), Profile::load(f))).collect()
    };
    let mut problems = 0;
    for (origin, profile) in profiles {
        match profile {
            Ok(p) => {
                let stale = p.stale_entries(&scenarios);
                problems += stale.len();
                for s in &stale {
                    println!("{origin}: {s}");
                }
                if stale.is_empty() {
                    println!("{origin}: ok ({} waive, {} xfail, {} skip)", p.waive.len(), p.xfail.len(), p.skip.len());
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
