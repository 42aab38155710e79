//! Judging a scenario's deviations by its profile: waived checks change no outcome, and a scenario
//! an `xfail` entry matches is `expected-fail` while it shows only the findings its entries name,
//! `changed` when it deviates otherwise, and `unexpected-pass` once an entry naming it alone
//! (no glob) finds it passing.

use super::check::Check;
use super::load::LoadedScenario;
use super::profile::{Expected, Profile, Waiver, glob_matches, is_exact};
use crate::report::model::{Outcome, ScenarioReport};

/// What a profile says about one scenario before it runs.
#[derive(Debug, Clone)]
pub enum Disposition {
    /// Run it, and judge its deviations by the profile's waivers and `xfail` entries.
    Run(Judge),
    /// Do not run it: skipped for this reason.
    Skip(String),
    /// Do not run it: these capabilities are missing.
    Unsupported(Vec<String>),
}

/// What `profile` says about scenario `s`: unsupported, skipped, or run and judged by its
/// waivers and the `xfail` entries matching `s`.
#[must_use]
pub fn disposition(profile: &Profile, s: &LoadedScenario) -> Disposition {
    let missing: Vec<String> =
        s.scenario.requires.iter().filter(|c| !profile.capabilities.contains(c)).map(|c| c.name().to_owned()).collect();
    if !missing.is_empty() {
        return Disposition::Unsupported(missing);
    }
    if let Some(e) = profile.skip.iter().find(|e| glob_matches(&e.scenario, &s.id)) {
        return Disposition::Skip(e.reason.clone());
    }
    Disposition::Run(Judge {
        waivers: profile.waive.clone(),
        expected: profile.xfail.iter().filter(|e| glob_matches(&e.scenario, &s.id)).cloned().collect(),
    })
}

/// The profile's entries that concern one scenario.
#[derive(Debug, Clone, Default)]
pub struct Judge {
    /// Every waiver of the profile.
    pub waivers: Vec<Waiver>,
    /// The `xfail` entries matching the scenario.
    pub expected: Vec<Expected>,
}

impl Judge {
    /// The reason the profile waives `check`, if it does.
    #[must_use]
    pub fn waiver(&self, check: Check) -> Option<&str> {
        self.waivers.iter().find(|w| w.check == check).map(|w| w.reason.as_str())
    }

    /// Marks the deviations the `xfail` entries name as known, and regrades the scenario by them:
    /// only failing deviations need an entry (a non-strict difference fails nothing).
    pub fn settle(&self, report: &mut ScenarioReport) {
        if self.expected.is_empty() {
            return;
        }
        let mut seen: Vec<&Expected> = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        for d in report.steps.iter_mut().flat_map(|s| &mut s.deviations) {
            if d.known.is_some() {
                continue;
            }
            match self.expected.iter().find(|e| e.names(&d.signature)) {
                Some(e) => {
                    d.known = Some(e.reason.clone());
                    seen.push(e);
                }
                None if d.failing && !unknown.contains(&d.signature) => unknown.push(d.signature.clone()),
                None => {}
            }
        }
        let named = !seen.is_empty();
        let was = report.reason.take();
        let (outcome, reason) = match report.outcome {
            Outcome::Fail | Outcome::Error | Outcome::NonStrict if named && unknown.is_empty() => {
                (Outcome::ExpectedFail, format!("profile: {}", reasons(&seen)))
            }
            Outcome::Fail | Outcome::Error if !unknown.is_empty() => (
                Outcome::Changed,
                format!("profile expects {}; found instead {}", self.expected_list(), quoted(&unknown)),
            ),
            Outcome::Pass | Outcome::NonStrict if !named && self.expected.iter().any(|e| is_exact(&e.scenario)) => (
                Outcome::UnexpectedPass,
                format!("profile expects {}, not shown: the entry is stale", self.expected_list()),
            ),
            _ => {
                report.reason = was;
                return;
            }
        };
        report.outcome = outcome;
        report.reason = Some(match was {
            Some(was) => format!("{reason} ({was})"),
            None => reason,
        });
    }

