//! Flexible checksums with SSE-C through the official AWS SDK for Rust, over real TLS and SigV4:
//! the SDK's default checksum, explicit CRC32 and SHA-256, checksum mode on GET and HEAD, an
//! aws-chunked upload with a trailing checksum, and multipart checksums (catalogue A7.2–A7.6).

mod common;

use std::sync::{Arc, Mutex};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::operation::complete_multipart_upload::builders::CompleteMultipartUploadFluentBuilder;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart};
use aws_smithy_runtime_api::box_error::BoxError;
use ssec_conform::ServerConfig;
use ssec_conform::server::checksum::{Algorithm, Kind, ObjectChecksum};

const BUCKET: &str = "checksums";
/// Catalogue fixture K_A (section 0.2).
const K_A: &str = "pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=";
const K_A_MD5: &str = "DWygnHRtgiJ77HCm+1rvHw==";

/// The headers of one request.
type Headers = Vec<(String, String)>;

/// The headers of every request the SDK sends, as signed.
#[derive(Debug, Clone, Default)]
struct Sent(Arc<Mutex<Vec<Headers>>>);

impl Sent {
    fn last(&self, name: &str) -> Option<String> {
        let all = self.0.lock().unwrap();
        common::header(all.last()?, name).map(str::to_owned)
    }
}

impl Intercept for Sent {
    fn name(&self) -> &'static str {
        "Sent"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context.request().headers().iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
        self.0.lock().unwrap().push(headers);
        Ok(())
    }
}

async fn start() -> (ssec_conform::ServerHandle, Client, Sent) {
    let server = common::start_with(ServerConfig::default()).await;
    let sent = Sent::default();
    let config = common::sdk_config(&server, server.https_url().expect("https listener")).interceptor(sent.clone());
    let client = Client::from_conf(config.build());
    client.create_bucket().bucket(BUCKET).send().await.expect("create bucket");
    (server, client, sent)
}

