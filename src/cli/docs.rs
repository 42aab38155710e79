//! `ssec-conform completions SHELL` and `ssec-conform man`: generated from the same clap definitions
//! that parse the command line, so they never drift from it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::CommandFactory as _;

/// Options of `man`.
#[derive(Debug, clap::Args)]
pub(super) struct ManArgs {
    /// Write one page per command into DIR (ssec-conform.1, ssec-conform-run.1, ...) instead of
    /// printing the main page.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Prints the completion script for `shell`.
pub(super) fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut command = super::Cli::command();
    clap_complete::generate(shell, &mut command, "ssec-conform", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

/// Prints the man page, or writes a page per command with `--dir`.
pub(super) fn man(args: ManArgs) -> anyhow::Result<ExitCode> {
    let command = super::Cli::command();
    match args.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
            clap_mangen::generate_to(command, &dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
            println!("wrote man pages into {}", dir.display());
        }
        None => clap_mangen::Man::new(command).render(&mut std::io::stdout())?,
    }
    Ok(ExitCode::SUCCESS)
}
