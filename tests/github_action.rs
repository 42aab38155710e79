//! The GitHub Action's script (`scripts/github-action.sh`, run by `action.yml`) against the embedded
//! reference server: it writes the reports and the job summary, and fails only on findings the
//! profile does not list.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_ssec-conform");

/// Runs the script in `dir` the way the action does: settings as environment variables (an unset
/// input arrives as an empty one), GitHub's summary and output files.
fn run_action(dir: &Path, settings: &[(&str, &str)]) -> (Output, String, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/github-action.sh");
    let (summary, outputs) = (dir.join("step-summary.md"), dir.join("github-output"));
    let out = Command::new("bash")
        .arg(script)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("SSEC_CONFORM", BIN)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env("SSEC_ENDPOINT_URL", "")
        .env("SSEC_BASELINE", "")
        .env("SSEC_JOBS", "2")
        .envs(settings.iter().copied())
        .output()
        .unwrap();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    (out, read(&summary), read(&outputs))
}

fn describe(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_whole_catalogue_passes_and_the_summary_reaches_the_job_summary() {
    let dir = tempfile::tempdir().unwrap();
    let (out, summary, outputs) = run_action(dir.path(), &[("SSEC_REPORT_DIR", "conformance")]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let written = std::fs::read_to_string(dir.path().join("conformance/summary.md")).unwrap();
    assert!(!written.is_empty());
    assert_eq!(summary, written, "the job summary is the report's Markdown summary");
    assert!(dir.path().join("conformance/junit.xml").is_file());
    assert_eq!(outputs, "report-dir=conformance\nexit-code=0\n");
}

/// An exported catalogue whose `get-head/003-wrong-key` expects a 200 where AWS (and the reference
/// server) answer 403: a deviation of the endpoint as far as the run can tell.
fn deviating_catalogue(dir: &Path) -> String {
    let out = Command::new(BIN).args(["scenarios", "export"]).arg(dir.join("catalogue")).output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let file = dir.join("catalogue/get-head/003-wrong-key.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap().replace("status: 403", "status: 200");
    std::fs::write(&file, yaml).unwrap();
    dir.join("catalogue").display().to_string()
}

/// A profile with every capability and, optionally, an xfail entry for `get-head/003-wrong-key`.
fn profile(dir: &Path, known: bool) -> String {
    let mut yaml = String::from(
        "name: vendor\ncapabilities: [sse-c, plain-http, presign, copy, multipart, versioning, post, block-sse-c, bucket-policy, swift]\n",
    );
    if known {
        yaml.push_str(
            "xfail:\n  - scenario: get-head/003-wrong-key\n    finding: \"get: 200 AccessDenied → 403 AccessDenied\"\n",
        );
        yaml.push_str("    reason: answers 403 where the edited catalogue expects 200\n");
    }
    let path = dir.join(if known { "known.yaml" } else { "unknown.yaml" });
    std::fs::write(&path, yaml).unwrap();
    path.display().to_string()
}

#[test]
fn a_finding_the_profile_does_not_list_fails_the_step_and_a_listed_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = deviating_catalogue(dir.path());
    let unknown = profile(dir.path(), false);
    let known = profile(dir.path(), true);

    let filter = ("SSEC_RUN_ARGS", "--filter get-head/");

    let unlisted = [("SSEC_SCENARIOS", scenarios.as_str()), ("SSEC_PROFILE", unknown.as_str()), filter];
    let (out, summary, outputs) = run_action(dir.path(), &unlisted);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("::error title=SSE-C conformance::findings the profile does not list"), "{stdout}");
    assert!(summary.contains("get-head/003-wrong-key"), "the summary names the finding:\n{summary}");
    assert!(outputs.ends_with("exit-code=1\n"), "{outputs}");

    let listed = [("SSEC_SCENARIOS", scenarios.as_str()), ("SSEC_PROFILE", known.as_str()), filter];
    let (out, summary, _) = run_action(dir.path(), &listed);
    assert_eq!(out.status.code(), Some(0), "a listed deviation fails the step: {}", describe(&out));
    assert!(summary.contains("expected-fail"), "{summary}");
}

#[test]
fn a_run_that_cannot_happen_is_told_apart_from_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _, outputs) = run_action(dir.path(), &[("SSEC_PROFILE", "no-such-profile")]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--profile no-such-profile: no such profile"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ssec-conform could not run (exit 2)"));
    assert!(outputs.ends_with("exit-code=2\n"), "{outputs}");
}

#[test]
fn with_a_baseline_only_regressions_fail_the_step() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = deviating_catalogue(dir.path());
    let profile = profile(dir.path(), false);
    let common = [("SSEC_PROFILE", profile.as_str()), ("SSEC_RUN_ARGS", "--filter get-head/")];

    let (out, _, _) = run_action(dir.path(), &[&common[..], &[("SSEC_REPORT_DIR", "good")]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));

    let regressed =
        [("SSEC_SCENARIOS", scenarios.as_str()), ("SSEC_REPORT_DIR", "bad"), ("SSEC_BASELINE", "good/report.json")];
    let (out, _, _) = run_action(dir.path(), &[&common[..], &regressed].concat());
    assert_eq!(out.status.code(), Some(1), "a regression passes: {}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("regression: "), "{}", describe(&out));

    let unchanged =
        [("SSEC_SCENARIOS", scenarios.as_str()), ("SSEC_REPORT_DIR", "again"), ("SSEC_BASELINE", "bad/report.json")];
    let (out, _, _) = run_action(dir.path(), &[&common[..], &unchanged].concat());
    assert_eq!(out.status.code(), Some(0), "a deviation already in the baseline fails: {}", describe(&out));
}
