//! The at-rest format of SSE-C objects under `--data-dir`, checked from outside: a real reference
//! server over HTTPS, its data directory read and edited the way someone with access to the disk
//! could, and real clients (the AWS SDK for Rust, reqwest) reading the result.
//!
//! - Re-uploading a part never encrypts under a (key, nonce) pair already used: the XOR of two
//!   ciphertexts of part 1 is not the XOR of their plaintexts.
//! - The object's shape is authenticated: swapping parts, dropping one, truncating the last segment
//!   or changing a recorded size makes every read (GET, range, part, HEAD, copy source) a 500.
//! - An SSE-C object's checksum is stored sealed: no checksum of its plaintext is on disk, and
//!   HEAD with the key and checksum mode answers it after a restart.
//! - A segment altered in the middle of an object breaks the transfer after the authentic bytes that
//!   precede it: the client sees an error, never a byte of the altered segment; an altered first
//!   segment is a 500 before any byte.

use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;

use bytes::Bytes;
use common::{element, https_client, sdk_client, start_with, with_copy_source, with_key};
use sha2::Digest as _;
use ssec_conform::client::{Client, Outgoing, Response};
use ssec_conform::server::crypto::{SEGMENT_SIZE, TAG_LEN};
use ssec_conform::sse_c::CustomerKey;
use ssec_conform::sse_c::headers::AES256;
use ssec_conform::{ServerConfig, ServerHandle};

const BUCKET: &str = "at-rest";
/// Parts other than the last must be at least this large.
const MIN_PART: usize = 5 * 1024 * 1024;

/// A reference server on a data directory, restartable on the same directory.
struct Disk {
    dir: tempfile::TempDir,
    server: ServerHandle,
    client: Client,
}

impl Disk {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (server, client) = serve(&dir.path().join("data")).await;
        let disk = Self { dir, server, client };
        disk.ok(&Outgoing::new("PUT", Some(BUCKET), None)).await;
        disk
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Stops the server and starts a new one on the same directory (metadata is read at start).
    async fn restart(self) -> Self {
        let Self { dir, server, .. } = self;
        server.shutdown().await;
        let (server, client) = serve(&dir.path().join("data")).await;
        Self { dir, server, client }
    }

    async fn send(&self, req: &Outgoing) -> Response {
        self.client.send(req).await.response.unwrap_or_else(|e| panic!("{} {:?}: {e}", req.method, req.key))
    }

    async fn ok(&self, req: &Outgoing) -> Response {
        let r = self.send(req).await;
        assert!((200..300).contains(&r.status), "{} {:?}: {} {}", req.method, req.key, r.status, text(&r.body));
        r
    }

    async fn put(&self, name: &str, key: &CustomerKey, body: &[u8]) {
        let mut put = with_key(Outgoing::new("PUT", Some(BUCKET), Some(name)), key);
        put.body = Bytes::copy_from_slice(body);
        self.ok(&put).await;
    }

    async fn create_upload(&self, name: &str, key: &CustomerKey) -> String {
        let mut create = with_key(Outgoing::new("POST", Some(BUCKET), Some(name)), key);
        create.query.push(("uploads".into(), String::new()));
        element(&self.ok(&create).await.body, "UploadId").expect("UploadId").to_owned()
    }

    /// Uploads a part; returns its ETag.
    async fn upload_part(&self, name: &str, key: &CustomerKey, upload_id: &str, n: u32, body: &[u8]) -> String {
        let mut part = with_key(Outgoing::new("PUT", Some(BUCKET), Some(name)), key);
        part.query = vec![("partNumber".into(), n.to_string()), ("uploadId".into(), upload_id.to_owned())];
        part.body = Bytes::copy_from_slice(body);
        self.ok(&part).await.header("etag").expect("ETag").to_owned()
    }

