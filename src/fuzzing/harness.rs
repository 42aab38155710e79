//! Shared plumbing of the fuzz targets: one runtime, the in-process service, whole responses,
//! deterministic object bytes.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;

use crate::client::{Client, Outgoing, Target, Trust};
use crate::server::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};

/// The signing region of every request built here.
pub const REGION: &str = "us-east-1";
/// Where in-process requests pretend to go (path-style addressing, no socket is ever opened).
pub(crate) const IN_PROCESS_ENDPOINT: &str = "http://127.0.0.1:9000";
/// Longest text a structured case takes from one fuzz string.
pub(crate) const MAX_TEXT: usize = 256;

/// The process-wide Tokio runtime the entry points block on.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime")
    })
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status; 0 when s3s returned an `HttpError` instead of a response.
    pub status: u16,
    /// Response headers.
    pub headers: http::HeaderMap,
    /// The body, or why it could not be read to the end.
    pub body: Result<Bytes, String>,
}

impl Reply {
    /// The body bytes (empty when it failed).
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        self.body.as_deref().unwrap_or_default()
    }

    /// The S3 error `Code` of an XML error body.
    #[must_use]
    pub fn code(&self) -> Option<String> {
        crate::client::xml::element(std::str::from_utf8(self.bytes()).ok()?, "Code")
    }

    /// A header as text.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// One line for assertion messages: status, code, body length.
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "{} {} ({} body bytes{})",
            self.status,
            self.code().unwrap_or_default(),
            self.bytes().len(),
            self.body.as_ref().err().map(|e| format!(", body error: {e}")).unwrap_or_default()
        )
    }
}

/// 5xx is never acceptable, except 501 `NotImplemented`: s3s's own answer to signing variants and
/// operations it does not implement (AWS would answer those 400; recorded in `fuzz/README.md`).
pub(crate) fn assert_not_server_error(reply: &Reply, what: &dyn std::fmt::Display) {
    let not_implemented = reply.status == 501 && reply.code().as_deref() == Some("NotImplemented");
    assert!(
        reply.status != 0 && (reply.status < 500 || not_implemented),
        "server error for {what}: {}",
        reply.summary()
    );
}

/// The reference server's s3s service with an in-memory store, and a client that signs for it.
pub struct InProcess {
    service: s3s::service::S3Service,
    client: Client,
}

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InProcess(..)")
    }
}

pub(crate) fn signing_target(endpoint: &str, trust: Trust) -> Target {
    let endpoint = ::url::Url::parse(endpoint).expect("endpoint URL");
    Target {
        region: REGION.to_owned(),
        trust,
        timeout: Duration::from_secs(60),
        ..Target::new(endpoint, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
    }
}

/// The shared in-process service (one per process, created on first use).
pub fn in_process() -> &'static InProcess {
    static IP: OnceLock<InProcess> = OnceLock::new();
    IP.get_or_init(|| {
        let _guard = runtime().enter();
        InProcess {
            service: crate::server::in_process_service(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY),
            client: Client::new(signing_target(IN_PROCESS_ENDPOINT, Trust::WebPki)).expect("signing client"),
        }
    })
}

impl InProcess {
    /// The client whose signatures the service accepts.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Signs a request (Authorization header or presigned query, per `req.auth`).
    pub fn sign(&self, req: &Outgoing) -> http::Request<Bytes> {
        self.client.prepare(req).unwrap_or_else(|e| panic!("cannot sign {} {:?}: {e}", req.method, req.key))
    }

    /// Calls the service with a request, exactly as built (a `Host` header is added from the URI
    /// when missing, as an HTTP/1.1 client would).
    pub fn call(&self, req: http::Request<Bytes>) -> Reply {
        runtime().block_on(call_service(&self.service, req))
    }

    /// Answers a request the way the server's edge answers an admitted request
    /// ([`crate::server::answer_in_process`]): what a client of a started server would see.
    pub fn answer(&self, req: http::Request<Bytes>) -> Reply {
        runtime().block_on(async {
            let resp = crate::server::answer_in_process(&self.service, with_host(req).map(s3s::Body::from)).await;
            reply(resp).await
        })
    }

