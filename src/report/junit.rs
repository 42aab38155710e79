//! `junit.xml`: one test suite per area, one test case per scenario (named by its id), for CI
//! test tabs.
//!
//! | outcome                       | JUnit                                             |
//! |-------------------------------|---------------------------------------------------|
//! | `fail`, `unexpected-pass`     | `<failure>`: message = reason, text = mismatches and reproduce commands |
//! | `error`                       | `<error>`, same message and text                  |
//! | `unsupported`, `skipped`      | `<skipped>` with the reason                       |
//! | `expected-fail`               | success, noted in `<system-out>`                  |
//! | `pass`, `non-strict`, `info`  | success (`non-strict` and `info` noted in `<system-out>`) |
//!
//! A cleanup error goes to the test case's `<system-err>`.

use std::collections::BTreeMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report as JUnitReport, TestCase, TestCaseStatus, TestSuite};

use super::model::{Outcome, Report, ScenarioReport};

/// Renders the report as JUnit XML.
pub(super) fn render(report: &Report) -> anyhow::Result<String> {
    let mut junit = JUnitReport::new(format!("ssec-conform {}", report.endpoint.name));
    junit.set_time(Duration::from_millis(report.duration_ms));

    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    for scenario in &report.scenarios {
        let suite = suites.entry(scenario.area.as_str()).or_insert_with(|| {
            let mut suite = TestSuite::new(scenario.area.as_str());
            suite.add_properties([
                Property::new("endpoint", report.endpoint.name.as_str()),
                Property::new("url", report.endpoint.url.as_str()),
                Property::new("profile", report.endpoint.profile.as_str()),
                Property::new("tool_version", report.tool_version.as_str()),
            ]);
            suite
        });
        suite.add_test_case(test_case(scenario));
    }
    for suite in suites.values_mut() {
        let millis = report.scenarios.iter().filter(|s| s.area == suite.name.as_str()).map(|s| s.duration_ms).sum();
        suite.set_time(Duration::from_millis(millis));
    }
    junit.add_test_suites(suites.into_values());
    Ok(junit.to_string()?)
}

/// One scenario as a test case.
fn test_case(s: &ScenarioReport) -> TestCase {
    let reason = s.reason.as_deref();
    let status = match s.outcome {
        Outcome::Fail | Outcome::UnexpectedPass | Outcome::Changed | Outcome::Error => {
            let kind = if s.outcome == Outcome::Error { NonSuccessKind::Error } else { NonSuccessKind::Failure };
            let mut status = TestCaseStatus::non_success(kind);
            let default = if s.outcome == Outcome::UnexpectedPass {
                "listed as a known deviation, but passed: the profile is stale"
            } else {
                s.outcome.legend()
            };
            status.set_message(reason.unwrap_or(default)).set_type(s.outcome.as_str()).set_description(failure_text(s));
            status
        }
        Outcome::Unsupported | Outcome::Skipped => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(reason.unwrap_or_else(|| s.outcome.legend())).set_type(s.outcome.as_str());
            status
        }
        Outcome::Pass | Outcome::NonStrict | Outcome::Info | Outcome::ExpectedFail => TestCaseStatus::success(),
    };
    let mut case = TestCase::new(s.id.as_str(), status);
    case.set_classname(s.area.as_str()).set_time(Duration::from_millis(s.duration_ms));
    if matches!(s.outcome, Outcome::NonStrict | Outcome::Info | Outcome::ExpectedFail) {
        let mut note = format!("{}: {}", s.outcome.as_str(), reason.unwrap_or_else(|| s.outcome.legend()));
        for step in &s.steps {
            for mismatch in &step.mismatches {
                note.push_str(&format!("\nstep {} ({}): {mismatch}", step.index, step.operation));
            }
        }
        case.set_system_out(note);
    }
    if let Some(err) = &s.cleanup_error {
        case.set_system_err(format!("cleanup failed (the outcome is unchanged): {err}"));
    }
    case
}

