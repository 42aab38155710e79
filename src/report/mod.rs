//! Reports: the canonical model ([`model::Report`], written as `report.json`) and its renderers.
//!
//! Every format is rendered from the same [`model::Report`]:
//!
//! | file          | module       | for                                              |
//! |---------------|--------------|--------------------------------------------------|
//! | `report.json` | `json`       | machines, baselines, later merges                |
//! | `junit.xml`   | `junit`      | CI test tabs (one suite per area)                |
//! | `report.html` | `html`       | people: a self-contained compatibility matrix    |
//! | `summary.md`  | `markdown`   | a GitHub CI step summary                         |
//!
//! Several reports (one per endpoint) merge into one matrix with [`merge_html`] and
//! [`merge_markdown`]; [`regressions`] compares a run with a baseline.
//!
//! Customer keys never reach this module: the runner redacts them before it builds the report,
//! and the renderers only render what is there.

pub mod escape;
pub mod findings;
pub mod model;

mod html;
mod json;
mod junit;
mod markdown;
mod matrix;

#[cfg(test)]
mod testdata;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

pub use html::Transcripts;
use model::Report;

/// The files written by [`write_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// `report.json`: the canonical report.
    pub json: PathBuf,
    /// `junit.xml`: one test suite per area, one test case per scenario.
    pub junit: PathBuf,
    /// `report.html`: the self-contained matrix with every transcript.
    pub html: PathBuf,
    /// `summary.md`: a Markdown summary fit for a CI step summary.
    pub markdown: PathBuf,
}

/// Writes `report.json`, `junit.xml`, `report.html` and `summary.md` into `dir`, creating it
/// (and its parents) if needed, and returns their paths.
///
/// # Errors
///
/// When `dir` cannot be created, a file cannot be written, or a format cannot be rendered;
/// the error names the path.
pub fn write_all(report: &Report, dir: &Path) -> anyhow::Result<Written> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create report directory {}", dir.display()))?;
    let written = Written {
        json: dir.join("report.json"),
        junit: dir.join("junit.xml"),
        html: dir.join("report.html"),
        markdown: dir.join("summary.md"),
    };
    write(&written.json, &json::render(report)?)?;
    write(&written.junit, &junit::render(report)?)?;
    write(&written.html, &html::render(std::slice::from_ref(report), Transcripts::All))?;
    write(&written.markdown, &markdown::summary(report))?;
    Ok(written)
}

/// Writes `contents` to `path`, naming the path on failure.
fn write(path: &Path, contents: &str) -> anyhow::Result<()> {
    fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

/// Reads a `report.json` written by [`write_all`] (of this or any later schema version: fields
/// are only ever added, and unknown fields are ignored).
///
/// # Errors
///
/// When the file cannot be read or is not a report; the error names the file.
pub fn read_json(path: &Path) -> anyhow::Result<Report> {
    let text = fs::read_to_string(path).with_context(|| format!("cannot read report {}", path.display()))?;
    json::parse(&text).with_context(|| format!("{} is not a valid ssec-conform report.json", path.display()))
}

/// One self-contained HTML page: each report's findings and conformance score, then the matrix of
/// every scenario against every report's endpoint (one column per [`model::EndpointInfo::name`]),
/// with every transcript below it, or only one reproduction per finding.
#[must_use]
pub fn merge_html(reports: &[Report], transcripts: Transcripts) -> String {
    html::render(reports, transcripts)
}

/// A Markdown matrix of every scenario against every report's endpoint (one column per
/// [`model::EndpointInfo::name`], short symbols), with counts and a legend.
#[must_use]
pub fn merge_markdown(reports: &[Report]) -> String {
    markdown::matrix(reports)
}

/// Scenarios that now fail the run but did not in `baseline`, and new scenarios (absent from
/// `baseline`) that fail the run: one line each, `id: baseline → now`, in id order
/// (`new` stands for the baseline outcome of a new scenario).
#[must_use]
pub fn regressions(current: &Report, baseline: &Report) -> Vec<String> {
    let before: HashMap<&str, model::Outcome> = baseline.scenarios.iter().map(|s| (s.id.as_str(), s.outcome)).collect();
    let mut lines: Vec<(&str, String)> = current
        .scenarios
        .iter()
        .filter(|s| s.outcome.fails_run())
        .filter_map(|s| match before.get(s.id.as_str()) {
            Some(old) if old.fails_run() => None,
            Some(old) => Some((s.id.as_str(), format!("{}: {} → {}", s.id, old.as_str(), s.outcome.as_str()))),
            None => Some((s.id.as_str(), format!("{}: new → {}", s.id, s.outcome.as_str()))),
        })
        .collect();
    lines.sort();
    lines.into_iter().map(|(_, line)| line).collect()
}

#[cfg(test)]
mod tests {
    use super::model::Outcome;
    use super::testdata::{sample, scenario, set_outcome};
    use super::*;

    #[test]
    fn regressions_detect_pass_to_fail() {
        let baseline = sample("minio");
        let mut current = baseline.clone();
        set_outcome(&mut current, "basic/001-put-get", Outcome::Fail);
        set_outcome(&mut current, "multipart/002-copy", Outcome::Error);
        assert_eq!(
            regressions(&current, &baseline),
            vec!["basic/001-put-get: pass → fail".to_owned(), "multipart/002-copy: skipped → error".to_owned()]
        );
    }

    #[test]
    fn regressions_ignore_old_failures_and_improvements() {
        let baseline = sample("minio");
        let mut current = baseline.clone();
        // Still failing: not a regression.
        set_outcome(&mut current, "basic/003-timeout", Outcome::Fail);
        // Fixed: not a regression.
        set_outcome(&mut current, "basic/002-wrong-key", Outcome::Pass);
        assert!(regressions(&current, &baseline).is_empty());
    }

    #[test]
    fn regressions_report_new_failing_scenarios() {
        let baseline = sample("minio");
        let mut current = baseline.clone();
        current.scenarios.push(scenario("zzz/001-new", Outcome::UnexpectedPass, None));
        current.scenarios.push(scenario("zzz/002-new-ok", Outcome::Pass, None));
        assert_eq!(regressions(&current, &baseline), vec!["zzz/001-new: new → unexpected-pass".to_owned()]);
    }

    #[test]
    fn write_all_then_read_json() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("nested/out");
        let report = sample("reference");
        let written = write_all(&report, &out).expect("write_all");
        for path in [&written.json, &written.junit, &written.html, &written.markdown] {
            assert!(path.is_file(), "{} written", path.display());
        }
        assert_eq!(written.markdown.file_name().and_then(|n| n.to_str()), Some("summary.md"));
        let back = read_json(&written.json).expect("read_json");
        assert_eq!(back.scenarios.len(), report.scenarios.len());
        assert_eq!(back.endpoint.name, "reference");
    }

    #[test]
    fn read_json_names_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing.json");
        let err = format!("{:#}", read_json(&missing).expect_err("missing file"));
        assert!(err.contains("missing.json"), "{err}");

        let bad = dir.path().join("bad.json");
        fs::write(&bad, "{\"schema_version\": 1}").expect("write");
        let err = format!("{:#}", read_json(&bad).expect_err("not a report"));
        assert!(err.contains("bad.json") && err.contains("not a valid"), "{err}");
    }
}
