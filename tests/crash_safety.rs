//! `kill -9` of a standalone reference server (`ssec-conform serve --data-dir`) in the middle of
//! uploads, then a restart on the same data directory.
//!
//! After the restart every completed SSE-C object reads back byte for byte with its key (and 403
//! with another), the interrupted PUT left no object and no version, the multipart upload in
//! progress is gone (the reference server keeps uploads in memory), the `tmp/` directory is empty,
//! and no file under the data directory holds a customer key (raw, base64 or hex) or any 64-byte
//! run of any SSE-C plaintext, before or after the restart. Runs in a few seconds.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod common;

use bytes::Bytes;
use common::{ServeProcess, addr, element, signed_head, target_for, tls_connect_to, with_key};
use ssec_conform::client::{Client, Outgoing, Trust};
use ssec_conform::sse_c::CustomerKey;
use tokio::io::AsyncWriteExt as _;

const BUCKET: &str = "crash";
/// Plaintext runs at least this long must never be found on disk.
const WINDOW: usize = 64;

/// A running `ssec-conform serve` and the file its output goes to.
struct Server {
    process: ServeProcess,
    log: PathBuf,
}

impl Server {
    /// Starts the binary on fresh ports and waits until it answers; returns it and a client.
    async fn start(data: &Path, ca: &Path, log: PathBuf) -> (Self, Client) {
        let server = Self { process: ServeProcess::start(data, ca, &log), log };
        let pem = std::fs::read_to_string(ca).unwrap();
        let client = Client::new(target_for(&format!("https://{}", server.process.https), Trust::Pem(pem))).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client.send(&Outgoing::new("GET", None, None)).await.response
                && r.status == 200
            {
                return (server, client);
            }
            assert!(Instant::now() < deadline, "server never answered: {}", server.log_text());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL, no shutdown of any kind.
    fn kill_9(&mut self) {
        self.process.child.kill().unwrap();
        self.process.child.wait().unwrap();
    }
}

fn random_bytes(len: usize) -> Bytes {
    let mut v = vec![0u8; len];
    rand::fill(&mut v[..]);
    Bytes::from(v)
}

async fn ok(client: &Client, req: &Outgoing) -> ssec_conform::client::Response {
    let r = client.send(req).await.response.unwrap_or_else(|e| panic!("{} {:?}: {e}", req.method, req.key));
    assert!(
        (200..300).contains(&r.status),
        "{} {:?}: {} {}",
        req.method,
        req.key,
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    r
}

fn multipart_query(upload_id: &str, part: Option<u32>) -> Vec<(String, String)> {
    let mut q = Vec::new();
    if let Some(n) = part {
        q.push(("partNumber".into(), n.to_string()));
    }
    q.push(("uploadId".into(), upload_id.to_owned()));
    q
}

async fn create_upload(client: &Client, key: &str, ck: &CustomerKey) -> String {
    let mut create = with_key(Outgoing::new("POST", Some(BUCKET), Some(key)), ck);
    create.query.push(("uploads".into(), String::new()));
    element(&ok(client, &create).await.body, "UploadId").expect("UploadId").to_owned()
}

fn upload_part(key: &str, ck: &CustomerKey, upload_id: &str, n: u32, body: Bytes) -> Outgoing {
    let mut part = with_key(Outgoing::new("PUT", Some(BUCKET), Some(key)), ck);
    part.query = multipart_query(upload_id, Some(n));
    part.body = body;
    part
}

/// Sends a signed request over its own TLS connection, its body `chunk` bytes at a time with a
/// pause after each; counts the body bytes written into `sent`, and stops when the connection breaks.
async fn stream_slowly(
    client: Client,
    ca_pem: String,
    req: Outgoing,
    chunk: usize,
    pause: Duration,
    sent: Arc<AtomicU64>,
) {
    let (head, body) = signed_head(&client, &req, Some(req.body.len() as u64));
    let mut tls = tls_connect_to(&addr(client.target().endpoint.as_str()), &ca_pem).await;
    if tls.write_all(&head).await.is_err() {
        return;
    }
    for piece in body.chunks(chunk) {
        if tls.write_all(piece).await.is_err() || tls.flush().await.is_err() {
            return;
        }
        sent.fetch_add(piece.len() as u64, Ordering::Relaxed);
        tokio::time::sleep(pause).await;
    }
    panic!("the slow upload finished before the server was killed");
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// Finds every common run of at least [`WINDOW`] bytes between secret plaintexts and files, exactly:
/// a run of `WINDOW` bytes always contains a whole sample of `SAMPLE` bytes starting at a multiple of
/// `STRIDE` of its plaintext, and the samples are looked up at every offset of every file.
struct PlaintextIndex {
    samples: HashSet<u64>,
    filter: Vec<u64>,
    texts: Vec<Bytes>,
}

const STRIDE: usize = 32;
const SAMPLE: usize = WINDOW - STRIDE + 1;
const BASE: u64 = 0x100_0000_01b3;
const FILTER_BITS: usize = 1 << 24;

fn sample_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |h, b| h.wrapping_mul(BASE).wrapping_add(u64::from(*b) + 1))
}

impl PlaintextIndex {
    fn new(texts: Vec<Bytes>) -> Self {
        let mut samples = HashSet::new();
        let mut filter = vec![0u64; FILTER_BITS / 64];
        for t in &texts {
            for start in (0..t.len().saturating_sub(SAMPLE - 1)).step_by(STRIDE) {
                let h = sample_hash(&t[start..start + SAMPLE]);
                samples.insert(h);
                let bit = (h as usize) % FILTER_BITS;
                filter[bit / 64] |= 1 << (bit % 64);
            }
        }
        Self { samples, filter, texts }
    }