    /// The findings the entries for this scenario name: the first few, then how many more (a
    /// profile's `*` entries all apply to every scenario).
    fn expected_list(&self) -> String {
        const SHOWN: usize = 3;
        let names: Vec<&str> = self.expected.iter().map(|e| e.finding.as_str()).collect();
        let more = names.len().saturating_sub(SHOWN);
        let shown = quoted(&names[..names.len().min(SHOWN)]);
        if more == 0 { shown } else { format!("{shown} and {more} more") }
    }
}

/// The distinct reasons of the entries whose findings were seen (each once), joined.
fn reasons(seen: &[&Expected]) -> String {
    let mut reasons: Vec<&str> = Vec::new();
    for e in seen {
        if !reasons.contains(&e.reason.as_str()) {
            reasons.push(&e.reason);
        }
    }
    reasons.join(" ")
}

/// `"a"`, `"b"`.
fn quoted<S: AsRef<str>>(items: &[S]) -> String {
    items.iter().map(|s| format!("`{}`", s.as_ref())).collect::<Vec<_>>().join(", ")
}

/// The `xfail` entries of `profile` whose finding none of the scenarios they match showed in this
/// run (among those that ran), one line each: the profile is stale.
#[must_use]
pub fn stale_in_run(profile: &Profile, reports: &[ScenarioReport]) -> Vec<String> {
    profile
        .xfail
        .iter()
        .filter_map(|e| {
            let ran: Vec<&ScenarioReport> = reports
                .iter()
                .filter(|r| glob_matches(&e.scenario, &r.id))
                .filter(|r| !matches!(r.outcome, Outcome::Unsupported | Outcome::Skipped))
                .collect();
            let shown = ran.iter().flat_map(|r| &r.steps).flat_map(|s| &s.deviations).any(|d| e.names(&d.signature));
            (!ran.is_empty() && !shown)
                .then(|| format!("xfail `{}` expects `{}`, which no scenario showed", e.scenario, e.finding))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Deviation, FindingSeverity, RequestTranscript, StepReport};

    fn deviation(signature: &str) -> Deviation {
        Deviation {
            signature: signature.into(),
            severity: FindingSeverity::Conformance,
            check: None,
            cases: vec!["G3".into()],
            failing: true,
            known: None,
        }
    }

    fn report(outcome: Outcome, signatures: &[&str]) -> ScenarioReport {
        let step = StepReport {
            index: 1,
            operation: "get".into(),
            request: RequestTranscript {
                method: "GET".into(),
                url: "https://x/b/k".into(),
                headers: vec![],
                body_len: 0,
            },
            expected: vec![],
            actual: None,
            mismatches: vec![],
            mismatch_details: vec![],
            deviations: signatures.iter().map(|s| deviation(s)).collect(),
            reproduce: String::new(),
        };
        ScenarioReport {
            id: "get-head/003-wrong-key".into(),
            area: "get-head".into(),
            title: "t".into(),
            cases: vec!["G3".into()],
            level: "must".into(),
            outcome,
            reason: Some("step 1 (get): status 400 (expected 403)".into()),
            duration_ms: 1,
            steps: vec![step],
            security_violations: vec![],
            violated_checks: vec![],
            cleanup_error: None,
        }
    }

    fn judge(glob: &str, finding: &str) -> Judge {
        Judge {
            waivers: vec![],
            expected: vec![Expected {
                scenario: glob.into(),
                finding: finding.into(),
                reason: "answers 400".into(),
                link: None,
            }],
        }
    }

    const SIG: &str = "get: 403 AccessDenied → 400 InvalidRequest";

    #[test]
    fn the_named_finding_is_expected_and_known() {
        let mut r = report(Outcome::Fail, &[SIG]);
        judge("get-head/*", SIG).settle(&mut r);
        assert_eq!(r.outcome, Outcome::ExpectedFail);
        assert_eq!(r.reason.as_deref(), Some("profile: answers 400 (step 1 (get): status 400 (expected 403))"));
        assert_eq!(r.steps[0].deviations[0].known.as_deref(), Some("answers 400"));
    }

    #[test]
    fn an_expected_fail_gives_the_reasons_of_the_findings_seen_only() {
        let mut r = report(Outcome::Fail, &[SIG]);
        let mut j = judge("*", SIG);
        j.expected.push(Expected {
            scenario: "*".into(),
            finding: "upload-part: 400 InvalidRequest → 200".into(),
            reason: "parts take any key".into(),
            link: None,
        });
        j.settle(&mut r);
        assert_eq!(r.outcome, Outcome::ExpectedFail);
        assert_eq!(r.reason.as_deref(), Some("profile: answers 400 (step 1 (get): status 400 (expected 403))"));
    }

    #[test]
    fn an_entry_may_name_a_family_of_findings_by_a_glob() {
        let family = "put: 200, header x-amz-checksum-* missing";
        for (signature, named) in [
            ("put: 200, header x-amz-checksum-crc32 missing", true),
            ("put: 200, header x-amz-checksum-sha256 missing", true),
            ("get: 200, header x-amz-checksum-crc32 missing", false),
        ] {
            let mut r = report(Outcome::Fail, &[signature]);
            judge("*", family).settle(&mut r);
            let expected = if named { Outcome::ExpectedFail } else { Outcome::Changed };
            assert_eq!(r.outcome, expected, "{signature}");
        }
    }

    #[test]
    fn another_finding_is_changed_not_hidden() {
        let other = "get: 403 AccessDenied → 200";
        let mut r = report(Outcome::Fail, &[other]);
        judge("get-head/*", SIG).settle(&mut r);
        assert_eq!(r.outcome, Outcome::Changed);
        assert!(r.outcome.fails_run());
        let reason = r.reason.unwrap();
        assert!(reason.contains(&format!("profile expects `{SIG}`; found instead `{other}`")), "{reason}");
        assert_eq!(r.steps[0].deviations[0].known, None);
    }

    #[test]
    fn a_named_finding_plus_a_new_one_is_changed() {
        let mut r = report(Outcome::Fail, &[SIG, "put: 200, header x missing"]);
        judge("get-head/*", SIG).settle(&mut r);
        assert_eq!(r.outcome, Outcome::Changed);
    }

    #[test]
    fn a_deviation_that_fails_nothing_needs_no_entry() {
        let mut r = report(Outcome::Fail, &[SIG, "get: 400 InvalidRequest, message differs"]);
        r.steps[0].deviations[1].failing = false;
        judge("get-head/*", SIG).settle(&mut r);
        assert_eq!(r.outcome, Outcome::ExpectedFail);
        assert_eq!(r.steps[0].deviations[1].known, None, "still a finding, not in the profile");
    }

    #[test]
    fn a_pass_is_unexpected_only_for_an_entry_naming_the_scenario() {
        let mut r = report(Outcome::Pass, &[]);
        judge("get-head/003-wrong-key", SIG).settle(&mut r);
        assert_eq!(r.outcome, Outcome::UnexpectedPass);
        let mut r = report(Outcome::Pass, &[]);
        judge("get-head/*", SIG).settle(&mut r);
        assert_eq!(r.outcome, Outcome::Pass, "a glob covers scenarios that pass");
    }

    #[test]
    fn an_error_without_deviations_stays_an_error() {
        let mut r = report(Outcome::Error, &[]);
        judge("get-head/*", SIG).settle(&mut r);
        assert_eq!(r.outcome, Outcome::Error);
    }

    #[test]
    fn a_glob_entry_whose_finding_never_shows_is_stale_in_the_run() {
        let mut profile = Profile::reference();
        profile.xfail = judge("get-head/*", SIG).expected;
        assert!(stale_in_run(&profile, &[report(Outcome::Fail, &[SIG])]).is_empty());
        assert_eq!(
            stale_in_run(&profile, &[report(Outcome::Pass, &[])]),
            vec![format!("xfail `get-head/*` expects `{SIG}`, which no scenario showed")]
        );
        assert!(stale_in_run(&profile, &[report(Outcome::Unsupported, &[])]).is_empty(), "not run: not stale");
    }
}
