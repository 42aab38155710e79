//! Endpoint profiles: capabilities plus known deviations, each with a reason.
//!
//! ```yaml
//! name: garage
//! description: Garage 2.5 with a TLS proxy
//! capabilities: [sse-c, plain-http]
//! waive:
//!   - check: etag-not-plaintext-md5
//!     reason: the ETag of every object is the MD5 of its plaintext
//! xfail:
//!   - scenario: get-head/*-wrong-key
//!     finding: "get: 403 AccessDenied → 400 InvalidRequest"
//!     reason: answers 400 InvalidRequest instead of 403 AccessDenied
//!     link: https://example/issue/1
//! skip:
//!   - scenario: transport/*
//!     reason: no plain-HTTP listener
//! ```
//! `scenario` is a glob: `*` stands for any run of characters, `?` for one. A waiver turns one
//! automatic check off for every scenario, so that one deviation does not hide the others; an
//! `xfail` entry names the finding (its signature, as reports print it, or a glob over signatures
//! for a family of findings with one cause) it expects in the scenarios it matches, so a scenario
//! that deviates in another way is `changed`, not hidden (see `judge`). An entry that matches no scenario is stale, and stale entries are errors: the
//! list can only shrink as endpoints improve.

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::check::Check;
use super::load::LoadedScenario;
use super::model::Capability;

/// The profile used for an endpoint on Amazon S3 (`*.amazonaws.com`) when none is given.
pub const AWS: &str = "aws";
/// The profile used for any other endpoint when none is given.
pub const S3_COMPATIBLE: &str = "s3-compatible";

/// A profile file.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Profile {
    /// Short name, used as the report column.
    pub name: String,
    /// What endpoint (and version) this describes.
    #[serde(default)]
    pub description: String,
    /// Capabilities the endpoint has (see the scenario manual).
    pub capabilities: Vec<Capability>,
    /// Automatic checks turned off, each once with one reason: what they find is still reported
    /// as a known finding, but changes no outcome.
    #[serde(default)]
    pub waive: Vec<Waiver>,
    /// Known deviations: the scenarios matched are graded `expected-fail` while they show only
    /// the findings their entries name, `changed` when they deviate otherwise, and
    /// `unexpected-pass` once fixed.
    #[serde(default)]
    pub xfail: Vec<Expected>,
    /// Scenarios not run at all.
    #[serde(default)]
    pub skip: Vec<Entry>,
}

/// An automatic check the endpoint is known to fail.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Waiver {
    /// The check.
    pub check: Check,
    /// Why: mandatory, one sentence.
    pub reason: String,
    /// An issue or document describing the deviation.
    pub link: Option<String>,
}

/// A known deviation: a finding expected in the scenarios a glob matches.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Expected {
    /// Scenario ids, as a glob (`*` any characters, `?` one).
    pub scenario: String,
    /// The signature of the finding expected, as reports print it, e.g.
    /// `get: 403 AccessDenied → 400 InvalidRequest`; or a glob over signatures (`*` any
    /// characters, `?` one) for findings with one cause, e.g. `put: 200, header x-amz-checksum-* missing`.
    pub finding: String,
    /// Why: mandatory, one sentence.
    pub reason: String,
    /// An issue or document describing the deviation.
    pub link: Option<String>,
}

impl Expected {
    /// Whether this entry names the finding with `signature`.
    #[must_use]
    pub fn names(&self, signature: &str) -> bool {
        glob_matches(&self.finding, signature)
    }
}

/// A scenario not run.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Entry {
    /// Scenario ids, as a glob (`*` any characters, `?` one).
    pub scenario: String,
    /// Why: mandatory, one sentence.
    pub reason: String,
    /// An issue or document describing the deviation.
    pub link: Option<String>,
}

/// Whether `glob` (`*` any run of characters, `?` one character) matches all of `id`.
#[must_use]
pub fn glob_matches(glob: &str, id: &str) -> bool {
    let (glob, id): (Vec<char>, Vec<char>) = (glob.chars().collect(), id.chars().collect());
    // Iterative matching with one backtrack point (the last `*`).
    let (mut g, mut i, mut star, mut resume) = (0, 0, None, 0);
    while i < id.len() {
        match glob.get(g) {
            Some('*') => {
                star = Some(g);
                resume = i;
                g += 1;
            }
            Some(c) if *c == '?' || *c == id[i] => {
                g += 1;
                i += 1;
            }
            _ => match star {
                Some(s) => {
                    g = s + 1;
                    resume += 1;
                    i = resume;
                }
                None => return false,
            },
        }
    }
    glob[g..].iter().all(|c| *c == '*')
}

