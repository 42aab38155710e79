//! The model `server_ops` checks every reply against: each object's versions, what each holds under
//! which key, the bucket's versioning state, and which multipart uploads are open with which parts.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE as B64_URL};
use bytes::Bytes;
use memchr::memmem::Finder;

use super::{Endpoint, ObjPick, Op, RangePick, SentTriple, SsePick};
use crate::client::Outgoing;
use crate::fuzzing::{Reply, WriteVerdict, contains, fuzz_keys, pattern};
use crate::server::store::NULL_VERSION;
use crate::sse_c::TripleKind;

#[derive(Debug, Clone)]
struct StoredModel {
    key: Option<[u8; 32]>,
    data: Arc<Vec<u8>>,
}

/// One version of an object: its id (`null` for the one written outside versioning) and what it
/// holds (`None`: a delete marker).
#[derive(Debug, Clone)]
struct VersionModel {
    id: String,
    stored: Option<StoredModel>,
}

/// The bucket's versioning state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Versioning {
    Unversioned,
    Enabled,
    Suspended,
}

#[derive(Debug, Clone)]
struct UploadModel {
    obj: ObjPick,
    id: String,
    key: Option<[u8; 32]>,
    parts: BTreeMap<u32, Arc<Vec<u8>>>,
}

/// One case in progress: the endpoint, and what the model says it holds.
pub(super) struct Run<'a> {
    endpoint: &'a dyn Endpoint,
    bucket: String,
    /// Each object's versions, oldest first; the last is the current one.
    objects: [Vec<VersionModel>; 3],
    versioning: Versioning,
    uploads: Vec<UploadModel>,
    secrets: Vec<[u8; 32]>,
    /// What a leak of each secret looks like, searched for in every reply.
    leaks: Vec<Arc<Finder<'static>>>,
    /// The operations, and how many have started (the log a failure prints).
    ops: &'a [Op],
    started: usize,
}

impl<'a> Run<'a> {
    /// Creates `bucket`, runs `ops` and, with `cleanup`, empties and deletes the bucket, checking
    /// every reply; panics with the operations so far on the first wrong one.
    pub(super) fn execute(endpoint: &'a dyn Endpoint, bucket: String, ops: &'a [Op], cleanup: bool) {
        let mut run = Run {
            endpoint,
            bucket,
            objects: [Vec::new(), Vec::new(), Vec::new()],
            versioning: Versioning::Unversioned,
            uploads: Vec::new(),
            secrets: Vec::new(),
            leaks: Vec::new(),
            ops,
            started: 0,
        };
        for key in fuzz_keys() {
            run.track_secret(key);
        }
        let created = run.send(&Outgoing::new("PUT", Some(&run.bucket), None));
        run.check(created.status == 200, || format!("CreateBucket: {}", created.summary()));
        for op in ops {
            run.op(op);
        }
        if cleanup {
            run.cleanup();
        }
    }

    fn fail(&self, msg: &str) -> ! {
        let log: Vec<String> =
            self.ops[..self.started].iter().enumerate().map(|(i, op)| format!("#{i} {op:?}")).collect();
        panic!("server_ops: {msg}\n  bucket {}\n  ops so far:\n    {}", self.bucket, log.join("\n    "));
    }

    fn check(&self, ok: bool, msg: impl FnOnce() -> String) {
        if !ok {
            self.fail(&msg());
        }
    }

    fn send(&self, req: &Outgoing) -> Reply {
        let reply = self.endpoint.send(req);
        if reply.status == 0 {
            self.fail(&format!("{} {:?}: no response: {}", req.method, req.key, reply.summary()));
        }
        self.check(reply.status < 500, || format!("{} {:?}: server error {}", req.method, req.key, reply.summary()));
        let leaks = |v: &[u8]| self.leaks.iter().any(|f| f.find(v).is_some());
        for (name, value) in &reply.headers {
            self.check(!leaks(value.as_bytes()), || {
                format!("{} {:?}: header {name} carries a customer key", req.method, req.key)
            });
        }
        self.check(!leaks(reply.bytes()), || {
            format!("{} {:?}: the response body carries a customer key", req.method, req.key)
        });
        reply
    }

    fn req(&self, method: &str, obj: ObjPick) -> Outgoing {
        Outgoing::new(method, Some(&self.bucket), Some(obj.name()))
    }

    fn track(&mut self, sent: &SentTriple) {
        for k in &sent.secrets {
            self.track_secret(*k);
        }
    }

