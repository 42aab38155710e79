//! The official AWS SDK for Rust (and, for presigned URLs, reqwest) as real clients of the reference
//! server, over real TLS and real SigV4, with the SDK's default flexible checksums left on.
//!
//! Each test starts its own in-process server. Expectations are the AWS column of the behaviour
//! catalogue (`ssec-behavior.md`, sections A.1, A.2, A.5 and B): every error is checked for its HTTP
//! status *and* its S3 error code, except on HEAD, whose errors carry no body (B.8).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput;
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::CreateUnhandledError;
use md5::{Digest as _, Md5};
use ssec_conform::sse_c::CustomerKey;
use ssec_conform::sse_c::headers::{ALGORITHM, KEY, KEY_MD5};
use ssec_conform::{ServerConfig, ServerHandle};

const BUCKET: &str = "clients";

/// Catalogue fixture K_A (section 0.2).
const K_A: &str = "pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=";
const K_A_MD5: &str = "DWygnHRtgiJ77HCm+1rvHw==";
/// Catalogue fixture K_B (section 0.2), "the other key".
const K_B: &str = "6b+WOZ1T3cqZMxgThRcXAQBrS5mXKdDUphvpxptl9/4=";
const K_B_MD5: &str = "arxBvwY2V4SiOne6yppVPQ==";

/// One response as it came off the wire, before the SDK parsed it.
#[derive(Debug, Clone)]
struct Seen {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        common::header(&self.headers, name)
    }
}

/// Records the status and headers of every response the SDK receives.
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Seen>>>);

impl Recorder {
    fn last(&self) -> Seen {
        self.0.lock().unwrap().last().cloned().expect("no response recorded")
    }

    /// No response ever carries the customer key, neither as a header nor inside a header value (0.3).
    fn assert_key_never_returned(&self, keys_b64: &[&str]) {
        for seen in self.0.lock().unwrap().iter() {
            for (name, value) in &seen.headers {
                assert!(!name.eq_ignore_ascii_case(KEY), "response carried the key header: {seen:?}");
                for key in keys_b64 {
                    assert!(!value.contains(key), "response header {name} carried a customer key");
                }
            }
        }
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "Recorder"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let resp = context.response();
        let headers = resp.headers().iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
        self.0.lock().unwrap().push(Seen { status: resp.status().as_u16(), headers });
        Ok(())
    }
}

/// A server, an SDK client over HTTPS that trusts the server's CA, and a bucket.
struct Env {
    server: ServerHandle,
    client: Client,
    seen: Recorder,
}

impl Env {
    async fn start() -> Self {
        let server = common::start_with(ServerConfig::default()).await;
        let seen = Recorder::default();
        let client = sdk_client(&server, server.https_url().expect("https listener"), seen.clone());
        client.create_bucket().bucket(BUCKET).send().await.expect("create bucket");
        Self { server, client, seen }
    }

    async fn stop(self, keys_b64: &[&str]) {
        self.seen.assert_key_never_returned(keys_b64);
        self.server.shutdown().await;
    }

    async fn put_ssec(&self, key: &str, body: &[u8], (k, md5): (&str, &str)) -> String {
        let out = sse_c_put(&self.client, key, (k, md5))
            .body(ByteStream::from(body.to_vec()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("SSE-C PUT {key}: {}", describe(&e)));
        assert_eq!(self.seen.last().status, 200);
        assert_eq!(out.sse_customer_algorithm(), Some("AES256"), "PUT echoes the algorithm");
        assert_eq!(out.sse_customer_key_md5(), Some(md5), "PUT echoes the key MD5");
        out.e_tag().expect("PUT returns an ETag").to_owned()
    }

    /// Completes the multipart upload of `key` with `parts`; Complete carries no SSE-C key (M9).
    async fn complete_upload(
        &self,
        key: &str,
        upload_id: &str,
        parts: Vec<CompletedPart>,
    ) -> CompleteMultipartUploadOutput {
        self.client
            .complete_multipart_upload()
            .bucket(BUCKET)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .unwrap_or_else(|e| panic!("M9: complete {key} without a key: {}", describe(&e)))
    }

    async fn get_ssec(&self, key: &str, (k, md5): (&str, &str)) -> Vec<u8> {
        let out = sse_c_get(&self.client, key, (k, md5))
            .send()
            .await
            .unwrap_or_else(|e| panic!("SSE-C GET {key}: {}", describe(&e)));
        assert_eq!(self.seen.last().status, 200);
        assert_eq!(out.sse_customer_algorithm(), Some("AES256"), "GET echoes the algorithm");
        assert_eq!(out.sse_customer_key_md5(), Some(md5), "GET echoes the key MD5");
        let len = out.content_length();
        let body = out.body.collect().await.expect("GET body").into_bytes().to_vec();
        assert_eq!(len, Some(body.len() as i64), "Content-Length is the plaintext size");
        body
    }
}

fn sdk_client(server: &ServerHandle, endpoint: &str, seen: Recorder) -> Client {
    let config = common::sdk_config(server, endpoint)
        // One response per call, so the recorder's last entry is the call's response.
        .retry_config(RetryConfig::disabled())
        .interceptor(seen)
        .build();
    Client::from_conf(config)
}

sse_c_requests!(BUCKET);

/// A plain HTTP client (no SDK) trusting `server`'s certificate, for presigned URLs.
fn presigned_url_client(server: &ServerHandle) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).unwrap())
        .build()
        .unwrap()
}

