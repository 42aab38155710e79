//! `report.html`: one self-contained page (inline CSS, no script, no external resource) in the
//! style of the Autobahn and Garage compatibility matrices.
//!
//! The page holds the endpoints, a legend, the counts per outcome, the matrix (rows grouped by
//! area, one coloured cell per endpoint) and, below, one collapsible `<details>` per cell,
//! anchored `#<endpoint>-<id>`, with every request and answer. A single report is the merge of
//! one.

use std::fmt::{self, Write as _};

use super::escape::html as escape;
use super::findings::{score, verdict};
use super::matrix::{Matrix, anchor};
use super::model::{Finding, FindingSeverity, Outcome, Report, ScenarioReport, StepReport};

/// The page's style sheet.
const STYLE: &str = "\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.6em;margin:0 0 .4em}
h2{font-size:1.25em;margin:1.8em 0 .5em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h3{font-size:1.1em;margin:1.4em 0 .4em}
h4{font-size:1em;margin:.8em 0 .3em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #c8c8c8;padding:3px 8px;text-align:left;vertical-align:top}
thead th{background:#f0f0f0;position:sticky;top:0}
tr.area th{background:#dde3ee;font-size:1.05em}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.cell{text-align:center;white-space:nowrap;font-weight:600;padding:0}
td.cell a{display:block;padding:3px 8px;color:inherit;text-decoration:none}
td.cell a:hover{text-decoration:underline}
td.missing{text-align:center;color:#999;background:#fafafa}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:6px 8px;margin:.3em 0;white-space:pre-wrap;word-break:break-all}
details{border:1px solid #ddd;border-radius:4px;margin:.25em 0;padding:.2em .6em}
details[open]{padding-bottom:.6em}
details:target{outline:3px solid #3367d6}
summary{cursor:pointer}
.badge{display:inline-block;min-width:7em;text-align:center;padding:0 6px;border-radius:3px;font-weight:600}
.verdict{font-weight:700}
.bad{color:#b00020}
.muted{color:#666}
ul{margin:.2em 0;padding-left:1.5em}
.o-pass{background:#7fd17f}
.o-non-strict{background:#e6e35c}
.o-info{background:#9cc8f0}
.o-fail{background:#f07070}
.o-error{background:#c58ce6}
.o-unsupported{background:#cfcfcf}
.o-skipped{background:#ececec}
.o-expected-fail{background:#f5b971}
.o-unexpected-pass{background:#ff8fc7}
.o-changed{background:#ff6f3c}
.s-security{background:#f07070}
.s-conformance{background:#f5b971}
.s-cosmetic{background:#e6e35c}
";

/// The CSS class of an outcome.
fn class(outcome: Outcome) -> String {
    format!("o-{}", outcome.as_str())
}

/// Whether the page carries every scenario's transcript, or only one reproduction per finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transcripts {
    /// Every request and answer of every scenario, below the matrix.
    All,
    /// Only each finding's reproduction: a page small enough to commit and view.
    FindingsOnly,
}

/// Renders the page for `reports` (one column each).
pub(super) fn render(reports: &[Report], transcripts: Transcripts) -> String {
    let matrix = Matrix::new(reports);
    let mut out = String::with_capacity(16 * 1024);
    page(&mut out, &matrix, transcripts).expect("formatting into a String never fails");
    out
}

/// The whole page.
fn page(out: &mut String, m: &Matrix<'_>, transcripts: Transcripts) -> fmt::Result {
    let names: Vec<&str> = m.columns.iter().map(|c| c.label.as_str()).collect();
    writeln!(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")?;
    writeln!(out, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")?;
    writeln!(out, "<title>SSE-C conformance: {}</title>", escape(&names.join(", ")))?;
    writeln!(out, "<style>\n{STYLE}</style>\n</head>\n<body>")?;
    writeln!(out, "<h1>SSE-C conformance</h1>")?;
    endpoints(out, m)?;
    findings(out, m)?;
    legend(out)?;
    counts(out, m)?;
    table(out, m, transcripts)?;
    if transcripts == Transcripts::All {
        details(out, m)?;
    }
    writeln!(out, "</body>\n</html>")
}

/// The endpoints table: one row per column, with its verdict.
fn endpoints(out: &mut String, m: &Matrix<'_>) -> fmt::Result {
    writeln!(out, "<h2 id=\"endpoints\">Endpoints</h2>")?;
    if m.columns.is_empty() {
        return writeln!(out, "<p class=\"muted\">No report.</p>");
    }
    writeln!(out, "<table>\n<thead><tr><th>Endpoint</th><th>URL</th><th>Profile</th><th>Verdict</th>")?;
    writeln!(out, "<th>Exactly as AWS</th><th>Scenarios</th><th>Started</th><th>Duration</th><th>ssec-conform</th>")?;
    writeln!(out, "</tr></thead>\n<tbody>")?;
    for c in &m.columns {
        let r = c.report;
        let class = match (r.passed(), r.findings.is_empty()) {
            (true, true) => "o-pass",
            (true, false) => "o-expected-fail",
            (false, _) => "o-fail",
        };
        let (exact, applicable) = score(r);
        let embedded = if r.endpoint.embedded { " <span class=\"muted\">(embedded)</span>" } else { "" };
        writeln!(
            out,
            "<tr><th>{}</th><td><code>{}</code>{embedded}</td><td>{}</td><td class=\"verdict {class}\">{}</td>\
             <td class=\"num\">{exact} / {applicable}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td>{}</td></tr>",
            escape(&c.label),
            escape(&r.endpoint.url),
            escape(&r.endpoint.profile),
            escape(&verdict(r)),
            r.scenarios.len(),
            escape(&r.started_at),
            seconds(r.duration_ms),
            escape(&r.tool_version),
        )?;
    }
    writeln!(out, "</tbody>\n</table>")
}

/// The findings of every endpoint, most severe first, each with one reproduction.
fn findings(out: &mut String, m: &Matrix<'_>) -> fmt::Result {
    writeln!(out, "<h2 id=\"findings\">Findings</h2>")?;
    writeln!(
        out,
        "<p class=\"muted\">Every distinct deviation from AWS, grouped by what AWS answers and what the endpoint \
         answered (or the automatic check that fired). <i>Exactly as AWS</i> counts the scenarios answered \
         exactly as AWS among those that apply (not unsupported, skipped or info).</p>"
    )?;
    for c in &m.columns {
        let r = c.report;
        let (exact, applicable) = score(r);
        writeln!(
            out,
            "<h3>{}: {} · {exact} of {applicable} scenarios exactly as AWS</h3>",
            escape(&c.label),
            escape(&verdict(r))
        )?;
        for stale in &r.stale_entries {
            writeln!(out, "<p class=\"bad\">Stale profile entry: {}</p>", escape(stale))?;
        }
        if r.findings.is_empty() {
            writeln!(out, "<p>No finding.</p>")?;
            continue;
        }
        writeln!(out, "<table>\n<thead><tr><th>Severity</th><th>Finding</th><th>Cases</th><th>Scenarios</th>")?;
        writeln!(out, "<th>Profile</th></tr></thead>\n<tbody>")?;
        for f in &r.findings {
            finding(out, f)?;
        }
        writeln!(out, "</tbody>\n</table>")?;
    }
    Ok(())
}

/// One finding's row: severity, signature with its reproduction, cases, scenarios, profile reason.
fn finding(out: &mut String, f: &Finding) -> fmt::Result {
    let class = match f.severity {
        FindingSeverity::Security => "s-security",
        FindingSeverity::Conformance => "s-conformance",
        FindingSeverity::Cosmetic => "s-cosmetic",
    };
    write!(
        out,
        "<tr><td class=\"cell {class}\">{}</td><td><code>{}</code>",
        f.severity.as_str(),
        escape(&f.signature)
    )?;
    let r = &f.reproduction;
    writeln!(
        out,
        "<details><summary>reproduction: <code>{}</code> step {}</summary>",
        escape(&r.scenario),
        r.step.index
    )?;
    step(out, &r.step)?;
    let known = match &f.known {
        Some(reason) => escape(reason),
        None => "<span class=\"bad\">not in the profile</span>".to_owned(),
    };
    let scenarios: Vec<String> = f.scenarios.iter().map(|id| format!("<code>{}</code>", escape(id))).collect();
    writeln!(
        out,
        "</details></td><td>{}</td><td>{}: {}</td><td>{known}</td></tr>",
        escape(&f.cases.join(", ")),
        f.scenarios.len(),
        scenarios.join(" "),
    )?;
    Ok(())
}

/// Milliseconds as seconds, e.g. `1.234 s`.
fn seconds(ms: u64) -> String {
    format!("{}.{:03} s", ms / 1000, ms % 1000)
}

/// The legend: every outcome, its colour and meaning.
fn legend(out: &mut String) -> fmt::Result {
    writeln!(out, "<h2 id=\"legend\">Legend</h2>\n<table>\n<thead><tr><th>Outcome</th><th>Meaning</th>")?;
    writeln!(out, "<th>Fails the run</th></tr></thead>\n<tbody>")?;
    for o in Outcome::ALL {
        writeln!(
            out,
            "<tr><td class=\"cell {}\">{}</td><td>{}</td><td>{}</td></tr>",
            class(o),
            o.as_str(),
            escape(o.legend()),
            if o.fails_run() { "yes" } else { "no" },
        )?;
    }
    writeln!(out, "</tbody>\n</table>")
}

/// The counts: one row per outcome, one column per endpoint.
fn counts(out: &mut String, m: &Matrix<'_>) -> fmt::Result {
    writeln!(out, "<h2 id=\"counts\">Counts</h2>\n<table>\n<thead><tr><th>Outcome</th>")?;
    for c in &m.columns {
        write!(out, "<th>{}</th>", escape(&c.label))?;
    }
    writeln!(out, "</tr></thead>\n<tbody>")?;
    for o in Outcome::ALL {
        write!(out, "<tr><td class=\"cell {}\">{}</td>", class(o), o.as_str())?;
        for c in &m.columns {
            write!(out, "<td class=\"num\">{}</td>", c.report.counts.get(o.as_str()).copied().unwrap_or(0))?;
        }
        writeln!(out, "</tr>")?;
    }
    write!(out, "<tr><th>total</th>")?;
    for c in &m.columns {
        write!(out, "<th class=\"num\">{}</th>", c.report.scenarios.len())?;
    }
    writeln!(out, "</tr>\n</tbody>\n</table>")
}

/// The matrix: area header rows, one row per scenario, one coloured cell per endpoint (a link
/// to its transcript when the page has them).
fn table(out: &mut String, m: &Matrix<'_>, transcripts: Transcripts) -> fmt::Result {
    writeln!(out, "<h2 id=\"matrix\">Matrix</h2>")?;
    writeln!(out, "<table class=\"matrix\">\n<thead><tr><th>Scenario</th><th>Title</th><th>Cases</th><th>Level</th>")?;
    for c in &m.columns {
        write!(out, "<th>{}</th>", escape(&c.label))?;
    }
    writeln!(out, "</tr></thead>\n<tbody>")?;
    let width = 4 + m.columns.len();
    for area in &m.areas {
        writeln!(out, "<tr class=\"area\"><th colspan=\"{width}\">{}</th></tr>", escape(area.name))?;
        for row in &area.rows {
            let s = row.scenario;
            write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>",
                escape(&s.id),
                escape(&s.title),
                escape(&s.cases.join(", ")),
                escape(&s.level),
            )?;
            for (c, cell) in m.columns.iter().zip(&row.cells) {
                match cell {
                    Some(cell) if transcripts == Transcripts::All => write!(
                        out,
                        "<td class=\"cell {}\" title=\"{}\"><a href=\"#{}\">{}</a></td>",
                        class(cell.outcome),
                        escape(cell.reason.as_deref().unwrap_or_else(|| cell.outcome.legend())),
                        escape(&anchor(&c.label, &cell.id)),
                        cell.outcome.as_str(),
                    )?,
                    Some(cell) => write!(
                        out,
                        "<td class=\"cell {}\" title=\"{}\">{}</td>",
                        class(cell.outcome),
                        escape(cell.reason.as_deref().unwrap_or_else(|| cell.outcome.legend())),
                        cell.outcome.as_str(),
                    )?,
                    None => write!(out, "<td class=\"missing\" title=\"not run\">–</td>")?,
                }
            }
            writeln!(out, "</tr>")?;
        }
    }
    writeln!(out, "</tbody>\n</table>")
}

/// The detail section: per endpoint, one `<details>` per scenario.
fn details(out: &mut String, m: &Matrix<'_>) -> fmt::Result {
    writeln!(out, "<h2 id=\"details\">Details</h2>")?;
    writeln!(out, "<p class=\"muted\">Click a matrix cell, then its line below, to see every request and answer.</p>")?;
    for (i, c) in m.columns.iter().enumerate() {
        writeln!(out, "<h3>{}</h3>", escape(&c.label))?;
        for row in m.areas.iter().flat_map(|a| &a.rows) {
            if let Some(s) = row.cells[i] {
                scenario(out, &anchor(&c.label, &s.id), s)?;
            }
        }
    }
    Ok(())
}

/// One scenario's `<details>`.
fn scenario(out: &mut String, id: &str, s: &ScenarioReport) -> fmt::Result {
    writeln!(
        out,
        "<details id=\"{}\"><summary><span class=\"badge {}\">{}</span> <code>{}</code> {}</summary>",
        escape(id),
        class(s.outcome),
        s.outcome.as_str(),
        escape(&s.id),
        escape(&s.title),
    )?;
    writeln!(
        out,
        "<p class=\"muted\">Level {} · cases {} · {} ms</p>",
        escape(&s.level),
        escape(&s.cases.join(", ")),
        s.duration_ms
    )?;
    if let Some(reason) = &s.reason {
        writeln!(out, "<p><b>Reason:</b> {}</p>", escape(reason))?;
    }
    if !s.security_violations.is_empty() {
        writeln!(out, "<p class=\"bad\"><b>Security violations:</b></p>")?;
        list(out, &s.security_violations, "bad")?;
    }
    if let Some(err) = &s.cleanup_error {
        writeln!(
            out,
            "<p><b>Cleanup error</b> <span class=\"muted\">(does not change the outcome)</span>: {}</p>",
            escape(err)
        )?;
    }
    for step in &s.steps {
        self::step(out, step)?;
    }
    writeln!(out, "</details>")
}

/// One request and its answer.
fn step(out: &mut String, step: &StepReport) -> fmt::Result {
    writeln!(out, "<h4>Step {} · {}</h4>", step.index, escape(&step.operation))?;
    let mut request = format!("{} {}\n", step.request.method, step.request.url);
    for (name, value) in &step.request.headers {
        writeln!(request, "{name}: {value}")?;
    }
    write!(request, "(body: {} bytes)", step.request.body_len)?;
    writeln!(out, "<div><b>Request</b></div>\n<pre>{}</pre>", escape(&request))?;
    if !step.expected.is_empty() {
        writeln!(out, "<div><b>Expected</b></div>")?;
        list(out, &step.expected, "")?;
    }
    match &step.actual {
        None => writeln!(out, "<div><b>Actual</b>: <span class=\"bad\">no response</span></div>")?,
        Some(actual) => {
            writeln!(out, "<div><b>Actual</b></div>")?;
            let mut response = format!("HTTP {}\n", actual.status);
            for (name, value) in &actual.headers {
                writeln!(response, "{name}: {value}")?;
            }
            write!(response, "(body: {} bytes)", actual.body_len)?;
            writeln!(out, "<pre>{}</pre>", escape(&response))?;
            if actual.code.is_some() || actual.message.is_some() {
                writeln!(
                    out,
                    "<div>Code: <code>{}</code> · Message: {}</div>",
                    escape(actual.code.as_deref().unwrap_or("–")),
                    escape(actual.message.as_deref().unwrap_or("–")),
                )?;
            }
            if let Some(body) = &actual.body_excerpt {
                writeln!(out, "<div>Body excerpt:</div>\n<pre>{}</pre>", escape(body))?;
            }
        }
    }
    if !step.mismatches.is_empty() {
        writeln!(out, "<div class=\"bad\"><b>Mismatches</b></div>")?;
        list(out, &step.mismatches, "bad")?;
    }
    writeln!(out, "<div><b>Reproduce</b></div>\n<pre>{}</pre>", escape(&step.reproduce))
}

/// A `<ul>` of escaped lines, with an optional class.
fn list(out: &mut String, lines: &[String], class: &str) -> fmt::Result {
    if class.is_empty() {
        writeln!(out, "<ul>")?;
    } else {
        writeln!(out, "<ul class=\"{class}\">")?;
    }
    for line in lines {
        writeln!(out, "<li>{}</li>", escape(line))?;
    }
    writeln!(out, "</ul>")
}

#[cfg(test)]
mod tests {
    use super::super::testdata::sample;
    use super::*;

    #[test]
    fn has_legend_and_counts_for_every_outcome() {
        let html = render(&[sample("minio")], Transcripts::All);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<h2 id=\"legend\">Legend</h2>"));
        for o in Outcome::ALL {
            assert!(html.contains(&escape(o.legend())), "legend of {}", o.as_str());
            assert!(html.contains(&format!(".o-{}{{", o.as_str())), "colour of {}", o.as_str());
        }
        assert!(html.trim_end().ends_with("</html>"));
    }

    #[test]
    fn one_column_per_merged_endpoint() {
        let html = render(&[sample("minio"), sample("garage"), sample("reference")], Transcripts::All);
        let header = html.split("<table class=\"matrix\">").nth(1).expect("matrix").split("</thead>").next().unwrap();
        assert!(header.contains("<th>minio</th><th>garage</th><th>reference</th>"), "{header}");
        // Area header rows span the four fixed columns plus three endpoints.
        assert!(html.contains("<tr class=\"area\"><th colspan=\"7\">basic</th></tr>"));
        // Each cell links to its detail, and each detail exists.
        for ep in ["minio", "garage", "reference"] {
            let id = format!("{ep}-basic/002-wrong-key");
            assert!(html.contains(&format!("href=\"#{id}\"")), "{id}");
            assert!(html.contains(&format!("<details id=\"{id}\">")), "{id}");
        }
    }

    #[test]
    fn escapes_everything() {
        let html = render(&[sample("minio")], Transcripts::All);
        assert!(!html.contains("<script"), "unescaped script tag");
        assert!(html.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;"));
        assert!(html.contains("?x=1&amp;y=2"));
        assert!(
            !html.contains("src=") && !html.contains("<link") && !html.contains("@import"),
            "no external resources"
        );
    }

    #[test]
    fn detail_shows_transcript() {
        let html = render(&[sample("minio")], Transcripts::All);
        let detail = html.split("<details id=\"minio-basic/002-wrong-key\">").nth(1).unwrap();
        let detail = detail.split("</details>").next().unwrap();
        assert!(detail.contains("Security violations"));
        assert!(detail.contains("GET http://127.0.0.1:9000/bucket/key?x=1&amp;y=2"));
        assert!(detail.contains("x-amz-server-side-encryption-customer-key: &lt;redacted&gt;"));
        assert!(detail.contains("<li>status 403</li>"));
        assert!(detail.contains("HTTP 200"));
        assert!(detail.contains("status: expected 403, got 200"));
        assert!(detail.contains("<pre>curl -sS -X GET"));
        let error = html.split("<details id=\"minio-basic/003-timeout\">").nth(1).unwrap();
        assert!(error.split("</details>").next().unwrap().contains("no response"));
        assert!(error.contains("Cleanup error"));
    }

    #[test]
    fn missing_scenario_is_a_grey_cell() {
        let a = sample("minio");
        let mut b = sample("garage");
        b.scenarios.retain(|s| s.id != "copy/001-copy-ssec");
        b.counts = Report::count(&b.scenarios);
        let html = render(&[a, b], Transcripts::All);
        assert!(html.contains("<td class=\"missing\" title=\"not run\">–</td>"));
        assert!(!html.contains("garage-copy/001-copy-ssec"));
    }

    /// `sample` with one known security finding and one cosmetic finding no profile lists, and
    /// nothing that fails the run.
    fn with_findings(name: &str) -> Report {
        use super::super::model::Deviation;
        let mut r = sample(name);
        r.scenarios.retain(|s| !s.outcome.fails_run());
        let deviation = |signature: &str, severity, known: Option<&str>| Deviation {
            signature: signature.into(),
            severity,
            check: None,
            cases: vec!["G3".into()],
            failing: false,
            known: known.map(Into::into),
        };
        r.scenarios[0].steps[0].deviations = vec![
            deviation("get: 403 AccessDenied → 200", FindingSeverity::Security, Some("reads <without> keys")),
            deviation("get: 400 InvalidRequest, message differs", FindingSeverity::Cosmetic, None),
        ];
        r.findings = super::super::findings::collect(&r.scenarios);
        r
    }

    #[test]
    fn opens_with_findings_and_score_before_the_matrix() {
        let html = render(&[with_findings("minio")], Transcripts::All);
        let findings = html.find("<h2 id=\"findings\">").expect("findings section");
        assert!(findings < html.find("<h2 id=\"matrix\">").unwrap());
        assert!(findings < html.find("<h2 id=\"legend\">").unwrap());
        assert!(html.contains("passed with 2 known findings (1 security)"), "never an unqualified passed");
        assert!(!html.contains(">passed<"), "{html}");
        assert!(
            html.contains("<td class=\"cell s-security\">security</td><td><code>get: 403 AccessDenied → 200</code>")
        );
        assert!(html.contains("reads &lt;without&gt; keys"), "the profile's reason, escaped");
        assert!(html.contains("not in the profile"));
        assert!(html.contains("scenarios exactly as AWS"));
        assert!(html.contains("reproduction: <code>basic/001-put-get</code> step 1"));
    }

    #[test]
    fn findings_only_pages_have_no_transcripts() {
        let all = render(&[with_findings("minio"), sample("garage")], Transcripts::All);
        let small = render(&[with_findings("minio"), sample("garage")], Transcripts::FindingsOnly);
        assert!(!small.contains("<h2 id=\"details\">") && !small.contains("href=\"#minio-"), "no transcripts");
        assert!(small.contains("<h2 id=\"findings\">") && small.contains("<table class=\"matrix\">"));
        assert!(small.contains("reproduction: <code>basic/001-put-get</code>"), "findings keep their reproduction");
        assert!(small.len() < all.len() * 3 / 5, "{} vs {}", small.len(), all.len());
    }

    #[test]
    fn empty_merge_is_a_valid_page() {
        let html = render(&[], Transcripts::All);
        assert!(html.contains("No report."));
        assert!(html.trim_end().ends_with("</html>"));
    }
}
