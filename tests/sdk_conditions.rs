//! Conditional requests, tagging, GetObjectAttributes' ETag, the default encryption of plain objects
//! and DeleteBucket of a bucket with an unfinished upload, driven through the AWS SDK for Rust
//! against the reference server with SSE-C (catalogue V1, V3, V5, A7.1, A7.5, A7.7).

mod common;

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{ObjectAttributes, ServerSideEncryption, Tag, Tagging};
use base64::Engine as _;
use common::{sdk_client, start_with};
use md5::{Digest as _, Md5};
use ssec_conform::ServerConfig;

const BUCKET: &str = "conditions";

sse_c_requests! {
    BUCKET;
    /// A GetObject.
    sse_c_get: get_object -> aws_sdk_s3::operation::get_object::builders::GetObjectFluentBuilder;
    /// A PutObject (no body yet).
    sse_c_put: put_object -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder;
    /// A CreateMultipartUpload.
    sse_c_create_upload: create_multipart_upload
        -> aws_sdk_s3::operation::create_multipart_upload::builders::CreateMultipartUploadFluentBuilder;
    /// A GetObjectAttributes (no attributes yet).
    sse_c_attributes: get_object_attributes
        -> aws_sdk_s3::operation::get_object_attributes::builders::GetObjectAttributesFluentBuilder;
}

/// The base64 key and key MD5 of a 32-byte key made of `byte`.
fn key(byte: u8) -> (String, String) {
    let b64 = base64::engine::general_purpose::STANDARD;
    (b64.encode([byte; 32]), b64.encode(Md5::digest([byte; 32])))
}

/// The HTTP status and error code of an SDK error.
fn status_and_code<E: aws_sdk_s3::error::ProvideErrorMetadata>(
    err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> (u16, String) {
    (err.raw_response().map_or(0, |r| r.status().as_u16()), err.code().unwrap_or_default().to_owned())
}

async fn client() -> (ssec_conform::ServerHandle, aws_sdk_s3::Client) {
    let server = start_with(ServerConfig::default()).await;
    let s3 = sdk_client(&server);
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    (server, s3)
}

#[tokio::test]
async fn conditional_put_and_date_preconditions_with_sse_c() {
    let (server, s3) = client().await;
    let (a, a_md5) = key(1);
    let (b, b_md5) = key(2);
    let (a, b) = ((a.as_str(), a_md5.as_str()), (b.as_str(), b_md5.as_str()));
    let put = |k, body: &'static [u8]| sse_c_put(&s3, "obj", k).body(ByteStream::from_static(body));
    put(a, b"first").if_none_match("*").send().await.unwrap();
    let err = put(b, b"second").if_none_match("*").send().await.unwrap_err();
    assert_eq!(status_and_code(&err), (412, "PreconditionFailed".to_owned()));
    let get = |k| sse_c_get(&s3, "obj", k);
    let old = DateTime::from_secs(946_684_800); // 2000-01-01
    let err = get(a).if_unmodified_since(old).send().await.unwrap_err();
    assert_eq!(status_and_code(&err), (412, "PreconditionFailed".to_owned()));
    // With another key the SSE-C answer wins over the precondition.
    let err = get(b).if_unmodified_since(old).send().await.unwrap_err();
    assert_eq!(status_and_code(&err), (403, "AccessDenied".to_owned()));
    let out = get(a).if_modified_since(old).send().await.unwrap();
    assert_eq!(out.server_side_encryption(), None);
    assert_eq!(out.sse_customer_key_md5(), Some(a.1));
    assert_eq!(out.body.collect().await.unwrap().into_bytes().as_ref(), b"first");
    server.shutdown().await;
}

#[tokio::test]
async fn tagging_needs_no_key_and_attributes_etag_is_unquoted() {
    let (server, s3) = client().await;
    let (a, a_md5) = key(3);
    let a = (a.as_str(), a_md5.as_str());
    let put = sse_c_put(&s3, "obj", a).body(ByteStream::from_static(b"hello")).send().await.unwrap();
    let tag = Tag::builder().key("team").value("blue").build().unwrap();
    let tagging = Tagging::builder().tag_set(tag).build().unwrap();
    s3.put_object_tagging().bucket(BUCKET).key("obj").tagging(tagging).send().await.unwrap();
    let tags = s3.get_object_tagging().bucket(BUCKET).key("obj").send().await.unwrap();
    assert_eq!(tags.tag_set().iter().map(|t| (t.key(), t.value())).collect::<Vec<_>>(), [("team", "blue")]);
    let got = sse_c_get(&s3, "obj", a).send().await.unwrap();
    assert_eq!(got.tag_count(), Some(1));
    let attributes = sse_c_attributes(&s3, "obj", a).object_attributes(ObjectAttributes::Etag).send().await.unwrap();
    let quoted = put.e_tag().unwrap();
    assert!(quoted.starts_with('"'), "PUT quotes its ETag: {quoted}");
    assert_eq!(attributes.e_tag(), Some(quoted.trim_matches('"')));
    server.shutdown().await;
}

#[tokio::test]
async fn plain_writes_answer_sse_s3_and_delete_bucket_takes_unfinished_uploads() {
    let (server, s3) = client().await;
    let out = s3.put_object().bucket(BUCKET).key("plain").body(ByteStream::from_static(b"x")).send().await.unwrap();
    assert_eq!(out.server_side_encryption(), Some(&ServerSideEncryption::Aes256));
    s3.delete_object().bucket(BUCKET).key("plain").send().await.unwrap();
    let (a, a_md5) = key(4);
    sse_c_create_upload(&s3, "mpu", (&a, &a_md5)).send().await.unwrap();
    s3.delete_bucket().bucket(BUCKET).send().await.unwrap();
    let err = s3.head_bucket().bucket(BUCKET).send().await.unwrap_err();
    assert_eq!(status_and_code(&err).0, 404);
    server.shutdown().await;
}
