//! The reference server's OpenStack Swift front, over real sockets (HTTPS with the server's CA, and
//! plain HTTP): a bucket policy denies Swift writes to a container exactly as it denies S3 writes
//! to the same bucket, TempAuth tokens expire, TempAuth is refused over plain HTTP unless the
//! operator allows it, and wrong credentials or tokens are refused.

use std::time::Duration;

mod common;

use bytes::Bytes;
use common::{element, https_client, start_with};
use ssec_conform::client::{Client, Outgoing};
use ssec_conform::{ServerConfig, ServerHandle};

const ALGORITHM_KEY: &str = "s3:x-amz-server-side-encryption-customer-algorithm";

/// A Swift client of one server: plain reqwest, trusting the server's CA.
struct Swift {
    http: reqwest::Client,
    https: String,
    plain: String,
    /// `/v1/AUTH_<account>`.
    account: String,
    user: String,
    key: String,
}

/// A TempAuth answer.
struct Auth {
    status: u16,
    token: Option<String>,
    expires: Option<String>,
    body: String,
}

impl Swift {
    fn new(server: &ServerHandle) -> Self {
        let ca = reqwest::Certificate::from_pem(server.ca_pem().as_bytes()).unwrap();
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .add_root_certificate(ca)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let (access, secret) = server.credentials();
        Self {
            http,
            https: server.https_url().unwrap().to_owned(),
            plain: server.http_url().unwrap().to_owned(),
            account: format!("/v1/AUTH_{access}"),
            user: format!("test:{access}"),
            key: secret.to_owned(),
        }
    }

    async fn auth_as(&self, base: &str, user: &str, key: &str) -> Auth {
        let r = self
            .http
            .get(format!("{base}/auth/v1.0"))
            .header("x-auth-user", user)
            .header("x-auth-key", key)
            .send()
            .await
            .unwrap();
        let header = |n: &str| r.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
        let (status, token, expires) = (r.status().as_u16(), header("x-auth-token"), header("x-auth-token-expires"));
        Auth { status, token, expires, body: r.text().await.unwrap() }
    }

    /// A token from TempAuth over HTTPS.
    async fn token(&self) -> String {
        let a = self.auth_as(&self.https, &self.user, &self.key).await;
        assert_eq!(a.status, 200, "TempAuth over HTTPS: {}", a.body);
        a.token.expect("X-Auth-Token")
    }

