//! Findings: every deviation of a run grouped by signature, and the conformance score.

use std::collections::BTreeMap;

use super::model::{Finding, FindingSeverity, Outcome, Report, Reproduction, ScenarioReport, StepReport};

/// The distinct findings of `scenarios` (their steps' deviations grouped by signature): most
/// severe first, then those the profile does not know, then by the number of scenarios
/// (most first) and signature. The reproduction is the first occurrence, in scenario id order.
#[must_use]
pub fn collect(scenarios: &[ScenarioReport]) -> Vec<Finding> {
    let mut by_signature: BTreeMap<&str, Finding> = BTreeMap::new();
    let mut all_known: BTreeMap<&str, bool> = BTreeMap::new();
    let mut sorted: Vec<&ScenarioReport> = scenarios.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for s in sorted {
        for step in &s.steps {
            for d in &step.deviations {
                let f = by_signature.entry(&d.signature).or_insert_with(|| Finding {
                    signature: d.signature.clone(),
                    severity: d.severity,
                    check: d.check.clone(),
                    operation: step.operation.clone(),
                    cases: Vec::new(),
                    scenarios: Vec::new(),
                    failing: false,
                    known: d.known.clone(),
                    reproduction: reproduction(s, step, d.check.is_some()),
                });
                if f.scenarios.last() != Some(&s.id) {
                    f.scenarios.push(s.id.clone());
                }
                for case in &d.cases {
                    if !f.cases.contains(case) {
                        f.cases.push(case.clone());
                    }
                }
                f.failing |= d.failing;
                *all_known.entry(&d.signature).or_insert(true) &= d.known.is_some();
                if f.known.is_none() {
                    f.known.clone_from(&d.known);
                }
            }
        }
    }
    let mut findings: Vec<Finding> = by_signature
        .into_iter()
        .map(|(signature, mut f)| {
            if !all_known.get(signature).copied().unwrap_or(false) {
                f.known = None;
            }
            f
        })
        .collect();
    findings.sort_by(|a, b| {
        (a.severity, a.known.is_some(), std::cmp::Reverse(a.scenarios.len()), &a.signature).cmp(&(
            b.severity,
            b.known.is_some(),
            std::cmp::Reverse(b.scenarios.len()),
            &b.signature,
        ))
    });
    findings
}

/// A finding's reproduction from the step it was seen in; a check's lines are the scenario's
/// security violations of that step (`step N: ...`).
fn reproduction(s: &ScenarioReport, step: &StepReport, check: bool) -> Reproduction {
    let mut mismatches = step.mismatches.clone();
    if check {
        let prefix = format!("step {}: ", step.index);
        mismatches.extend(s.security_violations.iter().filter_map(|v| v.strip_prefix(&prefix)).map(str::to_owned));
    }
    Reproduction { scenario: s.id.clone(), step: StepReport { mismatches, deviations: Vec::new(), ..step.clone() } }
}

/// The conformance score: scenarios answered exactly as AWS, of those that apply (run, and
/// graded against an observed AWS answer: neither `unsupported`, `skipped` nor `info`).
#[must_use]
pub fn score(report: &Report) -> (usize, usize) {
    let applicable: Vec<&ScenarioReport> = report
        .scenarios
        .iter()
        .filter(|s| !matches!(s.outcome, Outcome::Unsupported | Outcome::Skipped | Outcome::Info))
        .filter(|s| s.level != "info")
        .collect();
    let exact = applicable.iter().filter(|s| s.outcome == Outcome::Pass && !has_deviation(s)).count();
    (exact, applicable.len())
}

/// Whether any step of `s` deviated, waived checks included.
fn has_deviation(s: &ScenarioReport) -> bool {
    s.steps.iter().any(|step| !step.deviations.is_empty())
}

/// The number of findings, and of security findings.
#[must_use]
pub fn tally(report: &Report) -> (usize, usize) {
    let security = report.findings.iter().filter(|f| f.severity == FindingSeverity::Security).count();
    (report.findings.len(), security)
}

/// The verdict in words: `passed`, `passed with 3 known findings (1 security)`, or `failed: 4
/// findings (2 security), 1 not in the profile`. An endpoint with findings never reads as an
/// unqualified `passed`.
#[must_use]
pub fn verdict(report: &Report) -> String {
    let (n, security) = tally(report);
    let plural = |n: usize| if n == 1 { "finding" } else { "findings" };
    if report.passed() {
        return if n == 0 {
            "passed".to_owned()
        } else {
            format!("passed with {n} known {} ({security} security)", plural(n))
        };
    }
    let unknown = report.findings.iter().filter(|f| f.known.is_none()).count();
    format!("failed: {n} {} ({security} security), {unknown} not in the profile", plural(n))
}

#[cfg(test)]
mod tests {
    use super::super::model::Deviation;
    use super::super::testdata::{sample, scenario};
    use super::*;

