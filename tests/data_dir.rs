//! The reference server's data directory (`--data-dir`): it only uses a directory it created,
//! creates everything private, deletes nothing it did not write, moves what it cannot use to
//! `quarantine/` (logging which object, never key material), and follows no symbolic link planted
//! in it, for reading, writing or deletion.
//!
//! Each test starts a real server (HTTPS, SigV4) on a temporary data directory, in process.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod common;

use bytes::Bytes;
use common::{CapturedLog, element, https_client, with_key};
use sha2::Digest as _;
use ssec_conform::client::{Client, Outgoing, Response};
use ssec_conform::server::StartError;
use ssec_conform::sse_c::CustomerKey;
use ssec_conform::{ReferenceServer, ServerConfig, ServerHandle};

const MARKER: &str = "ssec-conform-data.json";

async fn try_start(data: &Path) -> Result<ServerHandle, StartError> {
    logs();
    let config = ServerConfig { http: None, data_dir: Some(data.to_owned()), ..ServerConfig::default() };
    ReferenceServer::start(config).await
}

/// A server on `data` and a client of its HTTPS listener.
async fn start(data: &Path) -> (ServerHandle, Client) {
    let server = try_start(data).await.unwrap_or_else(|e| panic!("server on {}: {e:#}", data.display()));
    let client = https_client(&server);
    (server, client)
}

/// A server on a new data directory (`<temporary root>/data`) with `bucket` created.
async fn fresh(bucket: &str) -> (tempfile::TempDir, PathBuf, ServerHandle, Client) {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let (server, client) = start(&data).await;
    create_bucket(&client, bucket).await;
    (root, data, server, client)
}

async fn send(client: &Client, req: &Outgoing) -> Response {
    client.send(req).await.response.unwrap_or_else(|e| panic!("{} {:?}: {e}", req.method, req.key))
}

/// Status and S3 error code of a response.
fn outcome(r: &Response) -> (u16, Option<String>) {
    (r.status, element(&r.body, "Code").map(str::to_owned))
}

async fn create_bucket(client: &Client, bucket: &str) {
    let r = send(client, &Outgoing::new("PUT", Some(bucket), None)).await;
    assert_eq!(outcome(&r), (200, None), "CreateBucket {bucket}");
}

async fn put(client: &Client, bucket: &str, key: &str, body: &[u8], sse_c: Option<&CustomerKey>) {
    let mut req = Outgoing::new("PUT", Some(bucket), Some(key));
    req.body = Bytes::copy_from_slice(body);
    if let Some(k) = sse_c {
        req = with_key(req, k);
    }
    let r = send(client, &req).await;
    assert_eq!(outcome(&r), (200, None), "PUT {bucket}/{key}");
}

async fn get(client: &Client, bucket: &str, key: &str) -> Response {
    send(client, &Outgoing::new("GET", Some(bucket), Some(key))).await
}

fn objects_dir(data: &Path, bucket: &str) -> PathBuf {
    data.join("buckets").join(hex::encode(bucket)).join("objects")
}

fn metadata_file(data: &Path, bucket: &str, key: &str) -> PathBuf {
    objects_dir(data, bucket).join(format!("{}.json", hex::encode(sha2::Sha256::digest(key.as_bytes()))))
}

/// The data files of `key`, sorted.
fn data_files(data: &Path, bucket: &str, key: &str) -> Vec<PathBuf> {
    let prefix = format!("{}.", hex::encode(sha2::Sha256::digest(key.as_bytes())));
    let mut v: Vec<PathBuf> = std::fs::read_dir(objects_dir(data, bucket))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(&prefix) && name.ends_with(".data")
        })
        .collect();
    v.sort();
    v
}

/// Every entry under `dir` (links not followed), recursively, with its `symlink_metadata`.
fn entries_under(dir: &Path) -> Vec<(PathBuf, std::fs::Metadata)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path.clone());
            }
            out.push((path, meta));
        }
    }
    out
}

/// The entries under `<data>/quarantine` whose file name starts with `name`.
fn quarantined(data: &Path, name: &str) -> Vec<PathBuf> {
    let dir = data.join("quarantine");
    if !dir.exists() {
        return Vec::new();
    }
    entries_under(&dir)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(name)))
        .collect()
}

/// The log of this test binary (every test's servers, interleaved), collected from the first server
/// started on.
fn logs() -> &'static CapturedLog {
    static LOGS: OnceLock<CapturedLog> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = CapturedLog::default();
        let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(logs.clone()).finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        logs
    })
}

fn log_text() -> String {
    logs().text()
}

