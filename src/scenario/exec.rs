//! Running one scenario: setup, steps, grading, cleanup.

use std::collections::BTreeMap;
use std::time::Instant;

use bytes::Bytes;

use super::build::{Built, Location, build, make_body};
use super::grade::{Mismatch, Severity, check, describe, error_body, security};
use super::load::LoadedScenario;
use super::load::operations;
use super::model::Step;
use super::model::{KeySpec, Level};
use super::profile::Disposition;
use super::transcript;
use super::vars::Vars;
use crate::client::{Client, Incoming, Outgoing};
use crate::report::model::{Outcome, ScenarioReport, StepReport};
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
    /// A key prefix per scenario inside an existing bucket (`--bucket`).
    SharedBucket {
        /// The bucket.
        bucket: String,
        /// Unique per run.
        run_id: String,
    },
}

impl Placement {
    fn location(&self, index: usize, id: &str) -> Location {
        match self {
            Self::FreshBuckets { run_id, .. } => {
                Location { bucket: format!("ssec-{run_id}-{index:03}"), prefix: String::new() }
            }
            Self::SharedBucket { bucket, run_id } => {
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

/// Runs one scenario (unless its disposition says not to) and grades it.
pub async fn run(
    client: &Client,
    s: &LoadedScenario,
    index: usize,
    placement: &Placement,
    disposition: &Disposition,
) -> ScenarioReport {
    match disposition {
        Disposition::Unsupported(missing) => {
            return base_report(s, Outcome::Unsupported, Some(format!("lacks capability {}", missing.join(", "))));
        }
        Disposition::Skip(reason) => return base_report(s, Outcome::Skipped, Some(reason.clone())),
        Disposition::Run | Disposition::ExpectFail(_) => {}
    }
    let started = Instant::now();
    let at = placement.location(index, &s.id);
    let unblock = matches!(placement, Placement::FreshBuckets { unblock_sse_c: true, .. });
    let swift = s.scenario.requires.iter().any(|c| c == "swift");
    let mut report = run_steps(client, s, &at, placement.fresh(), unblock, swift).await;
    report.cleanup_error =
        if swift { swift_cleanup(client, &at).await } else { cleanup(client, &at, placement.fresh()).await }.err();
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if let Disposition::ExpectFail(reason) = disposition {
        report.outcome = match report.outcome {
            Outcome::Fail | Outcome::NonStrict | Outcome::Error => Outcome::ExpectedFail,
            Outcome::Pass => Outcome::UnexpectedPass,
            other => other,
        };
        let was = report.reason.take().map(|r| format!(" ({r})")).unwrap_or_default();
        report.reason = Some(format!("profile: {reason}{was}"));
    }
    report
}

async fn run_steps(
    client: &Client,
    s: &LoadedScenario,
    at: &Location,
    fresh: bool,
    unblock: bool,
    swift: bool,
) -> ScenarioReport {
    let mut report = base_report(s, Outcome::Pass, None);
    let keys = match generate_keys(s) {
        Ok(k) => k,
        Err(e) => return base_report(s, Outcome::Error, Some(e)),
    };
    let bodies: BTreeMap<String, Bytes> = s.scenario.bodies.iter().map(|(n, b)| (n.clone(), make_body(b))).collect();
    let mut vars = Vars {
        keys,
        sizes: bodies.iter().map(|(n, b)| (n.clone(), b.len() as u64)).collect(),
        bucket: at.bucket.clone(),
        prefix: at.prefix.clone(),
        ..Vars::default()
    };
    let setup =
        if swift { setup_container(client, &at.bucket).await } else { setup_bucket(client, &at.bucket, unblock).await };
    if fresh && let Err(e) = setup {
        report.outcome = Outcome::Error;
        report.reason = Some(format!("setup: {e}"));
        return report;
    }
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
        let mut step_report = StepReport {
            index: i + 1,
            operation: built.operation.to_owned(),
            request: transcript::request(&exchange, &built.outgoing, &vars),
            expected: describe(&step.expect),
            actual: None,
            mismatches: Vec::new(),
            reproduce: transcript::reproduce(client, &built.outgoing),
        };
        let resp = match exchange.response {
            Ok(r) => r,
            Err(e) => {
                step_report.mismatches.push(format!("no response: {e}"));
                report.steps.push(step_report);
                report.outcome = Outcome::Error;
                report.reason = Some(format!("step {} ({}): {e}", i + 1, built.operation));
                return report;
            }
        };
        step_report.actual = Some(transcript::response(&resp, &vars));
        let mismatches: Vec<Mismatch> = check(&step.expect, level, &resp, &vars, &bodies);
        let violations = security(&built, &resp, &vars, &objects.sse_c);
        for v in &violations {
            report.security_violations.push(format!("step {}: {v}", i + 1));
        }
        step_report.mismatches = mismatches.iter().map(|m| m.text.clone()).collect();
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
        if worst == Some(Severity::Hard) {
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
}

/// Records what a successful step saved and stored.
fn remember(step: &Step, built: &Built, resp: &Incoming, vars: &mut Vars, objects: &mut Tracked) {
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
    let upload = operations(step).first().and_then(|(_, r)| r.and_then(|r| r.upload.clone()));
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
            let part = operations(step).first().and_then(|(_, r)| r.and_then(|r| r.part));
            if let (Some(u), Some(p), Some(e)) = (upload, part, etag) {
                vars.part_etags.entry(u).or_default().insert(p, e);
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

/// The tracking slot of one version of an object.
pub fn version_slot(object: &str, version: &str) -> String {
    format!("{object}\0{version}")
}

fn xml_element(body: &[u8], name: &str) -> Option<String> {
    super::grade::element(std::str::from_utf8(body).ok()?, name)
}

/// `BlockedEncryptionTypes=NONE`: lets SSE-C writes through on a bucket that blocks them.
const UNBLOCK_SSE_C: &str = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BlockedEncryptionTypes><EncryptionType>NONE</EncryptionType></BlockedEncryptionTypes></Rule></ServerSideEncryptionConfiguration>";

/// Creates the scenario's bucket, and unblocks SSE-C on it when asked.
async fn setup_bucket(client: &Client, bucket: &str, unblock: bool) -> Result<(), String> {
    let answered = |what: &str, r: &Incoming| {
        format!("{what} {bucket} answered {} {}", r.status, error_body(&r.body).code.unwrap_or_default())
    };
    let created = client
        .send(&Outgoing::new("PUT", Some(bucket), None))
        .await
        .response
        .map_err(|e| format!("CreateBucket {bucket}: {e}"))?;
    if !(200..300).contains(&created.status) {
        return Err(answered("CreateBucket", &created));
    }
    if unblock {
        let mut put = Outgoing::new("PUT", Some(bucket), None);
        put.query.push(("encryption".into(), String::new()));
        put.body = bytes::Bytes::from_static(UNBLOCK_SSE_C.as_bytes());
        let r = client.send(&put).await.response.map_err(|e| format!("PutBucketEncryption {bucket}: {e}"))?;
        if !(200..300).contains(&r.status) {
            return Err(answered("PutBucketEncryption", &r));
        }
    }
    Ok(())
}

fn swift_request(method: &str, container: &str, object: Option<&str>) -> Outgoing {
    let mut o = Outgoing::new(method, Some(container), object);
    o.auth = crate::client::Auth::Swift;
    o
}

/// Creates the scenario's Swift container.
async fn setup_container(client: &Client, container: &str) -> Result<(), String> {
    let r = client
        .send(&swift_request("PUT", container, None))
        .await
        .response
        .map_err(|e| format!("Swift PUT container {container}: {e}"))?;
    if (200..300).contains(&r.status) {
        Ok(())
    } else {
        Err(format!("Swift PUT container {container} answered {}", r.status))
    }
}

/// Deletes a Swift scenario's objects and container.
async fn swift_cleanup(client: &Client, at: &Location) -> Result<(), String> {
    let listed =
        client.send(&swift_request("GET", &at.bucket, None)).await.response.map_err(|e| format!("cleanup: {e}"))?;
    if listed.status == 404 {
        return Ok(());
    }
    for name in String::from_utf8_lossy(&listed.body).lines().filter(|l| !l.is_empty()) {
        let r = client
            .send(&swift_request("DELETE", &at.bucket, Some(name)))
            .await
            .response
            .map_err(|e| format!("cleanup {name}: {e}"))?;
        if !(200..300).contains(&r.status) && r.status != 404 {
            return Err(format!("cleanup of {name} answered {}", r.status));
        }
    }
    let r =
        client.send(&swift_request("DELETE", &at.bucket, None)).await.response.map_err(|e| format!("cleanup: {e}"))?;
    if (200..300).contains(&r.status) || r.status == 404 {
        Ok(())
    } else {
        Err(format!("cleanup DELETE container answered {}", r.status))
    }
}

/// `(key, id)` pairs of the `<Entry>` elements of a listing, where `id` is the text of `<IdName>`.
fn entries(body: &[u8], entry: &str, id_name: &str) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    text.split(&format!("<{entry}>"))
        .skip(1)
        .filter_map(|e| Some((super::grade::element(e, "Key")?, super::grade::element(e, id_name)?)))
        .collect()
}

async fn delete_all(
    client: &Client,
    at: &Location,
    list_query: &str,
    entry: &str,
    id_name: &str,
    delete_query: &str,
) -> Result<(), String> {
    let mut list = Outgoing::new("GET", Some(&at.bucket), None);
    list.query.push((list_query.into(), String::new()));
    if !at.prefix.is_empty() {
        list.query.push(("prefix".into(), at.prefix.clone()));
    }
    let listed = client.send(&list).await.response.map_err(|e| format!("cleanup ?{list_query}: {e}"))?;
    if listed.status != 200 {
        // An endpoint without versioning or multipart listings has nothing of that kind to clean.
        return Ok(());
    }
    for (key, id) in entries(&listed.body, entry, id_name) {
        let mut del = Outgoing::new("DELETE", Some(&at.bucket), Some(&key));
        del.query.push((delete_query.into(), id));
        match client.send(&del).await.response {
            Ok(r) if (200..300).contains(&r.status) => {}
            Ok(r) => return Err(format!("cleanup of {key} (?{delete_query}) answered {}", r.status)),
            Err(e) => return Err(format!("cleanup of {key} (?{delete_query}): {e}")),
        }
    }
    Ok(())
}

/// Deletes everything under the location's prefix: multipart uploads in progress, every version and
/// delete marker, then the current objects, and the bucket when `fresh` (the run made it).
pub async fn cleanup(client: &Client, at: &Location, fresh: bool) -> Result<(), String> {
    delete_all(client, at, "uploads", "Upload", "UploadId", "uploadId").await?;
    delete_all(client, at, "versions", "Version", "VersionId", "versionId").await?;
    delete_all(client, at, "versions", "DeleteMarker", "VersionId", "versionId").await?;
    for _ in 0..100 {
        let mut list = Outgoing::new("GET", Some(&at.bucket), None);
        list.query.push(("list-type".into(), "2".into()));
        if !at.prefix.is_empty() {
            list.query.push(("prefix".into(), at.prefix.clone()));
        }
        let listed = client.send(&list).await.response.map_err(|e| format!("cleanup list: {e}"))?;
        if listed.status == 404 && fresh {
            return Ok(());
        }
        if listed.status != 200 {
            return Err(format!("cleanup list answered {}", listed.status));
        }
        let keys: Vec<String> = entries(&listed.body, "Contents", "Key").into_iter().map(|(k, _)| k).collect();
        if keys.is_empty() {
            break;
        }
        for key in keys {
            let resp = client.send(&Outgoing::new("DELETE", Some(&at.bucket), Some(&key))).await.response;
            match resp {
                Ok(r) if (200..300).contains(&r.status) => {}
                Ok(r) => return Err(format!("cleanup DeleteObject {key} answered {}", r.status)),
                Err(e) => return Err(format!("cleanup DeleteObject {key}: {e}")),
            }
        }
    }
    if fresh {
        let resp = client.send(&Outgoing::new("DELETE", Some(&at.bucket), None)).await.response;
        match resp {
            Ok(r) if (200..300).contains(&r.status) || r.status == 404 => {}
            Ok(r) => return Err(format!("cleanup DeleteBucket answered {}", r.status)),
            Err(e) => return Err(format!("cleanup DeleteBucket: {e}")),
        }
    }
    Ok(())
}
