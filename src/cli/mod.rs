//! Command-line parsing and the subcommands.

mod catalogue;
mod credentials;
mod docs;
mod endpoint;
mod fuzz;
mod keygen;
mod load;
mod profile;
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
    /// Work with the scenario catalogue built into the binary.
    #[command(subcommand)]
    Scenarios(catalogue::ScenariosCommand),
    /// Work with endpoint profiles: `profile draft --from report.json` writes a starting one.
    #[command(subcommand)]
    Profile(profile::ProfileCommand),
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
    /// Print a shell completion script (e.g. `ssec-conform completions bash > /etc/bash_completion.d/ssec-conform`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command with --dir.
    Man(docs::ManArgs),
}

/// Logging to stderr, controlled by `RUST_LOG`; without it, info level, and the reference server's
/// access log only where it is the product (`serve`), not under a run's progress lines. The
/// reference server keeps s3s's events (request headers, which may carry a customer key) away from
/// this subscriber whatever the filter says.
fn init_logging(command: &Command) {
    let default = match command {
        Command::Serve(_) => "info",
        _ => "info,ssec_conform::access=off",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Parses the command line and runs the subcommand; errors are one sentence on stderr.
pub(crate) fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.command);
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
            Command::Profile(command) => profile::run(command),
            Command::Report(args) => report::merge(args),
            Command::Keygen => keygen::keygen(),
            Command::Serve(args) => serve::run(args).await,
            Command::Scenarios(command) => catalogue::scenarios(command),
            Command::Completions { shell } => docs::completions(shell),
            Command::Man(args) => docs::man(args),
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::Cli;

    /// Options read from a standard AWS variable rather than `SSEC_<FLAG>`.
    const STANDARD_VARIABLES: [(&str, &str); 2] = [("region", "AWS_REGION"), ("aws-profile", "AWS_PROFILE")];

    /// Options holding a password or secret key, whose variable's value `--help` must not print.
    const SECRETS: [&str; 3] = ["--swift-key", "--os-password", "--secret-key"];

    /// `SSEC_` and the flag's name in capitals, `-` as `_`, or the standard AWS variable.
    fn expected_variable(long: &str) -> String {
        STANDARD_VARIABLES.iter().find(|(flag, _)| *flag == long).map_or_else(
            || format!("SSEC_{}", long.to_ascii_uppercase().replace('-', "_")),
            |(_, var)| (*var).to_owned(),
        )
    }

    #[test]
    fn every_option_of_run_fuzz_load_and_serve_has_an_environment_variable_shown_in_help() {
        let cli = Cli::command();
        let mut problems = Vec::new();
        for name in ["run", "fuzz", "load", "serve"] {
            let command = cli.find_subcommand(name).unwrap_or_else(|| panic!("no subcommand {name}"));
            let help = command.clone().render_long_help().to_string();
            let options = command
                .get_arguments()
                .filter(|a| !matches!(a.get_action(), clap::ArgAction::Help | clap::ArgAction::Version));
            for arg in options {
                let flag = arg.get_long().map_or_else(|| arg.get_id().to_string(), |l| format!("--{l}"));
                let Some(variable) = arg.get_env().map(|v| v.to_string_lossy().into_owned()) else {
                    problems.push(format!("{name} {flag}: no environment variable"));
                    continue;
                };
                let expected = expected_variable(arg.get_long().unwrap_or_default());
                if variable != expected {
                    problems.push(format!("{name} {flag}: variable {variable}, expected {expected}"));
                }
                if !help.contains(&format!("[env: {variable}")) {
                    problems.push(format!("{name} {flag}: --help does not show {variable}"));
                }
                if SECRETS.contains(&flag.as_str()) && !arg.is_hide_env_values_set() {
                    problems.push(format!("{name} {flag}: --help would print the secret in {variable}"));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn every_size_flag_takes_the_one_size_grammar() {
        use clap::Parser as _;
        for args in [
            &["ssec-conform", "load", "--size", "4M"][..],
            &["ssec-conform", "load", "--size", "5MiB+1"],
            &["ssec-conform", "serve", "--max-object-size", "4M"],
            &["ssec-conform", "serve", "--min-part-size", "5MiB"],
            &["ssec-conform", "run", "--max-response-bytes", "1G"],
        ] {
            if let Err(e) = Cli::try_parse_from(args) {
                panic!("{args:?}: {e}");
            }
        }
        let e = Cli::try_parse_from(["ssec-conform", "load", "--size", "4MB"]).unwrap_err().to_string();
        assert!(e.contains("--size") && e.contains("`4MB` is not a size"), "{e}");
    }
}
