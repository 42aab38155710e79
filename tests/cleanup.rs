//! Cleanup removes only what the run created, against an endpoint that ignores `prefix` in its
//! listings: with `--bucket` nothing outside the scenario's key prefix is deleted and the bucket is
//! never deleted; a bucket whose CreateBucket failed gets no request at all after it; scenarios
//! that change bucket-level state do not run in a shared bucket unless allowed.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::fake_endpoint::{self, Received, Reply};
use ssec_conform::report::model::{Outcome, Report};
use ssec_conform::scenario::LoadedScenario;
use ssec_conform::scenario::exec::Placement;
use ssec_conform::scenario::runner;

/// The state of the endpoint: `bucket/key` of every object, the buckets, and every request seen.
#[derive(Default)]
struct Store {
    objects: BTreeSet<String>,
    buckets: BTreeSet<String>,
    log: Vec<String>,
}

/// How the endpoint answers CreateBucket.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CreateBucket {
    Succeeds,
    /// 409 BucketAlreadyExists: the name belongs to someone else.
    Conflicts,
}

/// An S3 endpoint that lists every object of a bucket whatever `prefix` says, and has no
/// versioning or multipart listings.
fn handle(store: &Mutex<Store>, create: CreateBucket, r: &Received) -> Reply {
    let mut store = store.lock().unwrap();
    store.log.push(format!("{} {}?{}", r.method, r.path, r.query));
    let path = r.path.trim_start_matches('/');
    let (bucket, key) = match path.split_once('/') {
        Some((b, k)) => (b.to_owned(), Some(k.to_owned())),
        None => (path.to_owned(), None),
    };
    match (r.method.as_str(), key) {
        ("PUT", None) if r.query.is_empty() => match create {
            CreateBucket::Succeeds => {
                store.buckets.insert(bucket);
                Reply::new(200, "")
            }
            CreateBucket::Conflicts => Reply::new(
                409,
                "<Error><Code>BucketAlreadyExists</Code><Message>The requested bucket name is not available.</Message></Error>",
            ),
        },
        ("PUT", None) => Reply::new(200, ""),
        ("GET", None) if r.has_param("list-type") => {
            let prefix = format!("{bucket}/");
            let contents: String = store
                .objects
                .iter()
                .filter_map(|o| o.strip_prefix(&prefix))
                .map(|k| format!("<Contents><Key>{k}</Key><Size>1</Size></Contents>"))
                .collect();
            Reply::new(200, format!("<ListBucketResult><IsTruncated>false</IsTruncated>{contents}</ListBucketResult>"))
        }
        ("PUT", Some(key)) => {
            store.objects.insert(format!("{bucket}/{key}"));
            let mut headers = vec![("etag".to_owned(), "\"0123456789abcdef0123456789abcdef\"".to_owned())];
            for name in
                ["x-amz-server-side-encryption-customer-algorithm", "x-amz-server-side-encryption-customer-key-md5"]
            {
                if let Some(v) = r.header(name) {
                    headers.push((name.to_owned(), v.to_owned()));
                }
            }
            Reply::Answer { status: 200, headers, body: Bytes::new() }
        }
        ("GET" | "HEAD", Some(key)) if store.objects.contains(&format!("{bucket}/{key}")) => Reply::new(200, "x"),
        ("DELETE", Some(key)) => {
            store.objects.remove(&format!("{bucket}/{key}"));
            Reply::new(204, "")
        }
        ("DELETE", None) => {
            store.buckets.remove(&bucket);
            Reply::new(204, "")
        }
        ("GET" | "HEAD", Some(_)) => Reply::new(404, "<Error><Code>NoSuchKey</Code></Error>"),
        _ => Reply::new(501, "<Error><Code>NotImplemented</Code></Error>"),
    }
}

/// Runs `scenarios` with `placement` against an endpoint holding `objects` (`bucket/key`).
async fn run(
    scenarios: &[LoadedScenario],
    placement: Placement,
    create: CreateBucket,
    objects: &[&str],
) -> (Report, Arc<Mutex<Store>>) {
    let store = Arc::new(Mutex::new(Store::default()));
    {
        let mut s = store.lock().unwrap();
        for o in objects {
            s.objects.insert((*o).to_owned());
            s.buckets.insert(o.split('/').next().unwrap().to_owned());
        }
    }
    let state = Arc::clone(&store);
    let addr = fake_endpoint::start(move |r| handle(&state, create, r)).await;
    let report =
        runner::run(&fake_endpoint::client(addr, None), scenarios, &fake_endpoint::settings(placement), &|_| {}).await;
    (report, store)
}

