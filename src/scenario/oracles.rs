//! Equality oracles: an answer that lets anyone test a guess of an SSE-C object's plaintext. An
//! ETag that is the plaintext's MD5 (or the multipart ETag of the parts' MD5s) does, wherever it
//! appears: the PUT answer, listings (V1, V2, versions), ListParts, copy and UploadPartCopy results,
//! GetObjectAttributes, CompleteMultipartUpload. So does a checksum of the plaintext (CRC32, CRC32C,
//! CRC64NVME, SHA-1, SHA-256, full-object or composite) served to a request without the key.
//!
//! The scenario's SSE-C plaintexts are remembered as they are written; every answer about an SSE-C
//! object or upload is searched for their fingerprints.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use md5::{Digest as _, Md5};

use super::build::Built;
use super::check::{Check, Violation};
use crate::client::Response;
use crate::server::checksum::{Algorithm, Kind, ObjectChecksum};

/// The SSE-C plaintexts a scenario wrote (parts by upload, until it completes) and their
/// fingerprints, computed once as each is written.
#[derive(Debug, Default)]
pub(crate) struct Plaintexts {
    parts: BTreeMap<String, BTreeMap<u32, Bytes>>,
    fingerprints: Fingerprints,
}

/// What gives a plaintext away: MD5 ETags and checksum values.
#[derive(Debug, Default, Clone)]
struct Fingerprints {
    etags: BTreeSet<String>,
    checksums: BTreeSet<String>,
}

impl Fingerprints {
    /// A completed upload of `parts`: its multipart ETag and checksums, and its whole plaintext's.
    fn add_completed(&mut self, parts: &BTreeMap<u32, Bytes>) {
        let ordered: Vec<&Bytes> = parts.values().collect();
        self.add_multipart(&ordered);
        let whole: Vec<u8> = ordered.iter().flat_map(|b| b.iter().copied()).collect();
        self.add_whole(&whole);
    }

    fn add_whole(&mut self, data: &[u8]) {
        self.etags.insert(hex::encode(Md5::digest(data)));
        for a in Algorithm::ALL {
            self.checksums.insert(a.compute(data));
        }
    }

    fn add_multipart(&mut self, parts: &[&Bytes]) {
        let mut md5s = Vec::new();
        for p in parts {
            md5s.extend_from_slice(&Md5::digest(p));
        }
        self.etags.insert(format!("{}-{}", hex::encode(Md5::digest(&md5s)), parts.len()));
        for a in Algorithm::ALL {
            let sums: Vec<(String, u64)> = parts.iter().map(|p| (a.compute(p), p.len() as u64)).collect();
            for kind in [Kind::FullObject, Kind::Composite] {
                if let Some(c) = ObjectChecksum::of_parts(a, kind, &sums) {
                    self.checksums.insert(c.value);
                }
            }
        }
    }
}

impl Plaintexts {
    /// The fingerprints so far, and those of every upload in progress as if it completed now (for
    /// the answer to a CompleteMultipartUpload, before it is recorded).
    fn with_pending(&self) -> Fingerprints {
        let mut f = self.fingerprints.clone();
        for parts in self.parts.values() {
            f.add_completed(parts);
        }
        f
    }

    /// Records the plaintext of a successful write under SSE-C: a PUT or POST of an object, a part
    /// of an SSE-C upload (`upload`), or a completed SSE-C upload (its parts, in order).
    pub(crate) fn remember(&mut self, built: &Built, upload: Option<(&str, Option<u32>)>) {
        match (built.operation, upload) {
            ("upload-part", Some((name, Some(n)))) => {
                if let Some(body) = &built.sent_body {
                    self.fingerprints.add_whole(body);
                    self.parts.entry(name.to_owned()).or_default().insert(n, body.clone());
                }
            }
            ("complete", Some((name, _))) => {
                let parts = self.parts.remove(name).unwrap_or_default();
                self.fingerprints.add_completed(&parts);
            }
            ("put" | "post", _) => {
                if let Some(body) = &built.sent_body {
                    self.fingerprints.add_whole(body);
                }
            }
            _ => {}
        }
    }
}