/// The text of a failure or error: security violations, then each mismatching step's
/// mismatches and reproduce command (every step's command when none mismatched).
fn failure_text(s: &ScenarioReport) -> String {
    let mut text = String::new();
    for violation in &s.security_violations {
        text.push_str(&format!("security violation: {violation}\n"));
    }
    let mismatching: Vec<_> = s.steps.iter().filter(|step| !step.mismatches.is_empty()).collect();
    let steps = if mismatching.is_empty() { s.steps.iter().collect() } else { mismatching };
    for step in steps {
        text.push_str(&format!(
            "step {} ({}): {} {}\n",
            step.index, step.operation, step.request.method, step.request.url
        ));
        match &step.actual {
            Some(actual) => text.push_str(&format!("  got HTTP {}", actual.status)),
            None => text.push_str("  no response"),
        }
        if let Some(code) = step.actual.as_ref().and_then(|a| a.code.as_deref()) {
            text.push_str(&format!(" {code}"));
        }
        text.push('\n');
        for mismatch in &step.mismatches {
            text.push_str(&format!("  mismatch: {mismatch}\n"));
        }
        text.push_str(&format!("  reproduce: {}\n", step.reproduce));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::super::testdata::sample;
    use super::*;

    /// The `<testcase>` element of scenario `id`.
    fn case<'a>(xml: &'a str, id: &str) -> &'a str {
        let start = xml.find(&format!("<testcase name=\"{id}\"")).unwrap_or_else(|| panic!("test case {id}"));
        let rest = &xml[start..];
        let end = rest.find("</testcase>").map_or_else(|| rest.find("/>").unwrap() + 2, |e| e + "</testcase>".len());
        &rest[..end]
    }

    #[test]
    fn suites_per_area_and_cases_per_scenario() {
        let xml = render(&sample("minio")).expect("render");
        for area in ["basic", "copy", "errors", "multipart"] {
            assert!(xml.contains(&format!("<testsuite name=\"{area}\"")), "{area}");
        }
        assert_eq!(xml.matches("<testcase ").count(), 10);
        assert!(
            xml.contains("<testsuites name=\"ssec-conform minio\" tests=\"10\" failures=\"3\" errors=\"1\""),
            "{xml}"
        );
    }

    #[test]
    fn outcomes_map_to_junit_elements() {
        let xml = render(&sample("minio")).expect("render");
        let fail = case(&xml, "basic/002-wrong-key");
        assert!(
            fail.contains(
                "<failure message=\"status: expected 403, got 200 &lt;script&gt;x&lt;/script&gt;\" type=\"fail\""
            ),
            "{fail}"
        );
        assert!(fail.contains("mismatch: status: expected 403, got 200"), "{fail}");
        assert!(fail.contains("reproduce: curl -sS -X GET"), "{fail}");
        assert!(fail.contains("security violation: data returned without the key"), "{fail}");

        let stale = case(&xml, "copy/002-copy-plain");
        assert!(
            stale.contains("<failure message=\"listed as deviation but passed\" type=\"unexpected-pass\""),
            "{stale}"
        );

        let error = case(&xml, "basic/003-timeout");
        assert!(error.contains("<error message=\"timed out after 30s\" type=\"error\""), "{error}");
        assert!(error.contains("no response") && error.contains("<system-err>"), "{error}");

        for id in ["multipart/001-upload", "multipart/002-copy"] {
            assert!(case(&xml, id).contains("<skipped"), "{id}");
        }

        let expected = case(&xml, "copy/001-copy-ssec");
        assert!(expected.contains("<system-out>expected-fail: known: copy drops SSE-C"), "{expected}");
        assert!(!expected.contains("<failure") && !expected.contains("<skipped"), "{expected}");

        assert!(case(&xml, "errors/001-bad-md5").contains("<system-out>non-strict: "));
        assert!(case(&xml, "errors/002-unknown").contains("<system-out>info: "));
        let pass = case(&xml, "basic/001-put-get");
        assert!(!pass.contains("<failure") && !pass.contains("<error") && !pass.contains("<skipped"), "{pass}");
        assert!(pass.contains("time=\"0.012\""), "{pass}");
    }
}
