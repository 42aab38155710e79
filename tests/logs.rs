//! No customer key reaches a log, for a library user of `ReferenceServer::start` whatever their
//! subscriber's filter: the most verbose one (`trace`), and directives aimed at s3s itself, which
//! logs request headers and form fields.
//!
//! Each test installs a capturing subscriber for its thread (tests run on a current-thread runtime,
//! so the server's tasks log through it too), starts a server, runs SSE-C operations over TLS,
//! including faulted and malformed keys, copies between two keys, multipart and POST Object, and
//! then searches every captured line for any form of every key used.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use common::{BUCKET, CapturedLog, element, https_client, start, triple};
use ssec_conform::client::{Auth, Client, Outgoing, encode_path};
use ssec_conform::server::Limits;
use ssec_conform::sse_c::CustomerKey;
use ssec_conform::sse_c::headers::TripleKind::{self, CopySource, Request};

/// Sends `req`; returns the status.
async fn status(client: &Client, req: &Outgoing) -> u16 {
    client.send(req).await.response.expect("answered").status
}

/// SSE-C operations with keys `a` and `b`, right and wrong, well-formed and not; returns the key
/// texts sent that are not base64 of `a` or `b`.
async fn exercise(client: &Client, a: &CustomerKey, b: &CustomerKey) -> Vec<String> {
    assert_eq!(status(client, &Outgoing::new("PUT", Some(BUCKET), None)).await, 200);
    let object = |method: &str, key: &str, triples: &[(TripleKind, &CustomerKey)]| {
        let mut req = Outgoing::new(method, Some(BUCKET), Some(key));
        for (kind, k) in triples {
            req.headers.extend(triple(*kind, k));
        }
        req
    };
    let mut put = object("PUT", "obj", &[(Request, a)]);
    put.body = Bytes::from_static(b"logged nowhere");
    assert_eq!(status(client, &put).await, 200);
    assert_eq!(status(client, &object("GET", "obj", &[(Request, a)])).await, 200);
    assert_eq!(status(client, &object("HEAD", "obj", &[(Request, a)])).await, 200);
    assert_eq!(status(client, &object("GET", "obj", &[(Request, b)])).await, 403);
    let mut md5_mismatch = object("GET", "obj", &[(Request, a)]);
    md5_mismatch.headers[2].1 = b.md5_b64();
    assert_eq!(status(client, &md5_mismatch).await, 400);

    // Copies under another key.
    let mut copy = object("PUT", "copy", &[(Request, b), (CopySource, a)]);
    copy.headers.push(("x-amz-copy-source".into(), format!("/{BUCKET}/{}", encode_path("obj"))));
    assert_eq!(status(client, &copy).await, 200);
    let mut wrong_source = copy.clone();
    wrong_source.headers[4].1 = b.to_base64().to_string();
    wrong_source.headers[5].1 = b.md5_b64();
    assert_eq!(status(client, &wrong_source).await, 403);

    // Malformed keys: not base64, and with bytes the header parser rejects.
    let malformed = vec![format!("{}!", a.to_base64().as_str()), format!("\u{feff}{}", a.to_base64().as_str())];
    for text in &malformed {
        let mut bad = put.clone();
        bad.headers[1].1.clone_from(text);
        assert_eq!(status(client, &bad).await, 400, "malformed key {text:?}");
    }

    // Multipart, and POST Object with the key as a form field.
    let mut create = object("POST", "mp", &[(Request, a)]);
    create.query.push(("uploads".into(), String::new()));
    let created = client.send(&create).await.response.unwrap();
    let upload_id = element(&created.body, "UploadId").unwrap().to_owned();
    let mut part = object("PUT", "mp", &[(Request, a)]);
    part.query = vec![("partNumber".into(), "1".into()), ("uploadId".into(), upload_id)];
    part.body = Bytes::from_static(b"part");
    assert_eq!(status(client, &part).await, 200);
    let mut post = object("POST", "posted", &[(Request, b)]);
    post.auth = Auth::PostForm;
    post.body = Bytes::from_static(b"form file");
    assert_eq!(status(client, &post).await, 204);
    malformed
}