#[tokio::test]
async fn a_shared_bucket_keeps_every_key_outside_the_scenario_prefix() {
    let scenarios = fake_endpoint::scenarios(&["put/001-valid-triple"]);
    let placement =
        Placement::SharedBucket { bucket: "user-bucket".into(), run_id: "run1".into(), allow_bucket_changes: false };
    let mine = ["user-bucket/precious.txt", "user-bucket/ssec-conform/run0/put-001-valid-triple/obj"];
    let (report, store) = run(&scenarios, placement, CreateBucket::Succeeds, &mine).await;
    let store = store.lock().unwrap();
    for object in mine {
        assert!(store.objects.contains(object), "{object} was deleted; requests: {:#?}", store.log);
    }
    let own: Vec<_> = store.objects.iter().filter(|o| o.contains("/ssec-conform/run1/")).collect();
    assert!(own.is_empty(), "the scenario's own objects were not cleaned up: {own:?}");
    assert!(store.buckets.contains("user-bucket"), "the shared bucket was deleted; requests: {:#?}", store.log);
    let bucket_requests: Vec<_> = store
        .log
        .iter()
        .filter(|l| l.starts_with("PUT /user-bucket?") || l.starts_with("DELETE /user-bucket?"))
        .collect();
    assert!(bucket_requests.is_empty(), "requests on the shared bucket itself: {bucket_requests:?}");
    let r = &report.scenarios[0];
    let note = r.cleanup_error.as_deref().unwrap_or_default();
    assert!(note.contains("2 keys outside") && note.contains("ssec-conform/run1/put-001-valid-triple/"), "{note:?}");
}

#[tokio::test]
async fn a_failed_create_bucket_is_followed_by_no_delete() {
    let scenarios = fake_endpoint::scenarios(&["put/001-valid-triple"]);
    let placement = Placement::FreshBuckets { run_id: "run2".into(), unblock_sse_c: false };
    let theirs = ["ssec-run2-000/their-object"];
    let (report, store) = run(&scenarios, placement, CreateBucket::Conflicts, &theirs).await;
    let store = store.lock().unwrap();
    let r = &report.scenarios[0];
    assert_eq!(r.outcome, Outcome::Error, "{:?}", r.reason);
    let reason = r.reason.as_deref().unwrap_or_default();
    assert!(reason.contains("CreateBucket ssec-run2-000 answered 409 BucketAlreadyExists"), "{reason}");
    assert_eq!(store.log, vec!["PUT /ssec-run2-000?".to_owned()], "only the failed CreateBucket was sent");
    assert!(store.objects.contains(theirs[0]) && store.buckets.contains("ssec-run2-000"));
    assert_eq!(r.cleanup_error, None);
}

#[tokio::test]
async fn scenarios_that_change_the_bucket_are_unsupported_in_a_shared_bucket() {
    let ids = ["controls/001-blocked-put-correct-key", "attributes/008-old-version-wrong-key"];
    let scenarios = fake_endpoint::scenarios(&ids);
    let shared = |allow_bucket_changes| Placement::SharedBucket {
        bucket: "user-bucket".into(),
        run_id: "run3".into(),
        allow_bucket_changes,
    };
    {
        let (report, store) = run(&scenarios, shared(false), CreateBucket::Succeeds, &[]).await;
        let store = store.lock().unwrap();
        for (r, change) in report.scenarios.iter().zip(["PUT ?versioning", "PUT ?encryption"]) {
            assert_eq!(r.outcome, Outcome::Unsupported, "{}: {:?}", r.id, r.reason);
            let reason = r.reason.as_deref().unwrap_or_default();
            assert!(
                reason.contains(change) && reason.contains("--allow-bucket-changes"),
                "{}: reason {reason:?} names {change} and the flag",
                r.id
            );
        }
        assert!(store.log.is_empty(), "an unsupported scenario sent requests: {:?}", store.log);
    }

    // --allow-bucket-changes runs them: the configuration reaches the shared bucket.
    let (report, store) = run(&scenarios, shared(true), CreateBucket::Succeeds, &[]).await;
    let store = store.lock().unwrap();
    assert!(report.scenarios.iter().all(|r| r.outcome != Outcome::Unsupported), "{:?}", report.scenarios);
    for change in ["PUT /user-bucket?versioning", "PUT /user-bucket?encryption"] {
        assert!(store.log.iter().any(|l| l.starts_with(change)), "{change} was sent: {:?}", store.log);
    }
    assert!(store.buckets.is_empty(), "no bucket was created or deleted: {:?}", store.buckets);
}
