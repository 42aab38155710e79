//! `ssec-conform run`: the catalogue against the embedded reference server or any endpoint.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::builder::BoolishValueParser;

use ssec_conform::report::escape::terminal;
use ssec_conform::report::findings;
use ssec_conform::report::model::{Outcome, Report, ScenarioReport};
use ssec_conform::scenario::Profile;
use ssec_conform::scenario::exec::Placement;
use ssec_conform::scenario::grade::Strictness;
use ssec_conform::scenario::runner::{self, RunSettings};

use super::catalogue::SelectArgs;
use super::endpoint::EndpointArgs;

/// Options of `run`.
#[derive(Debug, clap::Args)]
pub(super) struct RunArgs {
    #[command(flatten)]
    endpoint: EndpointArgs,
    /// The endpoint's profile: the name of a built-in profile (see `check-profiles`) or a path to a
    /// YAML file (default: reference for the embedded server, aws for *.amazonaws.com,
    /// s3-compatible for any other endpoint). `--http-endpoint-url` adds the plain-http capability.
    #[arg(long, value_name = "NAME", env = "SSEC_PROFILE")]
    profile: Option<String>,
    /// Grade strictly: on a `must` step every mismatch fails (error message, ArgumentName and
    /// ArgumentValue, headers), and no alternative code is accepted. Default: on with the `reference`
    /// and `aws` profiles, off with the others; `--strict=false` turns it off.
    #[arg(long, env = "SSEC_STRICT", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    strict: Option<bool>,
    /// Use this existing bucket (a key prefix per scenario) instead of creating a bucket per scenario.
    /// Cleanup deletes only keys under the run's prefixes and never the bucket.
    #[arg(long, value_name = "B", env = "SSEC_BUCKET")]
    bucket: Option<String>,
    /// With --bucket, also run the scenarios that change bucket-level state (versioning, policy,
    /// encryption configuration) of that bucket; without it they are unsupported.
    #[arg(long, requires = "bucket", env = "SSEC_ALLOW_BUCKET_CHANGES", value_parser = BoolishValueParser::new())]
    allow_bucket_changes: bool,
    /// Also write the run's customer keys to keys.env (mode 0600) in the report directory, for the
    /// reproduction commands, which name keys by variable ($KEY_007_a). Keep it out of shared reports.
    #[arg(long, env = "SSEC_WRITE_KEYS", value_parser = BoolishValueParser::new())]
    write_keys: bool,
    /// The most of any response body kept in memory (a size: 4096, 64MiB, 1G); a longer one makes the
    /// step an error.
    #[arg(long, value_name = "SIZE", env = "SSEC_MAX_RESPONSE_BYTES", default_value_t = ssec_conform::client::DEFAULT_MAX_RESPONSE_BYTES, value_parser = ssec_conform::units::parse_size)]
    max_response_bytes: u64,
    #[command(flatten)]
    select: SelectArgs,
    /// Scenarios running at once (default: the number of cores).
    #[arg(long, value_name = "N", env = "SSEC_JOBS")]
    jobs: Option<usize>,
    /// Where the reports go.
    #[arg(long, value_name = "DIR", env = "SSEC_REPORT_DIR", default_value = "reports")]
    report_dir: PathBuf,
    /// A previous report.json: fail only on regressions against it.
    #[arg(long, value_name = "FILE", env = "SSEC_BASELINE")]
    baseline: Option<PathBuf>,
}

fn progress(total: usize) -> Box<dyn Fn(&ScenarioReport) + Send + Sync> {
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Box::new(move |r: &ScenarioReport| {
            bar.inc(1);
            bar.set_message(r.id.clone());
            if bar.position() == bar.length().unwrap_or(0) {
                bar.finish_and_clear();
            }
        })
    } else {
        Box::new(|r: &ScenarioReport| eprintln!("{:<16} {}", r.outcome.as_str(), r.id))
    }
}

/// Prints why a scenario fails the run; what came from the endpoint has its control characters
/// written out.
fn print_failure(r: &ScenarioReport) {
    println!("\n{} {} — {}", r.outcome.as_str().to_ascii_uppercase(), r.id, r.title);
    if let Some(reason) = &r.reason {
        println!("  {}", terminal(reason));
    }
    if let Some(step) = r.steps.iter().rev().find(|s| !s.mismatches.is_empty()) {
        println!("  expected: {}", terminal(&step.expected.join("; ")));
        match &step.actual {
            Some(a) => println!("  actual:   status {} code {}", a.status, terminal(a.code.as_deref().unwrap_or("-"))),
            None => println!("  actual:   no response"),
        }
        println!("  reproduce: {}", terminal(&step.reproduce));
    }
}

