//! The scenario catalogue as `cargo test`: one trial per scenario, named by its id.
//!
//! By default every scenario runs against the embedded reference server. Point the suite at a live
//! endpoint with the variables `ssec-conform run` reads: `SSEC_ENDPOINT_URL` (or
//! `AWS_ENDPOINT_URL_S3`), `SSEC_HTTP_ENDPOINT_URL`, `SSEC_CA_BUNDLE` (or `AWS_CA_BUNDLE`),
//! `SSEC_INSECURE`, `SSEC_VIRTUAL_HOST`, `SSEC_TIMEOUT`, `SSEC_PROFILE`, `SSEC_BUCKET`,
//! `SSEC_SCENARIOS`, `SSEC_STRICT`, `SSEC_SWIFT_AUTH_URL`/`SSEC_SWIFT_USER`/`SSEC_SWIFT_KEY` (TempAuth), `AWS_REGION` (or `AWS_DEFAULT_REGION`), `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`. Scenarios the profile marks unsupported or
//! skipped show as ignored. Against the embedded reference server every scenario must `pass`
//! exactly, graded strictly; against a live endpoint, grading follows `ssec-conform run` (strict with
//! the `aws` profile) and a trial fails when the run would. libtest's filtering, `--exact`, `--list` and `--include-ignored` work as
//! usual.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};
use ssec_conform::client::swift::SwiftAuth;
use ssec_conform::client::{Addressing, Client, DEFAULT_REGION, Target, Trust};
use ssec_conform::report::model::{Outcome, ScenarioReport};
use ssec_conform::scenario::exec::{self, Placement};
use ssec_conform::scenario::grade::Strictness;
use ssec_conform::scenario::judge::{self, Disposition, Judge};
use ssec_conform::scenario::{LoadedScenario, Profile, catalogue, runner};
use ssec_conform::{ReferenceServer, ServerConfig, ServerHandle};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A boolean variable as clap reads it for `ssec-conform run`: set and not `false`/`0`.
fn env_flag(name: &str) -> bool {
    env(name).is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "false" | "0" | "no" | "off"))
}

/// Names earlier versions read, and what replaced them.
const RENAMED: [(&str, &str); 2] =
    [("SSEC_ENDPOINT", "SSEC_ENDPOINT_URL"), ("SSEC_HTTP_ENDPOINT", "SSEC_HTTP_ENDPOINT_URL")];

/// The target and profile from the environment, or the embedded server (kept alive by the handle).
fn target(rt: &tokio::runtime::Runtime) -> (Client, Profile, Option<ServerHandle>) {
    for (old, new) in RENAMED {
        assert!(env(old).is_none(), "{old} is now called {new}, as in `ssec-conform run --help`");
    }
    let timeout = Duration::from_secs(env("SSEC_TIMEOUT").map_or(30, |v| v.parse().expect("SSEC_TIMEOUT: seconds")));
    let Some(endpoint) = env("SSEC_ENDPOINT_URL").or_else(|| env("AWS_ENDPOINT_URL_S3")) else {
        let server = rt.block_on(ReferenceServer::start(ServerConfig::default())).expect("start the reference server");
        let profile = match env("SSEC_PROFILE") {
            Some(p) => Profile::find(&p).expect("SSEC_PROFILE"),
            None => Profile::reference(),
        };
        let client = runner::embedded_client(&server, timeout).expect("client");
        return (client, profile, Some(server));
    };
    let parse = |name: &str, v: String| url::Url::parse(&v).unwrap_or_else(|e| panic!("{name}={v}: {e}"));
    let trust = match env("SSEC_CA_BUNDLE").or_else(|| env("AWS_CA_BUNDLE")) {
        _ if env_flag("SSEC_INSECURE") => Trust::Insecure,
        Some(path) => {
            Trust::Pem(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("SSEC_CA_BUNDLE={path}: {e}")))
        }
        None => Trust::WebPki,
    };
    let credentials = (
        env("AWS_ACCESS_KEY_ID").expect("SSEC_ENDPOINT_URL needs AWS_ACCESS_KEY_ID"),
        env("AWS_SECRET_ACCESS_KEY").expect("SSEC_ENDPOINT_URL needs AWS_SECRET_ACCESS_KEY"),
    );
    let target = Target {
        plain_endpoint: env("SSEC_HTTP_ENDPOINT_URL").map(|v| parse("SSEC_HTTP_ENDPOINT_URL", v)),
        region: env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION")).unwrap_or_else(|| DEFAULT_REGION.into()),
        session_token: env("AWS_SESSION_TOKEN"),
        addressing: if env_flag("SSEC_VIRTUAL_HOST") { Addressing::VirtualHost } else { Addressing::Path },
        trust,
        timeout,
        ..Target::new(parse("SSEC_ENDPOINT_URL", endpoint), credentials.0, credentials.1)
    };
    let default = Profile::default_name(target.endpoint.host_str());
    let profile = Profile::find(&env("SSEC_PROFILE").unwrap_or_else(|| default.into())).expect("SSEC_PROFILE");
    let profile = profile.with_plain_http(target.plain_endpoint.is_some());
    let mut client = Client::new(target).expect("client");
    if let (Some(auth_url), Some(user), Some(key)) =
        (env("SSEC_SWIFT_AUTH_URL"), env("SSEC_SWIFT_USER"), env("SSEC_SWIFT_KEY"))
    {
        client = client.with_swift(SwiftAuth::TempAuth { auth_url: parse("SSEC_SWIFT_AUTH_URL", auth_url), user, key });
    }
    (client, profile, None)
}

