//! A scenario's bucket: creating it (or its Swift container) and cleaning up afterwards only what
//! the run created.
//!
//! Cleanup deletes only keys under the scenario's own prefix, checked key by key whatever the
//! endpoint's listing holds (an endpoint may ignore `prefix`), and deletes a bucket only when the
//! run created it. After a failed CreateBucket nothing is cleaned: the name may be someone else's.

use std::collections::BTreeSet;

use super::build::Location;
use super::model::Scenario;
use crate::client::xml::{element, error_body};
use crate::client::{Auth, Client, Outgoing, Response};

/// Whose the scenario's bucket is, which decides what cleanup may delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ownership {
    /// The run created it: its objects and the bucket itself are deleted afterwards.
    Created,
    /// The user's bucket (`--bucket`): only keys under the scenario's prefix are deleted.
    Shared,
}

/// The first request of `scenario` that changes bucket-level state (versioning, policy,
/// encryption configuration, …), described as `PUT ?versioning`, if any.
#[must_use]
pub(super) fn bucket_change(scenario: &Scenario) -> Option<String> {
    let changes = |method: &str| !matches!(method.to_ascii_uppercase().as_str(), "GET" | "HEAD");
    scenario.steps.iter().find_map(|step| {
        let step = &step.value;
        if let Some(raw) = step.raw.as_ref().filter(|r| r.key.is_none() && changes(&r.method)) {
            let query: Vec<&str> = raw.query.keys().map(String::as_str).collect();
            return Some(format!("{} ?{}", raw.method.to_ascii_uppercase(), query.join("&")));
        }
        let swift = step.swift.as_ref().filter(|s| s.object.is_none() && changes(&s.method))?;
        Some(format!("Swift {} of the container", swift.method.to_ascii_uppercase()))
    })
}

/// `BlockedEncryptionTypes=NONE`: lets SSE-C writes through on a bucket that blocks them.
const UNBLOCK_SSE_C: &str = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BlockedEncryptionTypes><EncryptionType>NONE</EncryptionType></BlockedEncryptionTypes></Rule></ServerSideEncryptionConfiguration>";

fn swift_request(method: &str, container: &str, object: Option<&str>) -> Outgoing {
    let mut o = Outgoing::new(method, Some(container), object);
    o.auth = Auth::Swift;
    o
}

fn ok(r: &Response) -> bool {
    (200..300).contains(&r.status)
}

/// Sends `req`, naming `what` in the error when no answer or a non-2xx answer comes.
async fn expect_ok(client: &Client, req: &Outgoing, what: &str) -> Result<(), String> {
    let r = client.send(req).await.response.map_err(|e| format!("{what}: {e}"))?;
    if ok(&r) {
        Ok(())
    } else {
        Err(format!("{what} answered {} {}", r.status, error_body(&r.body).code.unwrap_or_default())
            .trim_end()
            .to_owned())
    }
}

/// Prepares the scenario's bucket: in a fresh-bucket run, creates it (or its Swift container) and
/// unblocks SSE-C on it when asked; a shared bucket is used as it is. Returns whose the bucket is
/// (`None` when it could not be created, so that nothing is cleaned) and the set-up error, if any.
pub(super) async fn setup(
    client: &Client,
    at: &Location,
    fresh: bool,
    unblock: bool,
    swift: bool,
) -> (Option<Ownership>, Result<(), String>) {
    if !fresh {
        return (Some(Ownership::Shared), Ok(()));
    }
    let bucket = &at.bucket;
    let created = if swift {
        expect_ok(client, &swift_request("PUT", bucket, None), &format!("Swift PUT container {bucket}")).await
    } else {
        expect_ok(client, &Outgoing::new("PUT", Some(bucket), None), &format!("CreateBucket {bucket}")).await
    };
    if let Err(e) = created {
        return (None, Err(e));
    }
    if unblock && !swift {
        let mut put = Outgoing::new("PUT", Some(bucket), None);
        put.query.push(("encryption".into(), String::new()));
        put.body = bytes::Bytes::from_static(UNBLOCK_SSE_C.as_bytes());
        let unblocked = expect_ok(client, &put, &format!("PutBucketEncryption {bucket}")).await;
        return (Some(Ownership::Created), unblocked);
    }
    (Some(Ownership::Created), Ok(()))
}

/// What a cleanup saw: the keys a listing named outside the scenario's prefix, left alone.
#[derive(Default)]
struct Sweep {
    outside: BTreeSet<String>,
}

impl Sweep {
    /// Keeps the listed keys under the prefix, noting the others.
    fn ours<T>(&mut self, at: &Location, listed: Vec<(String, T)>) -> Vec<(String, T)> {
        let (ours, theirs): (Vec<_>, Vec<_>) = listed.into_iter().partition(|(k, _)| k.starts_with(&at.prefix));
        self.outside.extend(theirs.into_iter().map(|(k, _)| k));
        ours
    }

    /// The note a cleanup that left keys alone ends with.
    fn result(self, at: &Location) -> Result<(), String> {
        if self.outside.is_empty() {
            return Ok(());
        }
        Err(format!(
            "the endpoint listed {} keys outside the scenario's prefix {} although the listing asked for that \
             prefix; they were left alone",
            self.outside.len(),
            at.prefix
        ))
    }
}