/// Runs the catalogue.
pub(super) async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let scenarios = args.select.select()?;
    let run_id = runner::new_run_id();
    let (client, server) = args.endpoint.connect().await?;
    let client = client.with_max_response_bytes(args.max_response_bytes);
    let profile = match (&args.profile, &server) {
        (Some(p), _) => Profile::find(p)?,
        (None, Some(_)) => Profile::reference(),
        (None, None) if args.endpoint.swift_only()? => Profile::find("openstack-swift")?,
        (None, None) => Profile::find(Profile::default_name(client.target().endpoint.host_str()))?,
    };
    let profile = profile.with_plain_http(client.target().plain_endpoint.is_some());
    let placement = match &args.bucket {
        Some(bucket) => {
            Placement::SharedBucket { bucket: bucket.clone(), run_id, allow_bucket_changes: args.allow_bucket_changes }
        }
        None => Placement::FreshBuckets {
            run_id,
            unblock_sse_c: profile.capabilities.contains(&ssec_conform::scenario::model::Capability::BlockSseC),
        },
    };
    let strictness = match args.strict {
        Some(true) => Strictness::Strict,
        Some(false) => Strictness::Lenient,
        None => runner::strictness_for(&profile),
    };
    let settings = RunSettings {
        jobs: args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
        placement,
        strictness,
        profile,
        embedded: server.is_some(),
        key_log: args.write_keys.then(Arc::default),
    };
    println!(
        "running {} scenarios against {} (profile {}{})",
        scenarios.len(),
        client.target().endpoint,
        settings.profile.name,
        if settings.strictness == Strictness::Strict { ", strict" } else { "" }
    );
    let on_done = progress(scenarios.len());
    let report = runner::run(&client, &scenarios, &settings, on_done.as_ref()).await;
    if let Some(server) = server {
        server.shutdown().await;
    }
    for r in report.scenarios.iter().filter(|r| r.outcome.fails_run()) {
        print_failure(r);
    }
    let written = ssec_conform::report::write_all(&report, &args.report_dir)?;
    println!(
        "reports: {} {} {} {}",
        written.json.display(),
        written.junit.display(),
        written.html.display(),
        written.markdown.display()
    );
    if let Some(log) = &settings.key_log {
        let path = args.report_dir.join("keys.env");
        log.write(&path).with_context(|| format!("cannot write {}", path.display()))?;
        println!("keys: {} (secret: the values of the $KEY_ variables; never share it)", path.display());
    }
    summarize(&report);
    let ok = match &args.baseline {
        Some(path) => {
            let baseline = ssec_conform::report::read_json(path)?;
            let regressions = ssec_conform::report::regressions(&report, &baseline);
            for r in &regressions {
                println!("regression: {r}");
            }
            regressions.is_empty()
        }
        None => report.passed(),
    };
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The counts, then the findings (most severe first) and the verdict with the score.
fn summarize(report: &Report) {
    let counts: Vec<String> = Outcome::ALL
        .iter()
        .filter_map(|o| report.counts.get(o.as_str()).filter(|n| **n > 0).map(|n| format!("{n} {}", o.as_str())))
        .collect();
    println!(
        "\n{} scenarios in {:.2} s: {}",
        report.scenarios.len(),
        report.duration_ms as f64 / 1000.0,
        counts.join(", ")
    );
    if !report.findings.is_empty() {
        println!("\nfindings:");
    }
    for f in &report.findings {
        let known = f.known.as_deref().map_or_else(|| "NOT IN THE PROFILE".to_owned(), |r| format!("known: {r}"));
        println!(
            "  {:<11} {} ({} scenarios, e.g. {} step {}; {})",
            f.severity.as_str(),
            terminal(&f.signature),
            f.scenarios.len(),
            f.reproduction.scenario,
            f.reproduction.step.index,
            terminal(&known)
        );
    }
    for stale in &report.stale_entries {
        println!("stale profile entry: {}", terminal(stale));
    }
    let (exact, applicable) = findings::score(report);
    println!("\n{}; {exact} of {applicable} scenarios exactly as AWS", findings::verdict(report));
}
