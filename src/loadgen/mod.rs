//! Load mode: concurrent clients driving mixed SSE-C operations, verifying every body they read.
//!
//! Each client keeps its own objects (key, customer key, plaintext) and repeatedly picks one of:
//! PUT a new object, GET it with its key (body compared), GET it with another key (must be 403),
//! a range GET (slice compared), copy it to a new key under a new customer key, and a one-part
//! multipart upload; each client keeps eight objects and deletes older ones (without a key). Anything but the expected answer is an error; a body that differs from what was
//! written is a corrupt read.

pub mod stats;

use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::Rng as _;

use self::stats::Stats;
use crate::client::{Client, Outgoing, Response};
use crate::sse_c::CustomerKey;
use crate::sse_c::headers::TripleKind;

/// A load run's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Concurrent clients.
    pub clients: usize,
    /// How long to run.
    pub duration: Duration,
    /// Object size in bytes.
    pub size: usize,
    /// The bucket to use (created by [`run`]).
    pub bucket: String,
}

struct Object {
    name: String,
    key: CustomerKey,
    body: Bytes,
}

/// The headers of `kind` carrying `key`, owned as a request holds them.
fn triple(key: &CustomerKey, kind: TripleKind) -> impl Iterator<Item = (String, String)> {
    key.headers(kind).into_iter().map(|(name, value)| (name.to_owned(), value))
}

/// One client's loop.
struct Worker {
    client: Client,
    bucket: String,
    id: usize,
    size: usize,
    objects: Vec<Object>,
    counter: u64,
    stats: Stats,
}

impl Worker {
    fn new_name(&mut self) -> String {
        self.counter += 1;
        format!("load/{}/{}", self.id, self.counter)
    }

    async fn send(&mut self, op: &'static str, req: Outgoing, expect: u16) -> Option<Response> {
        let t0 = Instant::now();
        match self.client.send(&req).await.response {
            Ok(r) if r.status == expect => {
                self.stats.ok(op, t0.elapsed());
                Some(r)
            }
            Ok(r) => {
                let code = crate::client::xml::error_body(&r.body).code.unwrap_or_default();
                self.stats.error(op, format!("status {} {code} (expected {expect})", r.status));
                None
            }
            Err(e) => {
                self.stats.error(op, e.to_string());
                None
            }
        }
    }

    /// Keeps a new object, deleting the oldest beyond eight, so the server's data stays bounded.
    async fn remember(&mut self, obj: Object) {
        if self.objects.len() >= 8 {
            let old = self.objects.remove(0);
            self.send("delete", Outgoing::new("DELETE", Some(&self.bucket), Some(&old.name)), 204).await;
        }
        self.objects.push(obj);
    }

    async fn put(&mut self) {
        let name = self.new_name();
        let key = CustomerKey::random();
        let mut body = vec![0u8; self.size];
        rand::fill(&mut body[..]);
        let body = Bytes::from(body);
        let mut req = Outgoing::new("PUT", Some(&self.bucket), Some(&name));
        req.headers.extend(triple(&key, TripleKind::Request));
        req.body = body.clone();
        if self.send("put", req, 200).await.is_some() {
            self.remember(Object { name, key, body }).await;
        }
    }

    async fn get(&mut self, i: usize) {
        let obj = &self.objects[i];
        let mut req = Outgoing::new("GET", Some(&self.bucket), Some(&obj.name));
        req.headers.extend(triple(&obj.key, TripleKind::Request));
        let (name, want) = (obj.name.clone(), obj.body.clone());
        if let Some(r) = self.send("get", req, 200).await
            && r.body != want
        {
            self.stats.corrupt("get", format!("{name}: {} bytes read, {} written", r.body.len(), want.len()));
        }
    }

    async fn get_wrong_key(&mut self, i: usize) {
        let obj = &self.objects[i];
        let mut req = Outgoing::new("GET", Some(&self.bucket), Some(&obj.name));
        req.headers.extend(triple(&CustomerKey::random(), TripleKind::Request));
        self.send("get-wrong-key", req, 403).await;
    }

    async fn range(&mut self, i: usize) {
        let obj = &self.objects[i];
        if obj.body.is_empty() {
            return;
        }
        let len = obj.body.len();
        let (a, b) = {
            let mut rng = rand::rng();
            let a = rng.random_range(0..len);
            (a, rng.random_range(a..len))
        };
        let mut req = Outgoing::new("GET", Some(&self.bucket), Some(&obj.name));
        req.headers.extend(triple(&obj.key, TripleKind::Request));
        req.headers.push(("range".into(), format!("bytes={a}-{b}")));
        let (name, want) = (obj.name.clone(), obj.body.slice(a..=b));
        if let Some(r) = self.send("range-get", req, 206).await
            && r.body != want
        {
            self.stats.corrupt("range-get", format!("{name} bytes={a}-{b}"));
        }
    }

