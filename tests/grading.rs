//! Grading against endpoints that misbehave. Every automatic security check fires on an endpoint
//! that breaks it, with its exact text; the same endpoint without the fault passes the same
//! catalogue scenarios, so the fault alone fails them. An `info` scenario sends every probe past a
//! mismatch. `--strict` (the default with the `reference` and `aws` profiles) fails a wrong error
//! message that a lenient run grades `non-strict`.
//!
//! The endpoint is a small in-memory S3 (tests/common/fake_endpoint.rs) that keeps each object's
//! key MD5 and refuses reads and copies with another key, as AWS does, unless told to misbehave.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::fake_endpoint::{self, Received, Reply};
use md5::{Digest as _, Md5};
use ssec_conform::report::model::{CheckViolation, Outcome, ScenarioReport};
use ssec_conform::scenario::exec::Placement;
use ssec_conform::scenario::grade::Strictness;
use ssec_conform::scenario::runner::{self, RunSettings};

const ALGORITHM: &str = "x-amz-server-side-encryption-customer-algorithm";
const KEY: &str = "x-amz-server-side-encryption-customer-key";
const KEY_MD5: &str = "x-amz-server-side-encryption-customer-key-md5";
const SOURCE_KEY_MD5: &str = "x-amz-copy-source-server-side-encryption-customer-key-md5";
const WRONG_KEY: &str =
    "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.";

/// How the endpoint misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// None: answers as AWS does.
    None,
    /// Echoes the request's customer key in a response header.
    KeyInHeader,
    /// Echoes the request's customer key, as hex, in the response body.
    KeyInBody,
    /// Answers SSE-C requests without the algorithm and key-MD5 headers.
    NoSseCHeaders,
    /// Gives an SSE-C object the MD5 of its plaintext as ETag.
    EtagIsPlaintextMd5,
    /// Sends an error body after the head of a HEAD error.
    HeadErrorBody,
    /// Serves an SSE-C object whatever key the request presents.
    ServesWithoutKey,
    /// Copies an SSE-C source whatever copy-source key the request presents.
    CopiesWithoutSourceKey,
    /// Refuses a wrong key with another message than AWS's.
    OtherMessage,
}

/// An object: its plaintext and the key MD5 it was stored under.
type Objects = BTreeMap<String, (Bytes, Option<String>)>;

fn error(status: u16, code: &str, message: &str) -> Reply {
    Reply::new(status, format!("<Error><Code>{code}</Code><Message>{message}</Message></Error>"))
}

/// The SSE-C response headers for a request presenting `md5`, unless the fault drops them.
fn sse_c_headers(fault: Fault, md5: Option<&str>) -> Vec<(String, String)> {
    match md5 {
        Some(md5) if fault != Fault::NoSseCHeaders => {
            vec![(ALGORITHM.into(), "AES256".into()), (KEY_MD5.into(), md5.into())]
        }
        _ => Vec::new(),
    }
}

fn handle(objects: &Mutex<Objects>, fault: Fault, r: &Received) -> Reply {
    let mut objects = objects.lock().unwrap();
    let path = r.path.trim_start_matches('/');
    let Some((bucket, key)) = path.split_once('/') else {
        return match r.method.as_str() {
            "GET" => Reply::new(200, "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"),
            "DELETE" => Reply::new(204, ""),
            _ => Reply::new(200, ""),
        };
    };
    let name = format!("{bucket}/{key}");
    let md5 = r.header(KEY_MD5).map(str::to_owned);
    match r.method.as_str() {
        "PUT" if r.header("x-amz-copy-source").is_some() => {
            let source = r.header("x-amz-copy-source").unwrap().trim_start_matches('/').to_owned();
            let Some((body, source_md5)) = objects.get(&source).cloned() else {
                return error(404, "NoSuchKey", "The specified key does not exist.");
            };
            if source_md5.as_deref() != r.header(SOURCE_KEY_MD5) && fault != Fault::CopiesWithoutSourceKey {
                return error(403, "AccessDenied", WRONG_KEY);
            }
            objects.insert(name, (body, md5.clone()));
            let body = "<CopyObjectResult><ETag>\"00112233445566778899aabbccddeeff\"</ETag></CopyObjectResult>";
            Reply::Answer { status: 200, headers: sse_c_headers(fault, md5.as_deref()), body: body.into() }
        }
        "PUT" => {
            let etag = if fault == Fault::EtagIsPlaintextMd5 {
                hex::encode(Md5::digest(&r.body))
            } else {
                "ffeeddccbbaa99887766554433221100".to_owned()
            };
            let mut headers = sse_c_headers(fault, md5.as_deref());
            headers.push(("etag".into(), format!("\"{etag}\"")));
            let key_text = r.header(KEY).unwrap_or_default().to_owned();
            let mut body = Bytes::new();
            match fault {
                Fault::KeyInHeader => headers.push(("x-debug-key".into(), key_text)),
                Fault::KeyInBody => body = Bytes::from(format!("<Debug>{}</Debug>", hex_of_base64(&key_text))),
                _ => {}
            }
            objects.insert(name, (r.body.clone(), md5.clone()));
            Reply::Answer { status: 200, headers, body }
        }
        "GET" | "HEAD" => {
            let Some((body, stored_md5)) = objects.get(&name).cloned() else {
                return head_error(r, fault, 404, "NoSuchKey", "The specified key does not exist.");
            };
            if stored_md5 != md5 && fault != Fault::ServesWithoutKey {
                let message = if fault == Fault::OtherMessage { "Access Denied" } else { WRONG_KEY };
                return head_error(r, fault, 403, "AccessDenied", message);
            }
            let mut headers = sse_c_headers(fault, md5.as_deref());
            headers.push(("etag".into(), "\"ffeeddccbbaa99887766554433221100\"".into()));
            Reply::Answer { status: 200, headers, body }
        }
        "DELETE" => {
            objects.remove(&name);
            Reply::new(204, "")
        }
        _ => error(501, "NotImplemented", "A header you provided implies functionality that is not implemented."),
    }
}