    /// A request to `/v1/AUTH_<account>/<path>` with a token; returns the status and body.
    async fn call(&self, base: &str, method: &str, path: &str, token: &str, body: &'static [u8]) -> (u16, String) {
        let r = self
            .http
            .request(method.parse().unwrap(), format!("{base}{}/{path}", self.account))
            .header("x-auth-token", token)
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

async fn start(config: ServerConfig) -> (ServerHandle, Client, Swift) {
    let server = start_with(config).await;
    let s3 = https_client(&server);
    let swift = Swift::new(&server);
    (server, s3, swift)
}

/// Status and S3 error code of an S3 request.
async fn s3(client: &Client, req: &Outgoing) -> (u16, Option<String>) {
    let r = client.send(req).await.response.unwrap();
    (r.status, element(&r.body, "Code").map(str::to_owned))
}

/// A Deny of `s3:PutObject` on `resource` for writes without SSE-C (a policy that requires SSE-C).
fn require_sse_c(resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"RequireSSEC","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"{resource}","Condition":{{"Null":{{"{ALGORITHM_KEY}":"true"}}}}}}]}}"#
    )
}

#[tokio::test]
async fn a_bucket_policy_denies_swift_writes_as_it_denies_s3_writes() {
    let (server, s3c, swift) = start(ServerConfig::default()).await;
    assert_eq!(s3(&s3c, &Outgoing::new("PUT", Some("guarded"), None)).await, (200, None));
    let mut policy = Outgoing::new("PUT", Some("guarded"), None);
    policy.query.push(("policy".into(), String::new()));
    policy.body = Bytes::from(require_sse_c("arn:aws:s3:::guarded/private/*"));
    assert_eq!(s3(&s3c, &policy).await, (204, None), "PutBucketPolicy");

    // The S3 front: a plaintext write under private/ is denied, elsewhere allowed.
    let mut put = Outgoing::new("PUT", Some("guarded"), Some("private/s3.txt"));
    put.body = Bytes::from_static(b"plaintext");
    assert_eq!(s3(&s3c, &put).await, (403, Some("AccessDenied".into())), "S3 plaintext PUT under private/");

    // The Swift front, same bucket: the same decision.
    let token = swift.token().await;
    let (status, body) = swift.call(&swift.https, "PUT", "guarded/private/swift.txt", &token, b"plaintext").await;
    assert_eq!(status, 403, "Swift PUT under private/ is denied by the bucket policy: {body}");
    assert!(body.contains("bucket policy"), "the answer says why: {body}");
    let (status, _) = swift.call(&swift.https, "HEAD", "guarded/private/swift.txt", &token, b"").await;
    assert_eq!(status, 404, "nothing was written");
    let head = Outgoing::new("HEAD", Some("guarded"), Some("private/swift.txt"));
    assert_eq!(s3(&s3c, &head).await.0, 404, "nothing was written (S3 view)");

    let (status, body) = swift.call(&swift.https, "PUT", "guarded/public/swift.txt", &token, b"plaintext").await;
    assert_eq!(status, 201, "a write the policy does not cover is allowed: {body}");
    server.shutdown().await;
}

#[tokio::test]
async fn tempauth_tokens_expire() {
    let config = ServerConfig { swift_token_ttl: Duration::from_millis(1500), ..ServerConfig::default() };
    let (server, _, swift) = start(config).await;
    let a = swift.auth_as(&swift.https, &swift.user, &swift.key).await;
    let token = a.token.unwrap();
    assert_eq!(swift.call(&swift.https, "PUT", "ttl", &token, b"").await.0, 201, "a fresh token is accepted");
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let (status, body) = swift.call(&swift.https, "GET", "ttl", &token, b"").await;
    assert_eq!(status, 401, "an expired token is refused: {body}");
    let fresh = swift.token().await;
    assert_eq!(swift.call(&swift.https, "GET", "ttl", &fresh, b"").await.0, 204, "a new token works");
    assert_eq!(a.expires.as_deref(), Some("1"), "X-Auth-Token-Expires: the lifetime in whole seconds");
    server.shutdown().await;

    let (server, _, swift) = start(ServerConfig::default()).await;
    let a = swift.auth_as(&swift.https, &swift.user, &swift.key).await;
    assert_eq!((a.status, a.expires.as_deref()), (200, Some("3600")), "default lifetime: one hour");
    server.shutdown().await;
}

#[tokio::test]
async fn tempauth_over_plain_http_is_refused_unless_allowed() {
    let (server, _, swift) = start(ServerConfig::default()).await;
    let a = swift.auth_as(&swift.plain, &swift.user, &swift.key).await;
    assert_eq!(a.status, 403, "TempAuth over plain HTTP: {}", a.body);
    assert!(a.token.is_none(), "no token is issued over plain HTTP");
    assert!(a.body.contains("HTTPS") && a.body.contains("--allow-swift-over-http"), "says why: {}", a.body);

    // A token sent over plain HTTP is refused, and revoked: it travelled in clear text.
    let token = swift.token().await;
    assert_eq!(swift.call(&swift.https, "PUT", "transport", &token, b"").await.0, 201);
    let (status, body) = swift.call(&swift.plain, "GET", "transport", &token, b"").await;
    assert_eq!(status, 403, "a token over plain HTTP: {body}");
    let (status, body) = swift.call(&swift.https, "GET", "transport", &token, b"").await;
    assert_eq!(status, 401, "a token seen over plain HTTP is revoked: {body}");
    server.shutdown().await;

    let config = ServerConfig { allow_swift_over_http: true, ..ServerConfig::default() };
    let (server, _, swift) = start(config).await;
    let a = swift.auth_as(&swift.plain, &swift.user, &swift.key).await;
    assert_eq!(a.status, 200, "allowed by the operator: {}", a.body);
    let token = a.token.unwrap();
    assert_eq!(swift.call(&swift.plain, "PUT", "transport", &token, b"").await.0, 201);
    server.shutdown().await;
}

#[tokio::test]
async fn wrong_credentials_and_tokens_are_refused() {
    let (server, _, swift) = start(ServerConfig::default()).await;
    let key = swift.key.clone();
    let mut last = key.clone().into_bytes();
    *last.last_mut().unwrap() ^= 1;
    let wrong_keys =
        [String::new(), key[..key.len() - 1].to_owned(), format!("{key}x"), String::from_utf8(last).unwrap()];
    for wrong in &wrong_keys {
        let a = swift.auth_as(&swift.https, &swift.user, wrong).await;
        assert_eq!((a.status, a.token.is_none()), (401, true), "key {wrong:?}");
    }
    let a = swift.auth_as(&swift.https, "test:someone-else", &key).await;
    assert_eq!((a.status, a.token.is_none()), (401, true), "another user");

    let token = swift.token().await;
    let mut forged = token.clone().into_bytes();
    *forged.last_mut().unwrap() ^= 1;
    for wrong in [String::from_utf8(forged).unwrap(), token[..token.len() - 1].to_owned(), String::new()] {
        assert_eq!(swift.call(&swift.https, "PUT", "creds", &wrong, b"").await.0, 401, "token {wrong:?}");
    }
    assert_eq!(swift.call(&swift.https, "PUT", "creds", &token, b"").await.0, 201);
    server.shutdown().await;
}