    /// A multipart SSE-C object made of `parts`.
    async fn put_multipart(&self, name: &str, key: &CustomerKey, parts: &[&[u8]]) {
        let upload_id = self.create_upload(name, key).await;
        let mut xml = String::from("<CompleteMultipartUpload>");
        for (i, body) in parts.iter().enumerate() {
            let n = u32::try_from(i).unwrap() + 1;
            let etag = self.upload_part(name, key, &upload_id, n, body).await;
            xml.push_str(&format!("<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"));
        }
        xml.push_str("</CompleteMultipartUpload>");
        let mut complete = Outgoing::new("POST", Some(BUCKET), Some(name));
        complete.query.push(("uploadId".into(), upload_id));
        complete.body = Bytes::from(xml);
        self.ok(&complete).await;
    }

    /// The metadata file of `name` (every version, as JSON).
    fn version_file(&self, name: &str) -> PathBuf {
        let hash = hex::encode(sha2::Sha256::digest(name.as_bytes()));
        self.data().join("buckets").join(hex::encode(BUCKET)).join("objects").join(format!("{hash}.json"))
    }

    /// Rewrites the current version's record of `name`.
    fn edit_version(&self, name: &str, edit: impl FnOnce(&mut serde_json::Value)) {
        let path = self.version_file(name);
        let mut versions: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let last = versions.as_array_mut().unwrap().last_mut().unwrap();
        edit(last);
        std::fs::write(&path, serde_json::to_vec(&versions).unwrap()).unwrap();
    }

    /// The data files of the current version of `name`, in part order.
    fn data_files(&self, name: &str) -> Vec<PathBuf> {
        let versions: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.version_file(name)).unwrap()).unwrap();
        let dir = self.version_file(name).parent().unwrap().to_path_buf();
        versions.as_array().unwrap().last().unwrap()["data_files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| dir.join(f.as_str().unwrap()))
            .collect()
    }

    /// The files of uploads in progress.
    fn temp_files(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.data().join("tmp")).unwrap().map(|e| e.unwrap().path()).collect()
    }
}

async fn serve(data: &Path) -> (ServerHandle, Client) {
    let config = ServerConfig { http: None, data_dir: Some(data.to_path_buf()), ..ServerConfig::default() };
    let server = start_with(config).await;
    let client = https_client(&server);
    (server, client)
}

fn text(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rand::fill(&mut v[..]);
    v
}

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

// ------------------------------------------------------------------------------------------------
// Nonce uniqueness.
// ------------------------------------------------------------------------------------------------

/// Part 1 uploaded, then uploaded again with other bytes, then replaced by UploadPartCopy: each
/// ciphertext is under a key stream of its own, so no XOR of two ciphertexts is the XOR of their
/// plaintexts (with a shared (key, nonce) pair it is, byte for byte).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reuploaded_parts_never_share_a_key_stream() {
    let disk = Disk::start().await;
    let key = CustomerKey::random();
    let source = random_bytes(300 * 1024);
    disk.put("source", &key, &source).await;
    let upload_id = disk.create_upload("reuploaded", &key).await;

    let mut stored: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for round in 0..3 {
        let plain = if round < 2 { random_bytes(source.len()) } else { source.clone() };
        if round < 2 {
            disk.upload_part("reuploaded", &key, &upload_id, 1, &plain).await;
        } else {
            let mut copy = with_key(Outgoing::new("PUT", Some(BUCKET), Some("reuploaded")), &key);
            copy.query = vec![("partNumber".into(), "1".into()), ("uploadId".into(), upload_id.clone())];
            disk.ok(&with_copy_source(copy, BUCKET, "source", &key)).await;
        }
        let files = disk.temp_files();
        assert_eq!(files.len(), 1, "one part in progress: {files:?}");
        let cipher = std::fs::read(&files[0]).unwrap();
        assert_eq!(cipher.len(), plain.len() + 2 * TAG_LEN, "two segments, each with its tag");
        stored.push((plain, cipher));
    }
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        let (pa, ca) = &stored[a];
        let (pb, cb) = &stored[b];
        // The first segment's ciphertext, without its tag.
        let (ca, cb) = (&ca[..SEGMENT_SIZE], &cb[..SEGMENT_SIZE]);
        let equal =
            xor(ca, cb).iter().zip(xor(&pa[..SEGMENT_SIZE], &pb[..SEGMENT_SIZE])).filter(|(x, y)| **x == *y).count();
        assert!(
            equal < SEGMENT_SIZE / 64,
            "uploads {a} and {b} of part 1: {equal} of {SEGMENT_SIZE} bytes of the ciphertext XOR equal the plaintext XOR (a reused key stream)"
        );
    }
}