/// An error answer; to a HEAD with [`Fault::HeadErrorBody`], with its body written after the head.
fn head_error(r: &Received, fault: Fault, status: u16, code: &str, message: &str) -> Reply {
    let body = format!("<Error><Code>{code}</Code><Message>{message}</Message></Error>");
    if r.method == "HEAD" && fault == Fault::HeadErrorBody {
        let reason = http::StatusCode::from_u16(status).unwrap().canonical_reason().unwrap_or_default();
        let wire = format!("HTTP/1.1 {status} {reason}\r\ncontent-length: {}\r\n\r\n{body}", body.len());
        return Reply::Wire(Bytes::from(wire));
    }
    Reply::new(status, body)
}

fn hex_of_base64(text: &str) -> String {
    use base64::Engine as _;
    hex::encode(base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_default())
}

/// Runs catalogue scenario `id` against an endpoint with `fault`, graded with `strictness`.
async fn run_with(id: &str, fault: Fault, strictness: Strictness) -> ScenarioReport {
    let objects = Arc::new(Mutex::new(Objects::new()));
    let addr = fake_endpoint::start(move |r| handle(&objects, fault, r)).await;
    let placement = Placement::FreshBuckets { run_id: runner::new_run_id(), unblock_sse_c: false };
    let settings = RunSettings { strictness, ..fake_endpoint::settings(placement) };
    let client = fake_endpoint::client(addr, None);
    let report = runner::run(&client, &fake_endpoint::scenarios(&[id]), &settings, &|_| {}).await;
    report.scenarios.into_iter().next().expect("one scenario")
}

async fn run(id: &str, fault: Fault) -> ScenarioReport {
    run_with(id, fault, Strictness::Strict).await
}

/// The violations of `report` as (step, check, detail).
fn violations(report: &ScenarioReport) -> Vec<(usize, &str, &str)> {
    report
        .violated_checks
        .iter()
        .map(|CheckViolation { step, check, detail }| (*step, check.as_str(), detail.as_str()))
        .collect()
}

/// Asserts that `report` failed because of exactly `expected`, the first of them given as reason.
fn assert_fails_with(report: &ScenarioReport, expected: &[(usize, &str, &str)]) {
    assert_eq!(report.outcome, Outcome::Fail, "{report:#?}");
    assert_eq!(violations(report), expected);
    let (step, _, detail) = expected[0];
    assert_eq!(report.reason.as_deref(), Some(format!("security: step {step}: {detail}").as_str()));
    let lines: Vec<String> = expected.iter().map(|(step, _, detail)| format!("step {step}: {detail}")).collect();
    assert_eq!(report.security_violations, lines);
}

#[tokio::test]
async fn the_endpoint_without_fault_passes_every_scenario_the_checks_are_shown_on() {
    for id in
        ["put/001-valid-triple", "get-head/003-wrong-key", "get-head/011-head-wrong-key", "copy/011-wrong-source-key"]
    {
        let report = run(id, Fault::None).await;
        assert_eq!(report.outcome, Outcome::Pass, "{id}: {report:#?}");
        assert!(report.violated_checks.is_empty(), "{id}");
    }
}

#[tokio::test]
async fn key_not_echoed_fires_on_a_key_in_a_response_header() {
    let report = run("put/001-valid-triple", Fault::KeyInHeader).await;
    assert_fails_with(&report, &[(1, "key-not-echoed", "customer key `a` (base64) echoed in the response headers")]);
}

#[tokio::test]
async fn key_not_echoed_fires_on_a_key_in_a_response_body() {
    let report = run("put/001-valid-triple", Fault::KeyInBody).await;
    assert_fails_with(&report, &[(1, "key-not-echoed", "customer key `a` (hex) echoed in the response body")]);
}