#[tokio::test]
async fn a_non_empty_directory_that_is_not_ours_is_refused_and_left_untouched() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("somebody-elses");
    std::fs::create_dir_all(data.join("tmp")).unwrap();
    std::fs::create_dir_all(data.join("buckets/photos")).unwrap();
    std::fs::write(data.join("notes.txt"), b"notes").unwrap();
    std::fs::write(data.join("tmp/draft.txt"), b"draft").unwrap();
    std::fs::write(data.join("buckets/photos/cat.jpg"), b"cat").unwrap();
    let before = entries_under(&data).into_iter().map(|(p, _)| p).collect::<Vec<_>>();

    let err = match try_start(&data).await {
        Ok(server) => {
            server.shutdown().await;
            panic!("a non-empty directory without a marker was accepted as a data directory");
        }
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains(&data.display().to_string()), "the error names the directory: {err}");
    assert!(err.contains("not empty") && err.contains(MARKER), "the error says why: {err}");
    assert!(err.contains("give a new or empty directory"), "the error says what to do: {err}");

    let after = entries_under(&data).into_iter().map(|(p, _)| p).collect::<Vec<_>>();
    assert_eq!(after, before, "nothing was created, moved or deleted");
    assert_eq!(std::fs::read(data.join("tmp/draft.txt")).unwrap(), b"draft");
    assert_eq!(std::fs::read(data.join("buckets/photos/cat.jpg")).unwrap(), b"cat");
}

#[tokio::test]
async fn a_newer_or_foreign_marker_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let (server, _) = start(&data).await;
    server.shutdown().await;
    let marker = data.join(MARKER);
    let text = std::fs::read_to_string(&marker).expect("a new data directory is marked");
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["version"], 1, "{text}");

    json["version"] = 2.into();
    std::fs::write(&marker, json.to_string()).unwrap();
    let err = try_start(&data).await.expect_err("a newer format version is refused");
    assert!(matches!(&err, StartError::DataDir { path, .. } if *path == data), "{err:?}");
    let err = err.to_string();
    assert!(err.contains(&data.display().to_string()), "{err}");
    assert!(err.contains("format version 2") && err.contains("newer"), "{err}");

    std::fs::write(&marker, b"not json").unwrap();
    let err = format!("{:#}", try_start(&data).await.expect_err("an unreadable marker is refused"));
    assert!(err.contains(&marker.display().to_string()), "{err}");

    json["version"] = 1.into();
    std::fs::write(&marker, json.to_string()).unwrap();
    let (server, _) = start(&data).await;
    server.shutdown().await;
}

#[tokio::test]
async fn everything_created_is_private_and_reopens() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("new").join("data");
    let (server, client) = start(&data).await;
    create_bucket(&client, "private").await;
    let key = CustomerKey::random();
    put(&client, "private", "sse-c", b"ciphertext on disk", Some(&key)).await;
    put(&client, "private", "plain", b"plaintext on disk", None).await;
    server.shutdown().await;

    let mode = |m: &std::fs::Metadata| m.permissions().mode() & 0o777;
    assert_eq!(mode(&std::fs::metadata(&data).unwrap()), 0o700, "the data directory");
    let entries = entries_under(&data);
    assert!(entries.len() >= 8, "{entries:?}");
    for (path, meta) in &entries {
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(meta), want, "{} has mode {:o}", path.display(), mode(meta));
    }
    assert!(data.join(MARKER).is_file());

    let (server, client) = start(&data).await;
    let r = get(&client, "private", "plain").await;
    assert_eq!((r.status, &r.body[..]), (200, &b"plaintext on disk"[..]), "reopened");
    server.shutdown().await;
}