/// `req` with every header a presigned request says to send.
fn with_presigned_headers(mut req: reqwest::RequestBuilder, presigned: &PresignedRequest) -> reqwest::RequestBuilder {
    for (name, value) in presigned.headers() {
        req = req.header(name, value);
    }
    req
}

/// Sends `req` and asserts the HTTP status and the S3 error code of the answer.
async fn assert_refused(req: reqwest::RequestBuilder, status: u16, code: &str, what: &str) {
    let resp = req.send().await.unwrap();
    let got = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    assert_eq!(got, status, "{what}: {text}");
    assert!(text.contains(&format!("<Code>{code}</Code>")), "{what}: {text}");
}

/// Deterministic, incompressible-looking test data.
fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn quoted_md5_hex(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Md5::digest(body)))
}

fn describe<E: std::fmt::Debug>(err: &SdkError<E, HttpResponse>) -> String {
    let status = err.raw_response().map(|r| r.status().as_u16());
    let body = err.raw_response().and_then(|r| r.body().bytes()).map(|b| String::from_utf8_lossy(b).into_owned());
    format!("status {status:?}, body {body:?}, error {err:?}")
}

/// Asserts an error's HTTP status and S3 error code; returns the message.
fn assert_error<E>(err: SdkError<E, HttpResponse>, status: u16, code: &str) -> Option<String>
where
    E: ProvideErrorMetadata + CreateUnhandledError + std::error::Error + Send + Sync + 'static,
{
    let what = describe(&err);
    let raw = err.raw_response().unwrap_or_else(|| panic!("no HTTP response: {what}"));
    assert_eq!(raw.status().as_u16(), status, "HTTP status: {what}");
    let service = err.into_service_error();
    assert_eq!(service.code(), Some(code), "error code: {service:?}");
    service.message().map(str::to_owned)
}