    /// Searches every reply from now on for `key`: in base64, in URL-safe base64 and, for the
    /// fixed keys, as raw bytes (libFuzzer sees the bytes a search compares and could copy
    /// response text into a fuzzed key, which the key's base64 form does not allow).
    fn track_secret(&mut self, key: [u8; 32]) {
        if self.secrets.contains(&key) {
            return;
        }
        self.secrets.push(key);
        match fixed_key_finders().iter().find(|(fixed, _)| *fixed == key) {
            Some((_, finders)) => self.leaks.extend(finders.iter().cloned()),
            None => self.leaks.extend(encoded_forms(&key).iter().map(|f| Arc::new(Finder::new(f).into_owned()))),
        }
    }

    /// A read (GET or HEAD) that must not succeed: no 2xx, and no plaintext in the body.
    fn refused(&self, what: &str, reply: &Reply, stored: &StoredModel) {
        self.check(!reply.is_success(), || format!("{what}: a wrong or missing key got {}", reply.summary()));
        let probe = &stored.data[..stored.data.len().min(32)];
        self.check(probe.len() < 8 || !contains(reply.bytes(), probe), || format!("{what}: plaintext in a refusal"));
    }

    fn upload(&self, pick: u8) -> Option<usize> {
        (!self.uploads.is_empty()).then(|| usize::from(pick) % self.uploads.len())
    }

    /// What a read of `obj` without a version id finds: its current version, unless that is a
    /// delete marker.
    fn current(&self, obj: ObjPick) -> Option<&StoredModel> {
        self.objects[obj.index()].last().and_then(|v| v.stored.as_ref())
    }

    /// The version `pick` names (modulo the object's versions), if it has any.
    fn version(&self, obj: ObjPick, pick: u8) -> Option<&VersionModel> {
        let versions = &self.objects[obj.index()];
        (!versions.is_empty()).then(|| &versions[usize::from(pick) % versions.len()])
    }

    /// Records a successful write of `obj` (`None`: a DeleteObject without a version id) the way the
    /// bucket's versioning state makes it: it replaces the object, replaces the null version, or
    /// becomes a new version with the id the reply names.
    fn record(&mut self, obj: ObjPick, stored: Option<StoredModel>, reply: &Reply) {
        let id = match self.versioning {
            Versioning::Enabled => {
                let id = reply.header("x-amz-version-id").unwrap_or_default().to_owned();
                self.check(!id.is_empty() && id != NULL_VERSION, || {
                    format!("a write with versioning enabled named version {id:?}: {}", reply.summary())
                });
                id
            }
            Versioning::Unversioned | Versioning::Suspended => NULL_VERSION.to_owned(),
        };
        let versions = &mut self.objects[obj.index()];
        if self.versioning == Versioning::Unversioned {
            versions.clear();
            if let Some(stored) = stored {
                versions.push(VersionModel { id, stored: Some(stored) });
            }
            return;
        }
        if self.versioning == Versioning::Suspended {
            versions.retain(|v| v.id != NULL_VERSION);
        }
        versions.push(VersionModel { id, stored });
    }

    /// `req` for `obj`, naming the version `pick` chooses; `None` when the object has no version
    /// to name.
    fn versioned_req(&self, method: &str, obj: ObjPick, pick: Option<u8>) -> Option<(Outgoing, Option<VersionModel>)> {
        let mut req = self.req(method, obj);
        let Some(pick) = pick else { return Some((req, None)) };
        let version = self.version(obj, pick)?.clone();
        req.query.push(("versionId".into(), version.id.clone()));
        Some((req, Some(version)))
    }

    fn op(&mut self, op: &Op) {
        self.started += 1;
        match op {
            Op::Put { obj, size, seed, sse } => self.put(*obj, size.bytes(self.endpoint.segment_size()), *seed, sse),
            Op::Get { obj, sse, range, version } => self.get(*obj, sse, *range, *version),
            Op::Head { obj, sse, version } => self.head(*obj, sse, *version),
            Op::Copy { src, dst, source_sse, dest_sse, replace } => {
                self.copy(*src, *dst, source_sse, dest_sse, *replace);
            }
            Op::CreateUpload { obj, sse } => self.create_upload(*obj, sse),
            Op::UploadPart { upload, part, size, seed, sse } => {
                let size = size.bytes(self.endpoint.segment_size());
                self.upload_part(*upload, u32::from(part % 3) + 1, size, *seed, sse);
            }
            Op::UploadPartCopy { upload, part, src, source_sse, dest_sse, range } => {
                self.upload_part_copy(*upload, u32::from(part % 3) + 1, *src, source_sse, dest_sse, *range);
            }
            Op::Complete { upload, parts, sse } => self.complete(*upload, parts, sse),
            Op::Abort { upload } => self.abort(*upload),
            Op::Delete { obj, version } => self.delete(*obj, *version),
            Op::Versioning { enabled } => self.set_versioning(*enabled),
        }
    }

