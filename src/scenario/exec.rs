//! Running one scenario: set-up, steps, grading, cleanup, and the scrubbing of its report.

use std::collections::BTreeMap;
use std::time::Instant;

use bytes::Bytes;

use super::bucket;
use super::build::{Built, Location, build, make_bodies};
use super::check::Violation;
use super::deviation;
use super::grade::{Mismatch, Severity, Strictness, check, describe};
use super::judge::{Disposition, Judge};
use super::keys_env::{KeyLog, KeyVars};
use super::load::LoadedScenario;
use super::model::Step;
use super::model::{Capability, KeySpec, Level, version_slot};
use super::oracles;
use super::scrub::Scrubber;
use super::security::security;
use super::transcript;
use super::vars::Vars;
use crate::client::{Client, Response};
use crate::report::model::{CheckViolation, Outcome, ScenarioReport, StepReport};
use crate::sse_c::CustomerKey;

/// Where scenarios put their objects.
#[derive(Debug, Clone)]
pub enum Placement {
    /// A fresh bucket per scenario, named from this run id.
    FreshBuckets {
        /// Unique per run, lower-case.
        run_id: String,
        /// Unblock SSE-C on each new bucket (`BlockedEncryptionTypes=NONE`), for endpoints that block
        /// it by default (AWS since April 2026).
        unblock_sse_c: bool,
    },
    /// A key prefix per scenario inside an existing bucket (`--bucket`). Cleanup deletes only keys
    /// under the prefix and never the bucket.
    SharedBucket {
        /// The bucket.
        bucket: String,
        /// Unique per run.
        run_id: String,
        /// Run scenarios that change bucket-level state (versioning, policy, encryption
        /// configuration); without it they are `unsupported` (`--allow-bucket-changes`).
        allow_bucket_changes: bool,
    },
}

impl Placement {
    fn location(&self, index: usize, id: &str) -> Location {
        match self {
            Self::FreshBuckets { run_id, .. } => {
                Location { bucket: format!("ssec-{run_id}-{index:03}"), prefix: String::new() }
            }
            Self::SharedBucket { bucket, run_id, .. } => {
                Location { bucket: bucket.clone(), prefix: format!("ssec-conform/{run_id}/{}/", id.replace('/', "-")) }
            }
        }
    }

    fn fresh(&self) -> bool {
        matches!(self, Self::FreshBuckets { .. })
    }
}

fn base_report(s: &LoadedScenario, outcome: Outcome, reason: Option<String>) -> ScenarioReport {
    ScenarioReport {
        id: s.id.clone(),
        area: s.area.clone(),
        title: s.scenario.title.clone(),
        cases: s.scenario.cases.clone(),
        level: format!("{:?}", s.scenario.level).to_ascii_lowercase(),
        outcome,
        reason,
        duration_ms: 0,
        steps: Vec::new(),
        security_violations: Vec::new(),
        violated_checks: Vec::new(),
        cleanup_error: None,
    }
}

fn generate_keys(s: &LoadedScenario) -> Result<BTreeMap<String, CustomerKey>, String> {
    use base64::Engine as _;
    let mut keys = BTreeMap::new();
    for (name, spec) in &s.scenario.keys {
        let key = match spec {
            KeySpec::Random => CustomerKey::random(),
            KeySpec::Fixed(b64) => {
                let bytes =
                    base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| format!("key {name}: {e}"))?;
                let arr: [u8; 32] = bytes.try_into().map_err(|_| format!("key {name}: not 32 bytes"))?;
                CustomerKey::from_bytes(arr)
            }
        };
        keys.insert(name.clone(), key);
    }
    Ok(keys)
}

/// Runs one scenario (unless its disposition or placement says not to), grades it with
/// `strictness`, cleans up, and scrubs every secret of the run from its report. The variables its
/// reproductions name keys by go to `key_log` when given.
pub async fn run_scenario(
    client: &Client,
    s: &LoadedScenario,
    index: usize,
    placement: &Placement,
    disposition: &Disposition,
    strictness: Strictness,
    key_log: Option<&KeyLog>,
) -> ScenarioReport {
    match disposition {
        Disposition::Unsupported(missing) => {
            return base_report(s, Outcome::Unsupported, Some(format!("lacks capability {}", missing.join(", "))));
        }
        Disposition::Skip(reason) => return base_report(s, Outcome::Skipped, Some(reason.clone())),
        Disposition::Run(_) => {}
    }
    let judge = match disposition {
        Disposition::Run(judge) => judge,
        _ => &Judge::default(),
    };
    if let Placement::SharedBucket { allow_bucket_changes: false, .. } = placement
        && let Some(change) = bucket::bucket_change(&s.scenario)
    {
        let reason =
            format!("changes bucket-level state ({change}) of the shared bucket; --allow-bucket-changes runs it");
        return base_report(s, Outcome::Unsupported, Some(reason));
    }
    if let Some(why) = client.stopped_answering() {
        return base_report(s, Outcome::Error, Some(format!("not run: {why}")));
    }
    let started = Instant::now();
    let keys = match generate_keys(s) {
        Ok(k) => k,
        Err(e) => return base_report(s, Outcome::Error, Some(e)),
    };
    let mut scrubber = Scrubber::for_target(client.target());
    for key in keys.values() {
        scrubber.add_bytes(key.expose());
    }
    let mut key_vars = KeyVars::new(&s.id, index, &keys);
    let at = placement.location(index, &s.id);
    let unblock = matches!(placement, Placement::FreshBuckets { unblock_sse_c: true, .. });
    let swift = s.scenario.requires.contains(&Capability::Swift);
    let (owner, setup) = bucket::setup(client, &at, placement.fresh(), unblock, swift).await;
    let mut report = match setup {
        Ok(()) => run_steps(client, s, &at, keys, (judge, strictness), &mut scrubber, &mut key_vars).await,
        Err(e) => base_report(s, Outcome::Error, Some(format!("setup: {e}"))),
    };
    if let Some(owner) = owner {
        report.cleanup_error = match client.stopped_answering() {
            Some(why) => Some(format!("not cleaned up: {why}")),
            None => bucket::cleanup(client, &at, owner, swift).await.err(),
        };
    }
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    judge.settle(&mut report);
    scrubber.scrub_report(&mut report);
    if let Some(log) = key_log {
        log.record(key_vars);
    }
    report
}

