//! The canonical report (`report.json`): every other format is rendered from it.
//!
//! The schema is versioned by [`SCHEMA_VERSION`]; fields are only ever added.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the `report.json` schema.
pub const SCHEMA_VERSION: u32 = 1;

/// The grade of one scenario (after Autobahn, BoGo and Hurl).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
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
    /// The profile expects other findings than those observed: the deviation changed.
    Changed,
}

impl Outcome {
    /// All outcomes, in report order.
    pub const ALL: [Outcome; 10] = [
        Self::Pass,
        Self::NonStrict,
        Self::Info,
        Self::Fail,
        Self::Error,
        Self::Unsupported,
        Self::Skipped,
        Self::ExpectedFail,
        Self::UnexpectedPass,
        Self::Changed,
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
            Self::Changed => "changed",
        }
    }

    /// Whether this outcome makes the run fail.
    #[must_use]
    pub fn fails_run(self) -> bool {
        matches!(self, Self::Fail | Self::Error | Self::UnexpectedPass | Self::Changed)
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
            Self::Changed => "Listed as a known deviation, but it now deviates in another way: a new finding.",
        }
    }
}

/// A whole run against one endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
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
    /// Every distinct deviation from AWS, most severe first (see [`Finding`]).
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Profile entries whose expected finding no scenario of the run showed: the profile is stale,
    /// which fails the run.
    #[serde(default)]
    pub stale_entries: Vec<String>,
}

/// What was tested.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EndpointInfo {
    /// A short name for report columns: the profile name, or `reference`.
    pub name: String,
    /// The endpoint URL.
    pub url: String,
    /// The profile applied.
    pub profile: String,
    /// The capabilities the run granted the endpoint (the profile's, with `plain-http` exactly
    /// when a plain-HTTP endpoint was given).
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// True for the embedded reference server.
    pub embedded: bool,
    /// Whether the run was graded strictly (`--strict`): on a `must` step every mismatch fails,
    /// message and argument fields included, and no alternative code is accepted.
    #[serde(default)]
    pub strict: bool,
}

/// One scenario's result.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
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
    /// How this step deviated from AWS, as grouped into findings (empty when it did not).
    #[serde(default)]
    pub deviations: Vec<Deviation>,
    /// A command reproducing the request (curl), with the scenario's generated test key.
    pub reproduce: String,
}

/// One expectation of a step that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckViolation {
    /// The step, from 1.
    pub step: usize,
    /// The check's name, e.g. `etag-not-plaintext-md5` (see `scenario::check::Check`).
    pub check: String,
    /// What was observed, in one line.
    pub detail: String,
}

/// A request as sent, redacted.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
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

    /// True when no scenario fails the run and the profile is not stale.
    #[must_use]
    pub fn passed(&self) -> bool {
        !self.scenarios.iter().any(|s| s.outcome.fails_run()) && self.stale_entries.is_empty()
    }
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FindingSeverity {
    /// A security property is violated: data or metadata served without the key, the key echoed,
    /// an ETag that confirms the plaintext, a request AWS refuses accepted.
    Security,
    /// A different answer than AWS's: status, error code, headers, body.
    Conformance,
    /// Only the error message differs.
    Cosmetic,
}

impl FindingSeverity {
    /// All severities, most severe first.
    pub const ALL: [FindingSeverity; 3] = [Self::Security, Self::Conformance, Self::Cosmetic];

    /// The kebab-case name used in every report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Security => "security",
            Self::Conformance => "conformance",
            Self::Cosmetic => "cosmetic",
        }
    }
}

/// One way a step's answer differed from AWS's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Deviation {
    /// The operation, what AWS answers and what the endpoint answered, without the values that
    /// change from run to run: the same text for the same deviation in every scenario and every
    /// run, e.g. `get: 403 AccessDenied → 400 InvalidRequest` or
    /// `check etag-not-plaintext-md5 on put`.
    pub signature: String,
    /// How much it matters.
    pub severity: FindingSeverity,
    /// The automatic check that found it, when one did (a profile's `waive:` names it).
    pub check: Option<String>,
    /// The catalogue cases it violates: the scenario's, or the check's.
    pub cases: Vec<String>,
    /// Whether it fails its scenario (a wrong answer, or a check the profile does not waive)
    /// rather than only making it non-strict.
    #[serde(default)]
    pub failing: bool,
    /// The profile's reason when the profile lists it: a waiver of its check (it then changes no
    /// outcome) or an `xfail` entry naming its signature.
    pub known: Option<String>,
}

/// A distinct deviation from AWS: every scenario step with the same [`Deviation::signature`].
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// The signature shared by every occurrence; a profile's `xfail` entry names it.
    pub signature: String,
    /// How much it matters.
    pub severity: FindingSeverity,
    /// The automatic check that found it, if any.
    pub check: Option<String>,
    /// The operation of the deviating step (`get`, `put`, ...).
    pub operation: String,
    /// The catalogue cases it violates: those of every scenario it appears in, or the check's.
    pub cases: Vec<String>,
    /// Every scenario it appears in, sorted.
    pub scenarios: Vec<String>,
    /// Whether it fails a scenario somewhere (so a profile must name it, or the run fails), rather
    /// than only making scenarios non-strict.
    pub failing: bool,
    /// The profile's reason when the profile lists it (a waiver or xfail entries); `None` for a
    /// finding the profile does not know.
    pub known: Option<String>,
    /// One occurrence: the first scenario's deviating step, scrubbed as every transcript is.
    pub reproduction: Reproduction,
}

/// One occurrence of a finding, enough to see it and send it again.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Reproduction {
    /// The scenario id.
    pub scenario: String,
    /// The step, scrubbed as every transcript is; its mismatches include the security
    /// violations of that step.
    pub step: StepReport,
}
