//! `summary.md`: a GitHub-flavoured Markdown summary, fit for a CI step summary
//! (`$GITHUB_STEP_SUMMARY`), and the Markdown matrix of several reports.

use std::fmt::{self, Write as _};

use super::escape::markdown_cell as escape;
use super::findings::{score, verdict as verdict_text};
use super::matrix::Matrix;
use super::model::{Outcome, Report, ScenarioReport};

/// The short symbol of an outcome in Markdown tables.
pub(super) fn symbol(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "✅",
        Outcome::NonStrict => "🟡",
        Outcome::Info => "ℹ️",
        Outcome::Fail => "❌",
        Outcome::Error => "💥",
        Outcome::Unsupported => "➖",
        Outcome::Skipped => "⏭",
        Outcome::ExpectedFail => "☑️",
        Outcome::UnexpectedPass => "⚠️",
        Outcome::Changed => "🔀",
    }
}

/// `✅ passed`, `🟠 passed with 2 known findings (1 security)` or `❌ failed: ...`.
fn verdict(report: &Report) -> String {
    let symbol = match (report.passed(), report.findings.is_empty()) {
        (true, true) => "✅",
        (true, false) => "🟠",
        (false, _) => "❌",
    };
    format!("{symbol} {}", verdict_text(report))
}

/// The number of scenarios of `report` with outcome `o`.
fn count(report: &Report, o: Outcome) -> usize {
    report.counts.get(o.as_str()).copied().unwrap_or(0)
}

/// The summary of one report: title with the verdict, counts, and the scenarios that did not pass.
pub(super) fn summary(report: &Report) -> String {
    let mut out = String::with_capacity(4 * 1024);
    write_summary(&mut out, report).expect("formatting into a String never fails");
    out
}

/// Writes [`summary`].
fn write_summary(out: &mut String, r: &Report) -> fmt::Result {
    let failing = r.scenarios.iter().filter(|s| s.outcome.fails_run()).count();
    write!(out, "# SSE-C conformance: {} — {}", escape(&r.endpoint.name), verdict(r))?;
    if failing > 0 {
        write!(out, " ({failing} of {} scenarios fail the run)", r.scenarios.len())?;
    }
    writeln!(out, "\n")?;
    let (exact, applicable) = score(r);
    writeln!(
        out,
        "**{exact} of {applicable} scenarios answered exactly as AWS** (those that apply: not unsupported, skipped or info).\n"
    )?;
    writeln!(
        out,
        "Endpoint {}{} · profile {} · {} scenarios in {}.{:03} s · ssec-conform {} · started {}\n",
        escape(&r.endpoint.url),
        if r.endpoint.embedded { " (embedded reference server)" } else { "" },
        escape(&r.endpoint.profile),
        r.scenarios.len(),
        r.duration_ms / 1000,
        r.duration_ms % 1000,
        escape(&r.tool_version),
        escape(&r.started_at),
    )?;
    writeln!(out, "| Outcome | Count |\n|---|--:|")?;
    for o in Outcome::ALL {
        writeln!(out, "| {} {} | {} |", symbol(o), o.as_str(), count(r, o))?;
    }
    writeln!(out)?;

    let mut not_passing: Vec<_> = r.scenarios.iter().filter(|s| s.outcome != Outcome::Pass).collect();
    if not_passing.is_empty() {
        writeln!(out, "Every scenario passed.\n")?;
    } else {
        // Those failing the run first, then by outcome, then by id.
        not_passing.sort_by(|a, b| {
            (!a.outcome.fails_run(), a.outcome, &a.id).cmp(&(!b.outcome.fails_run(), b.outcome, &b.id))
        });
        writeln!(out, "## Not passing ({})\n", not_passing.len())?;
        writeln!(out, "| Scenario | Outcome | Reason |\n|---|---|---|")?;
        for s in not_passing {
            writeln!(out, "| {} |", not_passing_cells(s))?;
        }
        writeln!(out)?;
    }
    legend(out)?;
    findings(out, r)
}

/// The scenario, outcome and reason cells of a "Not passing" row.
fn not_passing_cells(s: &ScenarioReport) -> String {
    format!(
        "{} | {} {} | {}",
        escape(&s.id),
        symbol(s.outcome),
        s.outcome.as_str(),
        escape(s.reason.as_deref().unwrap_or(""))
    )
}