    fn delete(&mut self, obj: ObjPick, version: Option<u8>) {
        let Some((req, named)) = self.versioned_req("DELETE", obj, version) else { return };
        let reply = self.send(&req);
        self.check(reply.status == 204, || format!("DeleteObject: {}", reply.summary()));
        match named {
            Some(v) => self.objects[obj.index()].retain(|o| o.id != v.id),
            None => {
                if self.versioning == Versioning::Enabled {
                    self.check(reply.header("x-amz-delete-marker") == Some("true"), || {
                        format!("DeleteObject with versioning enabled made no delete marker: {}", reply.summary())
                    });
                }
                self.record(obj, None, &reply);
            }
        }
    }

    fn set_versioning(&mut self, enabled: bool) {
        let status = if enabled { "Enabled" } else { "Suspended" };
        let mut req = Outgoing::new("PUT", Some(&self.bucket), None);
        req.query.push(("versioning".into(), String::new()));
        req.body = Bytes::from(format!("<VersioningConfiguration><Status>{status}</Status></VersioningConfiguration>"));
        let reply = self.send(&req);
        self.check(reply.status == 200, || format!("PutBucketVersioning {status}: {}", reply.summary()));
        self.versioning = if enabled { Versioning::Enabled } else { Versioning::Suspended };
    }

    fn put(&mut self, obj: ObjPick, size: usize, seed: u8, sse: &SsePick) {
        let sent = sse.render(TripleKind::Request, true);
        self.track(&sent);
        let data = Arc::new(pattern(u64::from(seed) << 32 | size as u64, size));
        let mut req = self.req("PUT", obj);
        req.headers.clone_from(&sent.headers);
        req.body = Bytes::from(data.to_vec());
        let reply = self.send(&req);
        match sent.write_verdict() {
            WriteVerdict::Invalid(f) => {
                self.check(reply.status == f.answer().0, || format!("PutObject with {f:?} got {}", reply.summary()));
            }
            v => {
                self.check(reply.status == 200, || format!("a valid PutObject got {}", reply.summary()));
                let key = if let WriteVerdict::Valid(k) = v { Some(k) } else { None };
                self.record(obj, Some(StoredModel { key, data }), &reply);
            }
        }
    }

    /// What a read finds: the version it names (a delete marker answers 405), or the current one
    /// (none answers 404). `None` when the reply was that refusal and has been checked.
    fn read_target(&self, what: &str, named: Option<VersionModel>, obj: ObjPick, reply: &Reply) -> Option<StoredModel> {
        match named {
            Some(VersionModel { stored: Some(stored), .. }) => Some(stored),
            Some(VersionModel { stored: None, id }) => {
                self.check(reply.status == 405, || format!("{what} of delete marker {id}: {}", reply.summary()));
                None
            }
            None => {
                let current = self.current(obj).cloned();
                if current.is_none() {
                    self.check(reply.status == 404, || format!("{what} of a missing object: {}", reply.summary()));
                }
                current
            }
        }
    }

