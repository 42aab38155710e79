//! Endpoint profiles: capabilities plus known deviations, each with a reason.
//!
//! ```yaml
//! name: garage
//! description: Garage 2.5 with a TLS proxy
//! capabilities: [sse-c, plain-http]
//! xfail:
//!   - scenario: get-head/003-wrong-key
//!     reason: answers 400 InvalidRequest instead of 403 AccessDenied
//!     link: https://example/issue/1
//! skip:
//!   - scenario: transport/*
//!     reason: no plain-HTTP listener
//! ```
//! Entries match scenario ids exactly or with a trailing `*`. An entry that matches no scenario is
//! stale, and stale entries are errors: the list can only shrink as endpoints improve.

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::load::LoadedScenario;
use super::model::Capability;

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
    /// Known deviations: graded `expected-fail`, or `unexpected-pass` once fixed.
    #[serde(default)]
    pub xfail: Vec<Entry>,
    /// Scenarios not run at all.
    #[serde(default)]
    pub skip: Vec<Entry>,
}

/// One profile entry.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Entry {
    /// Scenario id, or a prefix ending in `*`.
    pub scenario: String,
    /// Why: mandatory, one sentence.
    pub reason: String,
    /// An issue or document describing the deviation.
    pub link: Option<String>,
}

impl Entry {
    /// Whether this entry covers scenario `id`.
    #[must_use]
    pub fn matches(&self, id: &str) -> bool {
        match self.scenario.strip_suffix('*') {
            Some(prefix) => id.starts_with(prefix),
            None => self.scenario == id,
        }
    }
}

/// What a profile says about one scenario before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Run it and grade normally.
    Run,
    /// Run it; a deviation is expected for this reason.
    ExpectFail(String),
    /// Do not run it: skipped for this reason.
    Skip(String),
    /// Do not run it: these capabilities are missing.
    Unsupported(Vec<String>),
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
        for entry in profile.xfail.iter().chain(&profile.skip) {
            anyhow::ensure!(!entry.reason.trim().is_empty(), "{origin}: entry `{}` has no reason", entry.scenario);
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

    /// What to do with a scenario.
    #[must_use]
    pub fn disposition(&self, s: &LoadedScenario) -> Disposition {
        let missing: Vec<String> = s
            .scenario
            .requires
            .iter()
            .filter(|c| !self.capabilities.contains(c))
            .map(|c| c.name().to_owned())
            .collect();
        if !missing.is_empty() {
            return Disposition::Unsupported(missing);
        }
        if let Some(e) = self.skip.iter().find(|e| e.matches(&s.id)) {
            return Disposition::Skip(e.reason.clone());
        }
        if let Some(e) = self.xfail.iter().find(|e| e.matches(&s.id)) {
            return Disposition::ExpectFail(e.reason.clone());
        }
        Disposition::Run
    }

    /// Entries that match no scenario, one message each.
    #[must_use]
    pub fn stale_entries(&self, scenarios: &[LoadedScenario]) -> Vec<String> {
        self.xfail
            .iter()
            .map(|e| ("xfail", e))
            .chain(self.skip.iter().map(|e| ("skip", e)))
            .filter(|(_, e)| !scenarios.iter().any(|s| e.matches(&s.id)))
            .map(|(kind, e)| format!("profile {}: {kind} entry `{}` matches no scenario", self.name, e.scenario))
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
}