/// What an answer is about, as far as SSE-C goes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Subject<'a> {
    /// The answer concerns an SSE-C object or upload (or writes one).
    pub sse_c: bool,
    /// The request presented that object's key.
    pub with_key: bool,
    /// Object keys stored under SSE-C, for the entries of a listing.
    pub sse_c_keys: &'a BTreeSet<String>,
}

/// What `built` is about: `objects` maps SSE-C object slots, `uploads` SSE-C upload names, to the
/// name of their key; `upload` is the upload the request names.
#[must_use]
pub(crate) fn subject_of<'a>(
    built: &Built,
    upload: Option<&str>,
    objects: &BTreeMap<String, String>,
    uploads: &BTreeMap<String, String>,
    sse_c_keys: &'a BTreeSet<String>,
) -> Subject<'a> {
    let slot =
        built.outgoing.key.as_ref().map(|object| match built.outgoing.query.iter().find(|(k, _)| k == "versionId") {
            Some((_, v)) => super::model::version_slot(object, v),
            None => object.clone(),
        });
    // A write's answer is about the object it makes, SSE-C when the request carried a triple; any
    // other answer is about the upload or object it names.
    let writes = matches!(built.operation, "put" | "post" | "copy" | "create-multipart");
    let owner =
        if writes { None } else { upload.and_then(|u| uploads.get(u)).or_else(|| slot.and_then(|s| objects.get(&s))) };
    Subject {
        sse_c: owner.is_some() || (writes && built.complete_triple),
        with_key: match owner {
            Some(o) => built.presented_key.as_ref() == Some(o),
            None => built.presented_key.is_some(),
        },
        sse_c_keys,
    }
}

/// The object keys (without version) of the SSE-C slots.
#[must_use]
pub(crate) fn object_keys(objects: &BTreeMap<String, String>) -> BTreeSet<String> {
    objects.keys().map(|slot| slot.split('\0').next().unwrap_or_default().to_owned()).collect()
}

/// The equality oracles of one answer; each is one line.
pub(crate) fn oracles(built: &Built, resp: &Response, known: &Plaintexts, subject: Subject<'_>) -> Vec<Violation> {
    if !(200..300).contains(&resp.status) {
        return Vec::new();
    }
    let pending;
    let f = if built.operation == "complete" {
        pending = known.with_pending();
        &pending
    } else {
        &known.fingerprints
    };
    if f.etags.is_empty() {
        return Vec::new();
    }
    let op = built.operation;
    let body = std::str::from_utf8(&resp.body).unwrap_or_default();
    let mut out = Vec::new();
    let is_listing = built.outgoing.key.is_none() && built.outgoing.method == "GET";
    let mut etags: Vec<String> = Vec::new();
    let mut sums: Vec<String> = Vec::new();
    if is_listing {
        for entry in entries(body) {
            if element(entry, "Key").is_some_and(|k| subject.sse_c_keys.contains(&k)) {
                etags.extend(element(entry, "ETag"));
                sums.extend(checksum_elements(entry));
            }
        }
    } else if subject.sse_c {
        etags.extend(resp.header("etag").map(str::to_owned));
        etags.extend(all_elements(body, "ETag"));
        if !subject.with_key {
            sums.extend(Algorithm::ALL.iter().filter_map(|a| resp.header(a.header()).map(str::to_owned)));
            sums.extend(checksum_elements(body));
        }
    }
    // The PUT answer's ETag is checked against the body it sent, by `security`.
    if op != "put" && etags.iter().any(|e| f.etags.contains(unquote(e))) {
        let text = format!("an ETag in the {op} answer is the MD5 of an SSE-C object's plaintext");
        out.push(Violation { check: Check::EtagNotPlaintextMd5, text });
    }
    if sums.iter().any(|s| f.checksums.contains(s.trim())) {
        let whom = if is_listing { "in a listing" } else { "without the key" };
        let text = format!("the {op} answer served a checksum of an SSE-C object's plaintext {whom}");
        out.push(Violation { check: Check::ChecksumNeedsKey, text });
    }
    out
}