// ------------------------------------------------------------------------------------------------
// The object's shape.
// ------------------------------------------------------------------------------------------------

fn pointer<'a>(v: &'a mut serde_json::Value, at: &str) -> &'a mut serde_json::Value {
    v.pointer_mut(at).unwrap_or_else(|| panic!("{at} missing"))
}

fn sub(v: &mut serde_json::Value, by: u64) {
    *v = serde_json::Value::from(v.as_u64().unwrap() - by);
}

/// How a read is made, for the failure messages.
#[derive(Debug, Clone, Copy)]
enum Read {
    Whole,
    Range,
    Head,
    Part(u32),
    CopySource,
}

fn read_request(name: &str, key: &CustomerKey, read: Read) -> Outgoing {
    match read {
        Read::Whole => with_key(Outgoing::new("GET", Some(BUCKET), Some(name)), key),
        Read::Range => {
            let mut r = with_key(Outgoing::new("GET", Some(BUCKET), Some(name)), key);
            r.headers.push(("range".into(), "bytes=0-99".into()));
            r
        }
        Read::Head => with_key(Outgoing::new("HEAD", Some(BUCKET), Some(name)), key),
        Read::Part(n) => {
            let mut r = with_key(Outgoing::new("GET", Some(BUCKET), Some(name)), key);
            r.query.push(("partNumber".into(), n.to_string()));
            r
        }
        Read::CopySource => {
            let copy = with_key(Outgoing::new("PUT", Some(BUCKET), Some(&format!("copy-of-{name}"))), key);
            with_copy_source(copy, BUCKET, name, key)
        }
    }
}

const READS: [Read; 6] = [Read::Whole, Read::Range, Read::Head, Read::Part(1), Read::Part(2), Read::CopySource];

/// Swapping two parts, dropping one, truncating the last segment or changing a recorded size (each
/// made consistent enough to load) turns every read of the object into 500 InternalError; the
/// untouched control object still reads back byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_of_a_reshaped_object_is_a_500() {
    let disk = Disk::start().await;
    let key = CustomerKey::random();
    let (p1, p2) = (random_bytes(MIN_PART), random_bytes(300 * 1024));
    let edits = ["intact", "swapped", "dropped", "truncated", "resized"];
    for name in edits {
        disk.put_multipart(name, &key, &[&p1, &p2]).await;
    }
    let disk = {
        disk.edit_version("swapped", |v| {
            pointer(v, "/meta/parts").as_array_mut().unwrap().swap(0, 1);
            pointer(v, "/data_files").as_array_mut().unwrap().swap(0, 1);
        });
        disk.edit_version("dropped", |v| {
            pointer(v, "/meta/parts").as_array_mut().unwrap().pop();
            pointer(v, "/data_files").as_array_mut().unwrap().pop();
            sub(pointer(v, "/meta/size"), p2.len() as u64);
        });
        let last = disk.data_files("truncated").pop().unwrap();
        let len = std::fs::metadata(&last).unwrap().len();
        std::fs::OpenOptions::new().write(true).open(&last).unwrap().set_len(len - 100).unwrap();
        disk.edit_version("resized", |v| {
            sub(pointer(v, "/meta/parts/1/size"), 1000);
            sub(pointer(v, "/meta/size"), 1000);
        });
        disk.restart().await
    };

    let whole = [p1.as_slice(), p2.as_slice()].concat();
    let r = disk.ok(&read_request("intact", &key, Read::Whole)).await;
    assert!(r.body == whole, "the control object reads back ({} of {} bytes)", r.body.len(), whole.len());
    let mut wrong = Vec::new();
    for name in &edits[1..] {
        for read in READS {
            let r = disk.send(&read_request(name, &key, read)).await;
            let code = element(&r.body, "Code");
            let expected_code = if matches!(read, Read::Head) { None } else { Some("InternalError") };
            if (r.status, code) != (500, expected_code) {
                wrong.push(format!("{name} {read:?}: {} {code:?} ({} body bytes)", r.status, r.body.len()));
            }
        }
    }
    assert!(wrong.is_empty(), "reads of reshaped objects that were not 500 InternalError:\n{}", wrong.join("\n"));
}

