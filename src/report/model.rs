//! The canonical report (`report.json`): every other format is rendered from it.
//!
//! The schema is versioned by [`SCHEMA_VERSION`]; fields are only ever added.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Version of the `report.json` schema.
pub const SCHEMA_VERSION: u32 = 1;

/// The grade of one scenario (after Autobahn, BoGo and Hurl).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Every expectation held.
    Pass,
    /// Right status, but a different error code or message than AWS (an accepted alternative).
    NonStrict,
    /// Recorded only: AWS's own answer is not known.
    Info,
    /// A wrong answer, or a security property violated.
    Fail,
    /// No answer: transport failure, timeout or setup failure.
    Error,
    /// The endpoint's profile lacks a capability the scenario needs.
    Unsupported,
    /// The profile skips the scenario, with a reason.
    Skipped,
    /// The profile lists it as a known deviation, and it still deviates.
    ExpectedFail,
    /// The profile lists it as a known deviation, but it passed: the profile is stale.
    UnexpectedPass,
}

impl Outcome {
    /// All outcomes, in report order.
    pub const ALL: [Outcome; 9] = [
        Self::Pass,
        Self::NonStrict,
        Self::Info,
        Self::Fail,
        Self::Error,
        Self::Unsupported,
        Self::Skipped,
        Self::ExpectedFail,
        Self::UnexpectedPass,
    ];

    /// The kebab-case name used in every report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::NonStrict => "non-strict",
            Self::Info => "info",
            Self::Fail => "fail",
            Self::Error => "error",
            Self::Unsupported => "unsupported",
            Self::Skipped => "skipped",
            Self::ExpectedFail => "expected-fail",
            Self::UnexpectedPass => "unexpected-pass",
        }
    }

    /// Whether this outcome makes the run fail.
    #[must_use]
    pub fn fails_run(self) -> bool {
        matches!(self, Self::Fail | Self::Error | Self::UnexpectedPass)
    }

    /// One sentence for the legend of the HTML and Markdown reports.
    #[must_use]
    pub fn legend(self) -> &'static str {
        match self {
            Self::Pass => "Answered exactly as AWS S3 does.",
            Self::NonStrict => "Right status, but a different error code or message than AWS.",
            Self::Info => "Recorded only: AWS's own answer has not been observed.",
            Self::Fail => "Wrong answer, or a security property violated (key echoed, data without the key).",
            Self::Error => "No usable answer: connection failure, timeout, or setup failure.",
            Self::Unsupported => "The endpoint's profile lacks a capability this scenario needs.",
            Self::Skipped => "The endpoint's profile skips this scenario, with a reason.",
            Self::ExpectedFail => "A known deviation listed in the endpoint's profile, with a reason.",
            Self::UnexpectedPass => "Listed as a known deviation, but passed: the profile is stale.",
        }
    }
}

/// A whole run against one endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Version of ssec-conform that wrote the report.
    pub tool_version: String,
    /// Start of the run, RFC 3339.
    pub started_at: String,
    /// Wall time of the run in milliseconds.
    pub duration_ms: u64,
    /// The endpoint under test.
    pub endpoint: EndpointInfo,
    /// Number of scenarios per outcome (every outcome present, zeros included).
    pub counts: BTreeMap<String, usize>,
    /// Every scenario, sorted by id.
    pub scenarios: Vec<ScenarioReport>,
}

/// What was tested.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EndpointInfo {
    /// A short name for report columns: the profile name, or `reference`.
    pub name: String,
    /// The endpoint URL.
    pub url: String,
    /// The profile applied.
    pub profile: String,
    /// True for the embedded reference server.
    pub embedded: bool,
    /// Whether the run was graded strictly (`--strict`): on a `must` step every mismatch fails,
    /// message and argument fields included, and no alternative code is accepted.
    #[serde(default)]
    pub strict: bool,
}

