//! Signed S3 requests to any endpoint, built field by field so that any SSE-C header can be faulted.
//!
//! The AWS SDKs cannot send a request without a key MD5, or with an MD5 of the wrong bytes; scenarios
//! need exactly those. [`Outgoing`] is a plain description of a request; [`Client::send`] addresses
//! it (path-style or virtual-hosted), signs it with SigV4 (Authorization header or presigned query)
//! and sends it with a timeout. HEAD requests go on a connection of their own, read from the wire,
//! so that a body sent after a HEAD response is seen.

pub mod chunked;
mod post;
mod sign;
pub mod swift;
mod tls;
mod url;
mod wire;
pub mod xml;

use std::time::Duration;

use bytes::Bytes;

pub use self::url::Addressing;

/// Percent-encodes an object key for a URL path or `x-amz-copy-source` (keeping `/`).
#[must_use]
pub fn encode_path(key: &str) -> String {
    url::encode(key, true)
}

/// The most of a response body a client keeps unless told otherwise (64 MiB: ten times the largest
/// object of the scenario catalogue); a longer body is an error rather than unbounded memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// What a client reserves for a body before its bytes arrive, whatever length is announced.
const INITIAL_BODY_CAPACITY: usize = 64 << 10;

/// How to trust the endpoint's TLS certificate.
#[derive(Debug, Clone)]
pub enum Trust {
    /// The public web PKI roots.
    WebPki,
    /// These PEM certificates (the embedded server's CA, or a user bundle) in addition to the web roots.
    Pem(String),
    /// Accept any certificate (`--insecure`).
    Insecure,
}

/// An endpoint and how to talk to it. `Debug` prints the secret key and session token redacted.
#[derive(Clone)]
pub struct Target {
    /// The HTTPS (or HTTP, for endpoints without TLS) base URL.
    pub endpoint: ::url::Url,
    /// The plain-HTTP base URL used by plain-HTTP steps, if the endpoint has one.
    pub plain_endpoint: Option<::url::Url>,
    /// Signing region.
    pub region: String,
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
    /// Session token, for temporary credentials.
    pub session_token: Option<String>,
    /// Path-style or virtual-hosted addressing.
    pub addressing: Addressing,
    /// Certificate trust.
    pub trust: Trust,
    /// Timeout of every request, from connect to the last body byte.
    pub timeout: Duration,
}

/// The signing region a [`Target`] starts with.
pub const DEFAULT_REGION: &str = "us-east-1";

/// The per-request timeout a [`Target`] starts with.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl Target {
    /// `endpoint` with these credentials, path-style, the public web PKI roots, no plain-HTTP
    /// endpoint, region [`DEFAULT_REGION`] and timeout [`DEFAULT_TIMEOUT`]; change any field with
    /// struct update syntax: `Target { trust, ..Target::new(url, id, secret) }`.
    #[must_use]
    pub fn new(endpoint: ::url::Url, access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            endpoint,
            plain_endpoint: None,
            region: DEFAULT_REGION.to_owned(),
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            session_token: None,
            addressing: Addressing::Path,
            trust: Trust::WebPki,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// What `Debug` prints in place of a secret.
pub(crate) const REDACTED: &str = "<redacted>";

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("endpoint", &self.endpoint.as_str())
            .field("plain_endpoint", &self.plain_endpoint.as_ref().map(::url::Url::as_str))
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &REDACTED)
            .field("session_token", &self.session_token.as_ref().map(|_| REDACTED))
            .field("addressing", &self.addressing)
            .field("trust", &self.trust)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// How a request is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// SigV4 `Authorization` header over the whole body.
    Header,
    /// SigV4 presigned URL valid this long; the other headers are signed too.
    Presigned(Duration),
    /// Not signed at all.
    Anonymous,
    /// POST Object: the headers and body become a form with a signed policy; the key goes in the form.
    PostForm,
    /// OpenStack Swift: `X-Auth-Token` from TempAuth or Keystone; the bucket is the container.
    Swift,
}

/// A request to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// HTTP method.
    pub method: String,
    /// Bucket, if any.
    pub bucket: Option<String>,
    /// Object key, if any.
    pub key: Option<String>,
    /// Query parameters.
    pub query: Vec<(String, String)>,
    /// Headers, sent as given (and signed).
    pub headers: Vec<(String, String)>,
    /// Headers added after signing, not covered by the signature.
    pub unsigned_headers: Vec<(String, String)>,
    /// Body (the plaintext: a streaming payload mode encodes it as it is signed).
    pub body: Bytes,
    /// How the signature covers the body.
    pub payload: chunked::Payload,
    /// Use the plain-HTTP endpoint.
    pub plain_http: bool,
    /// Authentication.
    pub auth: Auth,
}