/// Whether a glob names exactly one id (no wildcard).
#[must_use]
pub fn is_exact(glob: &str) -> bool {
    !glob.contains(['*', '?'])
}

impl Profile {
    /// The profile of the embedded reference server: every capability, no entries.
    #[must_use]
    pub fn reference() -> Self {
        Self {
            name: "reference".into(),
            description: "the embedded ssec-conform reference server".into(),
            capabilities: Capability::ALL.to_vec(),
            ..Self::default()
        }
    }

    /// The name of the built-in profile for an endpoint on `host` when none is given: `aws` on
    /// Amazon S3 (`amazonaws.com` and its subdomains), `s3-compatible` anywhere else.
    #[must_use]
    pub fn default_name(host: Option<&str>) -> &'static str {
        let host = host.unwrap_or_default().trim_end_matches('.').to_ascii_lowercase();
        if host == "amazonaws.com" || host.ends_with(".amazonaws.com") { AWS } else { S3_COMPATIBLE }
    }

    /// This profile with `plain-http` claimed exactly when the target has a plain-HTTP endpoint
    /// (`--http-endpoint-url`): the plain-HTTP scenarios run whenever they can, and are
    /// `unsupported` when they cannot.
    #[must_use]
    pub fn with_plain_http(mut self, available: bool) -> Self {
        self.capabilities.retain(|c| *c != Capability::PlainHttp);
        if available {
            self.capabilities.push(Capability::PlainHttp);
        }
        self
    }

    /// Loads and checks a profile file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// Parses and checks a profile; `origin` names it in errors (`origin:line:col: ...`).
    pub fn parse(origin: &str, text: &str) -> anyhow::Result<Self> {
        let profile: Self = serde_saphyr::from_str(text).map_err(|e| {
            let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
            anyhow::anyhow!("{origin}:{line}:{col}: {}", e.to_string().lines().next().unwrap_or_default())
        })?;
        let reasons = (profile.waive.iter().map(|w| (w.check.name(), &w.reason)))
            .chain(profile.xfail.iter().map(|e| (e.scenario.as_str(), &e.reason)))
            .chain(profile.skip.iter().map(|e| (e.scenario.as_str(), &e.reason)));
        for (what, reason) in reasons {
            anyhow::ensure!(!reason.trim().is_empty(), "{origin}: entry `{what}` has no reason");
        }
        for entry in &profile.xfail {
            anyhow::ensure!(!entry.finding.trim().is_empty(), "{origin}: xfail `{}` names no finding", entry.scenario);
        }
        for (i, w) in profile.waive.iter().enumerate() {
            anyhow::ensure!(
                !profile.waive[..i].iter().any(|earlier| earlier.check == w.check),
                "{origin}: check `{}` is waived twice: waive it once, with one reason",
                w.check
            );
        }
        Ok(profile)
    }

    /// Resolves `--profile`: a path to a profile file (anything with an extension or a directory
    /// part), else the name of a profile built into the binary.
    pub fn find(name_or_path: &str) -> anyhow::Result<Self> {
        let as_path = Path::new(name_or_path);
        if as_path.extension().is_some() || as_path.components().count() > 1 {
            return Self::load(as_path);
        }
        let file = super::catalogue::profile_file(name_or_path).ok_or_else(|| {
            anyhow::anyhow!(
                "--profile {name_or_path}: no such profile (built in: {}; or give a path to a YAML file)",
                super::catalogue::profile_names().join(", ")
            )
        })?;
        Self::parse(file.path, file.text)
    }

    /// Entries that match no scenario, one message each.
    #[must_use]
    pub fn stale_entries(&self, scenarios: &[LoadedScenario]) -> Vec<String> {
        self.xfail
            .iter()
            .map(|e| ("xfail", &e.scenario))
            .chain(self.skip.iter().map(|e| ("skip", &e.scenario)))
            .filter(|(_, glob)| !scenarios.iter().any(|s| glob_matches(glob, &s.id)))
            .map(|(kind, glob)| format!("profile {}: {kind} entry `{glob}` matches no scenario", self.name))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_capability_is_an_error_at_its_line_listing_the_known_ones() {
        let e = Profile::parse("p.yaml", "name: v\ncapabilities: [sse-c, teleport]\n").unwrap_err().to_string();
        assert!(e.starts_with("p.yaml:2:"), "{e}");
        assert!(e.contains("teleport") && e.contains("block-sse-c"), "{e}");
    }

    #[test]
    fn an_unknown_check_is_an_error_at_its_line() {
        let text = "name: v\ncapabilities: [sse-c]\nwaive:\n  - check: etag-is-md5\n    reason: r\n";
        let e = Profile::parse("p.yaml", text).unwrap_err().to_string();
        assert!(e.starts_with("p.yaml:4:"), "{e}");
        assert!(e.contains("etag-not-plaintext-md5"), "lists the known checks: {e}");
    }

    #[test]
    fn a_check_is_waived_once() {
        let waiver = "  - check: etag-not-plaintext-md5\n    reason: r\n";
        let text = format!("name: v\ncapabilities: [sse-c]\nwaive:\n{waiver}{waiver}");
        let e = Profile::parse("p.yaml", &text).unwrap_err().to_string();
        assert!(e.contains("waived twice"), "{e}");
    }

    #[test]
    fn an_xfail_entry_names_a_finding() {
        let text = "name: v\ncapabilities: [sse-c]\nxfail:\n  - scenario: put/*\n    reason: r\n";
        let e = Profile::parse("p.yaml", text).unwrap_err().to_string();
        assert!(e.starts_with("p.yaml:5:") && e.contains("missing field `finding`"), "{e}");
    }

    #[test]
    fn globs_match_whole_ids() {
        assert!(glob_matches("get-head/*", "get-head/003-wrong-key"));
        assert!(glob_matches("*/003-wrong-key", "get-head/003-wrong-key"));
        assert!(glob_matches("get-head/*-wrong-*", "get-head/003-wrong-key"));
        assert!(glob_matches("get-head/00?-wrong-key", "get-head/003-wrong-key"));
        assert!(glob_matches("get-head/003-wrong-key", "get-head/003-wrong-key"));
        assert!(!glob_matches("get-head/003", "get-head/003-wrong-key"), "a glob matches the whole id");
        assert!(!glob_matches("get-head/*-key-x", "get-head/003-wrong-key"));
        assert!(!glob_matches("put/*", "get-head/003-wrong-key"));
        assert!(is_exact("put/001-basic") && !is_exact("put/*"));
    }

    #[test]
    fn default_profile_by_host() {
        assert_eq!(Profile::default_name(Some("s3.us-east-2.amazonaws.com")), AWS);
        assert_eq!(Profile::default_name(Some("bucket.s3.amazonaws.com.")), AWS);
        assert_eq!(Profile::default_name(Some("S3.AMAZONAWS.COM")), AWS);
        assert_eq!(Profile::default_name(Some("amazonaws.com.example.org")), S3_COMPATIBLE);
        assert_eq!(Profile::default_name(Some("notamazonaws.com")), S3_COMPATIBLE);
        assert_eq!(Profile::default_name(Some("127.0.0.1")), S3_COMPATIBLE);
        assert_eq!(Profile::default_name(None), S3_COMPATIBLE);
    }

    #[test]
    fn plain_http_follows_the_target() {
        let with = Profile::reference().with_plain_http(true);
        assert_eq!(with.capabilities.iter().filter(|c| **c == Capability::PlainHttp).count(), 1);
        let without = Profile::reference().with_plain_http(false);
        assert!(!without.capabilities.contains(&Capability::PlainHttp));
        let mut aws = Profile::find(AWS).unwrap();
        assert!(!aws.capabilities.contains(&Capability::PlainHttp));
        aws = aws.with_plain_http(true);
        assert!(aws.capabilities.contains(&Capability::PlainHttp));
    }

    #[test]
    fn the_default_for_other_servers_does_not_block_sse_c() {
        let p = Profile::find(S3_COMPATIBLE).unwrap();
        assert!(!p.capabilities.contains(&Capability::BlockSseC), "{:?}", p.capabilities);
        assert!(p.capabilities.contains(&Capability::SseC));
        assert!(p.xfail.is_empty() && p.skip.is_empty() && p.waive.is_empty());
    }
}
