//! The reference server never echoes a customer key, even one its header parser rejects.
//!
//! Every malformed form of a key (a BOM before it, a non-breaking space after it, a non-ASCII
//! character in it, raw binary, an over-long value) is sent in the object triple and in the
//! copy-source triple of PutObject, GetObject, HeadObject, CopyObject, UploadPart and
//! UploadPartCopy, over real TLS. Each answer must be AWS's answer for a malformed key (400
//! `InvalidArgument`, "The secret key was invalid for the specified algorithm.", `ArgumentName`
//! `x-amz-server-side-encryption`; HEAD: 400 without a body), and no form of the key (base64, hex,
//! raw, the value as sent, its escaped rendering, or any 16-character run of any of them) may
//! appear in its head or body.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use common::*;
use ssec_conform::client::{Client, Outgoing, encode_path};
use ssec_conform::server::Limits;
use ssec_conform::sse_c::CustomerKey;
use ssec_conform::sse_c::headers::TripleKind::{self, CopySource, Request};

/// A malformed key value and the bytes of the key it carries.
struct BadKey {
    label: &'static str,
    /// The header value as sent.
    value: Vec<u8>,
    /// The key bytes inside it.
    key: Vec<u8>,
    /// Whether it can be a signed header (the client signs UTF-8 values only).
    signed: bool,
}

fn bad_keys() -> Vec<BadKey> {
    let key = CustomerKey::random();
    let b64 = key.to_base64().to_string();
    let raw = key.expose().to_vec();
    let mut accented = b64.clone();
    accented.replace_range(0..1, "é");
    // Raw binary a header can carry: bytes 0x80-0xFF (obs-text).
    let binary: Vec<u8> = raw.iter().map(|b| b | 0x80).collect();
    let utf8 = |label, value: String| BadKey { label, value: value.into_bytes(), key: raw.clone(), signed: true };
    // SigV4 signers trim a trailing non-breaking space (Unicode whitespace) and s3s does not, so
    // that form is sent unsigned; a signed one would only get 403 SignatureDoesNotMatch.
    let mut trailing_nbsp = utf8("non-breaking space after", format!("{b64}\u{a0}"));
    trailing_nbsp.signed = false;
    vec![
        utf8("BOM before", format!("\u{feff}{b64}")),
        trailing_nbsp,
        utf8("non-ASCII character", accented),
        utf8("over-long", b64.repeat(64)),
        BadKey { label: "raw binary", value: binary.clone(), key: binary, signed: false },
    ]
}

/// Every form of `bad` that must not come back, and every 16-byte run of each.
fn forbidden(bad: &BadKey) -> Vec<Vec<u8>> {
    let escaped = format!("{:?}", http::HeaderValue::from_bytes(&bad.value).unwrap());
    let forms = [
        B64.encode(&bad.key).into_bytes(),
        hex::encode(&bad.key).into_bytes(),
        bad.key.clone(),
        bad.value.clone(),
        String::from_utf8_lossy(&bad.value).into_owned().into_bytes(),
        escaped.trim_matches('"').as_bytes().to_vec(),
    ];
    let mut runs: Vec<Vec<u8>> = forms.iter().flat_map(|f| f.windows(16).map(<[u8]>::to_vec)).collect();
    runs.sort();
    runs.dedup();
    runs
}

/// One operation to fault: the request with valid triples, and which triple's key to replace.
struct Case {
    name: String,
    req: Outgoing,
    faulted: TripleKind,
}

fn cases(good: &CustomerKey, upload_id: &str) -> Vec<Case> {
    let with = |method: &str, key: &str, triples: &[TripleKind]| {
        let mut req = Outgoing::new(method, Some(BUCKET), Some(key));
        for kind in triples {
            req.headers.extend(triple(*kind, good));
        }
        req
    };
    let copy_source = format!("/{BUCKET}/{}", encode_path("source"));
    let mut put = with("PUT", "target", &[Request]);
    put.body = Bytes::from_static(b"object body");
    let mut copy = with("PUT", "copy", &[Request, CopySource]);
    copy.headers.push(("x-amz-copy-source".into(), copy_source.clone()));
    let part_query = vec![("partNumber".into(), "1".into()), ("uploadId".into(), upload_id.to_owned())];
    let mut part = with("PUT", "multipart", &[Request]);
    part.query.clone_from(&part_query);
    part.body = Bytes::from_static(b"part body");
    let mut part_copy = with("PUT", "multipart", &[Request, CopySource]);
    part_copy.query = part_query;
    part_copy.headers.push(("x-amz-copy-source".into(), copy_source));
    let case = |name: &str, req: &Outgoing, faulted| Case { name: name.into(), req: req.clone(), faulted };
    vec![
        case("PutObject", &put, Request),
        case("GetObject", &with("GET", "source", &[Request]), Request),
        case("HeadObject", &with("HEAD", "source", &[Request]), Request),
        case("CopyObject (source key)", &copy, CopySource),
        case("CopyObject (target key)", &copy, Request),
        case("UploadPart", &part, Request),
        case("UploadPartCopy (source key)", &part_copy, CopySource),
        case("UploadPartCopy (target key)", &part_copy, Request),
    ]
}