/// P1, G1, H1, L1, D1x: the full SSE-C life cycle through the SDK.
#[tokio::test]
async fn sse_c_put_get_head_list_delete() {
    let env = Env::start().await;
    let customer = CustomerKey::random();
    let (k, md5) = (customer.to_base64(), customer.md5_b64());
    let triple = (k.as_str(), md5.as_str());
    let body = data(100_000, 1);

    let etag = env.put_ssec("life/cycle", &body, triple).await;
    assert_ne!(etag, quoted_md5_hex(&body), "P1: an SSE-C ETag is not MD5(plaintext)");

    assert_eq!(env.get_ssec("life/cycle", triple).await, body, "G1: GET returns the exact plaintext");
    assert_eq!(env.seen.last().header("etag"), Some(etag.as_str()), "G1: GET ETag = PUT ETag");

    let head =
        sse_c_head(&env.client, "life/cycle", triple).send().await.unwrap_or_else(|e| panic!("HEAD: {}", describe(&e)));
    assert_eq!(env.seen.last().status, 200);
    assert_eq!(head.content_length(), Some(body.len() as i64), "H1: Content-Length = plaintext size");
    assert_eq!(head.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(head.sse_customer_key_md5(), Some(triple.1));
    assert_eq!(head.e_tag(), Some(etag.as_str()));

    // The same body twice (same key, other name; then same name again) gives three different ETags.
    let etag2 = env.put_ssec("life/cycle-2", &body, triple).await;
    let etag3 = env.put_ssec("life/cycle", &body, triple).await;
    assert_ne!(etag, etag2, "P1: the same body uploaded twice gives different ETags");
    assert_ne!(etag, etag3, "P1: the same body uploaded twice gives different ETags");
    assert_ne!(etag2, etag3, "P1: the same body uploaded twice gives different ETags");
    assert_eq!(env.get_ssec("life/cycle", triple).await, body);

    let list = env
        .client
        .list_objects_v2()
        .bucket(BUCKET)
        .prefix("life/")
        .send()
        .await
        .unwrap_or_else(|e| panic!("LIST: {}", describe(&e)));
    assert_eq!(env.seen.last().status, 200);
    let contents = list.contents();
    assert_eq!(contents.len(), 2, "{contents:?}");
    for obj in contents {
        assert_eq!(obj.size(), Some(body.len() as i64), "L1: Size = plaintext size ({obj:?})");
    }
    let listed: Vec<_> = contents.iter().map(|o| (o.key().unwrap(), o.e_tag().unwrap())).collect();
    assert_eq!(listed, [("life/cycle", etag3.as_str()), ("life/cycle-2", etag2.as_str())]);

    env.client
        .delete_object()
        .bucket(BUCKET)
        .key("life/cycle")
        .send()
        .await
        .unwrap_or_else(|e| panic!("DELETE: {}", describe(&e)));
    assert_eq!(env.seen.last().status, 204, "D1x: DELETE without SSE-C headers");
    let err = sse_c_get(&env.client, "life/cycle", triple).send().await.expect_err("deleted object");
    assert_error(err, 404, "NoSuchKey");

    let k = k.clone();
    env.stop(&[k.as_str()]).await;
}

/// G3: a valid 32-byte key with a matching MD5, but not the object's key.
#[tokio::test]
async fn get_with_wrong_key_is_403_access_denied() {
    let env = Env::start().await;
    env.put_ssec("wrong-key", &data(4096, 2), (K_A, K_A_MD5)).await;
    let message = get_is_refused(&env, "wrong-key", (K_B, K_B_MD5), None).await;
    assert_eq!(
        message.as_deref(),
        Some(
            "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key."
        )
    );
    assert_eq!(env.seen.last().header(ALGORITHM), None);
    assert_eq!(env.seen.last().header(KEY_MD5), None);
    env.stop(&[K_A, K_B]).await;
}

/// P2: a 32-byte key whose MD5 header does not match.
#[tokio::test]
async fn put_with_key_md5_mismatch_is_400_invalid_argument() {
    let env = Env::start().await;
    let err = sse_c_put(&env.client, "md5-mismatch", (K_A, K_B_MD5))
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .expect_err("P2: MD5 mismatch must be refused");
    let message = assert_error(err, 400, "InvalidArgument");
    assert_eq!(
        message.as_deref(),
        Some("The calculated MD5 hash of the key did not match the hash that was provided.")
    );
    // Nothing was stored.
    let err = env.client.head_object().bucket(BUCKET).key("md5-mismatch").send().await.expect_err("not stored");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404), "{}", describe(&err));
    env.stop(&[K_A]).await;
}

/// G2 (and H2 for HEAD): an SSE-C object read without any SSE-C header.
#[tokio::test]
async fn get_without_key_is_400_invalid_request() {
    let env = Env::start().await;
    env.put_ssec("no-key", &data(1000, 3), (K_A, K_A_MD5)).await;
    let err = env.client.get_object().bucket(BUCKET).key("no-key").send().await.expect_err("G2");
    let message = assert_error(err, 400, "InvalidRequest");
    assert_eq!(
        message.as_deref(),
        Some(
            "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."
        )
    );
    assert_eq!(env.seen.last().header(ALGORITHM), None, "G2: −alg");
    assert_eq!(env.seen.last().header(KEY_MD5), None, "G2: −md5");

    let err = env.client.head_object().bucket(BUCKET).key("no-key").send().await.expect_err("H2");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400), "H2: {}", describe(&err));
    assert_eq!(err.raw_response().and_then(|r| r.body().bytes()).map(<[u8]>::len), Some(0), "H2: empty body");
    env.stop(&[K_A]).await;
}