/// The findings of `r`: one row each, most severe first, and stale profile entries.
fn findings(out: &mut String, r: &Report) -> fmt::Result {
    writeln!(out, "\n## Findings ({})\n", r.findings.len())?;
    for stale in &r.stale_entries {
        writeln!(out, "- ⚠️ stale profile entry: {}", escape(stale))?;
    }
    if !r.stale_entries.is_empty() {
        writeln!(out)?;
    }
    if r.findings.is_empty() {
        return writeln!(out, "None: every scenario that ran answered as AWS.");
    }
    writeln!(out, "| Severity | Finding | Cases | Scenarios | Profile | Reproduction |\n|---|---|---|--:|---|---|")?;
    for f in &r.findings {
        writeln!(
            out,
            "| {} | `{}` | {} | {} | {} | {} step {} |",
            f.severity.as_str(),
            escape(&f.signature).replace('`', "'"),
            escape(&f.cases.join(", ")),
            f.scenarios.len(),
            escape(f.known.as_deref().unwrap_or("**not in the profile**")),
            escape(&f.reproduction.scenario),
            f.reproduction.step.index,
        )?;
    }
    Ok(())
}

/// The legend, folded in a `<details>`.
fn legend(out: &mut String) -> fmt::Result {
    writeln!(out, "<details><summary>Legend</summary>\n")?;
    writeln!(out, "| | Outcome | Meaning | Fails the run |\n|---|---|---|---|")?;
    for o in Outcome::ALL {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            symbol(o),
            o.as_str(),
            escape(o.legend()),
            if o.fails_run() { "yes" } else { "no" }
        )?;
    }
    writeln!(out, "\n</details>")
}

/// The matrix of several reports: endpoints with their counts, one row per scenario with one
/// symbol column per endpoint, the scenarios that did not pass, and the legend.
pub(super) fn matrix(reports: &[Report]) -> String {
    let mut out = String::with_capacity(8 * 1024);
    write_matrix(&mut out, &Matrix::new(reports)).expect("formatting into a String never fails");
    out
}

