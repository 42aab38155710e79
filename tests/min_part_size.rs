//! The minimum part size of CompleteMultipartUpload is a server setting (`Limits::min_part_size`):
//! 5 MiB by default as on AWS, smaller for tests and fuzzers. Exercised with the AWS SDK for Rust over
//! HTTPS, with SSE-C parts.

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use base64::Engine as _;
use md5::{Digest as _, Md5};
use ssec_conform::server::Limits;
use ssec_conform::{ReferenceServer, ServerConfig, ServerHandle};

fn client(server: &ServerHandle) -> Client {
    let trust = TrustStore::empty().with_pem_certificate(server.ca_pem().as_bytes());
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(TlsContext::builder().with_trust_store(trust).build().expect("TLS context"))
        .build_https();
    let (access, secret) = server.credentials();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(server.https_url().expect("https listener"))
        .force_path_style(true)
        .credentials_provider(Credentials::new(access, secret, None, None, "min-part-size-test"))
        .http_client(http)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

const KEY: [u8; 32] = [7; 32];

/// Uploads a 2,000-byte and a 10-byte SSE-C part, then completes the upload.
async fn two_small_parts(server: &ServerHandle) -> (Client, Result<(), (u16, String, String)>) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let (key, md5) = (b64.encode(KEY), b64.encode(Md5::digest(KEY)));
    let s3 = client(server);
    s3.create_bucket().bucket("parts").send().await.unwrap();
    let upload = s3
        .create_multipart_upload()
        .bucket("parts")
        .key("obj")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(&key)
        .sse_customer_key_md5(&md5)
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap();
    let mut parts = Vec::new();
    for (n, len) in [(1, 2000), (2, 10)] {
        let out = s3
            .upload_part()
            .bucket("parts")
            .key("obj")
            .upload_id(id)
            .part_number(n)
            .sse_customer_algorithm("AES256")
            .sse_customer_key(&key)
            .sse_customer_key_md5(&md5)
            .body(ByteStream::from(vec![n as u8; len]))
            .send()
            .await
            .unwrap();
        parts.push(CompletedPart::builder().part_number(n).e_tag(out.e_tag().unwrap()).build());
    }
    let done = s3
        .complete_multipart_upload()
        .bucket("parts")
        .key("obj")
        .upload_id(id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await;
    let result = done.map(|_| ()).map_err(|e| {
        let status = e.raw_response().map_or(0, |r| r.status().as_u16());
        let e = e.into_service_error();
        (status, e.code().unwrap_or_default().to_owned(), e.message().unwrap_or_default().to_owned())
    });
    (s3, result)
}

#[tokio::test]
async fn default_minimum_is_aws_5_mib() {
    let server = ReferenceServer::start(ServerConfig::default()).await.unwrap();
    let (_, result) = two_small_parts(&server).await;
    let (status, code, message) = result.expect_err("a 2,000-byte first part completed under the 5 MiB default");
    assert_eq!((status, code.as_str()), (400, "EntityTooSmall"), "{message}");
    assert!(message.contains("Part 1 has 2000 bytes"), "{message}");
}

#[tokio::test]
async fn smaller_configured_minimum_completes_small_parts() {
    let config =
        ServerConfig { limits: Limits { min_part_size: 1024, ..Limits::default() }, ..ServerConfig::default() };
    let server = ReferenceServer::start(config).await.unwrap();
    let (s3, result) = two_small_parts(&server).await;
    result.expect("parts over the configured 1 KiB minimum complete");
    let b64 = base64::engine::general_purpose::STANDARD;
    let got = s3
        .get_object()
        .bucket("parts")
        .key("obj")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(b64.encode(KEY))
        .sse_customer_key_md5(b64.encode(Md5::digest(KEY)))
        .send()
        .await
        .unwrap();
    let body = got.body.collect().await.unwrap().into_bytes();
    let mut want = vec![1u8; 2000];
    want.extend([2u8; 10]);
    assert_eq!(body.as_ref(), want.as_slice());
}

#[test]
fn a_minimum_over_the_object_size_limit_is_refused() {
    let limits = Limits { min_part_size: 2048, max_object_size: 1024, ..Limits::default() };
    let err = limits.validate().unwrap_err().to_string();
    assert!(err.contains("min part size"), "{err}");
}
