//! Helpers shared by the integration tests that talk to a reference server: SSE-C headers on a
//! request, an element of an S3 XML body, and an AWS SDK configuration that trusts the server.
//! Each test crate uses the part it needs.
#![allow(dead_code)]

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use ssec_conform::ServerHandle;
use ssec_conform::client::Outgoing;
use ssec_conform::sse_c::CustomerKey;
use ssec_conform::sse_c::headers::{
    AES256, ALGORITHM, COPY_SOURCE_ALGORITHM, COPY_SOURCE_KEY, COPY_SOURCE_KEY_MD5, KEY, KEY_MD5,
};

/// Adds the SSE-C triple of `key`.
pub fn with_key(mut req: Outgoing, key: &CustomerKey) -> Outgoing {
    req.headers.push((ALGORITHM.into(), AES256.into()));
    req.headers.push((KEY.into(), key.to_base64().to_string()));
    req.headers.push((KEY_MD5.into(), key.md5_b64()));
    req
}

/// Adds `x-amz-copy-source: /bucket/key` and the copy-source SSE-C triple of `key`.
pub fn with_copy_source(mut req: Outgoing, bucket: &str, source: &str, key: &CustomerKey) -> Outgoing {
    req.headers.push(("x-amz-copy-source".into(), format!("/{bucket}/{source}")));
    req.headers.push((COPY_SOURCE_ALGORITHM.into(), AES256.into()));
    req.headers.push((COPY_SOURCE_KEY.into(), key.to_base64().to_string()));
    req.headers.push((COPY_SOURCE_KEY_MD5.into(), key.md5_b64()));
    req
}

/// The text of the first `<name>` element of an XML body.
pub fn element(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{name}>"))? + start;
    Some(text[start..end].to_owned())
}

/// An AWS SDK configuration for `server` at `endpoint` (path-style, the server's CA trusted, its
/// credentials), to be completed by the caller.
pub fn sdk_config(server: &ServerHandle, endpoint: &str) -> aws_sdk_s3::config::Builder {
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