/// `(key, id)` pairs of the `<Entry>` elements of a listing, where `id` is the text of `<IdName>`.
fn entries(body: &[u8], entry: &str, id_name: &str) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    text.split(&format!("<{entry}>")).skip(1).filter_map(|e| Some((element(e, "Key")?, element(e, id_name)?))).collect()
}

/// Deletes, key by key, the scenario's entries of one listing kind (uploads, versions, delete
/// markers) by their id.
async fn delete_listed(
    client: &Client,
    at: &Location,
    sweep: &mut Sweep,
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
    for (key, id) in sweep.ours(at, entries(&listed.body, entry, id_name)) {
        let mut del = Outgoing::new("DELETE", Some(&at.bucket), Some(&key));
        del.query.push((delete_query.into(), id));
        expect_ok(client, &del, &format!("cleanup of {key} (?{delete_query})")).await?;
    }
    Ok(())
}

/// Deletes the scenario's objects: multipart uploads in progress, every version and delete marker,
/// then the current objects; and the bucket when the run created it. Keys outside the scenario's
/// prefix are never deleted; a listing that names some is reported.
pub(super) async fn cleanup(client: &Client, at: &Location, owner: Ownership, swift: bool) -> Result<(), String> {
    let mut sweep = Sweep::default();
    if swift {
        swift_cleanup(client, at, owner, &mut sweep).await?;
        return sweep.result(at);
    }
    delete_listed(client, at, &mut sweep, "uploads", "Upload", "UploadId", "uploadId").await?;
    delete_listed(client, at, &mut sweep, "versions", "Version", "VersionId", "versionId").await?;
    delete_listed(client, at, &mut sweep, "versions", "DeleteMarker", "VersionId", "versionId").await?;
    for _ in 0..100 {
        let mut list = Outgoing::new("GET", Some(&at.bucket), None);
        list.query.push(("list-type".into(), "2".into()));
        if !at.prefix.is_empty() {
            list.query.push(("prefix".into(), at.prefix.clone()));
        }
        let listed = client.send(&list).await.response.map_err(|e| format!("cleanup list: {e}"))?;
        if listed.status == 404 && owner == Ownership::Created {
            return sweep.result(at);
        }
        if listed.status != 200 {
            return Err(format!("cleanup list answered {}", listed.status));
        }
        let keys = sweep.ours(at, entries(&listed.body, "Contents", "Key"));
        if keys.is_empty() {
            break;
        }
        for (key, _) in keys {
            expect_ok(
                client,
                &Outgoing::new("DELETE", Some(&at.bucket), Some(&key)),
                &format!("cleanup DeleteObject {key}"),
            )
            .await?;
        }
    }
    if owner == Ownership::Created {
        let resp = client.send(&Outgoing::new("DELETE", Some(&at.bucket), None)).await.response;
        match resp {
            Ok(r) if ok(&r) || r.status == 404 => {}
            Ok(r) => return Err(format!("cleanup DeleteBucket answered {}", r.status)),
            Err(e) => return Err(format!("cleanup DeleteBucket: {e}")),
        }
    }
    sweep.result(at)
}

/// Deletes a Swift scenario's objects, and its container when the run created it.
async fn swift_cleanup(client: &Client, at: &Location, owner: Ownership, sweep: &mut Sweep) -> Result<(), String> {
    let listed =
        client.send(&swift_request("GET", &at.bucket, None)).await.response.map_err(|e| format!("cleanup: {e}"))?;
    if listed.status == 404 {
        return Ok(());
    }
    let names: Vec<(String, ())> =
        String::from_utf8_lossy(&listed.body).lines().filter(|l| !l.is_empty()).map(|l| (l.to_owned(), ())).collect();
    for (name, ()) in sweep.ours(at, names) {
        let r = client
            .send(&swift_request("DELETE", &at.bucket, Some(&name)))
            .await
            .response
            .map_err(|e| format!("cleanup {name}: {e}"))?;
        if !ok(&r) && r.status != 404 {
            return Err(format!("cleanup of {name} answered {}", r.status));
        }
    }
    if owner == Ownership::Shared {
        return Ok(());
    }
    let r =
        client.send(&swift_request("DELETE", &at.bucket, None)).await.response.map_err(|e| format!("cleanup: {e}"))?;
    if ok(&r) || r.status == 404 { Ok(()) } else { Err(format!("cleanup DELETE container answered {}", r.status)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(steps: &str) -> Scenario {
        serde_saphyr::from_str(&format!("title: t\ncases: [P1]\nlevel: must\nsteps:\n{steps}")).expect("scenario")
    }

    #[test]
    fn requests_on_the_bucket_itself_change_it() {
        let policy = scenario("  - raw: { method: put, query: { policy: '' } }\n    expect: { status: 204 }\n");
        assert_eq!(bucket_change(&policy).as_deref(), Some("PUT ?policy"));
        let swift = scenario("  - swift: { method: POST }\n    expect: { status: 204 }\n");
        assert_eq!(bucket_change(&swift).as_deref(), Some("Swift POST of the container"));
        let reads_and_objects = scenario(
            "  - raw: { method: GET, query: { versioning: '' } }\n    expect: { status: 200 }\n\
             \x20 - raw: { method: PUT, key: obj }\n    expect: { status: 200 }\n\
             \x20 - swift: { method: PUT, object: o }\n    expect: { status: 201 }\n",
        );
        assert_eq!(bucket_change(&reads_and_objects), None);
    }
}