    async fn copy(&mut self, i: usize) {
        let (src, src_key, body) =
            (self.objects[i].name.clone(), self.objects[i].key.clone(), self.objects[i].body.clone());
        let name = self.new_name();
        let key = CustomerKey::random();
        let mut req = Outgoing::new("PUT", Some(&self.bucket), Some(&name));
        req.headers
            .push(("x-amz-copy-source".into(), format!("/{}/{}", self.bucket, crate::client::encode_path(&src))));
        req.headers.extend(triple(&src_key, TripleKind::CopySource));
        req.headers.extend(triple(&key, TripleKind::Request));
        if self.send("copy", req, 200).await.is_some() {
            self.remember(Object { name, key, body }).await;
        }
    }

    async fn multipart(&mut self) {
        let name = self.new_name();
        let key = CustomerKey::random();
        let mut create = Outgoing::new("POST", Some(&self.bucket), Some(&name));
        create.query.push(("uploads".into(), String::new()));
        create.headers.extend(triple(&key, TripleKind::Request));
        let Some(r) = self.send("multipart", create, 200).await else { return };
        let text = String::from_utf8_lossy(&r.body);
        let Some(upload_id) = crate::client::xml::element(&text, "UploadId") else {
            self.stats.error("multipart", "no UploadId".into());
            return;
        };
        let mut body = vec![0u8; self.size];
        rand::fill(&mut body[..]);
        let body = Bytes::from(body);
        let mut part = Outgoing::new("PUT", Some(&self.bucket), Some(&name));
        part.query = vec![("partNumber".into(), "1".into()), ("uploadId".into(), upload_id.clone())];
        part.headers.extend(triple(&key, TripleKind::Request));
        part.body = body.clone();
        let Some(r) = self.send("multipart", part, 200).await else { return };
        let etag = r.header("etag").unwrap_or_default().to_owned();
        let mut complete = Outgoing::new("POST", Some(&self.bucket), Some(&name));
        complete.query.push(("uploadId".into(), upload_id));
        complete.body = Bytes::from(format!(
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
        ));
        if self.send("multipart", complete, 200).await.is_some() {
            self.remember(Object { name, key, body }).await;
        }
    }

    async fn step(&mut self) {
        if self.objects.is_empty() {
            return self.put().await;
        }
        let (choice, i) = {
            let mut rng = rand::rng();
            (rng.random_range(0..100u32), rng.random_range(0..self.objects.len()))
        };
        match choice {
            0..25 => self.put().await,
            25..60 => self.get(i).await,
            60..70 => self.get_wrong_key(i).await,
            70..85 => self.range(i).await,
            85..95 => self.copy(i).await,
            _ => self.multipart().await,
        }
    }
}

/// Runs the load; `sample` is called about once a second while it runs (for memory sampling).
pub async fn run(client: &Client, settings: &Settings, sample: &(dyn Fn() + Send + Sync)) -> anyhow::Result<Stats> {
    let created = client.send(&Outgoing::new("PUT", Some(&settings.bucket), None)).await.response?;
    anyhow::ensure!(
        (200..300).contains(&created.status),
        "CreateBucket {} answered {}",
        settings.bucket,
        created.status
    );
    let deadline = Instant::now() + settings.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for id in 0..settings.clients {
        let mut w = Worker {
            client: client.clone(),
            bucket: settings.bucket.clone(),
            id,
            size: settings.size,
            objects: Vec::new(),
            counter: 0,
            stats: Stats::default(),
        };
        tasks.spawn(async move {
            while Instant::now() < deadline {
                w.step().await;
            }
            w.stats
        });
    }
    let mut total = Stats::default();
    loop {
        tokio::select! {
            done = tasks.join_next() => match done {
                Some(Ok(stats)) => total.merge(stats),
                Some(Err(e)) => total.error("worker", e.to_string()),
                None => break,
            },
            () = tokio::time::sleep(Duration::from_secs(1)) => sample(),
        }
    }
    let at = crate::scenario::build::Location { bucket: settings.bucket.clone(), prefix: String::new() };
    if let Err(e) = crate::scenario::exec::cleanup(client, &at, true).await {
        total.samples.push(format!("cleanup: {e}"));
    }
    Ok(total)
}