/// Every form of the keys (base64, hex, raw bytes read lossily, the malformed texts sent), and every
/// 16-character run of each.
fn forbidden(keys: &[&CustomerKey], malformed: &[String]) -> Vec<String> {
    let mut forms: Vec<String> = keys
        .iter()
        .flat_map(|k| {
            [B64.encode(k.expose()), hex::encode(k.expose()), String::from_utf8_lossy(k.expose()).into_owned()]
        })
        .collect();
    forms.extend(malformed.iter().cloned());
    forms
        .iter()
        .flat_map(|f| {
            let chars: Vec<char> = f.chars().collect();
            chars.windows(16).map(String::from_iter).collect::<Vec<_>>()
        })
        .collect()
}

async fn no_key_is_logged_with(filter: &str) {
    let captured = CapturedLog::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::error!("capture is live");

    let server = start(Limits::default()).await;
    let client = https_client(&server);
    let (a, b) = (CustomerKey::random(), CustomerKey::random());
    let malformed = exercise(&client, &a, &b).await;
    server.shutdown().await;

    let log = captured.text();
    assert!(log.contains("capture is live"), "the subscriber captured nothing: {log}");
    for run in forbidden(&[&a, &b], &malformed) {
        let at = log.find(&run);
        assert!(at.is_none(), "filter {filter:?}: a key is logged: {}", &log[at.unwrap().saturating_sub(200)..]);
    }
}

#[tokio::test]
async fn no_key_is_logged_at_trace() {
    no_key_is_logged_with("trace").await;
}

#[tokio::test]
async fn no_key_is_logged_when_s3s_is_asked_for_everything() {
    no_key_is_logged_with("s3s=trace,s3s::ops=trace,logs=info").await;
}

#[tokio::test]
async fn no_key_is_logged_when_only_s3s_operations_are_traced() {
    no_key_is_logged_with("error,s3s::ops=trace,s3s::service=trace,s3s::http=trace").await;
}

#[tokio::test]
async fn the_access_log_gives_method_path_status_and_time_and_no_header_value() {
    let captured = CapturedLog::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = start(Limits::default()).await;
    let client = https_client(&server);
    let (a, b) = (CustomerKey::random(), CustomerKey::random());
    exercise(&client, &a, &b).await;
    let mut presigned = Outgoing::new("GET", Some(BUCKET), Some("obj"));
    presigned.auth = Auth::Presigned(std::time::Duration::from_secs(60));
    presigned.headers.extend(triple(Request, &a));
    let exchange = client.send(&presigned).await;
    assert_eq!(exchange.response.expect("answered").status, 200);
    server.shutdown().await;

    let log = captured.text();
    let access: Vec<&str> = log.lines().filter(|l| l.contains("ssec_conform::access")).collect();
    for expected in [
        format!("method=PUT path=/{BUCKET}/obj status=200"),
        format!("method=GET path=/{BUCKET}/obj status=403"),
        format!("method=HEAD path=/{BUCKET}/obj status=200"),
        format!("method=POST path=/{BUCKET}/mp status=200"),
    ] {
        assert!(
            access.iter().any(|l| l.contains(&expected)),
            "no access line with {expected:?} in:\n{}",
            access.join("\n")
        );
    }
    assert!(access.iter().all(|l| l.contains(" ms=")), "every line has its time: {access:?}");
    let signature = exchange.url.split("X-Amz-Signature=").nth(1).expect("a presigned URL").to_owned();
    for secret in [signature.as_str(), "X-Amz-Credential", "AWS4-HMAC-SHA256", &a.md5_b64(), &b.md5_b64(), "AES256"] {
        assert!(!log.contains(secret), "the log holds a header or query value {secret:?}:\n{log}");
    }
}
