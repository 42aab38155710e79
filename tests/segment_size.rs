//! The segment size of new objects is a server setting (`ServerConfig::segment_size`): 256 KiB by
//! default, as small as 64 bytes in memory for tests and fuzzers. Driven through the AWS SDK for Rust.

mod common;

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use base64::Engine as _;
use common::{sdk_client, start_with};
use md5::{Digest as _, Md5};
use ssec_conform::server::crypto::MIN_SEGMENT_SIZE;
use ssec_conform::{ReferenceServer, ServerConfig};

const BUCKET: &str = "seg";

sse_c_requests! {
    BUCKET;
    /// A GetObject.
    sse_c_get: get_object -> aws_sdk_s3::operation::get_object::builders::GetObjectFluentBuilder;
    /// A PutObject (no body yet).
    sse_c_put: put_object -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder;
}

/// An SSE-C object of 1,000 bytes in 64-byte segments reads back whole and in ranges that cross
/// segments, with the right key only.
#[tokio::test]
async fn small_segments_read_back_exactly_across_their_boundaries() {
    let server = start_with(ServerConfig { segment_size: MIN_SEGMENT_SIZE, ..ServerConfig::default() }).await;
    let s3 = sdk_client(&server);
    let b64 = base64::engine::general_purpose::STANDARD;
    let triple = |k: [u8; 32]| (b64.encode(k), b64.encode(Md5::digest(k)));
    let (key, md5) = triple([3; 32]);
    let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    sse_c_put(&s3, "obj", (&key, &md5)).body(ByteStream::from(data.clone())).send().await.unwrap();
    for (range, want) in [(None, &data[..]), (Some("bytes=60-200"), &data[60..=200]), (Some("bytes=-70"), &data[930..])]
    {
        let got = sse_c_get(&s3, "obj", (&key, &md5)).set_range(range.map(str::to_owned)).send().await.unwrap();
        assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), want, "{range:?}");
    }
    let (wrong, wrong_md5) = triple([4; 32]);
    let err = sse_c_get(&s3, "obj", (&wrong, &wrong_md5)).send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    assert_eq!(err.code(), Some("AccessDenied"));
    server.shutdown().await;
}

/// A segment size under the minimum, or other than the default with a data directory, is refused
/// at start with a message naming the setting.
#[tokio::test]
async fn an_unusable_segment_size_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    for config in [
        ServerConfig { segment_size: MIN_SEGMENT_SIZE - 1, ..ServerConfig::default() },
        ServerConfig { segment_size: 4096, data_dir: Some(dir.path().join("data")), ..ServerConfig::default() },
    ] {
        let Err(err) = ReferenceServer::start(config).await else { panic!("the server started") };
        assert!(err.to_string().contains("segment size"), "{err}");
    }
}