/// H3: HEAD with a wrong key. HEAD errors have no body, so only the status is compared (B.8).
#[tokio::test]
async fn head_with_wrong_key_is_403() {
    let env = Env::start().await;
    env.put_ssec("head-wrong-key", &data(1000, 4), (K_A, K_A_MD5)).await;
    let err = sse_c_head(&env.client, "head-wrong-key", (K_B, K_B_MD5))
        .send()
        .await
        .expect_err("H3: a wrong key must not be accepted on HEAD");
    let raw = err.raw_response().expect("HTTP response");
    assert_eq!(raw.status().as_u16(), 403, "H3: {}", describe(&err));
    assert_eq!(raw.body().bytes().map(<[u8]>::len), Some(0), "H3: HEAD error has an empty body");
    assert_eq!(env.seen.last().header(KEY_MD5), None);
    env.stop(&[K_A, K_B]).await;
}

/// G9: a Range GET with the right key returns the plaintext slice, with plaintext offsets.
#[tokio::test]
async fn range_get_returns_the_plaintext_slice() {
    let env = Env::start().await;
    let body = data(100_000, 5);
    env.put_ssec("range", &body, (K_A, K_A_MD5)).await;
    let out = sse_c_get(&env.client, "range", (K_A, K_A_MD5))
        .range("bytes=100-199")
        .send()
        .await
        .unwrap_or_else(|e| panic!("range GET: {}", describe(&e)));
    assert_eq!(env.seen.last().status, 206, "G9: 206 Partial Content");
    assert_eq!(out.content_range(), Some("bytes 100-199/100000"));
    assert_eq!(out.content_length(), Some(100));
    assert_eq!(out.sse_customer_algorithm(), Some("AES256"));
    assert_eq!(out.sse_customer_key_md5(), Some(K_A_MD5));
    let got = out.body.collect().await.expect("range body").into_bytes();
    assert_eq!(&got[..], &body[100..200], "G9: exactly the requested plaintext slice");
    env.stop(&[K_A]).await;
}

/// PS1/PS2: a presigned GET whose signature covers the SSE-C headers, used by a plain HTTP client.
#[tokio::test]
async fn presigned_get_with_signed_sse_c_headers() {
    let env = Env::start().await;
    let body = data(70_000, 6);
    env.put_ssec("presigned", &body, (K_A, K_A_MD5)).await;

    let presigned = sse_c_get(&env.client, "presigned", (K_A, K_A_MD5))
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .expect("presign");
    let url = presigned.uri().to_owned();
    let signed_headers = url
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("X-Amz-SignedHeaders="))
        .expect("X-Amz-SignedHeaders in the URL")
        .replace("%3B", ";");
    for name in [ALGORITHM, KEY, KEY_MD5] {
        assert!(signed_headers.split(';').any(|h| h == name), "PS1: {name} must be signed: {signed_headers}");
    }
    assert!(!url.contains(K_A) && !url.contains(&K_A.replace('/', "%2F")), "the key must not be in the URL");

    let http = presigned_url_client(&env.server);

    // With the signed headers (which carry the triple): 200 and the plaintext.
    let mut req = http.get(&url);
    let mut sent_triple = 0;
    for (name, value) in presigned.headers() {
        if [ALGORITHM, KEY, KEY_MD5].iter().any(|n| n.eq_ignore_ascii_case(name)) {
            sent_triple += 1;
        }
        req = req.header(name, value);
    }
    if sent_triple < 3 {
        req = req.header(ALGORITHM, "AES256").header(KEY, K_A).header(KEY_MD5, K_A_MD5);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200, "PS1");
    assert_eq!(resp.headers().get(ALGORITHM).map(|v| v.to_str().unwrap()), Some("AES256"));
    assert_eq!(resp.headers().get(KEY_MD5).map(|v| v.to_str().unwrap()), Some(K_A_MD5));
    assert!(resp.headers().get(KEY).is_none());
    assert_eq!(&resp.bytes().await.unwrap()[..], &body[..], "PS1: presigned GET returns the plaintext");

    // Without the signed SSE-C headers: the signature no longer matches (PS2, AWS: 403).
    assert_refused(http.get(&url), 403, "SignatureDoesNotMatch", "PS2: signed headers missing").await;
    env.stop(&[K_A]).await;
}

/// PS2 first half: a presigned URL that does not sign SSE-C, used without the headers, is G2.
#[tokio::test]
async fn presigned_get_without_sse_c_is_400_invalid_request() {
    let env = Env::start().await;
    env.put_ssec("presigned-plain", &data(1000, 7), (K_A, K_A_MD5)).await;
    let presigned = env
        .client
        .get_object()
        .bucket(BUCKET)
        .key("presigned-plain")
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .expect("presign");
    let http = presigned_url_client(&env.server);
    let req = with_presigned_headers(http.get(presigned.uri()), &presigned);
    assert_refused(req, 400, "InvalidRequest", "PS2/G2").await;
    env.stop(&[K_A]).await;
}