// ------------------------------------------------------------------------------------------------
// Streaming with per-segment authentication.
// ------------------------------------------------------------------------------------------------

/// Flips one byte of stored segment `index` of a single-part SSE-C object.
fn flip(file: &Path, index: usize) {
    let mut bytes = std::fs::read(file).unwrap();
    bytes[index * (SEGMENT_SIZE + TAG_LEN) + 10] ^= 0x40;
    std::fs::write(file, bytes).unwrap();
}

/// Reads a GET as a client streaming the body would: the status, the bytes received, and whether
/// the body ended in an error.
async fn stream_get(disk: &Disk, req: &Outgoing) -> (u16, Vec<u8>, Option<String>) {
    let prepared = disk.client.prepare(req).unwrap();
    let mut builder = reqwest::Client::builder().use_rustls_tls().timeout(Duration::from_secs(30));
    for cert in reqwest::Certificate::from_pem_bundle(disk.server.ca_pem().as_bytes()).unwrap() {
        builder = builder.add_root_certificate(cert);
    }
    let request = reqwest::Request::try_from(prepared.map(reqwest::Body::from)).unwrap();
    let mut resp = builder.build().unwrap().execute(request).await.unwrap();
    let status = resp.status().as_u16();
    let mut received = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => return (status, received, None),
            Err(e) => return (status, received, Some(format!("{e:?}"))),
        }
    }
}

/// A segment altered in the middle of an object: the response starts (the first segment is
/// authentic), delivers at most the authentic segments before the altered one, and then breaks, for
/// reqwest and for the AWS SDK; an altered first segment, or a range starting in the altered
/// segment, is a 500 before any byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_segment_breaks_the_transfer_before_any_of_its_bytes() {
    let disk = Disk::start().await;
    let key = CustomerKey::random();
    let plain = random_bytes(4 * SEGMENT_SIZE + 17);
    disk.put("middle", &key, &plain).await;
    disk.put("first", &key, &plain).await;
    flip(&disk.data_files("middle")[0], 2);
    flip(&disk.data_files("first")[0], 0);

    let get = with_key(Outgoing::new("GET", Some(BUCKET), Some("middle")), &key);
    let (status, received, error) = stream_get(&disk, &get).await;
    assert_eq!(status, 200, "the first segment is authentic, so the response starts");
    assert!(error.is_some(), "the body must end in an error, got {} complete bytes", received.len());
    // The abort may reset the connection before the client has read all it was sent (a reset
    // discards what the peer had not read yet), so fewer bytes may arrive, never more.
    assert!(
        received.len() <= 2 * SEGMENT_SIZE,
        "{} bytes received: more than the two authentic segments before the altered one",
        received.len()
    );
    assert!(received == plain[..received.len()], "the bytes received are the plaintext");

    let out = sdk_client(&disk.server)
        .get_object()
        .bucket(BUCKET)
        .key("middle")
        .sse_customer_algorithm(AES256)
        .sse_customer_key(key.to_base64().as_str())
        .sse_customer_key_md5(key.md5_b64())
        .send()
        .await
        .expect("the SDK's GET starts");
    let collected = out.body.collect().await;
    assert!(
        collected.is_err(),
        "the SDK must see a broken body, not {} bytes",
        collected.map(|b| b.into_bytes().len()).unwrap_or(0)
    );

    let mut in_altered = get.clone();
    in_altered.headers.push(("range".into(), format!("bytes={}-", 2 * SEGMENT_SIZE + 5)));
    for (what, req) in [
        ("first segment altered", with_key(Outgoing::new("GET", Some(BUCKET), Some("first")), &key)),
        ("range from the altered segment", in_altered),
    ] {
        let r = disk.send(&req).await;
        assert_eq!((r.status, element(&r.body, "Code")), (500, Some("InternalError")), "{what}");
    }
}

