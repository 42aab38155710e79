//! The official AWS SDK for Rust as a client of the reference server.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use ssec_conform::ServerHandle;

/// An AWS SDK configuration for `server` at `endpoint` (path-style, the server's CA trusted, its
/// credentials), to be completed by the caller.
pub(crate) fn sdk_config(server: &ServerHandle, endpoint: &str) -> aws_sdk_s3::config::Builder {
    let trust = TrustStore::empty().with_pem_certificate(server.ca_pem().as_bytes());
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(TlsContext::builder().with_trust_store(trust).build().expect("TLS context"))
        .build_https();
    let (access, secret) = server.credentials();
    aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(access, secret, None, None, "ssec-conform-tests"))
        .http_client(http)
}

/// An AWS SDK client of `server`'s HTTPS listener.
pub(crate) fn sdk_client(server: &ServerHandle) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(sdk_config(server, server.https_url().expect("https listener")).build())
}

/// Defines, per operation, `fn name(client, key, (customer key, key MD5)) -> builder`: the request
/// for `key` in the bucket carrying the SSE-C triple (the SDK's builders share no trait for it).
/// With only a bucket, defines the five requests most tests use: `sse_c_get`, `sse_c_head`,
/// `sse_c_put`, `sse_c_create_upload` and `sse_c_upload_part`.
#[macro_export]
macro_rules! sse_c_requests {
    ($bucket:expr) => {
        $crate::sse_c_requests! {
            $bucket;
            /// A GetObject.
            sse_c_get: get_object -> aws_sdk_s3::operation::get_object::builders::GetObjectFluentBuilder;
            /// A HeadObject.
            sse_c_head: head_object -> aws_sdk_s3::operation::head_object::builders::HeadObjectFluentBuilder;
            /// A PutObject (no body yet).
            sse_c_put: put_object -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder;
            /// A CreateMultipartUpload.
            sse_c_create_upload: create_multipart_upload
                -> aws_sdk_s3::operation::create_multipart_upload::builders::CreateMultipartUploadFluentBuilder;
            /// An UploadPart (no upload id, part number or body yet).
            sse_c_upload_part: upload_part -> aws_sdk_s3::operation::upload_part::builders::UploadPartFluentBuilder;
        }
    };
    ($bucket:expr; $($(#[$doc:meta])* $name:ident: $operation:ident -> $builder:ty;)*) => {$(
        $(#[$doc])*
        fn $name(client: &aws_sdk_s3::Client, key: &str, (k, md5): (&str, &str)) -> $builder {
            let request = client.$operation().bucket($bucket).key(key);
            request.sse_customer_algorithm("AES256").sse_customer_key(k).sse_customer_key_md5(md5)
        }
    )*};
}