impl Outgoing {
    /// A signed request with no body.
    #[must_use]
    pub fn new(method: &str, bucket: Option<&str>, key: Option<&str>) -> Self {
        Self {
            method: method.to_owned(),
            bucket: bucket.map(str::to_owned),
            key: key.map(str::to_owned),
            query: Vec::new(),
            headers: Vec::new(),
            unsigned_headers: Vec::new(),
            body: Bytes::new(),
            payload: chunked::Payload::Signed,
            plain_http: false,
            auth: Auth::Header,
        }
    }
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers, names lower-case, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

impl Response {
    /// The first value of a header (case-insensitive name).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A request as it went on the wire, and its answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The final URL (with presigned query, if any).
    pub url: String,
    /// The headers sent, including the signature's.
    pub headers: Vec<(String, String)>,
    /// The response, or why there was none.
    pub response: Result<Response, ClientError>,
}

/// Why no response arrived.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The request could not be built or signed.
    #[error("cannot build request: {0}")]
    Build(String),
    /// No Swift authentication is configured.
    #[error("no Swift authentication is configured for this target (give --swift-auth-url or --os-auth-url)")]
    NoSwift,
    /// No plain-HTTP endpoint is configured.
    #[error("no plain-HTTP endpoint is known for this target (give --http-endpoint-url)")]
    NoPlainEndpoint,
    /// The request timed out.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The response body is longer than the client keeps (`--max-response-bytes`).
    #[error("the response body is longer than the {limit}-byte limit (--max-response-bytes){}", announced.map(|n| format!(": {n} bytes announced")).unwrap_or_default())]
    TooLarge {
        /// The limit.
        limit: u64,
        /// The `Content-Length` the endpoint announced, if that is how the excess showed.
        announced: Option<u64>,
    },
    /// Connection, TLS or protocol failure.
    #[error("transport: {0}")]
    Transport(String),
}

/// Sends requests to one target.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    target: Target,
    swift: Option<swift::SwiftAuth>,
    swift_session: std::sync::Arc<tokio::sync::OnceCell<swift::Session>>,
    max_response_bytes: u64,
    timeouts_in_a_row: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

/// How many requests in a row may time out before [`Client::stopped_answering`] says the endpoint
/// has stopped answering.
pub const TIMEOUTS_BEFORE_GIVING_UP: u32 = 3;