    /// Signs and calls.
    pub fn send(&self, req: &Outgoing) -> Reply {
        self.call(self.sign(req))
    }

    /// Creates a bucket unless it exists.
    pub fn ensure_bucket(&self, bucket: &str) {
        let reply = self.send(&Outgoing::new("PUT", Some(bucket), None));
        assert!(
            reply.is_success() || reply.code().as_deref() == Some("BucketAlreadyOwnedByYou"),
            "create bucket {bucket}: {}",
            reply.summary()
        );
    }
}

/// Creates `bucket` on the shared in-process service, once per process.
pub(crate) fn ensure_bucket_once(ip: &InProcess, bucket: &'static str) {
    static DONE: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut done = DONE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !done.contains(&bucket) {
        ip.ensure_bucket(bucket);
        done.push(bucket);
    }
}

/// Adds the `Host` header an HTTP/1.1 client would send, from the URI, when missing.
pub(crate) fn with_host(mut req: http::Request<Bytes>) -> http::Request<Bytes> {
    if !req.headers().contains_key(http::header::HOST)
        && let Some(v) = req.uri().authority().and_then(|a| http::HeaderValue::from_str(a.as_str()).ok())
    {
        req.headers_mut().insert(http::header::HOST, v);
    }
    req
}

/// A whole response.
pub(crate) async fn reply(resp: http::Response<s3s::Body>) -> Reply {
    use http_body_util::BodyExt as _;
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.map(|c| c.to_bytes()).map_err(|e| e.to_string());
    Reply { status: parts.status.as_u16(), headers: parts.headers, body }
}

async fn call_service(service: &s3s::service::S3Service, req: http::Request<Bytes>) -> Reply {
    match service.call(with_host(req).map(s3s::Body::from)).await {
        Ok(resp) => reply(resp).await,
        Err(e) => Reply { status: 0, headers: http::HeaderMap::new(), body: Err(format!("HttpError: {e:?}")) },
    }
}

/// Decodes a structured case the way the fuzz targets do (for tools that write seeds).
#[must_use]
pub fn decode<T: for<'a> Arbitrary<'a>>(data: &[u8]) -> Option<T> {
    T::arbitrary_take_rest(Unstructured::new(data)).ok()
}

/// What `data` decodes to as a `T` (its `Debug`), or why it decodes to nothing: how the committed
/// inputs of a target are checked against the case each was committed for.
pub fn describe_as<T: for<'a> Arbitrary<'a> + std::fmt::Debug>(data: &[u8]) -> String {
    match T::arbitrary_take_rest(Unstructured::new(data)) {
        Ok(case) => format!("{case:?}"),
        Err(e) => format!("no case: {e}"),
    }
}

/// What a text input is: the text, read as the target reads it.
pub fn describe_text(data: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(data))
}

pub(crate) fn clip(mut s: String) -> String {
    if s.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Deterministic object bytes: a slice of a fixed splitmix64 stream chosen by `seed` (copied, so
/// that large objects cost a `memcpy`, not a generator loop libFuzzer instruments). Never
/// fuzz-controlled, so that no object can hold a customer key by accident (the "no key in any
/// response" oracle relies on it).
#[must_use]
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    const WINDOW: usize = 1 << 20;
    static NOISE: OnceLock<Vec<u8>> = OnceLock::new();
    if len > WINDOW {
        return splitmix_bytes(seed, len);
    }
    let noise = NOISE.get_or_init(|| splitmix_bytes(0, 2 * WINDOW));
    let start = (splitmix(seed) % WINDOW as u64) as usize;
    noise[start..start + len].to_vec()
}

fn splitmix(state: u64) -> u64 {
    let mut z = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn splitmix_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        out.extend_from_slice(&splitmix(state).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Whether `needle` (not empty) occurs in `haystack`. A substring search, not one `memcmp` per
/// window: libFuzzer hooks every `memcmp`, which made this search most of an execution's time.
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(haystack, needle).is_some()
}
