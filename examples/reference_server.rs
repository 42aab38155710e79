//! The reference SSE-C server inside your own program or test suite, driven by the official AWS SDK
//! for Rust: start it, point the SDK at it (trusting its generated CA), write an object under a
//! customer key, read it back with the key, and see a read without the key refused as AWS refuses it.
//!
//! ```text
//! cargo run --example reference_server
//! ```

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use ssec_conform::sse_c::CustomerKey;
use ssec_conform::{ReferenceServer, ServerConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Loopback only, ephemeral ports, objects in memory.
    let server = ReferenceServer::start(ServerConfig::default()).await?;
    let endpoint = server.https_url().expect("the HTTPS listener is on by default");
    let (access_key, secret_key) = server.credentials();

    // An SDK client that trusts the server's CA.
    let trust = TrustStore::empty().with_pem_certificate(server.ca_pem().as_bytes());
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(TlsContext::builder().with_trust_store(trust).build()?)
        .build_https();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(access_key, secret_key, None, None, "example"))
        .http_client(http)
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(config);

    // A customer key: the SDK sends it base64-encoded with its MD5.
    let key = CustomerKey::random();
    let (key_b64, key_md5) = (key.to_base64(), key.md5_b64());

    s3.create_bucket().bucket("example").send().await?;
    let put = s3
        .put_object()
        .bucket("example")
        .key("secret.txt")
        .body(ByteStream::from_static(b"attack at dawn"))
        .sse_customer_algorithm("AES256")
        .sse_customer_key(key_b64.as_str())
        .sse_customer_key_md5(&key_md5)
        .send()
        .await?;
    assert_eq!(put.sse_customer_key_md5(), Some(key_md5.as_str()), "the server echoes the key's MD5");

    let got = s3
        .get_object()
        .bucket("example")
        .key("secret.txt")
        .sse_customer_algorithm("AES256")
        .sse_customer_key(key_b64.as_str())
        .sse_customer_key_md5(&key_md5)
        .send()
        .await?;
    let body = got.body.collect().await?.into_bytes();
    assert_eq!(&body[..], b"attack at dawn");

    let refused = s3.get_object().bucket("example").key("secret.txt").send().await.expect_err("needs the key");
    let status = refused.raw_response().map(|r| r.status().as_u16());
    assert_eq!((status, refused.code()), (Some(400), Some("InvalidRequest")), "as AWS answers (G2)");

    println!("PUT and GET with the key: ok; GET without it: {:?} {:?}", status, refused.code());
    server.shutdown().await;
    Ok(())
}
