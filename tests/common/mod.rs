//! Helpers shared by the integration tests: starting a reference server and its clients (the
//! crate's own and the AWS SDK), SSE-C headers, an element of an S3 XML body, captured logs, raw
//! TCP/TLS requests for what no client library sends, and a fake endpoint for what the reference
//! server never does.

// Each test file uses its own subset.
#![allow(dead_code)]

pub(crate) mod capture;
pub(crate) mod fake_endpoint;
pub(crate) mod process;
pub(crate) mod raw;
pub(crate) mod sdk;
pub(crate) mod sse_c;

use std::time::Duration;

use bytes::Bytes;

use ssec_conform::client::{Client, Outgoing, Target, Trust};
use ssec_conform::scenario::runner::embedded_target;
use ssec_conform::server::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, Limits};
use ssec_conform::{ReferenceServer, ServerConfig, ServerHandle};

// Re-exported so a test file imports every helper from `common`; each uses its own subset.
#[allow(unused_imports)]
pub(crate) use {capture::*, process::*, raw::*, sdk::*, sse_c::*};

/// The bucket of the tests that need only one.
pub(crate) const BUCKET: &str = "limits";

/// How long a test client waits for one response.
pub(crate) const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// A reference server with `config`.
pub(crate) async fn start_with(config: ServerConfig) -> ServerHandle {
    ReferenceServer::start(config).await.expect("server starts")
}

/// A reference server that accepts SSE-C over plain HTTP (an operator opt-out, so a run has a
/// security finding), the runtime it lives on, and a directory holding its CA as `ca.pem`.
pub(crate) fn accepting_sse_c_over_http() -> (tokio::runtime::Runtime, ServerHandle, tempfile::TempDir) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = rt.block_on(start_with(ServerConfig { allow_sse_c_over_http: true, ..ServerConfig::default() }));
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("ca.pem"), server.ca_pem()).expect("write ca.pem");
    (rt, server, dir)
}

/// A reference server with the default configuration but for `limits`.
pub(crate) async fn start(limits: Limits) -> ServerHandle {
    start_with(ServerConfig { limits, ..ServerConfig::default() }).await
}

/// A client of the plain-HTTP listener (no SSE-C needed here).
pub(crate) fn http_client(server: &ServerHandle) -> Client {
    let (access_key, secret_key) = server.credentials();
    client_with(server.http_url().expect("http listener"), Trust::WebPki, access_key, secret_key)
}

/// A client of the HTTPS listener, trusting the server's certificate (SSE-C needs TLS).
pub(crate) fn https_client(server: &ServerHandle) -> Client {
    Client::new(embedded_target(server, CLIENT_TIMEOUT)).unwrap()
}

/// A client of `endpoint` signing with the reference server's default credentials.
pub(crate) fn client_for(endpoint: &str, trust: Trust) -> Client {
    Client::new(target_for(endpoint, trust)).unwrap()
}

/// The target `endpoint` (path-style) signing with the reference server's default credentials.
pub(crate) fn target_for(endpoint: &str, trust: Trust) -> Target {
    target_with(endpoint, trust, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
}

fn client_with(endpoint: &str, trust: Trust, access_key: &str, secret_key: &str) -> Client {
    Client::new(target_with(endpoint, trust, access_key, secret_key)).unwrap()
}

fn target_with(endpoint: &str, trust: Trust, access_key: &str, secret_key: &str) -> Target {
    Target { trust, timeout: CLIENT_TIMEOUT, ..Target::new(url::Url::parse(endpoint).unwrap(), access_key, secret_key) }
}

/// A reference server with the default configuration but for `limits`, a client of its plain-HTTP
/// listener, and [`BUCKET`] created.
pub(crate) async fn start_with_bucket(limits: Limits) -> (ServerHandle, Client) {
    let server = start(limits).await;
    let client = http_client(&server);
    create_bucket(&client).await;
    (server, client)
}

/// A PutBucketVersioning that enables versioning on `bucket`.
pub(crate) fn enable_versioning(bucket: &str) -> Outgoing {
    let mut versioning = Outgoing::new("PUT", Some(bucket), None);
    versioning.query.push(("versioning".into(), String::new()));
    versioning.body =
        Bytes::from_static(b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>");
    versioning
}

/// Creates [`BUCKET`].
pub(crate) async fn create_bucket(client: &Client) {
    let r = client.send(&Outgoing::new("PUT", Some(BUCKET), None)).await.response.unwrap();
    assert_eq!(r.status, 200, "CreateBucket: {}", String::from_utf8_lossy(&r.body));
}

/// The value of the first header `name` (case-insensitive) in a list of headers.
pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// The text of the first `<name>` element of an XML body (`None`: absent, or the body is not UTF-8).
pub(crate) fn element<'a>(body: &'a (impl AsRef<[u8]> + ?Sized), name: &str) -> Option<&'a str> {
    let text = std::str::from_utf8(body.as_ref()).ok()?;
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{name}>"))? + start;
    Some(&text[start..end])
}
