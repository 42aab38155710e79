//! The fuzzing build's nonce-reuse check (`server::crypto::nonce_log`, compiled in with the
//! `fuzzing` feature that the dev-dependencies enable): every AES-GCM seal is logged by a
//! fingerprint of its key and its nonce, and a pair sealed twice panics, in whichever fuzz target
//! reaches it. Here every write path of the in-process reference server runs through it: single
//! PUTs, overwrites, versions, copies, rotation (a copy onto itself), and multipart parts uploaded
//! again, replaced by UploadPartCopy, and uploaded concurrently.

mod common;

use bytes::Bytes;
use common::with_key;
use ssec_conform::client::Outgoing;
use ssec_conform::fuzzing::{self, InProcess, Reply};
use ssec_conform::server::crypto::nonce_log;
use ssec_conform::sse_c::CustomerKey;

const BUCKET: &str = "nonce-reuse";

fn with_copy_source(req: Outgoing, source: &str, key: &CustomerKey) -> Outgoing {
    common::with_copy_source(req, BUCKET, source, key)
}

/// Sends with a `Content-Length` (the in-process call adds none).
fn ok(ip: &InProcess, req: &Outgoing) -> Reply {
    let mut req = req.clone();
    req.headers.push(("content-length".into(), req.body.len().to_string()));
    let reply = ip.send(&req);
    assert!((200..300).contains(&reply.status), "{} {:?}: {}", req.method, req.key, reply.summary());
    reply
}

fn put(ip: &InProcess, name: &str, key: &CustomerKey, seed: u64) {
    let mut req = with_key(Outgoing::new("PUT", Some(BUCKET), Some(name)), key);
    req.body = Bytes::from(fuzzing::pattern(seed, 600 * 1024));
    ok(ip, &req);
}

fn part(name: &str, key: &CustomerKey, upload_id: &str, n: u32) -> Outgoing {
    let mut req = with_key(Outgoing::new("PUT", Some(BUCKET), Some(name)), key);
    req.query = vec![("partNumber".into(), n.to_string()), ("uploadId".into(), upload_id.to_owned())];
    req
}

#[test]
fn no_write_path_seals_twice_under_one_key_and_nonce() {
    let ip = fuzzing::in_process();
    ip.ensure_bucket(BUCKET);
    let key = CustomerKey::random();
    let other = CustomerKey::random();

    // Single PUTs, an overwrite, versions, a copy and a rotation onto itself.
    put(ip, "single", &key, 1);
    put(ip, "single", &key, 2);
    ok(ip, &common::enable_versioning(BUCKET));
    put(ip, "single", &key, 2);
    put(ip, "single", &key, 3);
    ok(ip, &with_copy_source(with_key(Outgoing::new("PUT", Some(BUCKET), Some("copy")), &key), "single", &key));
    ok(ip, &with_copy_source(with_key(Outgoing::new("PUT", Some(BUCKET), Some("single")), &other), "single", &key));

    // A multipart upload: part 1 three times (twice uploaded, once copied), part 2 twice at once.
    let mut create = with_key(Outgoing::new("POST", Some(BUCKET), Some("multipart")), &key);
    create.query.push(("uploads".into(), String::new()));
    let reply = ok(ip, &create);
    let text = String::from_utf8_lossy(reply.bytes()).into_owned();
    let upload_id = text.split("<UploadId>").nth(1).and_then(|s| s.split("</UploadId>").next()).unwrap().to_owned();
    for seed in [10, 11] {
        let mut req = part("multipart", &key, &upload_id, 1);
        req.body = Bytes::from(fuzzing::pattern(seed, 300 * 1024));
        ok(ip, &req);
    }
    ok(ip, &with_copy_source(part("multipart", &key, &upload_id, 1), "copy", &key));
    std::thread::scope(|s| {
        for seed in [20, 21] {
            let req = {
                let mut req = part("multipart", &key, &upload_id, 2);
                req.body = Bytes::from(fuzzing::pattern(seed, 300 * 1024));
                req
            };
            s.spawn(move || ok(ip, &req));
        }
    });
    assert!(nonce_log::recorded() > 0, "the seals above were logged");
}

#[test]
#[should_panic(expected = "AES-GCM nonce reuse")]
fn the_log_panics_on_a_pair_sealed_twice() {
    let id = nonce_log::KeyId::of(&[7; 32]);
    let mut nonce = [0u8; 12];
    rand::fill(&mut nonce);
    nonce_log::record(id, nonce);
    nonce_log::record(id, nonce);
}

#[test]
fn the_log_is_bounded() {
    let mut log = nonce_log::NonceLog::default();
    let id = nonce_log::KeyId::of(&[9; 32]);
    for i in 0..(2 * nonce_log::GENERATION + 10) as u64 {
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&i.to_be_bytes());
        assert!(log.insert(id, nonce), "pair {i} is new");
    }
    assert!(log.len() <= 2 * nonce_log::GENERATION, "{} pairs held", log.len());
    let mut recent = [0u8; 12];
    recent[4..].copy_from_slice(&(2 * nonce_log::GENERATION as u64).to_be_bytes());
    assert!(!log.insert(id, recent), "a recent pair is still caught");
}