    fn deviation(signature: &str, severity: FindingSeverity, known: Option<&str>) -> Deviation {
        Deviation {
            signature: signature.into(),
            severity,
            check: None,
            cases: vec!["G3".into()],
            failing: known.is_none(),
            known: known.map(Into::into),
        }
    }

    fn with(id: &str, outcome: Outcome, deviations: Vec<Deviation>) -> ScenarioReport {
        let mut s = scenario(id, outcome, None);
        s.steps[0].deviations = deviations;
        s
    }

    #[test]
    fn one_finding_per_signature_with_every_scenario() {
        let wrong = "get: 403 AccessDenied → 400 InvalidRequest";
        let text = "get: 400 InvalidRequest, message differs";
        let mut g4 = deviation(wrong, FindingSeverity::Conformance, None);
        g4.cases = vec!["G4".into(), "G3".into()];
        let scenarios = vec![
            with("get-head/011", Outcome::Fail, vec![g4]),
            with(
                "get-head/003",
                Outcome::Fail,
                vec![
                    deviation(wrong, FindingSeverity::Conformance, None),
                    deviation(text, FindingSeverity::Cosmetic, None),
                ],
            ),
            with("get-head/004", Outcome::Fail, vec![deviation("get: 403 → 200", FindingSeverity::Security, None)]),
        ];
        let findings = collect(&scenarios);
        let sigs: Vec<&str> = findings.iter().map(|f| f.signature.as_str()).collect();
        assert_eq!(sigs, ["get: 403 → 200", wrong, text], "security first, then conformance, then cosmetic");
        assert_eq!(findings[1].scenarios, ["get-head/003", "get-head/011"]);
        assert_eq!(findings[1].reproduction.scenario, "get-head/003", "the first occurrence in id order");
        assert_eq!(findings[1].cases, ["G3", "G4"], "the cases of every occurrence, once each");
        assert!(findings[1].failing);
        assert_eq!(findings[1].operation, "get");
    }

    #[test]
    fn a_finding_is_known_only_where_every_occurrence_is() {
        let sig = "check etag-not-plaintext-md5 on put";
        let known = collect(&[
            with("a/1", Outcome::Pass, vec![deviation(sig, FindingSeverity::Security, Some("waived"))]),
            with("a/2", Outcome::Pass, vec![deviation(sig, FindingSeverity::Security, Some("waived"))]),
        ]);
        assert_eq!(known[0].known.as_deref(), Some("waived"));
        let partly = collect(&[
            with("a/1", Outcome::ExpectedFail, vec![deviation(sig, FindingSeverity::Security, Some("r"))]),
            with("a/2", Outcome::Fail, vec![deviation(sig, FindingSeverity::Security, None)]),
        ]);
        assert_eq!(partly[0].known, None);
    }

    #[test]
    fn a_check_reproduction_carries_its_violation() {
        let mut s = with(
            "a/1",
            Outcome::Fail,
            vec![Deviation {
                check: Some("key-not-echoed".into()),
                ..deviation("check key-not-echoed on get", FindingSeverity::Security, None)
            }],
        );
        s.security_violations = vec!["step 1: customer key `a` (base64) echoed".into(), "step 2: other".into()];
        let f = collect(&[s]);
        assert!(
            f[0].reproduction.step.mismatches.contains(&"customer key `a` (base64) echoed".to_owned()),
            "{:?}",
            f[0]
        );
        assert!(!f[0].reproduction.step.mismatches.contains(&"other".to_owned()));
    }

    #[test]
    fn the_score_counts_exact_answers_among_those_that_apply() {
        let mut r = sample("minio");
        // pass, non-strict, fail, error, expected-fail, unexpected-pass, changed apply; info,
        // unsupported and skipped do not.
        assert_eq!(score(&r), (1, 7));
        let passing = r.scenarios.iter().position(|s| s.outcome == Outcome::Pass).unwrap();
        r.scenarios[passing].steps[0].deviations = vec![deviation("x", FindingSeverity::Security, Some("waived"))];
        assert_eq!(score(&r), (0, 7), "a pass with a waived check is not exactly as AWS");
    }

    #[test]
    fn the_verdict_never_hides_findings() {
        let mut r = sample("reference");
        r.scenarios.retain(|s| !s.outcome.fails_run());
        assert_eq!(verdict(&r), "passed");
        r.findings = collect(&[with(
            "a/1",
            Outcome::ExpectedFail,
            vec![
                deviation("s", FindingSeverity::Security, Some("r")),
                deviation("c", FindingSeverity::Conformance, Some("r")),
            ],
        )]);
        assert_eq!(verdict(&r), "passed with 2 known findings (1 security)");
        r.stale_entries.push("xfail `a/*` expects `s`, which no scenario showed".into());
        assert_eq!(verdict(&r), "failed: 2 findings (1 security), 0 not in the profile");
    }
}