/// P11: the same valid SSE-C PUT over plain HTTP is refused.
#[tokio::test]
async fn sse_c_put_over_plain_http_is_400_invalid_request() {
    let env = Env::start().await;
    let seen = Recorder::default();
    let plain = sdk_client(&env.server, env.server.http_url().expect("http listener"), seen.clone());
    let err = sse_c_put(&plain, "over-http", (K_A, K_A_MD5))
        .body(ByteStream::from_static(b"secret over http"))
        .send()
        .await
        .expect_err("P11: SSE-C over HTTP must be refused");
    assert_error(err, 400, "InvalidRequest");
    // Plain requests over HTTP still work, and nothing was stored by the refused PUT.
    let err = plain.head_object().bucket(BUCKET).key("over-http").send().await.expect_err("not stored");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404), "{}", describe(&err));
    seen.assert_key_never_returned(&[K_A]);
    env.stop(&[K_A]).await;
}

/// P16: a zero-byte SSE-C object round-trips, and a wrong key is still refused with 403.
#[tokio::test]
async fn zero_byte_object_round_trip_and_wrong_key_403() {
    let env = Env::start().await;
    let etag = env.put_ssec("empty", b"", (K_A, K_A_MD5)).await;
    assert_ne!(etag, quoted_md5_hex(b""), "P1: an SSE-C ETag is not MD5(plaintext), even when empty");
    assert_eq!(env.get_ssec("empty", (K_A, K_A_MD5)).await, b"");
    get_is_refused(&env, "empty", (K_B, K_B_MD5), None).await;
    env.stop(&[K_A, K_B]).await;
}

/// A 5 MiB + 1 byte object (s3t's unaligned part size) round-trips with SSE-C.
#[tokio::test]
async fn five_mib_plus_one_round_trip() {
    let env = Env::start().await;
    let body = data(5 * 1024 * 1024 + 1, 8);
    let etag = env.put_ssec("big", &body, (K_B, K_B_MD5)).await;
    assert_ne!(etag, quoted_md5_hex(&body));
    let got = env.get_ssec("big", (K_B, K_B_MD5)).await;
    assert!(got == body, "5 MiB + 1 round trip: got {} bytes, differing from the plaintext", got.len());
    env.stop(&[K_B]).await;
}

/// A streaming body (from a file): with flexible checksums on, the SDK sends it `aws-chunked` with a
/// trailing CRC32 (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`). SSE-C must work on that path too.
#[tokio::test]
async fn sse_c_put_of_a_streaming_body_with_checksum_trailer() {
    let env = Env::start().await;
    let body = data(5 * 1024 * 1024 + 1, 9);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("body");
    std::fs::write(&path, &body).unwrap();
    let out = sse_c_put(&env.client, "streamed", (K_A, K_A_MD5))
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .unwrap_or_else(|e| panic!("streaming SSE-C PUT: {}", describe(&e)));
    assert_eq!(env.seen.last().status, 200);
    assert_eq!(out.sse_customer_key_md5(), Some(K_A_MD5));
    assert_ne!(out.e_tag(), Some(quoted_md5_hex(&body).as_str()));
    let got = env.get_ssec("streamed", (K_A, K_A_MD5)).await;
    assert!(got == body, "streamed round trip: got {} bytes, differing from the plaintext", got.len());
    env.stop(&[K_A]).await;
}

/// The copy-source and destination triples of a copy.
async fn copy_ssec(env: &Env, from: &str, to: &str, source: (&str, &str), dest: (&str, &str)) {
    let out = env
        .client
        .copy_object()
        .bucket(BUCKET)
        .key(to)
        .copy_source(format!("{BUCKET}/{from}"))
        .copy_source_sse_customer_algorithm("AES256")
        .copy_source_sse_customer_key(source.0)
        .copy_source_sse_customer_key_md5(source.1)
        .sse_customer_algorithm("AES256")
        .sse_customer_key(dest.0)
        .sse_customer_key_md5(dest.1)
        .send()
        .await
        .unwrap_or_else(|e| panic!("copy {from} -> {to}: {}", describe(&e)));
    assert_eq!(env.seen.last().status, 200);
    assert_eq!(out.sse_customer_algorithm(), Some("AES256"), "C1: copy echoes the algorithm");
    assert_eq!(out.sse_customer_key_md5(), Some(dest.1), "C1: copy echoes the destination key MD5");
}