    /// The offset of a plaintext run found in `data`, if any.
    fn find_in(&self, data: &[u8]) -> Option<usize> {
        if data.len() < SAMPLE {
            return None;
        }
        let top = (0..SAMPLE - 1).fold(1u64, |p, _| p.wrapping_mul(BASE));
        let mut h = sample_hash(&data[..SAMPLE]);
        for start in 0..=data.len() - SAMPLE {
            if start > 0 {
                let out = u64::from(data[start - 1]) + 1;
                let inn = u64::from(data[start + SAMPLE - 1]) + 1;
                h = h.wrapping_sub(out.wrapping_mul(top)).wrapping_mul(BASE).wrapping_add(inn);
            }
            let bit = (h as usize) % FILTER_BITS;
            if self.filter[bit / 64] & (1 << (bit % 64)) != 0 && self.samples.contains(&h) {
                let window = &data[start..start + SAMPLE];
                if self.texts.iter().any(|t| memchr::memmem::find(t, window).is_some()) {
                    return Some(start);
                }
            }
        }
        None
    }
}

/// Asserts no file under `dir` holds a key (raw, base64, hex) or a plaintext run; returns how many
/// bytes were scanned.
fn assert_no_secrets(dir: &Path, keys: &[&CustomerKey], plaintexts: &PlaintextIndex) -> u64 {
    let mut needles: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        needles.push((format!("key {i} raw"), k.expose().to_vec()));
        needles.push((format!("key {i} base64"), k.to_base64().as_bytes().to_vec()));
        needles.push((format!("key {i} hex"), hex::encode(k.expose()).into_bytes()));
        needles.push((format!("key {i} HEX"), hex::encode_upper(k.expose()).into_bytes()));
    }
    let mut scanned = 0;
    for file in files_under(dir) {
        let data = std::fs::read(&file).unwrap();
        scanned += data.len() as u64;
        let name = file.to_string_lossy().into_owned();
        for (what, needle) in &needles {
            assert!(memchr::memmem::find(&data, needle).is_none(), "{what} found in {name}");
            assert!(memchr::memmem::find(name.as_bytes(), needle).is_none(), "{what} in the path {name}");
        }
        if let Some(at) = plaintexts.find_in(&data) {
            panic!("{WINDOW}-byte plaintext run found in {name} at offset {at}");
        }
    }
    scanned
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_upload_loses_nothing_committed_and_leaks_nothing() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let ca = root.path().join("ca.pem");
    let (mut server, client) = Server::start(&data, &ca, root.path().join("first.log")).await;
    let ca_pem = std::fs::read_to_string(&ca).unwrap();

    ok(&client, &Outgoing::new("PUT", Some(BUCKET), None)).await;
    ok(&client, &common::enable_versioning(BUCKET)).await;

