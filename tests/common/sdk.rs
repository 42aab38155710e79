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