/// Writes [`matrix`].
fn write_matrix(out: &mut String, m: &Matrix<'_>) -> fmt::Result {
    writeln!(out, "# SSE-C conformance matrix\n")?;
    if m.columns.is_empty() {
        return writeln!(out, "No report.");
    }
    write!(out, "| Endpoint | URL | Verdict |")?;
    for o in Outcome::ALL {
        write!(out, " {} |", symbol(o))?;
    }
    write!(out, "\n|---|---|---|")?;
    for _ in Outcome::ALL {
        write!(out, "--:|")?;
    }
    writeln!(out)?;
    for c in &m.columns {
        write!(out, "| {} | {} | {} |", escape(&c.label), escape(&c.report.endpoint.url), escape(&verdict(c.report)))?;
        for o in Outcome::ALL {
            write!(out, " {} |", count(c.report, o))?;
        }
        writeln!(out)?;
    }
    writeln!(out)?;

    write!(out, "| Scenario | Title | Level |")?;
    for c in &m.columns {
        write!(out, " {} |", escape(&c.label))?;
    }
    write!(out, "\n|---|---|---|")?;
    for _ in &m.columns {
        write!(out, ":-:|")?;
    }
    writeln!(out)?;
    for area in &m.areas {
        write!(out, "| **{}** | | |", escape(area.name))?;
        for _ in &m.columns {
            write!(out, " |")?;
        }
        writeln!(out)?;
        for row in &area.rows {
            let s = row.scenario;
            write!(out, "| {} | {} | {} |", escape(&s.id), escape(&s.title), escape(&s.level))?;
            for cell in &row.cells {
                match cell {
                    Some(cell) => write!(out, " {} |", symbol(cell.outcome))?,
                    None => write!(out, " · |")?,
                }
            }
            writeln!(out)?;
        }
    }
    writeln!(out)?;

    let not_passing: Vec<_> = m
        .columns
        .iter()
        .flat_map(|c| c.report.scenarios.iter().filter(|s| s.outcome != Outcome::Pass).map(move |s| (c, s)))
        .collect();
    if !not_passing.is_empty() {
        writeln!(out, "## Not passing ({})\n", not_passing.len())?;
        writeln!(out, "| Endpoint | Scenario | Outcome | Reason |\n|---|---|---|---|")?;
        for (c, s) in not_passing {
            writeln!(out, "| {} | {} |", escape(&c.label), not_passing_cells(s))?;
        }
        writeln!(out)?;
    }
    writeln!(out, "· not run against that endpoint.\n")?;
    legend(out)?;
    for c in &m.columns {
        write!(out, "\n# {}: {}\n", escape(&c.label), verdict(c.report))?;
        findings(out, c.report)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{sample, set_outcome};
    use super::*;

    #[test]
    fn summary_lists_failures() {
        let md = summary(&sample("minio"));
        assert!(
            md.starts_with(
                "# SSE-C conformance: minio — ❌ failed: 0 findings (0 security), 0 not in the profile (4 of 10 scenarios fail the run)\n"
            ),
            "{md}"
        );
        assert!(md.contains("| ❌ fail | 1 |"), "{md}");
        assert!(md.contains("| ✅ pass | 1 |"), "{md}");
        assert!(md.contains("## Not passing (9)"), "{md}");
        assert!(
            md.contains(
                "| basic/002-wrong-key | ❌ fail | status: expected 403, got 200 &lt;script&gt;x&lt;/script&gt; |"
            ),
            "{md}"
        );
        assert!(md.contains("| basic/003-timeout | 💥 error | timed out after 30s |"), "{md}");
        assert!(!md.contains("| basic/001-put-get |"), "passing scenarios are not listed");
        // Failures of the run come first.
        let fail = md.find("| basic/002-wrong-key |").unwrap();
        let skipped = md.find("| multipart/002-copy |").unwrap();
        assert!(fail < skipped);
        for o in Outcome::ALL {
            assert!(md.contains(o.legend()) || md.contains(&escape(o.legend())), "legend of {}", o.as_str());
        }
    }

    #[test]
    fn summary_of_a_clean_run() {
        let mut r = sample("reference");
        for id in r.scenarios.iter().map(|s| s.id.clone()).collect::<Vec<_>>() {
            set_outcome(&mut r, &id, Outcome::Pass);
        }
        let md = summary(&r);
        assert!(md.starts_with("# SSE-C conformance: reference — ✅ passed\n"), "{md}");
        assert!(md.contains("Every scenario passed."));
        assert!(md.trim_end().ends_with("None: every scenario that ran answered as AWS."), "ends with the findings");
    }

    #[test]
    fn summary_ends_with_findings_and_qualifies_a_pass() {
        use super::super::model::{Deviation, FindingSeverity};
        let mut r = sample("seaweedfs");
        r.scenarios.retain(|s| !s.outcome.fails_run());
        r.scenarios[0].steps[0].deviations = vec![Deviation {
            signature: "check etag-not-plaintext-md5 on put".into(),
            severity: FindingSeverity::Security,
            check: Some("etag-not-plaintext-md5".into()),
            cases: vec!["D.4".into()],
            failing: false,
            known: Some("the ETag is the MD5 | of the plaintext".into()),
        }];
        r.findings = super::super::findings::collect(&r.scenarios);
        let md = summary(&r);
        assert!(
            md.starts_with("# SSE-C conformance: seaweedfs — 🟠 passed with 1 known finding (1 security)\n"),
            "{md}"
        );
        let findings = md.split("## Findings (1)").nth(1).expect("findings at the end");
        assert!(
            findings.contains("| security | `check etag-not-plaintext-md5 on put` | D.4 | 1 | the ETag is the MD5 \\| of the plaintext | basic/001-put-get step 1 |"),
            "{findings}"
        );
        assert!(md.contains("**0 of 3 scenarios answered exactly as AWS**"), "{md}");
    }

    #[test]
    fn matrix_has_a_column_per_endpoint() {
        let mut garage = sample("garage");
        set_outcome(&mut garage, "basic/002-wrong-key", Outcome::Pass);
        let md = matrix(&[sample("minio"), garage]);
        assert!(md.contains("| Scenario | Title | Level | minio | garage |\n|---|---|---|:-:|:-:|\n"), "{md}");
        assert!(md.contains("| **basic** | | | | |"), "{md}");
        assert!(md.contains("| basic/002-wrong-key | Title of basic/002-wrong-key | must | ❌ | ✅ |"), "{md}");
        assert!(md.contains("| copy/002-copy-plain | Title of copy/002-copy-plain | must | ⚠️ | ⚠️ |"), "{md}");
        assert!(md.contains("| minio | basic/002-wrong-key | ❌ fail |"), "{md}");
        assert!(!md.contains("| garage | basic/002-wrong-key |"), "{md}");
        assert!(md.contains("<details><summary>Legend</summary>"));
    }
}