/// Sends `case` with its faulted key header replaced by `bad`, over a fresh TLS connection.
async fn send_faulted(server: &ssec_conform::ServerHandle, client: &Client, case: &Case, bad: &BadKey) -> Raw {
    let key_header = case.faulted.names()[1];
    let mut req = case.req.clone();
    let position = req.headers.iter().position(|(n, _)| *n == key_header).unwrap();
    let (head, body) = if bad.signed {
        req.headers[position].1 = String::from_utf8(bad.value.clone()).unwrap();
        signed_head(client, &req, Some(req.body.len() as u64))
    } else {
        req.headers.remove(position);
        let (head, body) = signed_head(client, &req, Some(req.body.len() as u64));
        (with_raw_header(head, key_header, &bad.value), body)
    };
    let mut tls = tls_connect(server).await;
    let mut bytes = head;
    bytes.extend_from_slice(&body);
    tokio::io::AsyncWriteExt::write_all(&mut tls, &bytes).await.unwrap();
    let read = read_response_of(&mut tls, req.method == "HEAD");
    tokio::time::timeout(std::time::Duration::from_secs(5), read).await.expect("answered in time").unwrap()
}

#[tokio::test]
async fn malformed_keys_are_answered_as_invalid_keys_and_never_echoed() {
    let server = start(Limits::default()).await;
    let client = https_client(&server);
    let good = CustomerKey::random();
    let ok = |r: ssec_conform::client::Response| {
        assert!(r.status == 200, "{}: {}", r.status, String::from_utf8_lossy(&r.body));
        r
    };
    ok(client.send(&Outgoing::new("PUT", Some(BUCKET), None)).await.response.unwrap());
    let mut source = Outgoing::new("PUT", Some(BUCKET), Some("source"));
    source.headers.extend(triple(Request, &good));
    source.body = Bytes::from_static(b"source body");
    ok(client.send(&source).await.response.unwrap());
    let mut create = Outgoing::new("POST", Some(BUCKET), Some("multipart"));
    create.query.push(("uploads".into(), String::new()));
    create.headers.extend(triple(Request, &good));
    let created = ok(client.send(&create).await.response.unwrap());
    let upload_id = element(&created.body, "UploadId").unwrap().to_owned();

    for bad in bad_keys() {
        let runs = forbidden(&bad);
        for case in cases(&good, &upload_id) {
            let what = format!("{} with a key {}", case.name, bad.label);
            let r = send_faulted(&server, &client, &case, &bad).await;
            assert_eq!(r.status, 400, "{what}: {}", r.body);
            if case.req.method == "HEAD" {
                assert_eq!(r.body, "", "{what}");
            } else {
                assert_eq!(r.code(), Some("InvalidArgument"), "{what}: {}", r.body);
                let message = element(&r.body, "Message");
                assert_eq!(message, Some("The secret key was invalid for the specified algorithm."), "{what}");
                assert_eq!(element(&r.body, "ArgumentName"), Some("x-amz-server-side-encryption"), "{what}");
            }
            let mut answer: Vec<u8> = r.headers.iter().flat_map(|(n, v)| format!("{n}: {v}\n").into_bytes()).collect();
            answer.extend_from_slice(r.body.as_bytes());
            let echoed = runs.iter().find(|run| answer.windows(run.len()).any(|w| w == run.as_slice()));
            assert!(echoed.is_none(), "{what}: the answer quotes the key ({:?}): {}", echoed, r.body);
        }
    }
    server.shutdown().await;
}
