//! Findings and profiles by deviation, end to end: a reference server that accepts SSE-C over plain
//! HTTP (an operator opt-out, so a real security finding), run through the command line with the
//! default profile, a drafted profile, and a profile whose expectation no longer holds; and an
//! endpoint whose ETags are the MD5 of the plaintext, with and without a waiver of that check.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::fake_endpoint::{self, Received, Reply};
use ssec_conform::ServerHandle;
use ssec_conform::report::findings;
use ssec_conform::report::model::{FindingSeverity, Outcome, Report};
use ssec_conform::scenario::exec::Placement;
use ssec_conform::scenario::{Profile, draft, runner};

const BIN: &str = env!("CARGO_BIN_EXE_ssec-conform");

/// The finding of a valid SSE-C PUT over plain HTTP that is accepted.
const HTTP_PUT: &str = "put: 400 InvalidRequest → 200";

/// `ssec-conform ARGS` with only `PATH` and the server's credentials in the environment.
fn cli(server: &ServerHandle, dir: &Path, args: &[&str]) -> Output {
    let (access_key, secret_key) = server.credentials();
    Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ACCESS_KEY_ID", access_key)
        .env("AWS_SECRET_ACCESS_KEY", secret_key)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("ssec-conform runs")
}

/// `run` against `server` over HTTPS and plain HTTP, on the transport scenarios and one PUT.
fn run(server: &ServerHandle, dir: &Path, out: &str, extra: &[&str]) -> (Output, Report) {
    let mut args = vec![
        "run",
        "--endpoint-url",
        server.https_url().unwrap(),
        "--http-endpoint-url",
        server.http_url().unwrap(),
        "--ca-bundle",
        "ca.pem",
        "--filter",
        "transport/",
        "--filter",
        "put/001-valid-triple",
        "--jobs",
        "2",
        "--report-dir",
        out,
    ];
    args.extend_from_slice(extra);
    let output = cli(server, dir, &args);
    let report = ssec_conform::report::read_json(&dir.join(out).join("report.json")).expect("report.json");
    (output, report)
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

fn outcome(report: &Report, id: &str) -> Outcome {
    report.scenarios.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("no {id}")).outcome
}

