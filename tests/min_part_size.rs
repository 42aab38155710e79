//! The minimum part size of CompleteMultipartUpload is a server setting (`Limits::min_part_size`):
//! 5 MiB by default as on AWS, smaller for tests and fuzzers. Driven through the AWS SDK for Rust.

mod common;

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use common::{sdk_client, start_with};
use md5::{Digest as _, Md5};
use ssec_conform::{ServerConfig, ServerHandle};

/// The customer key of the minimum-part-size tests.
const PARTS_KEY: [u8; 32] = [7; 32];

/// Uploads a 2,000-byte and a 10-byte SSE-C part, then completes the upload.
async fn two_small_parts(server: &ServerHandle) -> (aws_sdk_s3::Client, Result<(), (u16, String, String)>) {
    let b64 = base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    let (key, md5) = (b64.encode(PARTS_KEY), b64.encode(Md5::digest(PARTS_KEY)));
    let s3 = sdk_client(server);
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
        parts.push(aws_sdk_s3::types::CompletedPart::builder().part_number(n).e_tag(out.e_tag().unwrap()).build());
    }
    let done = s3
        .complete_multipart_upload()
        .bucket("parts")
        .key("obj")
        .upload_id(id)
        .multipart_upload(aws_sdk_s3::types::CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
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
    let server = start_with(ServerConfig::default()).await;
    let (_, result) = two_small_parts(&server).await;
    let (status, code, message) = result.expect_err("a 2,000-byte first part completed under the 5 MiB default");
    assert_eq!((status, code.as_str()), (400, "EntityTooSmall"), "{message}");
    assert!(message.contains("Part 1 has 2000 bytes"), "{message}");
}

#[tokio::test]
async fn smaller_configured_minimum_completes_small_parts() {
    let config = ServerConfig {
        limits: ssec_conform::server::Limits { min_part_size: 1024, ..ssec_conform::server::Limits::default() },
        ..ServerConfig::default()
    };
    let server = start_with(config).await;
    let (s3, result) = two_small_parts(&server).await;
    result.expect("parts over the configured 1 KiB minimum complete");
    let b64 = base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    let got = s3
        .get_object()
        .bucket("parts")
        .key("obj")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(b64.encode(PARTS_KEY))
        .sse_customer_key_md5(b64.encode(Md5::digest(PARTS_KEY)))
        .send()
        .await
        .unwrap();
    let body = got.body.collect().await.unwrap().into_bytes();
    let mut want = vec![1u8; 2000];
    want.extend([2u8; 10]);
    assert_eq!(body.as_ref(), want.as_slice());
}