// ------------------------------------------------------------------------------------------------
// Checksums at rest.
// ------------------------------------------------------------------------------------------------

/// A single PUT (default CRC64NVME) and a multipart upload (CRC32, composite): no checksum of either
/// plaintext, nor its base64 text, is written anywhere in the data directory, and both are answered
/// with the key after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_c_checksums_are_sealed_on_disk() {
    use ssec_conform::server::checksum::{Algorithm, Kind, ObjectChecksum};
    let disk = Disk::start().await;
    let key = CustomerKey::random();
    let single = random_bytes(70_000);
    disk.put("single", &key, &single).await;
    let part = random_bytes(4_000);
    let mut create = with_key(Outgoing::new("POST", Some(BUCKET), Some("multi")), &key);
    create.query.push(("uploads".into(), String::new()));
    create.headers.push(("x-amz-checksum-algorithm".into(), "CRC32".into()));
    let upload_id = element(&disk.ok(&create).await.body, "UploadId").expect("UploadId").to_owned();
    let etag = disk.upload_part("multi", &key, &upload_id, 1, &part).await;
    let mut complete = with_key(Outgoing::new("POST", Some(BUCKET), Some("multi")), &key);
    complete.query.push(("uploadId".into(), upload_id));
    complete.body = Bytes::from(format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
    ));
    disk.ok(&complete).await;
    let composite =
        ObjectChecksum::of_parts(Algorithm::Crc32, Kind::Composite, &[(Algorithm::Crc32.compute(&part), 4_000)])
            .unwrap()
            .value;
    let mut secrets: Vec<String> = Algorithm::ALL.iter().map(|a| a.compute(&single)).collect();
    secrets.extend(Algorithm::ALL.iter().map(|a| a.compute(&part)));
    secrets.push(composite.clone());
    let mut files = Vec::new();
    collect_files(&disk.data(), &mut files);
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        for secret in &secrets {
            let raw =
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, secret.split('-').next().unwrap())
                    .unwrap();
            assert!(!contains(&bytes, secret.as_bytes()), "{} holds the checksum {secret}", file.display());
            assert!(!contains(&bytes, hex::encode(&raw).as_bytes()), "{} holds a checksum in hex", file.display());
        }
    }
    let disk = disk.restart().await;
    for (name, header, want) in [
        ("single", "x-amz-checksum-crc64nvme", Algorithm::Crc64Nvme.compute(&single)),
        ("multi", "x-amz-checksum-crc32", composite),
    ] {
        let mut head = with_key(Outgoing::new("HEAD", Some(BUCKET), Some(name)), &key);
        head.headers.push(("x-amz-checksum-mode".into(), "ENABLED".into()));
        let r = disk.ok(&head).await;
        assert_eq!(r.header(header), Some(want.as_str()), "{name}: the sealed checksum opens with the key");
    }
    disk.server.shutdown().await;
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { collect_files(&path, out) } else { out.push(path) }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