fn unquote(e: &str) -> &str {
    e.trim().trim_matches('"').trim_start_matches("&quot;").trim_end_matches("&quot;")
}

/// The `<Contents>` and `<Version>` entries of a listing.
fn entries(body: &str) -> Vec<&str> {
    ["Contents", "Version"].iter().flat_map(|tag| sections(body, tag)).collect()
}

/// The inner text of every `<tag>…</tag>` of `body`.
fn sections<'a>(body: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    out
}

fn all_elements(body: &str, tag: &str) -> Vec<String> {
    sections(body, tag).into_iter().map(str::to_owned).collect()
}

fn element(body: &str, tag: &str) -> Option<String> {
    sections(body, tag).first().map(|s| (*s).to_owned())
}

fn checksum_elements(body: &str) -> Vec<String> {
    Algorithm::ALL.iter().flat_map(|a| all_elements(body, &format!("Checksum{}", a.name()))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Outgoing;

    fn built(operation: &'static str, method: &str, key: Option<&str>, presented: Option<&str>) -> Built {
        Built {
            outgoing: Outgoing::new(method, Some("b"), key),
            operation,
            sent_body: None,
            presented_key: presented.map(str::to_owned),
            source_slot: None,
            presented_source_key: None,
            sent_md5: None,
            complete_triple: presented.is_some(),
        }
    }

    fn answer(headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status: 200,
            headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
            body: Bytes::from(body.to_owned()),
        }
    }

    /// One SSE-C object `obj` (under key `k`) and one SSE-C upload `u` with two parts, all written.
    fn scenario() -> (Plaintexts, BTreeMap<String, String>, BTreeMap<String, String>, Bytes, Bytes, Bytes) {
        let (obj, p1, p2) =
            (Bytes::from_static(b"secret"), Bytes::from_static(b"part one"), Bytes::from_static(b"two"));
        let mut known = Plaintexts::default();
        let mut put = built("put", "PUT", Some("obj"), Some("k"));
        put.sent_body = Some(obj.clone());
        known.remember(&put, None);
        for (n, body) in [(1, &p1), (2, &p2)] {
            let mut part = built("upload-part", "PUT", Some("mp"), Some("k"));
            part.sent_body = Some(body.clone());
            known.remember(&part, Some(("u", Some(n))));
        }
        let objects = BTreeMap::from([("obj".to_owned(), "k".to_owned())]);
        let uploads = BTreeMap::from([("u".to_owned(), "k".to_owned())]);
        (known, objects, uploads, obj, p1, p2)
    }

    fn check(b: &Built, upload: Option<&str>, resp: &Response) -> Vec<String> {
        let (known, objects, uploads, ..) = scenario();
        let keys = object_keys(&objects);
        let violations = oracles(b, resp, &known, subject_of(b, upload, &objects, &uploads, &keys));
        let names = [Check::EtagNotPlaintextMd5, Check::ChecksumNeedsKey];
        assert!(violations.iter().all(|v| names.contains(&v.check)), "{violations:?}");
        violations.into_iter().map(|v| v.text).collect()
    }

    #[test]
    fn a_listing_entry_of_an_sse_c_object_with_its_plaintext_md5_or_checksum_is_caught() {
        let (_, _, _, obj, ..) = scenario();
        let md5 = hex::encode(Md5::digest(&obj));
        let list = built("list", "GET", None, None);
        let entry = |key: &str, inner: &str| format!("<Contents><Key>{key}</Key>{inner}</Contents>");
        let etag = answer(&[], &entry("obj", &format!("<ETag>&quot;{md5}&quot;</ETag>")));
        assert_eq!(check(&list, None, &etag), ["an ETag in the list answer is the MD5 of an SSE-C object's plaintext"]);
        let sum =
            answer(&[], &entry("obj", &format!("<ChecksumCRC32>{}</ChecksumCRC32>", Algorithm::Crc32.compute(&obj))));
        assert_eq!(
            check(&list, None, &sum),
            ["the list answer served a checksum of an SSE-C object's plaintext in a listing"]
        );
        let plain = answer(&[], &entry("plain-copy", &format!("<ETag>\"{md5}\"</ETag>")));
        assert!(check(&list, None, &plain).is_empty(), "a plain object may have an MD5 ETag");
    }

    #[test]
    fn a_complete_answer_without_the_key_must_not_carry_the_objects_checksum() {
        let (_, _, _, _, p1, p2) = scenario();
        let whole = [p1.as_ref(), p2.as_ref()].concat();
        let body = format!(
            "<CompleteMultipartUploadResult><ChecksumCRC64NVME>{}</ChecksumCRC64NVME></CompleteMultipartUploadResult>",
            Algorithm::Crc64Nvme.compute(&whole)
        );
        let without = built("complete", "POST", Some("mp"), None);
        assert_eq!(
            check(&without, Some("u"), &answer(&[], &body)),
            ["the complete answer served a checksum of an SSE-C object's plaintext without the key"]
        );
        let with = built("complete", "POST", Some("mp"), Some("k"));
        assert!(check(&with, Some("u"), &answer(&[], &body)).is_empty(), "the key holder may see it");
    }

    #[test]
    fn part_etags_and_multipart_etags_that_are_plaintext_md5s_are_caught() {
        let (_, _, _, _, p1, p2) = scenario();
        let parts = built("list-parts", "GET", Some("mp"), None);
        let listed = format!("<Part><ETag>\"{}\"</ETag></Part>", hex::encode(Md5::digest(&p1)));
        assert_eq!(
            check(&parts, Some("u"), &answer(&[], &listed)),
            ["an ETag in the list-parts answer is the MD5 of an SSE-C object's plaintext"]
        );
        let md5s = [Md5::digest(&p1).to_vec(), Md5::digest(&p2).to_vec()].concat();
        let multipart = format!("<ETag>\"{}-2\"</ETag>", hex::encode(Md5::digest(&md5s)));
        let complete = built("complete", "POST", Some("mp"), Some("k"));
        assert_eq!(
            check(&complete, Some("u"), &answer(&[], &multipart)),
            ["an ETag in the complete answer is the MD5 of an SSE-C object's plaintext"]
        );
    }

    #[test]
    fn a_copy_is_judged_by_its_destination() {
        let (_, _, _, obj, ..) = scenario();
        let result =
            format!("<CopyObjectResult><ETag>\"{}\"</ETag></CopyObjectResult>", hex::encode(Md5::digest(&obj)));
        let mut to_sse_c = built("copy", "PUT", Some("dst"), Some("k"));
        to_sse_c.source_slot = Some("obj".into());
        assert_eq!(
            check(&to_sse_c, None, &answer(&[], &result)),
            ["an ETag in the copy answer is the MD5 of an SSE-C object's plaintext"]
        );
        let mut to_plain = built("copy", "PUT", Some("dst"), None);
        to_plain.source_slot = Some("obj".into());
        assert!(check(&to_plain, None, &answer(&[], &result)).is_empty(), "a plain copy has the plaintext MD5");
    }

    #[test]
    fn a_head_without_the_key_must_not_carry_a_checksum_header() {
        let (_, _, _, obj, ..) = scenario();
        let head = built("head", "HEAD", Some("obj"), None);
        let resp = answer(&[("x-amz-checksum-sha256", &Algorithm::Sha256.compute(&obj))], "");
        assert_eq!(
            check(&head, None, &resp),
            ["the head answer served a checksum of an SSE-C object's plaintext without the key"]
        );
    }
}