/// What a trial accepts.
#[derive(Clone, Copy)]
enum Verdict {
    /// Only `pass` (the reference server, which implements the catalogue).
    ExactPass,
    /// Whatever does not fail a run (a live endpoint with its profile).
    RunRules,
}

fn verdict(r: &ScenarioReport, rule: Verdict) -> Result<(), Failed> {
    let accepted = match rule {
        Verdict::ExactPass => r.outcome == Outcome::Pass,
        Verdict::RunRules => !r.outcome.fails_run(),
    };
    if accepted {
        return Ok(());
    }
    let mut text = format!("{}: {}", r.outcome.as_str(), r.reason.as_deref().unwrap_or("-"));
    for step in r.steps.iter().filter(|s| !s.mismatches.is_empty()) {
        text.push_str(&format!("\n  step {} ({}): expected {}", step.index, step.operation, step.expected.join("; ")));
        for m in &step.mismatches {
            text.push_str(&format!("\n    - {m}"));
        }
        text.push_str(&format!("\n    reproduce: {}", step.reproduce));
    }
    if let Some(c) = &r.cleanup_error {
        text.push_str(&format!("\n  cleanup: {c}"));
    }
    Err(text.into())
}

/// How one scenario trial runs and what it accepts.
#[derive(Clone)]
struct TrialSettings {
    placement: Placement,
    strictness: Strictness,
    verdict: Verdict,
}

fn scenario_trial(
    rt: &Arc<tokio::runtime::Runtime>,
    client: &Client,
    settings: &TrialSettings,
    profile: &Profile,
    index: usize,
    s: LoadedScenario,
) -> Trial {
    let disposition = judge::disposition(profile, &s);
    let ignored = matches!(disposition, Disposition::Unsupported(_) | Disposition::Skip(_));
    let kind = s.area.clone();
    let name = s.id.clone();
    let (rt, client, settings) = (Arc::clone(rt), client.clone(), settings.clone());
    Trial::test(name, move || {
        // With --include-ignored, an ignored scenario runs as if the profile allowed it.
        let disposition = if ignored { Disposition::Run(Judge::default()) } else { disposition };
        let run = exec::run_scenario(&client, &s, index, &settings.placement, &disposition, settings.strictness, None);
        let report = rt.block_on(run);
        match report.outcome {
            Outcome::Unsupported | Outcome::Skipped => Ok(()),
            _ => verdict(&report, settings.verdict),
        }
    })
    .with_kind(kind)
    .with_ignored_flag(ignored)
}

/// Every built-in profile loads and has no stale entries.
fn profiles_trial(scenarios: Vec<LoadedScenario>) -> Trial {
    Trial::test("profiles::no-stale-entries", move || {
        let mut problems = Vec::new();
        for name in catalogue::profile_names() {
            match Profile::find(name) {
                Ok(p) => problems.extend(p.stale_entries(&scenarios)),
                Err(e) => problems.push(e.to_string()),
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems.join("\n").into()) }
    })
    .with_kind("profiles")
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let scenarios = catalogue::with_dir(env("SSEC_SCENARIOS").as_deref().map(Path::new))
        .unwrap_or_else(|e| panic!("invalid scenario catalogue:\n{e}"));
    let rt = Arc::new(tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime"));
    let (client, profile, server) = target(&rt);
    let placement = match env("SSEC_BUCKET") {
        Some(bucket) => Placement::SharedBucket {
            bucket,
            run_id: runner::new_run_id(),
            allow_bucket_changes: env("SSEC_ALLOW_BUCKET_CHANGES").is_some(),
        },
        None => Placement::FreshBuckets {
            run_id: runner::new_run_id(),
            unblock_sse_c: profile.capabilities.contains(&ssec_conform::scenario::model::Capability::BlockSseC),
        },
    };
    let strictness = match env("SSEC_STRICT") {
        Some(_) if env_flag("SSEC_STRICT") => Strictness::Strict,
        Some(_) => Strictness::Lenient,
        None => runner::strictness_for(&profile),
    };
    let verdict = if server.is_some() { Verdict::ExactPass } else { Verdict::RunRules };
    let settings = TrialSettings { placement, strictness, verdict };
    let mut trials = vec![profiles_trial(scenarios.clone())];
    trials.extend(
        scenarios.into_iter().enumerate().map(|(i, s)| scenario_trial(&rt, &client, &settings, &profile, i, s)),
    );
    let conclusion = libtest_mimic::run(&args, trials);
    drop(server);
    conclusion.exit_code()
}