async fn run_steps(
    client: &Client,
    s: &LoadedScenario,
    at: &Location,
    keys: BTreeMap<String, CustomerKey>,
    (judge, strictness): (&Judge, Strictness),
    scrubber: &mut Scrubber,
    key_vars: &mut KeyVars,
) -> ScenarioReport {
    let mut report = base_report(s, Outcome::Pass, None);
    let bodies: BTreeMap<String, Bytes> = make_bodies(&s.scenario.bodies);
    let mut vars = Vars {
        keys,
        sizes: bodies.iter().map(|(n, b)| (n.clone(), b.len() as u64)).collect(),
        bodies: bodies.clone(),
        bucket: at.bucket.clone(),
        prefix: at.prefix.clone(),
        ..Vars::default()
    };
    let level = s.scenario.level;
    let mut worst: Option<Severity> = None;
    let mut objects = Tracked::default();
    for (i, spanned) in s.scenario.steps.iter().enumerate() {
        let step = &spanned.value;
        let built = match build(step, &vars, &bodies, at) {
            Ok(b) => b,
            Err(e) => {
                report.outcome = Outcome::Error;
                report.reason = Some(format!("step {}: {e}", i + 1));
                return report;
            }
        };
        let exchange = client.send(&built.outgoing).await;
        scrubber.add_sent(&exchange, &built.outgoing);
        let mut step_report = StepReport {
            index: i + 1,
            operation: built.operation.to_owned(),
            request: transcript::request(&exchange, &built.outgoing),
            expected: describe(&step.expect),
            actual: None,
            mismatches: Vec::new(),
            mismatch_details: Vec::new(),
            deviations: Vec::new(),
            reproduce: transcript::reproduce(client, &built.outgoing, key_vars),
        };
        let resp = match exchange.response {
            Ok(r) => r,
            Err(e) => {
                step_report.mismatches.push(format!("no response: {e}"));
                step_report.deviations.push(deviation::of_no_answer(built.operation, &s.scenario.cases, &step.expect));
                report.steps.push(step_report);
                report.outcome = Outcome::Error;
                report.reason = Some(format!("step {} ({}): {e}", i + 1, built.operation));
                return report;
            }
        };
        step_report.actual = Some(transcript::response(&resp));
        let mismatches = check(&step.expect, level, strictness, &resp, &vars, &bodies);
        let mut violations = security(&built, &resp, &vars, &objects.sse_c);
        violations.extend(objects.oracles(step, &built, &resp));
        let assessed =
            deviation::assess(built.operation, &s.scenario, &step.expect, &resp, mismatches, violations, judge);
        step_report.mismatches = assessed.lines;
        step_report.deviations.extend(assessed.deviations);
        for v in assessed.violations {
            report.security_violations.push(format!("step {}: {}", i + 1, v.text));
            report.violated_checks.push(CheckViolation {
                step: i + 1,
                check: v.check.name().to_owned(),
                detail: v.text,
            });
        }
        let mismatches = assessed.graded;
        step_report.mismatch_details = mismatches.iter().map(Mismatch::detail).collect();
        if report.reason.is_none()
            && let Some(first) = mismatches.iter().find(|m| m.severity == Severity::Hard).or(mismatches.first())
        {
            report.reason = Some(format!("step {} ({}): {}", i + 1, built.operation, first.text));
        }
        worst = worst.max(mismatches.iter().map(|m| m.severity).max());
        if (200..300).contains(&resp.status) {
            remember(step, &built, &resp, &mut vars, &mut objects);
        }
        report.steps.push(step_report);
        // An `info` scenario is a sequence of probes, each checked for security: all are sent.
        if worst == Some(Severity::Hard) && level != Level::Info {
            break;
        }
    }
    report.outcome = match (worst, level) {
        _ if !report.security_violations.is_empty() => Outcome::Fail,
        (None, _) => Outcome::Pass,
        (Some(_), Level::Info) => Outcome::Info,
        (Some(Severity::Soft), _) => Outcome::NonStrict,
        (Some(Severity::Hard), _) => Outcome::Fail,
    };
    if !report.security_violations.is_empty() {
        report.reason = Some(format!("security: {}", report.security_violations[0]));
    }
    report
}

