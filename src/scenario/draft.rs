//! `ssec-conform profile draft`: a starting profile written from a run's `report.json`, one entry
//! per finding, with reasons for the vendor to fill in.

use std::fmt::Write as _;

use super::check::Check;
use crate::report::model::{Finding, Outcome, Report};

/// A JSON string literal, which YAML reads as the same string.
fn quote(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// The glob of an entry for `scenarios`: the id itself for one, `area/*` when they share an area,
/// `*` otherwise.
fn glob(scenarios: &[String]) -> String {
    let area = |id: &str| id.split('/').next().unwrap_or_default().to_owned();
    match scenarios {
        [one] => one.clone(),
        [first, rest @ ..] if rest.iter().all(|id| area(id) == area(first)) => format!("{}/*", area(first)),
        _ => "*".to_owned(),
    }
}

/// The check of a finding when it is one a profile waives rather than lists (see
/// [`Check::pervasive`]).
fn pervasive(f: &Finding) -> Option<Check> {
    let check: Check = serde_json::from_value(f.check.as_deref()?.into()).ok()?;
    check.pervasive().then_some(check)
}

/// Whether the finding fails a scenario that failed the run or that a profile expected to fail:
/// it needs an `xfail` entry (a finding that only makes scenarios non-strict fails nothing).
fn needs_entry(report: &Report, f: &Finding) -> bool {
    f.failing
        && report
            .scenarios
            .iter()
            .filter(|s| f.scenarios.contains(&s.id))
            .any(|s| matches!(s.outcome, Outcome::Fail | Outcome::Error | Outcome::Changed | Outcome::ExpectedFail))
}

/// `# security; 3 scenarios: a, b, c` above an entry.
fn comment(f: &Finding) -> String {
    let shown: Vec<&str> = f.scenarios.iter().take(5).map(String::as_str).collect();
    let more = if f.scenarios.len() > shown.len() { ", ..." } else { "" };
    format!("  # {}; {} scenario(s): {}{more}\n", f.severity.as_str(), f.scenarios.len(), shown.join(", "))
}

/// The reason to fill in: the old one when the run's profile knew the finding, else a `TODO`.
fn reason(f: &Finding) -> String {
    quote(f.known.as_deref().unwrap_or("TODO: why the endpoint answers this way (and a link where known)"))
}

/// A profile named `name` for the endpoint of `report`: its capabilities as the run granted
/// them, a waiver per pervasive automatic check that fired, and an `xfail` entry per other
/// finding that failed a scenario, matching the scenarios it was seen in.
#[must_use]
pub fn draft(report: &Report, name: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Drafted by `ssec-conform profile draft` from a run against {} (profile {}, ssec-conform {}, {}).",
        report.endpoint.url, report.endpoint.profile, report.tool_version, report.started_at
    );
    out.push_str(
        "# One entry per finding. Replace each TODO with why the endpoint deviates, keep only the\n\
         # capabilities it has, and run with --profile this-file. `ssec-conform check-profiles FILE` checks it.\n",
    );
    let _ = writeln!(out, "name: {}", quote(name));
    let _ = writeln!(out, "description: {}", quote("TODO: the endpoint, its version and how it was set up"));
    let _ = writeln!(out, "capabilities: [{}]", report.endpoint.capabilities.join(", "));
    let mut checks: Vec<Check> = Vec::new();
    let mut waive = String::new();
    for f in &report.findings {
        if let Some(check) = pervasive(f)
            && !checks.contains(&check)
        {
            checks.push(check);
            waive.push_str(&comment(f));
            let _ = write!(waive, "  - check: {check}\n    reason: {}\n", reason(f));
        }
    }
    if !waive.is_empty() {
        let _ = write!(out, "waive:\n{waive}");
    }
    let mut xfail = String::new();
    for f in report.findings.iter().filter(|f| pervasive(f).is_none() && needs_entry(report, f)) {
        xfail.push_str(&comment(f));
        let _ = write!(
            xfail,
            "  - scenario: {}\n    finding: {}\n    reason: {}\n",
            quote(&glob(&f.scenarios)),
            quote(&f.signature),
            reason(f)
        );
    }
    if !xfail.is_empty() {
        let _ = write!(out, "xfail:\n{xfail}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::profile::Profile;
    use super::*;

    #[test]
    fn globs_cover_the_scenarios_seen() {
        let ids = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(glob(&ids(&["get-head/003-wrong-key"])), "get-head/003-wrong-key");
        assert_eq!(glob(&ids(&["get-head/003-a", "get-head/011-b"])), "get-head/*");
        assert_eq!(glob(&ids(&["get-head/003-a", "put/001-b"])), "*");
    }

    #[test]
    fn quoting_survives_yaml() {
        let text = format!("name: {}\ncapabilities: []\n", quote("a: \"b\" # c → d"));
        assert_eq!(Profile::parse("q.yaml", &text).unwrap().name, "a: \"b\" # c → d");
    }
}