#[test]
fn findings_drafted_profile_and_changed_deviation_through_the_command_line() {
    let (_rt, server, dir) = common::accepting_sse_c_over_http();

    // 1. No profile: a loopback host gets the default for S3-compatible servers, and
    //    --http-endpoint-url turns the plain-HTTP scenarios on.
    let (out, report) = run(&server, dir.path(), "first", &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("(profile s3-compatible)"), "{stdout}");
    assert_eq!(report.endpoint.profile, "s3-compatible");
    assert!(report.endpoint.capabilities.contains(&"plain-http".to_owned()), "{:?}", report.endpoint.capabilities);
    assert!(!report.endpoint.capabilities.contains(&"block-sse-c".to_owned()));
    let f = report.findings.iter().find(|f| f.signature == HTTP_PUT).unwrap_or_else(|| {
        panic!("{HTTP_PUT} among {:?}", report.findings.iter().map(|f| &f.signature).collect::<Vec<_>>())
    });
    assert_eq!(f.severity, FindingSeverity::Security);
    assert_eq!(f.operation, "put");
    assert!(["P11", "D9", "D.8"].iter().all(|c| f.cases.contains(&(*c).to_owned())), "{:?}", f.cases);
    assert!(f.scenarios.contains(&"transport/001-put-over-http".to_owned()), "{:?}", f.scenarios);
    assert_eq!(f.known, None);
    assert_eq!(f.reproduction.scenario, f.scenarios[0]);
    assert!(f.reproduction.step.request.url.starts_with("http://"), "{}", f.reproduction.step.request.url);
    assert_eq!(f.reproduction.step.actual.as_ref().map(|a| a.status), Some(200));
    assert!(f.reproduction.step.reproduce.starts_with("curl "), "{}", f.reproduction.step.reproduce);
    assert!(report.findings[0].severity == FindingSeverity::Security, "most severe first");
    let (n, security) =
        (report.findings.len(), report.findings.iter().filter(|f| f.severity == FindingSeverity::Security).count());
    let last = stdout.trim_end().lines().last().unwrap_or_default().to_owned();
    assert!(
        last.starts_with(&format!("failed: {n} findings ({security} security), {n} not in the profile; ")),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("security    {HTTP_PUT} (")), "the terminal lists the findings: {stdout}");
    let summary = std::fs::read_to_string(dir.path().join("first/summary.md")).unwrap();
    let tail = summary.split(&format!("## Findings ({n})")).nth(1).expect("summary.md ends with the findings");
    assert!(tail.contains(&format!("| security | `{HTTP_PUT}` |")), "{tail}");
    let html = std::fs::read_to_string(dir.path().join("first/report.html")).unwrap();
    assert!(html.find("id=\"findings\"").unwrap() < html.find("id=\"matrix\"").unwrap());

    // 2. A drafted profile: one entry per finding; with it the same run passes, qualified.
    let draft = cli(
        &server,
        dir.path(),
        &["profile", "draft", "--from", "first/report.json", "--name", "my-s3", "-o", "my-s3.yaml"],
    );
    assert!(draft.status.success(), "{}", text(&draft.stderr));
    let profile = Profile::load(&dir.path().join("my-s3.yaml")).unwrap();
    assert_eq!(profile.name, "my-s3");
    assert!(profile.capabilities.iter().any(|c| c.name() == "plain-http"));
    assert_eq!(profile.xfail.len(), n, "one entry per finding: {:?}", profile.xfail);
    assert!(profile.xfail.iter().any(|e| e.finding == HTTP_PUT && e.scenario == "transport/*"), "{:?}", profile.xfail);
    let checked = cli(&server, dir.path(), &["check-profiles", "my-s3.yaml"]);
    assert!(checked.status.success(), "{}", text(&checked.stdout));

    let (out, report) = run(&server, dir.path(), "second", &["--profile", "my-s3.yaml"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(outcome(&report, "transport/001-put-over-http"), Outcome::ExpectedFail);
    assert_eq!(outcome(&report, "put/001-valid-triple"), Outcome::Pass);
    assert!(report.findings.iter().all(|f| f.known.is_some()), "{:?}", report.findings);
    assert!(stdout.contains(&format!("passed with {n} known findings ({security} security); ")), "{stdout}");
    assert!(!stdout.trim_end().ends_with("passed"), "never an unqualified pass");

    // The pages of docs/results: several reports merged, with one reproduction per finding and no
    // transcripts, so the page stays small.
    let merged = cli(
        &server,
        dir.path(),
        &["report", "first/report.json", "second/report.json", "--out", "merged", "--no-transcripts"],
    );
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    let page = std::fs::read_to_string(dir.path().join("merged/matrix.html")).unwrap();
    let full = std::fs::read_to_string(dir.path().join("first/report.html")).unwrap();
    assert!(
        page.contains(&format!("<code>{HTTP_PUT}</code>"))
            && page.contains("reproduction: <code>transport/001-put-over-http</code>")
    );
    assert!(!page.contains("id=\"details\""), "no transcripts");
    assert!(page.len() < full.len(), "two endpoints without transcripts ({}) < one with ({})", page.len(), full.len());
    let md = std::fs::read_to_string(dir.path().join("merged/matrix.md")).unwrap();
    assert!(md.contains(&format!("| security | `{HTTP_PUT}` |")), "{md}");

    // 3. The endpoint now deviates differently from what the profile expects: `changed`, not hidden.
    let edited = std::fs::read_to_string(dir.path().join("my-s3.yaml"))
        .unwrap()
        .replace(HTTP_PUT, "put: 400 InvalidRequest → 201");
    std::fs::write(dir.path().join("changed.yaml"), edited).unwrap();
    let (out, report) = run(&server, dir.path(), "third", &["--profile", "changed.yaml"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert_eq!(outcome(&report, "transport/001-put-over-http"), Outcome::Changed);
    let reason =
        report.scenarios.iter().find(|s| s.id == "transport/001-put-over-http").unwrap().reason.clone().unwrap();
    assert!(reason.contains(&format!("found instead `{HTTP_PUT}`")), "{reason}");
    assert_eq!(report.stale_entries.len(), 1, "{:?}", report.stale_entries);
    assert!(text(&out.stdout).contains("stale profile entry: xfail `transport/*` expects"), "{}", text(&out.stdout));
}

/// An S3 endpoint that stores objects in memory, echoes the SSE-C headers it is sent, never checks
/// a key, and gives every object the MD5 of its body as ETag.
fn md5_etag_store() -> impl Fn(&Received) -> Reply + Send + Sync + 'static {
    let objects: Arc<Mutex<HashMap<String, Bytes>>> = Arc::default();
    move |r: &Received| {
        let is_object = r.path.trim_start_matches('/').contains('/');
        let echo = |headers: &mut Vec<(String, String)>| {
            for name in
                ["x-amz-server-side-encryption-customer-algorithm", "x-amz-server-side-encryption-customer-key-md5"]
            {
                if let Some(v) = r.header(name) {
                    headers.push((name.to_owned(), v.to_owned()));
                }
            }
        };
        let etag = |body: &[u8]| format!("\"{}\"", hex::encode(<md5::Md5 as md5::Digest>::digest(body)));
        match (r.method.as_str(), is_object) {
            ("PUT", true) => {
                objects.lock().unwrap().insert(r.path.clone(), r.body.clone());
                let mut headers = vec![("etag".to_owned(), etag(&r.body))];
                echo(&mut headers);
                Reply::Answer { status: 200, headers, body: Bytes::new() }
            }
            ("GET", true) => match objects.lock().unwrap().get(&r.path).cloned() {
                Some(body) => {
                    let mut headers = vec![("etag".to_owned(), etag(&body))];
                    echo(&mut headers);
                    Reply::Answer { status: 200, headers, body }
                }
                None => Reply::new(404, "<Error><Code>NoSuchKey</Code></Error>"),
            },
            ("DELETE", true) => {
                objects.lock().unwrap().remove(&r.path);
                Reply::new(204, "")
            }
            ("GET", false) => Reply::new(200, "<ListBucketResult></ListBucketResult>"),
            ("DELETE", false) => Reply::new(204, ""),
            _ => Reply::new(200, ""),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waived_check_is_reported_once_and_every_scenario_is_still_graded_on_the_rest() {
    let addr = fake_endpoint::start(md5_etag_store()).await;
    let client = fake_endpoint::client(addr, None);
    let scenarios = fake_endpoint::scenarios(&["put/001-valid-triple", "get-head/003-wrong-key"]);
    let placement = || Placement::FreshBuckets { run_id: runner::new_run_id(), unblock_sse_c: false };
    let mut settings = fake_endpoint::settings(placement());
    settings.profile = Profile::find("s3-compatible").unwrap();

    let report = runner::run(&client, &scenarios, &settings, &|_| {}).await;
    assert_eq!(outcome(&report, "put/001-valid-triple"), Outcome::Fail, "{:#?}", report.scenarios[1]);
    let etag =
        report.findings.iter().find(|f| f.signature == "check etag-not-plaintext-md5 on put").expect("ETag finding");
    assert_eq!((etag.severity, etag.check.as_deref()), (FindingSeverity::Security, Some("etag-not-plaintext-md5")));
    assert_eq!(etag.scenarios, ["get-head/003-wrong-key", "put/001-valid-triple"]);
    assert_eq!(etag.cases, ["D.4"]);

    let text = "name: md5-store\ncapabilities: [sse-c]\nwaive:\n  - check: etag-not-plaintext-md5\n    reason: ETags are plaintext MD5s\n";
    settings.profile = Profile::parse("md5-store.yaml", text).unwrap();
    settings.placement = placement();
    let report = runner::run(&client, &scenarios, &settings, &|_| {}).await;
    let put = report.scenarios.iter().find(|s| s.id == "put/001-valid-triple").unwrap();
    assert_eq!(put.outcome, Outcome::Pass, "{put:#?}");
    assert!(put.security_violations.is_empty());
    assert!(
        put.steps[0].mismatches.iter().any(|m| m.contains("waived by the profile")),
        "{:?}",
        put.steps[0].mismatches
    );
    let etag =
        report.findings.iter().find(|f| f.signature == "check etag-not-plaintext-md5 on put").expect("still reported");
    assert_eq!(etag.known.as_deref(), Some("ETags are plaintext MD5s"));
    // The waiver hides nothing else: a read with the wrong key still fails, twice over.
    assert_eq!(outcome(&report, "get-head/003-wrong-key"), Outcome::Fail);
    let unknown: Vec<&str> =
        report.findings.iter().filter(|f| f.known.is_none()).map(|f| f.signature.as_str()).collect();
    assert!(unknown.contains(&"get: 403 AccessDenied → 200"), "{unknown:?}");
    assert!(unknown.contains(&"check read-needs-key on get"), "{unknown:?}");
    assert!(!report.passed());

    // A drafted profile waives the pervasive check, and lists the per-request one and the wrong
    // answer scenario by scenario; with it the run passes, every finding known.
    let drafted = draft::draft(&report, "md5-store");
    let profile = Profile::parse("drafted.yaml", &drafted).unwrap();
    let waived: Vec<&str> = profile.waive.iter().map(|w| w.check.name()).collect();
    assert_eq!(waived, ["etag-not-plaintext-md5"], "{drafted}");
    assert_eq!(profile.waive[0].reason, "ETags are plaintext MD5s", "a known finding keeps its reason");
    let listed: Vec<(&str, &str)> = profile.xfail.iter().map(|e| (e.scenario.as_str(), e.finding.as_str())).collect();
    assert!(listed.contains(&("get-head/003-wrong-key", "get: 403 AccessDenied → 200")), "{drafted}");
    assert!(listed.contains(&("get-head/003-wrong-key", "check read-needs-key on get")), "{drafted}");
    settings.profile = profile;
    settings.placement = placement();
    let report = runner::run(&client, &scenarios, &settings, &|_| {}).await;
    assert!(report.passed(), "{:#?}", report.scenarios);
    assert_eq!(outcome(&report, "get-head/003-wrong-key"), Outcome::ExpectedFail);
    assert!(report.findings.iter().all(|f| f.known.is_some()), "{:#?}", report.findings);
    let security: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.severity == FindingSeverity::Security)
        .map(|f| f.signature.as_str())
        .collect();
    // The ETag of the GET answer is the plaintext MD5 too: the same waived check, on another operation.
    let expected = [
        "check etag-not-plaintext-md5 on get",
        "check etag-not-plaintext-md5 on put",
        "check read-needs-key on get",
        "get: 403 AccessDenied → 200",
    ];
    assert_eq!(security, expected);
    assert_eq!(
        findings::verdict(&report),
        format!("passed with {} known findings (4 security)", report.findings.len())
    );
}

/// The example of `profiles/README.md` loads, matches scenarios of the catalogue, and expects a
/// finding under the signature a run prints for it.
#[test]
fn the_profile_example_for_vendors_loads() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/README.md")).unwrap();
    let example = readme.split("```yaml\n").nth(1).and_then(|b| b.split("```").next()).expect("a yaml block");
    let profile = Profile::parse("profiles/README.md", example).unwrap();
    let catalogue = ssec_conform::scenario::catalogue::embedded().unwrap();
    assert!(profile.stale_entries(&catalogue).is_empty(), "{:?}", profile.stale_entries(&catalogue));
    assert_eq!(profile.waive.len(), 1);
    assert!(profile.xfail.iter().any(|e| e.finding == HTTP_PUT), "the README's finding is the one runs print");
    let http = profile.xfail.iter().find(|e| e.finding == HTTP_PUT).unwrap();
    assert!(ssec_conform::scenario::profile::glob_matches(&http.scenario, "transport/001-put-over-http"));
}
