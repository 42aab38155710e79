//! Running a catalogue against one target, concurrently, into a [`Report`].

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt as _;

use super::exec::{self, Placement};
use super::grade::Strictness;
use super::keys_env::KeyLog;
use super::load::LoadedScenario;
use super::profile::Profile;
use crate::client::Client;
use crate::report::model::{EndpointInfo, Report, SCHEMA_VERSION, ScenarioReport};

/// A run's settings.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Scenarios running at once.
    pub jobs: usize,
    /// Where objects go.
    pub placement: Placement,
    /// The endpoint's profile.
    pub profile: Profile,
    /// Whether the target is the embedded reference server.
    pub embedded: bool,
    /// How `must` steps are graded (see [`strictness_for`]).
    pub strictness: Strictness,
    /// Where the variables that reproductions name keys by are kept for `keys.env`
    /// (`--write-keys`); `None` keeps no key.
    pub key_log: Option<Arc<KeyLog>>,
}

/// The default grading for a profile: strict for the profiles whose answers were observed on AWS
/// (`aws`) or must match them exactly (`reference`), lenient for the rest.
#[must_use]
pub fn strictness_for(profile: &Profile) -> Strictness {
    match profile.name.as_str() {
        "aws" | "reference" => Strictness::Strict,
        _ => Strictness::Lenient,
    }
}

/// A fresh run id: lower-case, short, unique enough for bucket names.
#[must_use]
pub fn new_run_id() -> String {
    let mut b = [0u8; 4];
    rand::fill(&mut b);
    hex::encode(b)
}

/// Runs `scenarios` and returns the report; `on_done` is called as each scenario finishes.
pub async fn run(
    client: &Client,
    scenarios: &[LoadedScenario],
    settings: &RunSettings,
    on_done: &(dyn Fn(&ScenarioReport) + Send + Sync),
) -> Report {
    let started_at =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let t0 = Instant::now();
    let client = Arc::new(client.clone());
    let mut reports: Vec<ScenarioReport> = futures::stream::iter(scenarios.iter().enumerate())
        .map(|(i, s)| {
            let client = Arc::clone(&client);
            let disposition = super::judge::disposition(&settings.profile, s);
            let key_log = settings.key_log.as_deref();
            async move {
                exec::run_scenario(&client, s, i, &settings.placement, &disposition, settings.strictness, key_log).await
            }
        })
        .buffer_unordered(settings.jobs.max(1))
        .inspect(|r| on_done(r))
        .collect()
        .await;
    reports.sort_by(|a, b| a.id.cmp(&b.id));
    Report {
        schema_version: SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at,
        duration_ms: u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX),
        endpoint: EndpointInfo {
            name: settings.profile.name.clone(),
            url: client.target().endpoint.to_string(),
            profile: settings.profile.name.clone(),
            capabilities: settings.profile.capabilities.iter().map(|c| c.name().to_owned()).collect(),
            embedded: settings.embedded,
            strict: settings.strictness == Strictness::Strict,
        },
        counts: Report::count(&reports),
        findings: crate::report::findings::collect(&reports),
        stale_entries: super::judge::stale_in_run(&settings.profile, &reports),
        scenarios: reports,
    }
}

/// A client for the embedded reference server: its S3 target, and its Swift front through TempAuth.
pub fn embedded_client(
    server: &crate::ServerHandle,
    timeout: std::time::Duration,
) -> anyhow::Result<crate::client::Client> {
    let target = embedded_target(server, timeout);
    let auth_url = target.endpoint.join("/auth/v1.0")?;
    let swift = crate::client::swift::SwiftAuth::TempAuth {
        auth_url,
        user: format!("ssec:{}", target.access_key),
        key: target.secret_key.clone(),
    };
    Ok(crate::client::Client::new(target)?.with_swift(swift))
}

/// The target of the embedded reference server: HTTPS trusting its CA, path-style, its credentials.
#[must_use]
pub fn embedded_target(server: &crate::ServerHandle, timeout: std::time::Duration) -> crate::client::Target {
    let (access_key, secret_key) = server.credentials();
    let parse = |u: Option<&str>| u.and_then(|u| ::url::Url::parse(u).ok());
    let endpoint =
        parse(server.https_url()).unwrap_or_else(|| ::url::Url::parse("https://127.0.0.1/").expect("static URL"));
    crate::client::Target {
        plain_endpoint: parse(server.http_url()),
        trust: crate::client::Trust::Pem(server.ca_pem().to_owned()),
        timeout,
        ..crate::client::Target::new(endpoint, access_key, secret_key)
    }
}