impl Client {
    /// A client for `target`.
    pub fn new(target: Target) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .http1_only()
            .timeout(target.timeout)
            .connect_timeout(target.timeout.min(Duration::from_secs(10)))
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .use_rustls_tls();
        match &target.trust {
            Trust::WebPki => {}
            Trust::Pem(pem) => {
                for cert in reqwest::Certificate::from_pem_bundle(pem.as_bytes())? {
                    builder = builder.add_root_certificate(cert);
                }
            }
            Trust::Insecure => builder = builder.danger_accept_invalid_certs(true),
        }
        Ok(Self {
            http: builder.build()?,
            target,
            swift: None,
            swift_session: std::sync::Arc::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            timeouts_in_a_row: std::sync::Arc::default(),
        })
    }

    /// Why the endpoint is taken to have stopped answering, once [`TIMEOUTS_BEFORE_GIVING_UP`]
    /// requests in a row (from this client or its clones) have timed out with no response between
    /// them. A run then stops sending: a hung endpoint would otherwise cost a timeout per request.
    #[must_use]
    pub fn stopped_answering(&self) -> Option<String> {
        let n = self.timeouts_in_a_row.load(std::sync::atomic::Ordering::Relaxed);
        (n >= TIMEOUTS_BEFORE_GIVING_UP).then(|| {
            format!("the endpoint stopped answering: {n} requests in a row timed out after {:?}", self.target.timeout)
        })
    }

    /// Keeps at most `limit` bytes of any response body (default [`DEFAULT_MAX_RESPONSE_BYTES`]):
    /// a longer body, announced or sent, makes the request fail with [`ClientError::TooLarge`].
    #[must_use]
    pub fn with_max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Also talks to the endpoint's OpenStack Swift API, authenticating with `auth`.
    #[must_use]
    pub fn with_swift(mut self, auth: swift::SwiftAuth) -> Self {
        self.swift = Some(auth);
        self
    }

    /// Whether Swift requests can be sent.
    #[must_use]
    pub fn has_swift(&self) -> bool {
        self.swift.is_some()
    }

    /// The target this client talks to.
    #[must_use]
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The URL and signed headers of a request, without sending it.
    pub fn prepare(&self, req: &Outgoing) -> Result<http::Request<Bytes>, ClientError> {
        let base = if req.plain_http {
            self.target.plain_endpoint.as_ref().ok_or(ClientError::NoPlainEndpoint)?
        } else {
            &self.target.endpoint
        };
        if req.auth == Auth::PostForm {
            let bucket = req.bucket.as_deref().unwrap_or_default();
            let url = url::build(base, self.target.addressing, Some(bucket), None, &req.query)
                .map_err(|e| ClientError::Build(e.to_string()))?;
            let (content_type, body) = post::form(&self.target, bucket, req, std::time::SystemTime::now());
            return http::Request::builder()
                .method("POST")
                .uri(url)
                .header(http::header::CONTENT_TYPE, content_type)
                .body(body)
                .map_err(|e| ClientError::Build(e.to_string()));
        }
        let url = url::build(base, self.target.addressing, req.bucket.as_deref(), req.key.as_deref(), &req.query)
            .map_err(|e| ClientError::Build(e.to_string()))?;
        sign::sign(&self.target, req, &url)
    }

    /// A Swift request: authenticates once per client, then addresses the container (the bucket) and
    /// object under the storage URL with the token.
    async fn prepare_swift(&self, req: &Outgoing) -> Result<http::Request<Bytes>, ClientError> {
        let auth = self.swift.as_ref().ok_or(ClientError::NoSwift)?;
        let session = self.swift_session.get_or_try_init(|| swift::authenticate(&self.http, auth)).await?;
        let url = swift::url(session, req.bucket.as_deref().unwrap_or_default(), req.key.as_deref());
        let mut builder =
            http::Request::builder().method(req.method.as_str()).uri(url).header("x-auth-token", &session.token);
        for (name, value) in req.headers.iter().chain(&req.unsigned_headers) {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder.body(req.body.clone()).map_err(|e| ClientError::Build(e.to_string()))
    }

    /// Sends a request and reads the whole response.
    pub async fn send(&self, req: &Outgoing) -> Exchange {
        let prepared = if req.auth == Auth::Swift { self.prepare_swift(req).await } else { self.prepare(req) };
        let prepared = match prepared {
            Ok(p) => p,
            Err(e) => return Exchange { url: String::new(), headers: Vec::new(), response: Err(e) },
        };
        let url = prepared.uri().to_string();
        let headers = prepared
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let response = if prepared.method() == http::Method::HEAD {
            wire::head(&prepared, &self.target.trust, self.target.timeout, self.max_response_bytes).await
        } else {
            self.execute(prepared).await
        };
        match &response {
            Ok(_) => self.timeouts_in_a_row.store(0, std::sync::atomic::Ordering::Relaxed),
            Err(ClientError::Timeout(_)) => {
                self.timeouts_in_a_row.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Err(_) => {}
        }
        Exchange { url, headers, response }
    }

    async fn execute(&self, prepared: http::Request<Bytes>) -> Result<Response, ClientError> {
        let request = reqwest::Request::try_from(prepared.map(reqwest::Body::from))
            .map_err(|e| ClientError::Build(e.to_string()))?;
        let timeout = self.target.timeout;
        let fail = |e: reqwest::Error| {
            if e.is_timeout() { ClientError::Timeout(timeout) } else { ClientError::Transport(error_chain(&e)) }
        };
        let mut resp = self.http.execute(request).await.map_err(fail)?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        // Read in chunks up to the limit, reserving nothing from the announced length: an endpoint
        // announcing or sending an endless body must not exhaust memory.
        let limit = self.max_response_bytes;
        let announced = resp.content_length();
        if let Some(n) = announced.filter(|n| *n > limit) {
            return Err(ClientError::TooLarge { limit, announced: Some(n) });
        }
        let initial =
            announced.map_or(INITIAL_BODY_CAPACITY, |n| usize::try_from(n).unwrap_or(0).min(INITIAL_BODY_CAPACITY));
        let mut body = bytes::BytesMut::with_capacity(initial);
        while let Some(chunk) = resp.chunk().await.map_err(fail)? {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(ClientError::TooLarge { limit, announced: None });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response { status, headers, body: body.freeze() })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}