/// Asserts that a GET of `key` (or of its `version`) with a key that is not the object's is 403
/// AccessDenied; returns the message.
async fn get_is_refused(env: &Env, key: &str, (k, md5): (&str, &str), version: Option<&str>) -> Option<String> {
    let err = sse_c_get(&env.client, key, (k, md5))
        .set_version_id(version.map(str::to_owned))
        .send()
        .await
        .expect_err("a key that is not the object's must not decrypt");
    assert_error(err, 403, "AccessDenied")
}

/// Puts `body` as `from` under key A and copies it to `to` under key B: the copy reads back with
/// B, and A is refused.
async fn assert_copy_changes_the_key(from: &str, to: &str, body: &[u8]) {
    let env = Env::start().await;
    env.put_ssec(from, body, (K_A, K_A_MD5)).await;
    copy_ssec(&env, from, to, (K_A, K_A_MD5), (K_B, K_B_MD5)).await;
    assert_eq!(env.get_ssec(to, (K_B, K_B_MD5)).await, body);
    get_is_refused(&env, to, (K_A, K_A_MD5), None).await;
    env.stop(&[K_A, K_B]).await;
}

/// C1: copy an SSE-C object under another key; the copy reads only with the destination key.
#[tokio::test]
async fn copy_with_source_and_destination_keys() {
    assert_copy_changes_the_key("src", "dst", &data(300_000, 11)).await;
}

/// C9: key rotation by copying an object onto itself; afterwards the old key gets 403.
#[tokio::test]
async fn key_rotation_in_place() {
    assert_copy_changes_the_key("rotate", "rotate", &data(70_000, 12)).await;
}

/// M1, M2, M4, M9, M10: a multipart upload with SSE-C on every part; Complete needs no key.
#[tokio::test]
async fn multipart_with_sse_c_on_every_part() {
    let env = Env::start().await;
    let parts = [data(5 * 1024 * 1024 + 1, 13), data(1000, 14)];
    let created = sse_c_create_upload(&env.client, "mpu", (K_A, K_A_MD5))
        .send()
        .await
        .unwrap_or_else(|e| panic!("create: {}", describe(&e)));
    assert_eq!(created.sse_customer_key_md5(), Some(K_A_MD5), "M1 echoes the key MD5");
    let upload_id = created.upload_id().expect("upload id").to_owned();

    let err = sse_c_upload_part(&env.client, "mpu", (K_B, K_B_MD5))
        .upload_id(&upload_id)
        .part_number(1)
        .body(ByteStream::from(parts[1].clone()))
        .send()
        .await
        .expect_err("M4: a part with another key is refused");
    let message = assert_error(err, 400, "InvalidRequest");
    assert_eq!(message.as_deref(), Some("The provided encryption parameters did not match the ones used originally."));

    let mut completed = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let number = i32::try_from(i + 1).unwrap();
        let out = sse_c_upload_part(&env.client, "mpu", (K_A, K_A_MD5))
            .upload_id(&upload_id)
            .part_number(number)
            .body(ByteStream::from(part.clone()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("part {number}: {}", describe(&e)));
        assert_eq!(out.sse_customer_key_md5(), Some(K_A_MD5), "M2 echoes the key MD5");
        completed.push(CompletedPart::builder().part_number(number).e_tag(out.e_tag().unwrap()).build());
    }
    let done = env.complete_upload("mpu", &upload_id, completed).await;
    assert!(done.e_tag().unwrap().ends_with("-2\""), "multipart ETag: {:?}", done.e_tag());
    assert_eq!(env.get_ssec("mpu", (K_A, K_A_MD5)).await, [parts[0].clone(), parts[1].clone()].concat());
    get_is_refused(&env, "mpu", (K_B, K_B_MD5), None).await;
    env.stop(&[K_A, K_B]).await;
}