/// String leaves of a JSON value (the sealed key material inside object metadata).
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn unparseable_metadata_is_quarantined_with_its_data_and_logged_without_key_material() {
    let (_root, data, server, client) = fresh("quarantine-test").await;
    let key = CustomerKey::random();
    put(&client, "quarantine-test", "broken/object", &[7u8; 300_000], Some(&key)).await;
    put(&client, "quarantine-test", "intact", b"still here", None).await;
    server.shutdown().await;

    let meta_path = metadata_file(&data, "quarantine-test", "broken/object");
    let original = std::fs::read(&meta_path).unwrap();
    let mut secrets = Vec::new();
    strings(&serde_json::from_slice::<serde_json::Value>(&original).unwrap()[0]["meta"]["sse_c"], &mut secrets);
    assert!(!secrets.is_empty(), "the metadata holds sealed key material");
    let data_before: Vec<Vec<u8>> =
        data_files(&data, "quarantine-test", "broken/object").iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(!data_before.is_empty());
    let truncated = &original[..original.len() / 2];
    std::fs::write(&meta_path, truncated).unwrap();

    let (server, client) = start(&data).await;
    let r = get(&client, "quarantine-test", "broken/object").await;
    assert_eq!(outcome(&r), (404, Some("NoSuchKey".into())), "the unreadable object is not served");
    let r = get(&client, "quarantine-test", "intact").await;
    assert_eq!((r.status, &r.body[..]), (200, &b"still here"[..]), "the other object is untouched");
    server.shutdown().await;

    let file_name = meta_path.file_name().unwrap().to_string_lossy().into_owned();
    let moved = quarantined(&data, &file_name);
    assert_eq!(moved.len(), 1, "quarantine/ holds the unparseable metadata: {moved:?}");
    assert_eq!(std::fs::read(&moved[0]).unwrap(), truncated, "moved as it was");
    let hash = file_name.trim_end_matches(".json");
    let moved_data: Vec<Vec<u8>> = {
        let mut paths = quarantined(&data, &format!("{hash}."));
        paths.retain(|p| p.extension().is_some_and(|e| e == "data"));
        paths.sort();
        paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
    };
    assert_eq!(moved_data, data_before, "its data files were moved to quarantine, not deleted");
    assert!(!meta_path.exists() && data_files(&data, "quarantine-test", "broken/object").is_empty());

    let log = log_text();
    assert!(log.contains("quarantine-test") && log.contains(&file_name), "the log says which object: {log}");
    for secret in secrets.iter().chain([&key.to_base64().to_string(), &hex::encode(key.expose())]) {
        assert!(!log.contains(secret.as_str()), "the log carries key material {secret}: {log}");
    }
}

#[tokio::test]
async fn files_the_server_did_not_write_are_quarantined_never_deleted() {
    let (_root, data, server, client) = fresh("strangers").await;
    put(&client, "strangers", "obj", b"ours", None).await;
    server.shutdown().await;
    let objects = objects_dir(&data, "strangers");
    std::fs::write(objects.join("notes.txt"), b"in objects").unwrap();
    std::fs::write(data.join("tmp").join("notes-tmp.txt"), b"in tmp").unwrap();
    std::fs::write(data.join("README.txt"), b"at the top").unwrap();
    // A temporary file of the server's own (an upload a crash interrupted) is removed.
    std::fs::write(data.join("tmp").join("0123456789abcdef0123456789abcdef"), b"partial upload").unwrap();

    let (server, client) = start(&data).await;
    let r = get(&client, "strangers", "obj").await;
    assert_eq!((r.status, &r.body[..]), (200, &b"ours"[..]));
    server.shutdown().await;
    for (name, content) in [("notes.txt", "in objects"), ("notes-tmp.txt", "in tmp"), ("README.txt", "at the top")] {
        let moved = quarantined(&data, name);
        assert_eq!(moved.len(), 1, "{name} was moved to quarantine/, not deleted: {moved:?}");
        assert_eq!(std::fs::read_to_string(&moved[0]).unwrap(), content);
    }
    assert_eq!(std::fs::read_dir(data.join("tmp")).unwrap().count(), 0, "tmp/ holds nothing after start");
    assert!(quarantined(&data, "0123456789abcdef").is_empty(), "the server's own leftover was removed");
}

#[tokio::test]
async fn deleting_a_bucket_leaves_files_the_server_did_not_write() {
    let (_root, data, server, client) = fresh("doomed").await;
    let stranger = objects_dir(&data, "doomed").join("stranger.txt");
    std::fs::write(&stranger, b"not the server's").unwrap();
    let r = send(&client, &Outgoing::new("DELETE", Some("doomed"), None)).await;
    assert_eq!(outcome(&r), (204, None), "DeleteBucket");
    let r = send(&client, &Outgoing::new("HEAD", Some("doomed"), None)).await;
    assert_eq!(r.status, 404, "the bucket is gone");
    server.shutdown().await;
    let kept = std::fs::read(&stranger).unwrap_or_else(|e| panic!("DeleteBucket deleted a stranger's file: {e}"));
    assert_eq!(kept, b"not the server's");
}

/// An outside directory holding one precious file, for links to point at.
fn outside_dir(root: &Path) -> PathBuf {
    let outside = root.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("precious.txt"), b"precious").unwrap();
    outside
}

fn assert_untouched(outside: &Path) {
    let names: Vec<String> =
        std::fs::read_dir(outside).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["precious.txt"], "something was written to or deleted from the link's target");
    assert_eq!(std::fs::read(outside.join("precious.txt")).unwrap(), b"precious");
}

/// The link planted as `name` is now in quarantine/, still pointing at `target`.
fn assert_link_quarantined(data: &Path, name: &str, target: &Path) {
    let moved = quarantined(data, name);
    assert_eq!(moved.len(), 1, "the planted link {name} was moved to quarantine/: {moved:?}");
    let meta = std::fs::symlink_metadata(&moved[0]).unwrap();
    assert!(meta.file_type().is_symlink(), "{} is not the planted link", moved[0].display());
    assert_eq!(std::fs::read_link(&moved[0]).unwrap(), target);
}