/// One scenario's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioReport {
    /// `area/NNN-slug`, the path under `scenarios/` without `.yaml`.
    pub id: String,
    /// The area (first path component).
    pub area: String,
    /// The scenario's title.
    pub title: String,
    /// Catalogue case ids.
    pub cases: Vec<String>,
    /// `must`, `should` or `info`.
    pub level: String,
    /// The grade.
    pub outcome: Outcome,
    /// Why, in one line (first failed expectation, profile reason, error).
    pub reason: Option<String>,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Every request made, in order.
    pub steps: Vec<StepReport>,
    /// Security properties violated (any makes the outcome `fail`).
    pub security_violations: Vec<String>,
    /// The same violations by automatic check, one entry per violation, in step order.
    #[serde(default)]
    pub violated_checks: Vec<CheckViolation>,
    /// Cleanup failure, reported on its own; it never changes the outcome.
    pub cleanup_error: Option<String>,
}

/// One request and its answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepReport {
    /// Position in the scenario, from 1.
    pub index: usize,
    /// `put`, `get`, `head`, `delete`, `list`, `raw`.
    pub operation: String,
    /// The request, with customer keys redacted.
    pub request: RequestTranscript,
    /// What was expected, one line per expectation.
    pub expected: Vec<String>,
    /// What came back; `None` when no response arrived.
    pub actual: Option<ResponseTranscript>,
    /// Expectations that did not hold, one line each.
    pub mismatches: Vec<String>,
    /// The same mismatches field by field: what was expected and what was observed.
    #[serde(default)]
    pub mismatch_details: Vec<MismatchDetail>,
    /// A command reproducing the request (curl), with the scenario's generated test key.
    pub reproduce: String,
}

/// One expectation of a step that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MismatchDetail {
    /// What was compared: `status`, `code`, `message`, `argument-name`, `argument-value`, `header`,
    /// `body`, `etag`, `xml` or `listing`.
    pub field: String,
    /// The header or XML element name, for `header` and `xml`.
    pub name: Option<String>,
    /// What AWS answers (as the scenario states it).
    pub expected: String,
    /// What the endpoint answered (`<absent>` when it sent nothing).
    pub observed: String,
    /// Whether this mismatch fails the scenario; `false` when it only makes it `non-strict` or
    /// `info` (an accepted alternative, a message outside `--strict`, a non-`must` level).
    pub fails: bool,
}

/// One automatic security check that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckViolation {
    /// The step, from 1.
    pub step: usize,
    /// The check's name, e.g. `etag-not-plaintext-md5` (see `scenario::security::Check`).
    pub check: String,
    /// What was observed, in one line.
    pub detail: String,
}

/// A request as sent, redacted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestTranscript {
    /// HTTP method.
    pub method: String,
    /// URL (presigned signatures redacted).
    pub url: String,
    /// Headers (customer keys and Authorization redacted).
    pub headers: Vec<(String, String)>,
    /// Body length in bytes.
    pub body_len: u64,
}

/// A response as received, redacted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResponseTranscript {
    /// HTTP status.
    pub status: u16,
    /// Headers (any customer key redacted).
    pub headers: Vec<(String, String)>,
    /// Error `Code`, if the body was S3 error XML.
    pub code: Option<String>,
    /// Error `Message`.
    pub message: Option<String>,
    /// Body length in bytes.
    pub body_len: u64,
    /// The start of a non-binary body (at most 2 KiB, customer keys redacted).
    pub body_excerpt: Option<String>,
}

impl Report {
    /// Counts per outcome, every outcome present.
    #[must_use]
    pub fn count(scenarios: &[ScenarioReport]) -> BTreeMap<String, usize> {
        let mut counts: BTreeMap<String, usize> = Outcome::ALL.iter().map(|o| (o.as_str().to_owned(), 0)).collect();
        for s in scenarios {
            *counts.entry(s.outcome.as_str().to_owned()).or_default() += 1;
        }
        counts
    }

    /// True when no scenario fails the run.
    #[must_use]
    pub fn passed(&self) -> bool {
        !self.scenarios.iter().any(|s| s.outcome.fails_run())
    }
}