/// Which customer key each SSE-C object (and upload) of the scenario is stored under, by key name,
/// so that any read that succeeds without that key is caught.
#[derive(Debug, Default)]
struct Tracked {
    sse_c: BTreeMap<String, String>,
    uploads: BTreeMap<String, String>,
    plaintexts: oracles::Plaintexts,
}

impl Tracked {
    /// The equality oracles of an answer (ETags and checksums giving SSE-C plaintexts away).
    fn oracles(&self, step: &Step, built: &Built, resp: &Response) -> Vec<Violation> {
        let keys = oracles::object_keys(&self.sse_c);
        let upload = step.operations().first().and_then(|(_, r)| r.and_then(|r| r.upload.clone()));
        let subject = oracles::subject_of(built, upload.as_deref(), &self.sse_c, &self.uploads, &keys);
        oracles::oracles(built, resp, &self.plaintexts, subject)
    }
}

/// Records what a successful step saved and stored.
fn remember(step: &Step, built: &Built, resp: &Response, vars: &mut Vars, objects: &mut Tracked) {
    let version = resp.header("x-amz-version-id").map(str::to_owned);
    if let Some(name) = &step.save_etag
        && let Some(etag) = resp.header("etag").map(str::to_owned).or_else(|| xml_element(&resp.body, "ETag"))
    {
        vars.etags.insert(name.clone(), etag);
    }
    if let Some(name) = &step.save_version
        && let Some(v) = resp.header("x-amz-version-id")
    {
        vars.versions.insert(name.clone(), v.to_owned());
    }
    let object = built.outgoing.key.clone();
    let upload = step.operations().first().and_then(|(_, r)| r.and_then(|r| r.upload.clone()));
    let part = step.operations().first().and_then(|(_, r)| r.and_then(|r| r.part));
    let sse_c_upload = upload.as_deref().filter(|u| objects.uploads.contains_key(*u));
    if built.presented_key.is_some() || sse_c_upload.is_some() {
        objects.plaintexts.remember(built, sse_c_upload.map(|u| (u, part)));
    }
    match built.operation {
        "create-multipart" => {
            if let (Some(name), Some(id)) = (&step.save_upload, xml_element(&resp.body, "UploadId")) {
                vars.uploads.insert(name.clone(), id);
                vars.part_etags.insert(name.clone(), BTreeMap::new());
                if let Some(k) = &built.presented_key {
                    objects.uploads.insert(name.clone(), k.clone());
                }
            }
        }
        "upload-part" | "upload-part-copy" => {
            let etag = resp.header("etag").map(str::to_owned).or_else(|| xml_element(&resp.body, "ETag"));
            if let (Some(u), Some(p)) = (upload, part) {
                vars.part_checksums
                    .entry(u.clone())
                    .or_default()
                    .insert(p, super::payload::answered_part_checksums(resp));
                if let Some(e) = etag {
                    vars.part_etags.entry(u).or_default().insert(p, e);
                }
            }
        }
        "complete" | "put" | "copy" | "post" | "swift-put" => {
            let owner = match built.operation {
                "complete" => upload.and_then(|u| objects.uploads.get(&u).cloned()),
                _ => built.presented_key.clone(),
            };
            if let Some(object) = object {
                for slot in [Some(object.clone()), version.map(|v| version_slot(&object, &v))].into_iter().flatten() {
                    match &owner {
                        Some(k) => objects.sse_c.insert(slot, k.clone()),
                        None => objects.sse_c.remove(&slot),
                    };
                }
            }
        }
        "delete" | "swift-delete" => {
            if let Some(object) = object {
                // Deleting a version by id may make an older version current, whose key is not
                // tracked as current: stop tracking the current slot rather than guess.
                if let Some((_, v)) = built.outgoing.query.iter().find(|(k, _)| k == "versionId") {
                    objects.sse_c.remove(&version_slot(&object, v));
                }
                objects.sse_c.remove(&object);
            }
        }
        _ => {}
    }
}

fn xml_element(body: &[u8], name: &str) -> Option<String> {
    crate::client::xml::element(std::str::from_utf8(body).ok()?, name)
}

/// Deletes everything under `at`'s prefix (multipart uploads, versions, delete markers, objects),
/// and the bucket itself when `created` (the caller made it); see `bucket` for the rules.
///
/// # Errors
///
/// The first deletion that failed, or keys a listing named outside the prefix (left alone).
pub async fn cleanup(client: &Client, at: &Location, created: bool) -> Result<(), String> {
    let owner = if created { bucket::Ownership::Created } else { bucket::Ownership::Shared };
    bucket::cleanup(client, at, owner, false).await
}