/// A temporary root, the data directory to use in it, and an outside directory (see [`outside_dir`]).
fn layout() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let outside = outside_dir(root.path());
    (root, data, outside)
}

#[tokio::test]
async fn a_tmp_link_is_quarantined_not_followed() {
    let (_root, data, outside) = layout();
    let (server, _) = start(&data).await;
    server.shutdown().await;
    std::fs::remove_dir(data.join("tmp")).unwrap();
    std::os::unix::fs::symlink(&outside, data.join("tmp")).unwrap();

    let (server, client) = start(&data).await;
    create_bucket(&client, "links").await;
    put(&client, "links", "obj", &[1u8; 100_000], None).await;
    server.shutdown().await;
    assert_untouched(&outside);
    assert!(std::fs::symlink_metadata(data.join("tmp")).unwrap().is_dir(), "tmp/ is a real directory again");
    assert_link_quarantined(&data, "tmp", &outside);
}

#[tokio::test]
async fn an_object_file_linked_elsewhere_is_never_read() {
    let (_root, data, outside) = layout();
    let target = outside.join("precious.txt");
    let (server, client) = start(&data).await;
    create_bucket(&client, "links").await;
    put(&client, "links", "doc", b"ours....", None).await;
    let files = data_files(&data, "links", "doc");
    assert_eq!(files.len(), 1);
    std::fs::remove_file(&files[0]).unwrap();
    std::os::unix::fs::symlink(&target, &files[0]).unwrap();

    // While running: the read fails closed.
    let r = get(&client, "links", "doc").await;
    assert_ne!(&r.body[..], b"precious", "the link's target was served");
    assert_eq!(outcome(&r), (500, Some("InternalError".into())), "GET through a planted link");
    server.shutdown().await;

    // At the next start: the object is quarantined, its link moved, not followed.
    let (server, client) = start(&data).await;
    let r = get(&client, "links", "doc").await;
    assert_eq!(outcome(&r), (404, Some("NoSuchKey".into())), "GET after restart");
    server.shutdown().await;
    assert_untouched(&outside);
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert_link_quarantined(&data, &name, &target);
}

#[tokio::test]
async fn a_bucket_directory_linked_elsewhere_is_neither_read_nor_cleaned() {
    let (root, data, server, _client) = fresh("model").await;
    server.shutdown().await;
    // A directory that looks like a bucket, with a file the start-up cleanup would delete if it
    // followed the link.
    let elsewhere = root.path().join("elsewhere");
    std::fs::create_dir_all(elsewhere.join("objects")).unwrap();
    let bucket_json = std::fs::read_to_string(data.join("buckets").join(hex::encode("model")).join("bucket.json"))
        .unwrap()
        .replace("\"model\"", "\"linked\"");
    std::fs::write(elsewhere.join("bucket.json"), &bucket_json).unwrap();
    std::fs::write(elsewhere.join("objects").join("keep.txt"), b"keep").unwrap();
    let link = data.join("buckets").join(hex::encode("linked"));
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap();

    let (server, client) = start(&data).await;
    let r = send(&client, &Outgoing::new("GET", None, None)).await;
    let listing = String::from_utf8_lossy(&r.body).into_owned();
    assert!(listing.contains("<Name>model</Name>"), "{listing}");
    assert!(!listing.contains("<Name>linked</Name>"), "a linked bucket directory was loaded: {listing}");
    server.shutdown().await;
    assert_eq!(std::fs::read(elsewhere.join("objects").join("keep.txt")).unwrap(), b"keep");
    assert_eq!(std::fs::read_to_string(elsewhere.join("bucket.json")).unwrap(), bucket_json);
    assert_link_quarantined(&data, &hex::encode("linked"), &elsewhere);
}

#[tokio::test]
async fn create_bucket_does_not_write_through_a_planted_link() {
    let (_root, data, outside) = layout();
    let (server, client) = start(&data).await;
    std::os::unix::fs::symlink(&outside, data.join("buckets").join(hex::encode("planted"))).unwrap();
    create_bucket(&client, "planted").await;
    put(&client, "planted", "obj", b"inside", None).await;
    let r = get(&client, "planted", "obj").await;
    assert_eq!((r.status, &r.body[..]), (200, &b"inside"[..]));
    server.shutdown().await;
    assert_untouched(&outside);
    assert!(std::fs::symlink_metadata(data.join("buckets").join(hex::encode("planted"))).unwrap().is_dir());
}