    fn get(&self, obj: ObjPick, sse: &SsePick, range: Option<RangePick>, version: Option<u8>) {
        let sent = sse.render(TripleKind::Request, false);
        let Some((mut req, named)) = self.versioned_req("GET", obj, version) else { return };
        req.headers.clone_from(&sent.headers);
        if let Some(r) = range {
            req.headers.push(("range".into(), r.header(self.endpoint.segment_size())));
        }
        let reply = self.send(&req);
        let Some(stored) = &self.read_target("GetObject", named, obj, &reply) else { return };
        if !sent.opens(stored.key.as_ref()) {
            self.refused("GetObject", &reply, stored);
            return;
        }
        self.check(reply.body.is_ok(), || format!("GetObject with the right key: body failed: {}", reply.summary()));
        let body = reply.bytes();
        match reply.status {
            200 => self.check(body == stored.data.as_slice(), || {
                format!("GetObject returned {} bytes that differ from the {} stored", body.len(), stored.data.len())
            }),
            206 => {
                let cr = reply.header("content-range").unwrap_or_default().to_owned();
                let parsed = cr.strip_prefix("bytes ").and_then(|r| r.split_once('/')).and_then(|(span, total)| {
                    let (a, b) = span.split_once('-')?;
                    Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?, total.parse::<usize>().ok()?))
                });
                let Some((a, b, total)) = parsed else { self.fail(&format!("206 with Content-Range {cr:?}")) };
                self.check(total == stored.data.len() && a <= b && b < total, || format!("bad Content-Range {cr}"));
                self.check(body == &stored.data[a..=b], || format!("ranged GetObject ({cr}) returned wrong bytes"));
            }
            416 => self.check(range.is_some(), || "416 without a Range".into()),
            _ => self.fail(&format!("GetObject with the right key got {}", reply.summary())),
        }
    }

    fn head(&self, obj: ObjPick, sse: &SsePick, version: Option<u8>) {
        let sent = sse.render(TripleKind::Request, false);
        let Some((mut req, named)) = self.versioned_req("HEAD", obj, version) else { return };
        req.headers.clone_from(&sent.headers);
        let reply = self.send(&req);
        self.check(reply.bytes().is_empty(), || "HeadObject with a body".into());
        let Some(stored) = &self.read_target("HeadObject", named, obj, &reply) else { return };
        if sent.opens(stored.key.as_ref()) {
            self.check(reply.status == 200, || format!("HeadObject with the right key got {}", reply.summary()));
            let len = reply.header("content-length").and_then(|v| v.parse::<usize>().ok());
            self.check(len == Some(stored.data.len()), || format!("HeadObject Content-Length {len:?}"));
        } else {
            self.refused("HeadObject", &reply, stored);
        }
    }

    fn copy_source_header(&self, src: ObjPick) -> (String, String) {
        ("x-amz-copy-source".into(), format!("/{}/{}", self.bucket, crate::client::encode_path(src.name())))
    }

    fn copy(&mut self, src: ObjPick, dst: ObjPick, source_sse: &SsePick, dest_sse: &SsePick, replace: bool) {
        let source = source_sse.render(TripleKind::CopySource, false);
        let dest = dest_sse.render(TripleKind::Request, true);
        self.track(&source);
        self.track(&dest);
        let mut req = self.req("PUT", dst);
        req.headers.push(self.copy_source_header(src));
        req.headers.extend(source.headers.iter().cloned());
        req.headers.extend(dest.headers.iter().cloned());
        if replace {
            req.headers.push(("x-amz-metadata-directive".into(), "REPLACE".into()));
        }
        let reply = self.send(&req);
        let Some(stored) = self.current(src).cloned() else {
            self.check(reply.status == 404, || format!("CopyObject from a missing source: {}", reply.summary()));
            return;
        };
        let source_ok = source.opens(stored.key.as_ref());
        let dest_verdict = dest.write_verdict();
        let dest_ok = !matches!(dest_verdict, WriteVerdict::Invalid(_));
        if !source_ok || !dest_ok {
            self.check(!reply.is_success(), || {
                format!("CopyObject (source ok: {source_ok}, destination ok: {dest_ok}) got {}", reply.summary())
            });
            let probe = &stored.data[..stored.data.len().min(32)];
            self.check(probe.len() < 8 || !contains(reply.bytes(), probe), || "plaintext in a refusal".into());
            return;
        }
        // A plain self-copy without a change is illegal (400); everything else must work.
        let illegal_self_copy = src == dst && stored.key.is_none() && dest_verdict == WriteVerdict::Absent && !replace;
        if illegal_self_copy {
            self.check(reply.status == 400, || format!("an illegal self-copy got {}", reply.summary()));
            return;
        }
        self.check(reply.status == 200, || format!("a valid CopyObject got {}", reply.summary()));
        let key = if let WriteVerdict::Valid(k) = dest_verdict { Some(k) } else { None };
        self.record(dst, Some(StoredModel { key, data: stored.data }), &reply);
    }

    fn create_upload(&mut self, obj: ObjPick, sse: &SsePick) {
        let sent = sse.render(TripleKind::Request, true);
        self.track(&sent);
        let mut req = self.req("POST", obj);
        req.query.push(("uploads".into(), String::new()));
        req.headers.clone_from(&sent.headers);
        let reply = self.send(&req);
        let key = match sent.write_verdict() {
            WriteVerdict::Invalid(f) => {
                self.check(reply.status == f.answer().0, || {
                    format!("CreateMultipartUpload with {f:?}: {}", reply.summary())
                });
                return;
            }
            WriteVerdict::Valid(k) => Some(k),
            WriteVerdict::Absent => None,
        };
        self.check(reply.status == 200, || format!("a valid CreateMultipartUpload got {}", reply.summary()));
        let text = String::from_utf8_lossy(reply.bytes()).into_owned();
        let id = crate::client::xml::element(&text, "UploadId").unwrap_or_default();
        self.check(!id.is_empty(), || "CreateMultipartUpload without an UploadId".into());
        self.uploads.push(UploadModel { obj, id: id.to_owned(), key, parts: BTreeMap::new() });
    }

    /// Whether a part's triple matches the upload's key (M3–M6).
    fn part_ok(upload: &UploadModel, sent: &SentTriple) -> bool {
        match (upload.key, sent.write_verdict()) {
            (None, WriteVerdict::Absent) => true,
            (Some(k), WriteVerdict::Valid(p)) => k == p,
            _ => false,
        }
    }

    fn part_request(&self, u: &UploadModel, part: u32) -> Outgoing {
        let mut req = self.req("PUT", u.obj);
        req.query = vec![("partNumber".into(), part.to_string()), ("uploadId".into(), u.id.clone())];
        req
    }

    fn upload_part(&mut self, upload: u8, part: u32, size: usize, seed: u8, sse: &SsePick) {
        let Some(ui) = self.upload(upload) else { return };
        // `x-amz-server-side-encryption` is not an UploadPart header.
        let sent = sse.render(TripleKind::Request, false);
        self.track(&sent);
        let u = self.uploads[ui].clone();
        let data = Arc::new(pattern(u64::from(seed) << 40 | size as u64, size));
        let mut req = self.part_request(&u, part);
        req.headers.clone_from(&sent.headers);
        req.body = Bytes::from(data.to_vec());
        let reply = self.send(&req);
        let ok = Self::part_ok(&u, &sent);
        self.check(reply.is_success() == ok, || format!("UploadPart (expected ok: {ok}) got {}", reply.summary()));
        if ok {
            self.uploads[ui].parts.insert(part, data);
        }
    }

    fn upload_part_copy(
        &mut self,
        upload: u8,
        part: u32,
        src: ObjPick,
        source_sse: &SsePick,
        dest_sse: &SsePick,
        range: Option<(u32, u32)>,
    ) {
        let Some(ui) = self.upload(upload) else { return };
        let source = source_sse.render(TripleKind::CopySource, false);
        let dest = dest_sse.render(TripleKind::Request, false);
        self.track(&source);
        self.track(&dest);
        let u = self.uploads[ui].clone();
        let mut req = self.part_request(&u, part);
        req.headers.push(self.copy_source_header(src));
        req.headers.extend(source.headers.iter().cloned());
        req.headers.extend(dest.headers.iter().cloned());
        let stored = self.current(src).cloned();
        let size = stored.as_ref().map_or(0, |s| s.data.len());
        let span = range.map(|(a, b)| {
            let m = |n: u32| n as usize % (size + 2);
            (m(a).min(m(b)), m(a).max(m(b)))
        });
        if let Some((a, b)) = span {
            req.headers.push(("x-amz-copy-source-range".into(), format!("bytes={a}-{b}")));
        }
        let reply = self.send(&req);
        let Some(stored) = stored else {
            self.check(!reply.is_success(), || format!("UploadPartCopy from a missing source: {}", reply.summary()));
            return;
        };
        let source_ok = source.opens(stored.key.as_ref());
        let dest_ok = Self::part_ok(&u, &dest);
        let range_ok = span.is_none_or(|(_, b)| b < size);
        let ok = source_ok && dest_ok && range_ok;
        self.check(reply.is_success() == ok, || {
            format!(
                "UploadPartCopy (source ok: {source_ok}, destination ok: {dest_ok}, range ok: {range_ok}) got {}",
                reply.summary()
            )
        });
        if !source_ok {
            let probe = &stored.data[..stored.data.len().min(32)];
            self.check(probe.len() < 8 || !contains(reply.bytes(), probe), || "plaintext in a refusal".into());
        }
        if ok {
            let data = match span {
                Some((a, b)) => stored.data[a..=b].to_vec(),
                None => stored.data.to_vec(),
            };
            self.uploads[ui].parts.insert(part, Arc::new(data));
        }
    }

    fn complete(&mut self, upload: u8, parts: &[u8], sse: &SsePick) {
        let Some(ui) = self.upload(upload) else { return };
        let sent = sse.render(TripleKind::Request, false);
        self.track(&sent);
        let u = self.uploads[ui].clone();
        let numbers: Vec<u32> = parts.iter().take(4).map(|p| u32::from(p % 3) + 1).collect();
        let mut xml = String::from("<CompleteMultipartUpload>");
        for n in &numbers {
            xml.push_str(&format!("<Part><PartNumber>{n}</PartNumber></Part>"));
        }
        xml.push_str("</CompleteMultipartUpload>");
        let mut req = self.req("POST", u.obj);
        req.query.push(("uploadId".into(), u.id.clone()));
        req.headers.clone_from(&sent.headers);
        req.body = Bytes::from(xml);
        let reply = self.send(&req);
        let ascending = numbers.windows(2).all(|w| w[0] < w[1]);
        let present = numbers.iter().all(|n| u.parts.contains_key(n));
        let min = self.endpoint.min_part_size();
        let sizes_ok = numbers.iter().rev().skip(1).all(|n| u.parts.get(n).is_some_and(|p| p.len() as u64 >= min));
        let triple_ok = sent.is_absent() || Self::part_ok(&u, &sent);
        let ok = !numbers.is_empty() && ascending && present && sizes_ok && triple_ok;
        self.check(reply.is_success() == ok, || {
            format!(
                "CompleteMultipartUpload {numbers:?} (have {:?}, triple ok: {triple_ok}) got {}",
                u.parts.keys().collect::<Vec<_>>(),
                reply.summary()
            )
        });
        if ok {
            let data: Vec<u8> = numbers.iter().flat_map(|n| u.parts[n].iter().copied()).collect();
            self.record(u.obj, Some(StoredModel { key: u.key, data: Arc::new(data) }), &reply);
            self.uploads.remove(ui);
        }
    }

    fn abort(&mut self, upload: u8) {
        let Some(ui) = self.upload(upload) else { return };
        let u = self.uploads.remove(ui);
        let mut req = self.req("DELETE", u.obj);
        req.query.push(("uploadId".into(), u.id));
        let reply = self.send(&req);
        self.check(reply.status == 204, || format!("AbortMultipartUpload got {}", reply.summary()));
    }

    fn cleanup(&mut self) {
        for u in std::mem::take(&mut self.uploads) {
            let mut req = self.req("DELETE", u.obj);
            req.query.push(("uploadId".into(), u.id));
            let reply = self.send(&req);
            self.check(reply.status == 204, || format!("cleanup: AbortMultipartUpload got {}", reply.summary()));
        }
        for obj in ObjPick::ALL {
            let versions: Vec<String> = match self.versioning {
                Versioning::Unversioned => Vec::new(),
                _ => self.objects[obj.index()].iter().map(|v| v.id.clone()).collect(),
            };
            let mut requests: Vec<Outgoing> = versions
                .into_iter()
                .map(|id| {
                    let mut req = self.req("DELETE", obj);
                    req.query.push(("versionId".into(), id));
                    req
                })
                .collect();
            if self.versioning == Versioning::Unversioned {
                requests.push(self.req("DELETE", obj));
            }
            for req in requests {
                let reply = self.send(&req);
                self.check(reply.status == 204, || format!("cleanup: DeleteObject got {}", reply.summary()));
            }
        }
        let reply = self.send(&Outgoing::new("DELETE", Some(&self.bucket), None));
        self.check(reply.status == 204, || format!("cleanup: DeleteBucket got {}", reply.summary()));
    }
}

/// A key's base64 and URL-safe base64 forms.
fn encoded_forms(key: &[u8; 32]) -> [Vec<u8>; 2] {
    [B64.encode(key).into_bytes(), B64_URL.encode(key).into_bytes()]
}

/// A key and the finders of its leaked forms.
type KeyFinders = ([u8; 32], Vec<Arc<Finder<'static>>>);

/// The leak finders of each fixed key (its encoded forms and its raw bytes), built once per process.
fn fixed_key_finders() -> &'static [KeyFinders] {
    static FINDERS: OnceLock<Vec<KeyFinders>> = OnceLock::new();
    FINDERS.get_or_init(|| {
        fuzz_keys()
            .into_iter()
            .map(|key| {
                let [b64, url] = encoded_forms(&key);
                let forms = [b64, url, key.to_vec()];
                (key, forms.iter().map(|f| Arc::new(Finder::new(f).into_owned())).collect())
            })
            .collect()
    })
}