sse_c_requests!(BUCKET);
sse_c_requests! {
    BUCKET;
    /// A CompleteMultipartUpload (no upload id or parts yet).
    sse_c_complete: complete_multipart_upload -> CompleteMultipartUploadFluentBuilder;
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[tokio::test]
async fn default_checksum_is_crc32_and_head_with_checksum_mode_returns_it() {
    let (server, client, sent) = start().await;
    let body = data(100_000);
    let put = sse_c_put(&client, "obj", (K_A, K_A_MD5))
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("SSE-C PUT with the SDK's default checksum");
    let crc32 = Algorithm::Crc32.compute(&body);
    assert_eq!(sent.last("x-amz-checksum-crc32").as_deref(), Some(crc32.as_str()), "the SDK sent a CRC32");
    assert_eq!(put.checksum_crc32(), Some(crc32.as_str()), "A7.2: PUT answers the CRC32");
    assert_eq!(put.checksum_type(), Some(&ChecksumType::FullObject), "A7.2: type FULL_OBJECT");
    let head = sse_c_head(&client, "obj", (K_A, K_A_MD5))
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .expect("HEAD with the key and checksum mode");
    assert_eq!(head.checksum_crc32(), Some(crc32.as_str()), "A7.2: HEAD with checksum mode returns the CRC32");
    assert_eq!(head.checksum_type(), Some(&ChecksumType::FullObject));
    let plain_head = sse_c_head(&client, "obj", (K_A, K_A_MD5)).send().await.expect("HEAD with the key");
    assert_eq!(plain_head.checksum_crc32(), None, "no checksum without checksum mode");
    server.shutdown().await;
}

#[tokio::test]
async fn explicit_sha256_put_is_returned_by_get_with_checksum_mode_and_validated_by_the_sdk() {
    let (server, client, _) = start().await;
    let body = data(300_000);
    let put = sse_c_put(&client, "obj", (K_A, K_A_MD5))
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("SSE-C PUT with SHA256");
    let sha256 = Algorithm::Sha256.compute(&body);
    assert_eq!(put.checksum_sha256(), Some(sha256.as_str()));
    assert_eq!(put.checksum_crc32(), None, "only the algorithm asked for");
    let get = sse_c_get(&client, "obj", (K_A, K_A_MD5))
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .expect("GET with the key and checksum mode");
    assert_eq!(get.checksum_sha256(), Some(sha256.as_str()), "GET returns the stored SHA256");
    // The SDK validates the body against the checksum it was given while reading it.
    let got = get.body.collect().await.expect("body passes the SDK's checksum validation").into_bytes();
    assert_eq!(&got[..], &body[..]);
    let without_key =
        client.get_object().bucket(BUCKET).key("obj").checksum_mode(ChecksumMode::Enabled).send().await.unwrap_err();
    let meta = without_key.as_service_error().expect("a service error");
    assert_eq!(meta.code(), Some("InvalidRequest"), "G2: no checksum without the key");
    server.shutdown().await;
}

#[tokio::test]
async fn streaming_upload_sends_an_aws_chunked_body_with_a_crc32_trailer() {
    let (server, client, sent) = start().await;
    let body = data(700_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("body");
    std::fs::write(&path, &body).unwrap();
    let put = sse_c_put(&client, "streamed", (K_A, K_A_MD5))
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .body(ByteStream::from_path(&path).await.unwrap())
        .send()
        .await
        .expect("aws-chunked SSE-C PUT with a trailer");
    assert_eq!(sent.last("x-amz-trailer").as_deref(), Some("x-amz-checksum-crc32"), "the SDK streamed a trailer");
    assert_eq!(sent.last("content-encoding").as_deref(), Some("aws-chunked"));
    assert_eq!(put.checksum_crc32(), Some(Algorithm::Crc32.compute(&body).as_str()));
    assert_eq!(put.sse_customer_key_md5(), Some(K_A_MD5));
    let get = sse_c_get(&client, "streamed", (K_A, K_A_MD5)).send().await.expect("GET");
    assert_eq!(&get.body.collect().await.unwrap().into_bytes()[..], &body[..]);
    server.shutdown().await;
}

#[tokio::test]
async fn multipart_crc32_upload_answers_part_and_composite_checksums() {
    let (server, client, _) = start().await;
    let (p1, p2) = (data(5 << 20), data(70_000));
    let create = sse_c_create_upload(&client, "mp", (K_A, K_A_MD5))
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .expect("create");
    assert_eq!(create.checksum_algorithm(), Some(&ChecksumAlgorithm::Crc32));
    let upload_id = create.upload_id().unwrap().to_owned();
    let mut parts = Vec::new();
    for (n, body) in [(1, &p1), (2, &p2)] {
        let out = sse_c_upload_part(&client, "mp", (K_A, K_A_MD5))
            .upload_id(&upload_id)
            .part_number(n)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .expect("part");
        assert_eq!(out.checksum_crc32(), Some(Algorithm::Crc32.compute(body).as_str()), "A7.4: part {n}");
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .checksum_crc32(out.checksum_crc32().unwrap())
                .build(),
        );
    }
    let without_key = client
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key("mp")
        .upload_id(&upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts.clone())).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(without_key.as_service_error().and_then(|e| e.code()), Some("InvalidRequest"), "A7.6");
    let done = sse_c_complete(&client, "mp", (K_A, K_A_MD5))
        .upload_id(&upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .expect("complete with the key");
    let sums = [(Algorithm::Crc32.compute(&p1), p1.len() as u64), (Algorithm::Crc32.compute(&p2), p2.len() as u64)];
    let composite = ObjectChecksum::of_parts(Algorithm::Crc32, Kind::Composite, &sums).unwrap();
    assert_eq!(done.checksum_crc32(), Some(composite.value.as_str()));
    assert!(composite.value.ends_with("-2"));
    assert_eq!(done.checksum_type(), Some(&ChecksumType::Composite));
    server.shutdown().await;
}