    // Completed SSE-C objects: one segment, several segments, and a two-part multipart upload.
    let mut done: Vec<(String, CustomerKey, Bytes)> = Vec::new();
    for (name, size) in [("small", 1000), ("two-segments", 256 * 1024 + 1), ("five-segments", 1024 * 1024 + 17)] {
        let (key, body) = (CustomerKey::random(), random_bytes(size));
        let mut put = with_key(Outgoing::new("PUT", Some(BUCKET), Some(name)), &key);
        put.body = body.clone();
        ok(&client, &put).await;
        done.push((name.to_owned(), key, body));
    }
    let mp_key = CustomerKey::random();
    let (p1, p2) = (random_bytes(5 * 1024 * 1024), random_bytes(300 * 1024));
    let upload_id = create_upload(&client, "multipart", &mp_key).await;
    let e1 = ok(&client, &upload_part("multipart", &mp_key, &upload_id, 1, p1.clone())).await;
    let e2 = ok(&client, &upload_part("multipart", &mp_key, &upload_id, 2, p2.clone())).await;
    let mut complete = Outgoing::new("POST", Some(BUCKET), Some("multipart"));
    complete.query = multipart_query(&upload_id, None);
    complete.body = Bytes::from(format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
        e1.header("etag").unwrap(),
        e2.header("etag").unwrap()
    ));
    ok(&client, &complete).await;
    done.push(("multipart".to_owned(), mp_key, Bytes::from([p1, p2].concat())));

    // In flight at the kill: a 64 MiB PUT streamed slowly, and a multipart upload with one part
    // uploaded and its second part streaming.
    let big_key = CustomerKey::random();
    let big = random_bytes(64 * 1024 * 1024);
    let mut big_put = with_key(Outgoing::new("PUT", Some(BUCKET), Some("interrupted")), &big_key);
    big_put.body = big.clone();
    let big_sent = Arc::new(AtomicU64::new(0));
    let big_task = tokio::spawn(stream_slowly(
        client.clone(),
        ca_pem.clone(),
        big_put,
        256 * 1024,
        Duration::from_millis(20),
        Arc::clone(&big_sent),
    ));
    let open_key = CustomerKey::random();
    let open_id = create_upload(&client, "in-progress", &open_key).await;
    let open_p1 = random_bytes(256 * 1024 + 5);
    ok(&client, &upload_part("in-progress", &open_key, &open_id, 1, open_p1.clone())).await;
    let open_p2 = random_bytes(16 * 1024 * 1024);
    let p2_sent = Arc::new(AtomicU64::new(0));
    let p2_task = tokio::spawn(stream_slowly(
        client.clone(),
        ca_pem.clone(),
        upload_part("in-progress", &open_key, &open_id, 2, open_p2.clone()),
        64 * 1024,
        Duration::from_millis(20),
        Arc::clone(&p2_sent),
    ));

    // Kill once the PUT's temporary file holds several MiB of ciphertext.
    let tmp = data.join("tmp");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let largest = files_under(&tmp).iter().filter_map(|f| f.metadata().ok()).map(|m| m.len()).max().unwrap_or(0);
        if largest >= 4 * 1024 * 1024 && p2_sent.load(Ordering::Relaxed) >= 1024 * 1024 {
            break;
        }
        assert!(Instant::now() < deadline, "uploads never reached the server's tmp/: {}", server.log_text());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill_9();
    tokio::time::timeout(Duration::from_secs(10), big_task).await.expect("PUT stream ends").unwrap();
    tokio::time::timeout(Duration::from_secs(10), p2_task).await.expect("part stream ends").unwrap();
    let big_sent = usize::try_from(big_sent.load(Ordering::Relaxed)).unwrap();
    let p2_sent = usize::try_from(p2_sent.load(Ordering::Relaxed)).unwrap();
    assert!(big_sent < big.len(), "the PUT was interrupted");

    // What was sent of every SSE-C plaintext (a little more, for bytes in flight).
    let mut plaintexts: Vec<Bytes> = done.iter().map(|(_, _, b)| b.clone()).collect();
    plaintexts.push(big.slice(..(big_sent + 1024 * 1024).min(big.len())));
    plaintexts.push(open_p1);
    plaintexts.push(open_p2.slice(..(p2_sent + 1024 * 1024).min(open_p2.len())));
    let index = PlaintextIndex::new(plaintexts);
    let mut keys: Vec<&CustomerKey> = done.iter().map(|(_, k, _)| k).collect();
    keys.extend([&big_key, &open_key]);

    // The dead server's leftovers: partial ciphertext in tmp/, never a key or plaintext.
    assert!(!files_under(&tmp).is_empty(), "the interrupted uploads left temporary files");
    let scanned = assert_no_secrets(&data, &keys, &index);
    assert!(scanned >= 8 * 1024 * 1024, "scanned only {scanned} bytes");
    eprintln!("killed after {big_sent} bytes of the PUT and {p2_sent} of part 2; scanned {scanned} bytes");

    // Restart on the same directory.
    let (server, client) = Server::start(&data, &ca, root.path().join("second.log")).await;
    assert!(files_under(&tmp).is_empty(), "tmp/ was not cleaned at start: {:?}", files_under(&tmp));
    // The leftovers are the server's own: removed, not moved to quarantine.
    let quarantine = data.join("quarantine");
    assert!(!quarantine.exists(), "start-up quarantined the server's own leftovers: {:?}", files_under(&quarantine));
    let other = CustomerKey::random();
    for (name, key, body) in &done {
        let r = ok(&client, &with_key(Outgoing::new("GET", Some(BUCKET), Some(name)), key)).await;
        assert!(r.body == *body, "{name} did not read back byte-identical ({} of {} bytes)", r.body.len(), body.len());
        let r = client.send(&with_key(Outgoing::new("GET", Some(BUCKET), Some(name)), &other)).await.response.unwrap();
        assert_eq!((r.status, element(&r.body, "Code")), (403, Some("AccessDenied")), "{name} with another key");
    }

    // The interrupted PUT: no object, no version of any kind.
    let r = client
        .send(&with_key(Outgoing::new("GET", Some(BUCKET), Some("interrupted")), &big_key))
        .await
        .response
        .unwrap();
    assert_eq!((r.status, element(&r.body, "Code")), (404, Some("NoSuchKey")));
    let mut versions = Outgoing::new("GET", Some(BUCKET), None);
    versions.query.push(("versions".into(), String::new()));
    let listed = String::from_utf8_lossy(&ok(&client, &versions).await.body).into_owned();
    let mut listed_keys: Vec<&str> = listed.split("<Key>").skip(1).filter_map(|k| k.split("</Key>").next()).collect();
    listed_keys.sort_unstable();
    let mut expected: Vec<&str> = done.iter().map(|(n, _, _)| n.as_str()).collect();
    expected.sort_unstable();
    assert_eq!(listed_keys, expected, "exactly the completed objects have versions: {listed}");
    assert!(!listed.contains("<DeleteMarker>"), "{listed}");

    // The upload in progress is gone: not listed, its id unknown.
    let mut uploads = Outgoing::new("GET", Some(BUCKET), None);
    uploads.query.push(("uploads".into(), String::new()));
    let listed = String::from_utf8_lossy(&ok(&client, &uploads).await.body).into_owned();
    assert!(!listed.contains("<Upload>"), "ListMultipartUploads after restart: {listed}");
    let r = client.send(&upload_part("in-progress", &open_key, &open_id, 3, random_bytes(10))).await.response.unwrap();
    assert_eq!((r.status, element(&r.body, "Code")), (404, Some("NoSuchUpload")));

    // On disk: one data file per committed part, nothing else, no secret anywhere.
    let data_files = files_under(&data).into_iter().filter(|f| f.extension().is_some_and(|e| e == "data")).count();
    assert_eq!(data_files, 3 + 2, "data files of 3 single PUTs and one 2-part upload");
    assert_no_secrets(&data, &keys, &index);
    drop(server);
}

#[test]
fn the_plaintext_index_finds_every_run_of_the_window_length() {
    let text = random_bytes(10_000);
    let index = PlaintextIndex::new(vec![text.clone()]);
    for start in [0, 1, 31, 32, 33, 5_000, 10_000 - WINDOW] {
        let mut file = random_bytes(3_000).to_vec();
        file.extend_from_slice(&text[start..start + WINDOW]);
        file.extend_from_slice(&random_bytes(100));
        assert_eq!(index.find_in(&file).map(|at| at >= 3_000), Some(true), "run at {start}");
    }
    let mut short = random_bytes(100).to_vec();
    short.extend_from_slice(&text[77..77 + SAMPLE - 1]);
    assert_eq!(index.find_in(&short), None);
}