/// M7: UploadPartCopy from an SSE-C source into an SSE-C upload under another key, by ranges.
#[tokio::test]
async fn upload_part_copy_from_an_sse_c_source() {
    let env = Env::start().await;
    let source = data(6 * 1024 * 1024, 15);
    env.put_ssec("source", &source, (K_A, K_A_MD5)).await;
    let upload_id = sse_c_create_upload(&env.client, "assembled", (K_B, K_B_MD5))
        .send()
        .await
        .unwrap_or_else(|e| panic!("create: {}", describe(&e)))
        .upload_id()
        .unwrap()
        .to_owned();
    let split = 5 * 1024 * 1024;
    let ranges = [format!("bytes=0-{}", split - 1), format!("bytes={split}-{}", source.len() - 1)];
    let mut completed = Vec::new();
    for (i, range) in ranges.iter().enumerate() {
        let number = i32::try_from(i + 1).unwrap();
        let out = env
            .client
            .upload_part_copy()
            .bucket(BUCKET)
            .key("assembled")
            .upload_id(&upload_id)
            .part_number(number)
            .copy_source(format!("{BUCKET}/source"))
            .copy_source_range(range)
            .copy_source_sse_customer_algorithm("AES256")
            .copy_source_sse_customer_key(K_A)
            .copy_source_sse_customer_key_md5(K_A_MD5)
            .sse_customer_algorithm("AES256")
            .sse_customer_key(K_B)
            .sse_customer_key_md5(K_B_MD5)
            .send()
            .await
            .unwrap_or_else(|e| panic!("part copy {number}: {}", describe(&e)));
        assert_eq!(out.sse_customer_key_md5(), Some(K_B_MD5), "UploadPartCopy echoes the destination key MD5");
        let etag = out.copy_part_result().and_then(|r| r.e_tag()).expect("part ETag").to_owned();
        completed.push(CompletedPart::builder().part_number(number).e_tag(etag).build());
    }
    env.complete_upload("assembled", &upload_id, completed).await;
    assert_eq!(env.get_ssec("assembled", (K_B, K_B_MD5)).await, source);
    get_is_refused(&env, "assembled", (K_A, K_A_MD5), None).await;
    env.stop(&[K_A, K_B]).await;
}

/// G11: a versioned bucket where each version has its own key.
#[tokio::test]
async fn versioned_bucket_with_two_keys() {
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    let env = Env::start().await;
    env.client
        .put_bucket_versioning()
        .bucket(BUCKET)
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .unwrap_or_else(|e| panic!("versioning: {}", describe(&e)));
    let (v1_body, v2_body) = (data(1000, 16), data(2000, 17));
    env.put_ssec("doc", &v1_body, (K_A, K_A_MD5)).await;
    let v1 = env.seen.last().header("x-amz-version-id").expect("PUT returns a version id").to_owned();
    env.put_ssec("doc", &v2_body, (K_B, K_B_MD5)).await;
    let old = sse_c_get(&env.client, "doc", (K_A, K_A_MD5))
        .version_id(&v1)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET v1: {}", describe(&e)));
    assert_eq!(old.body.collect().await.unwrap().into_bytes().to_vec(), v1_body);
    get_is_refused(&env, "doc", (K_B, K_B_MD5), Some(&v1)).await;
    assert_eq!(env.get_ssec("doc", (K_B, K_B_MD5)).await, v2_body);
    env.stop(&[K_A, K_B]).await;
}

/// PS1: a presigned PUT with SSE-C (headers signed), then a presigned GET with the same headers.
#[tokio::test]
async fn presigned_put_then_get_with_sse_c() {
    let env = Env::start().await;
    let body = data(100_000, 18);
    let http = presigned_url_client(&env.server);
    let expires = PresigningConfig::expires_in(Duration::from_secs(300)).unwrap();
    let put =
        sse_c_put(&env.client, "presigned-put", (K_A, K_A_MD5)).presigned(expires.clone()).await.expect("presign PUT");
    let req = with_presigned_headers(http.put(put.uri()).body(body.clone()), &put);
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    assert_eq!(resp.headers().get(KEY_MD5).map(|v| v.to_str().unwrap().to_owned()), Some(K_A_MD5.to_owned()));
    assert_eq!(status, 200, "presigned PUT: {}", resp.text().await.unwrap_or_default());

    let get = sse_c_get(&env.client, "presigned-put", (K_A, K_A_MD5)).presigned(expires).await.expect("presign GET");
    let req = with_presigned_headers(http.get(get.uri()), &get);
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(&resp.bytes().await.unwrap()[..], &body[..], "the presigned GET returns what the presigned PUT stored");
    get_is_refused(&env, "presigned-put", (K_B, K_B_MD5), None).await;
    env.stop(&[K_A, K_B]).await;
}
