//! A small hand-built [`Report`] shared by the renderers' unit tests.

use super::model::{
    CheckViolation, EndpointInfo, MismatchDetail, Outcome, Report, RequestTranscript, ResponseTranscript,
    SCHEMA_VERSION, ScenarioReport, StepReport,
};

/// A step whose answer did not match: carries a `<script>` payload to test escaping.
fn failing_step() -> StepReport {
    StepReport {
        index: 1,
        operation: "get".to_owned(),
        request: RequestTranscript {
            method: "GET".to_owned(),
            url: "http://127.0.0.1:9000/bucket/key?x=1&y=2".to_owned(),
            headers: vec![
                ("x-amz-server-side-encryption-customer-algorithm".to_owned(), "AES256".to_owned()),
                ("x-amz-server-side-encryption-customer-key".to_owned(), "<redacted>".to_owned()),
            ],
            body_len: 0,
        },
        expected: vec!["status 403".to_owned(), "code AccessDenied".to_owned()],
        actual: Some(ResponseTranscript {
            status: 200,
            headers: vec![("content-type".to_owned(), "text/html".to_owned())],
            code: None,
            message: None,
            body_len: 33,
            body_excerpt: Some("<script>alert('pwned')</script>".to_owned()),
        }),
        mismatches: vec!["status: expected 403, got 200".to_owned()],
        mismatch_details: vec![MismatchDetail {
            field: "status".to_owned(),
            name: None,
            expected: "403".to_owned(),
            observed: "200".to_owned(),
            fails: true,
        }],
        deviations: vec![],
        reproduce: "curl -sS -X GET 'http://127.0.0.1:9000/bucket/key?x=1&y=2'".to_owned(),
    }
}

/// A step that matched everything.
fn passing_step() -> StepReport {
    StepReport {
        index: 1,
        operation: "put".to_owned(),
        request: RequestTranscript {
            method: "PUT".to_owned(),
            url: "http://127.0.0.1:9000/bucket/key".to_owned(),
            headers: vec![("content-length".to_owned(), "5".to_owned())],
            body_len: 5,
        },
        expected: vec!["status 200".to_owned()],
        actual: Some(ResponseTranscript {
            status: 200,
            headers: vec![],
            code: None,
            message: None,
            body_len: 0,
            body_excerpt: None,
        }),
        mismatches: vec![],
        mismatch_details: vec![],
        deviations: vec![],
        reproduce: "curl -sS -X PUT 'http://127.0.0.1:9000/bucket/key' --data-binary hello".to_owned(),
    }
}

/// One scenario with the given id, outcome and reason.
pub(super) fn scenario(id: &str, outcome: Outcome, reason: Option<&str>) -> ScenarioReport {
    let area = id.split('/').next().unwrap_or(id).to_owned();
    let step = if outcome == Outcome::Fail { failing_step() } else { passing_step() };
    ScenarioReport {
        id: id.to_owned(),
        area,
        title: format!("Title of {id}"),
        cases: vec!["C-1".to_owned(), "C-2".to_owned()],
        level: "must".to_owned(),
        outcome,
        reason: reason.map(str::to_owned),
        duration_ms: 12,
        steps: if matches!(outcome, Outcome::Unsupported | Outcome::Skipped) { vec![] } else { vec![step] },
        security_violations: if outcome == Outcome::Fail {
            vec!["data returned without the key".to_owned()]
        } else {
            vec![]
        },
        violated_checks: if outcome == Outcome::Fail {
            vec![CheckViolation {
                step: 1,
                check: "read-needs-key".to_owned(),
                detail: "data returned without the key".to_owned(),
            }]
        } else {
            vec![]
        },
        cleanup_error: None,
    }
}

/// A report against an endpoint named `name` with one scenario per outcome.
pub(super) fn sample(name: &str) -> Report {
    let mut scenarios = vec![
        scenario("basic/001-put-get", Outcome::Pass, None),
        scenario("basic/002-wrong-key", Outcome::Fail, Some("status: expected 403, got 200 <script>x</script>")),
        scenario("basic/003-timeout", Outcome::Error, Some("timed out after 30s")),
        scenario("errors/001-bad-md5", Outcome::NonStrict, Some("code InvalidArgument, AWS says InvalidRequest")),
        scenario("errors/002-unknown", Outcome::Info, Some("AWS's answer not observed")),
        scenario("multipart/001-upload", Outcome::Unsupported, Some("profile lacks multipart")),
        scenario("multipart/002-copy", Outcome::Skipped, Some("slow on this endpoint")),
        scenario("copy/001-copy-ssec", Outcome::ExpectedFail, Some("known: copy drops SSE-C")),
        scenario("copy/002-copy-plain", Outcome::UnexpectedPass, Some("listed as deviation but passed")),
        scenario("copy/003-copy-changed", Outcome::Changed, Some("profile expects `a`; found instead `b`")),
    ];
    scenarios[2].cleanup_error = Some("DeleteObject: 500".to_owned());
    scenarios[2].steps[0].actual = None;
    scenarios.sort_by(|a, b| a.id.cmp(&b.id));
    Report {
        schema_version: SCHEMA_VERSION,
        tool_version: "0.1.0".to_owned(),
        started_at: "2025-01-01T00:00:00Z".to_owned(),
        duration_ms: 1234,
        endpoint: EndpointInfo {
            name: name.to_owned(),
            url: "http://127.0.0.1:9000".to_owned(),
            profile: name.to_owned(),
            capabilities: vec!["sse-c".to_owned()],
            embedded: false,
            strict: true,
        },
        counts: Report::count(&scenarios),
        scenarios,
        findings: vec![],
        stale_entries: vec![],
    }
}

/// Sets the outcome of scenario `id` (which must exist) and recomputes the counts.
pub(super) fn set_outcome(report: &mut Report, id: &str, outcome: Outcome) {
    let s = report.scenarios.iter_mut().find(|s| s.id == id).expect("scenario exists");
    s.outcome = outcome;
    report.counts = Report::count(&report.scenarios);
}