#[tokio::test]
async fn sse_c_headers_echoed_fires_on_a_success_without_them() {
    let report = run("put/001-valid-triple", Fault::NoSseCHeaders).await;
    assert_fails_with(
        &report,
        &[
            (
                1,
                "sse-c-headers-echoed",
                "successful SSE-C put did not echo x-amz-server-side-encryption-customer-algorithm: AES256",
            ),
            (1, "sse-c-headers-echoed", "successful SSE-C put did not echo the request's key MD5"),
        ],
    );
}

#[tokio::test]
async fn etag_not_plaintext_md5_fires_on_an_etag_that_is_the_plaintext_md5() {
    let report = run("put/001-valid-triple", Fault::EtagIsPlaintextMd5).await;
    assert_fails_with(
        &report,
        &[(1, "etag-not-plaintext-md5", "the ETag of an SSE-C object is the MD5 of its plaintext")],
    );
}

#[tokio::test]
async fn head_error_has_no_body_fires_on_a_body_sent_after_a_head_error() {
    let report = run("get-head/011-head-wrong-key", Fault::HeadErrorBody).await;
    let length = format!("<Error><Code>AccessDenied</Code><Message>{WRONG_KEY}</Message></Error>").len();
    let detail = format!("HEAD error carried a body of {length} bytes");
    assert_fails_with(&report, &[(2, "head-error-has-no-body", &detail)]);
}

#[tokio::test]
async fn read_needs_key_fires_on_a_read_with_another_key() {
    let report = run("get-head/003-wrong-key", Fault::ServesWithoutKey).await;
    assert_fails_with(
        &report,
        &[(2, "read-needs-key", "get of an SSE-C object succeeded without its key (stored under `a`)")],
    );
}

#[tokio::test]
async fn copy_source_needs_key_fires_on_every_copy_with_another_source_key_of_an_info_scenario() {
    let report = run("copy/011-wrong-source-key", Fault::CopiesWithoutSourceKey).await;
    let detail = "copy from an SSE-C source succeeded without its key (stored under `k`)";
    assert_fails_with(&report, &[(2, "copy-source-needs-key", detail), (3, "copy-source-needs-key", detail)]);
    assert_eq!(report.steps.len(), 5, "an info scenario sends every step past a mismatch");
    assert_eq!(report.steps[1].mismatches, ["status 200 (expected 403)", "code <none> (expected AccessDenied)"]);
}

#[tokio::test]
async fn a_wrong_error_message_fails_under_strict_and_is_non_strict_without() {
    let strict = run_with("get-head/003-wrong-key", Fault::OtherMessage, Strictness::Strict).await;
    let line = format!("message \"Access Denied\" (expected {WRONG_KEY:?})");
    assert_eq!(strict.outcome, Outcome::Fail);
    assert_eq!(strict.reason.as_deref(), Some(format!("step 2 (get): {line}").as_str()));
    let detail = &strict.steps[1].mismatch_details;
    assert_eq!(detail.len(), 1);
    assert_eq!(
        (detail[0].field.as_str(), detail[0].expected.as_str(), detail[0].observed.as_str(), detail[0].fails),
        ("message", WRONG_KEY, "Access Denied", true)
    );
    let lenient = run_with("get-head/003-wrong-key", Fault::OtherMessage, Strictness::Lenient).await;
    assert_eq!(lenient.outcome, Outcome::NonStrict);
    assert_eq!(lenient.steps[1].mismatches, [line]);
    assert!(!lenient.steps[1].mismatch_details[0].fails);
}

/// `ssec-conform run` against an endpoint answering a wrong key with another message than AWS's:
/// its exit code, and the outcome and `strict` flag of its report.
async fn cli_run(args: &[&str]) -> (bool, Outcome, bool) {
    let objects = Arc::new(Mutex::new(Objects::new()));
    let addr = fake_endpoint::start(move |r| handle(&objects, Fault::OtherMessage, r)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec!["--filter", "get-head/003-wrong-key"];
    all.extend(args);
    let out = tokio::task::block_in_place(|| fake_endpoint::run_cli(addr, dir.path(), &all, &[]));
    let report = ssec_conform::report::read_json(&dir.path().join("report.json")).expect("report.json");
    assert_eq!(report.scenarios.len(), 1, "{}", String::from_utf8_lossy(&out.stdout));
    (out.status.success(), report.scenarios[0].outcome, report.endpoint.strict)
}

#[tokio::test(flavor = "multi_thread")]
async fn run_is_strict_by_default_with_the_aws_profile_and_not_with_others_and_strict_overrides_both() {
    let other = tempfile::NamedTempFile::with_suffix(".yaml").unwrap();
    std::fs::write(other.path(), "name: other\ncapabilities: [sse-c]\n").unwrap();
    let other = other.path().to_str().unwrap();
    assert_eq!(cli_run(&["--profile", "aws"]).await, (false, Outcome::Fail, true));
    assert_eq!(cli_run(&["--profile", "aws", "--strict=false"]).await, (true, Outcome::NonStrict, false));
    assert_eq!(cli_run(&["--profile", other]).await, (true, Outcome::NonStrict, false));
    assert_eq!(cli_run(&["--profile", other, "--strict"]).await, (false, Outcome::Fail, true));
}
