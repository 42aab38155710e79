//! Entry points of the fuzz targets (`fuzz/fuzz_targets/*.rs`), shared with the stable replay of
//! committed crash inputs (`tests/fuzz_regressions.rs`) and the property tests (`tests/properties.rs`).
//!
//! **Not a stable interface**: everything here exists for testing and may change at any time. It is
//! compiled only with the `fuzzing` feature, which the fuzz crate enables and which the test targets
//! get through the crate's dev-dependency on itself.
//!
//! Each target is `pub fn <target>(data: &[u8])`: it decodes the bytes with [`arbitrary`] into a
//! structured case, and hands it to `check_<target>`, which panics when an oracle fails. The oracles:
//!
//! - [`sse_c_headers`]: `validate_write`/`validate_read` agree with [`model_write`]/[`model_read`], an
//!   independent rewrite of the catalogue order (section B.3/B.4), own strict base64 included; errors
//!   carry the catalogue status and code and never the key.
//! - [`sigv4_auth`]: the s3s service of the reference server, called in-process, never panics, never
//!   answers 5xx (but 501 `NotImplemented`, s3s's answer to unsupported signing variants), accepts what
//!   our client signed, and refuses (non-2xx) any signed request with one byte changed, and any
//!   garbage signature.
//! - [`aws_chunked`]: an aws-chunked body built by [`encode_chunked`] (chunk and trailer signatures
//!   from aws-sigv4, independent of s3s) round-trips exactly; a corrupted one is refused or stores
//!   exactly the intended data.
//! - [`s3_xml`]: CompleteMultipartUpload, DeleteObjects and PutBucketVersioning bodies never panic
//!   and never get a 5xx.
//! - [`scenario_load`]: scenario and profile text is loaded or refused with a located message, never
//!   a panic (memory is bounded by the fuzz target's allocator).
//! - [`server_ops`]: a sequence of S3 operations against a started [`crate::ReferenceServer`], with a
//!   model of what each object holds and under which key: no 5xx, the right key reads back exactly
//!   what was stored, a wrong or missing key never gets a 2xx nor plaintext, no key in any response.
#![cfg(feature = "fuzzing")]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, STANDARD_NO_PAD as B64_NO_PAD, URL_SAFE as B64_URL};
use bytes::Bytes;
use md5::{Digest as _, Md5};

use crate::client::{Addressing, Auth, Client, Outgoing, Target, Trust};
use crate::server::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};
use crate::sse_c::headers::{ALGORITHM, KEY, KEY_MD5, SERVER_SIDE_ENCRYPTION};
use crate::sse_c::rules::{ReadTriple, validate_read, validate_write};
use crate::sse_c::{RawTriple, SseCError, TripleKind};

// ------------------------------------------------------------------------------------------------
// Shared plumbing: one runtime, the in-process service, whole responses.
// ------------------------------------------------------------------------------------------------

/// The signing region of every request built here.
pub const REGION: &str = "us-east-1";
/// Where in-process requests pretend to go (path-style addressing, no socket is ever opened).
const IN_PROCESS_ENDPOINT: &str = "http://127.0.0.1:9000";
/// Longest text a structured case takes from one fuzz string.
const MAX_TEXT: usize = 256;

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
        let text = std::str::from_utf8(self.bytes()).ok()?;
        let start = text.find("<Code>")? + "<Code>".len();
        let end = text[start..].find("</Code>")? + start;
        Some(text[start..end].to_owned())
    }

    /// A header as text.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn is_success(&self) -> bool {
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
fn assert_not_server_error(reply: &Reply, what: &dyn std::fmt::Display) {
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

fn signing_target(endpoint: &str, trust: Trust) -> Target {
    Target {
        endpoint: ::url::Url::parse(endpoint).expect("endpoint URL"),
        plain_endpoint: None,
        region: REGION.to_owned(),
        access_key: DEFAULT_ACCESS_KEY.to_owned(),
        secret_key: DEFAULT_SECRET_KEY.to_owned(),
        session_token: None,
        addressing: Addressing::Path,
        trust,
        timeout: Duration::from_secs(60),
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

async fn call_service(service: &s3s::service::S3Service, req: http::Request<Bytes>) -> Reply {
    use http_body_util::BodyExt as _;
    let (mut parts, body) = req.into_parts();
    if !parts.headers.contains_key(http::header::HOST)
        && let Some(v) = parts.uri.authority().and_then(|a| http::HeaderValue::from_str(a.as_str()).ok())
    {
        parts.headers.insert(http::header::HOST, v);
    }
    let req = http::Request::from_parts(parts, s3s::Body::from(body));
    match service.call(req).await {
        Ok(resp) => {
            let (parts, body) = resp.into_parts();
            let body = body.collect().await.map(|c| c.to_bytes()).map_err(|e| e.to_string());
            Reply { status: parts.status.as_u16(), headers: parts.headers, body }
        }
        Err(e) => Reply { status: 0, headers: http::HeaderMap::new(), body: Err(format!("HttpError: {e:?}")) },
    }
}

/// Decodes a structured case the way the fuzz targets do (for tools that write seeds).
#[must_use]
pub fn decode<T: for<'a> Arbitrary<'a>>(data: &[u8]) -> Option<T> {
    T::arbitrary_take_rest(Unstructured::new(data)).ok()
}

fn clip(mut s: String) -> String {
    if s.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// Deterministic object bytes: splitmix64 of `seed`. Never fuzz-controlled, so that no object can
/// hold a customer key by accident (the "no key in any response" oracle relies on it).
#[must_use]
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.len() >= needle.len() && haystack.windows(needle.len()).any(|w| w == needle)
}

// ------------------------------------------------------------------------------------------------
// The catalogue model of the SSE-C header rules (independent of `crate::sse_c::rules`).
// ------------------------------------------------------------------------------------------------

/// A validation fault, named after the catalogue case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// P9/P10: SSE-C with `x-amz-server-side-encryption`.
    Incompatible,
    /// P5: key or MD5 without the algorithm.
    MissingAlgorithm,
    /// P6/G6: not `AES256`.
    InvalidAlgorithm,
    /// P4: no key.
    MissingKey,
    /// P7/P8: not strict base64 (of 32 bytes, when writing).
    InvalidKey,
    /// P3: no key MD5.
    MissingKeyMd5,
    /// P2/G5: the MD5 is not base64(MD5(key bytes)).
    KeyMd5Mismatch,
}

impl Fault {
    /// Catalogue status and code.
    #[must_use]
    pub fn answer(self) -> (u16, &'static str) {
        match self {
            Self::InvalidAlgorithm => (400, "InvalidEncryptionAlgorithmError"),
            _ => (400, "InvalidArgument"),
        }
    }

    fn of(e: &SseCError) -> Option<Self> {
        Some(match e {
            SseCError::IncompatibleEncryption { .. } => Self::Incompatible,
            SseCError::MissingAlgorithm => Self::MissingAlgorithm,
            SseCError::InvalidAlgorithm { .. } => Self::InvalidAlgorithm,
            SseCError::MissingKey => Self::MissingKey,
            SseCError::InvalidKey => Self::InvalidKey,
            SseCError::MissingKeyMd5 => Self::MissingKeyMd5,
            SseCError::KeyMd5Mismatch => Self::KeyMd5Mismatch,
            _ => return None,
        })
    }
}

/// What a write's triple means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteVerdict {
    /// No SSE-C header at all: a plain write.
    Absent,
    /// A valid triple with this key.
    Valid([u8; 32]),
    /// Refused.
    Invalid(Fault),
}

/// What a read's triple means (the caller has decided that the triple is needed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadVerdict {
    /// Syntactically valid; these key bytes (any length) are then matched against the object.
    Presented(Vec<u8>),
    /// Refused before the key is matched.
    Invalid(Fault),
}

fn model_b64_value(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Strict RFC 4648 base64: standard alphabet, canonical padding, no whitespace, zero pad bits.
#[must_use]
pub fn model_b64_decode(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    if !b.len().is_multiple_of(4) {
        return None;
    }
    let groups = b.len() / 4;
    let mut out = Vec::with_capacity(groups * 3);
    for (i, g) in b.chunks(4).enumerate() {
        let pad = g.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != groups) {
            return None;
        }
        let mut n = 0u32;
        for (j, &c) in g.iter().enumerate() {
            let v = if j < 4 - pad { model_b64_value(c)? } else { 0 };
            n = (n << 6) | v;
        }
        let [_, x, y, z] = n.to_be_bytes();
        match pad {
            0 => out.extend_from_slice(&[x, y, z]),
            1 if n & 0xff == 0 => out.extend_from_slice(&[x, y]),
            2 if n & 0xffff == 0 => out.push(x),
            _ => return None,
        }
    }
    Some(out)
}

/// Standard padded base64.
#[must_use]
pub fn model_b64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// base64(MD5(bytes)) with the model's encoder.
#[must_use]
pub fn model_md5(bytes: &[u8]) -> String {
    model_b64_encode(&Md5::digest(bytes))
}

/// The write rules in catalogue order (B.3): conflict → algorithm → key present → key is base64 of
/// 32 bytes → MD5 present → MD5 matches.
#[must_use]
pub fn model_write(alg: Option<&str>, key: Option<&str>, md5: Option<&str>, sse: Option<&str>) -> WriteVerdict {
    if alg.is_none() && key.is_none() && md5.is_none() {
        return WriteVerdict::Absent;
    }
    let fault = if sse.is_some() {
        Fault::Incompatible
    } else if alg.is_none() {
        Fault::MissingAlgorithm
    } else if alg != Some("AES256") {
        Fault::InvalidAlgorithm
    } else {
        let Some(key) = key else { return WriteVerdict::Invalid(Fault::MissingKey) };
        let Some(bytes) = model_b64_decode(key).and_then(|b| <[u8; 32]>::try_from(b).ok()) else {
            return WriteVerdict::Invalid(Fault::InvalidKey);
        };
        match md5 {
            None => Fault::MissingKeyMd5,
            Some(m) if m != model_md5(&bytes) => Fault::KeyMd5Mismatch,
            Some(_) => return WriteVerdict::Valid(bytes),
        }
    };
    WriteVerdict::Invalid(fault)
}

/// The read rules in catalogue order (B.4): algorithm → key present → MD5 present → key is base64
/// → MD5 matches; the length is judged only against the object (G4: a wrong key).
#[must_use]
pub fn model_read(alg: Option<&str>, key: Option<&str>, md5: Option<&str>) -> ReadVerdict {
    let fault = match (alg, key, md5) {
        (None, _, _) => Fault::MissingAlgorithm,
        (Some(a), _, _) if a != "AES256" => Fault::InvalidAlgorithm,
        (_, None, _) => Fault::MissingKey,
        (_, _, None) => Fault::MissingKeyMd5,
        (_, Some(k), Some(m)) => match model_b64_decode(k) {
            None => Fault::InvalidKey,
            Some(bytes) if model_md5(&bytes) == m => return ReadVerdict::Presented(bytes),
            Some(_) => Fault::KeyMd5Mismatch,
        },
    };
    ReadVerdict::Invalid(fault)
}

// ------------------------------------------------------------------------------------------------
// Target `sse_c_headers`.
// ------------------------------------------------------------------------------------------------

/// An algorithm header value.
#[derive(Debug, Clone, Arbitrary)]
pub enum AlgText {
    /// `AES256`
    Aes256,
    /// `aes256`
    Lowercase,
    /// ` AES256` (a leading space survives into the value here; HTTP would trim it)
    Spaced,
    /// `AES128`
    Aes128,
    /// `aws:kms`
    AwsKms,
    /// Anything.
    Raw(String),
}

impl AlgText {
    fn render(&self) -> String {
        match self {
            Self::Aes256 => "AES256".into(),
            Self::Lowercase => "aes256".into(),
            Self::Spaced => " AES256".into(),
            Self::Aes128 => "AES128".into(),
            Self::AwsKms => "aws:kms".into(),
            Self::Raw(s) => clip(s.clone()),
        }
    }
}

/// Whitespace put into a key.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Ws {
    /// ` `
    Space,
    /// `\t`
    Tab,
    /// `\n`
    Newline,
}

/// A key header value, and the bytes it was meant to carry.
#[derive(Debug, Clone, Arbitrary)]
pub enum KeyText {
    /// Canonical base64 of 32 bytes.
    Valid([u8; 32]),
    /// Canonical base64 of any bytes.
    Std(Vec<u8>),
    /// URL-safe alphabet.
    UrlSafe(Vec<u8>),
    /// Padding removed.
    NoPad(Vec<u8>),
    /// An `=` inserted.
    InnerPad {
        /// Bytes encoded.
        bytes: Vec<u8>,
        /// Where (modulo the length).
        at: u8,
    },
    /// Whitespace inserted.
    Whitespace {
        /// Bytes encoded.
        bytes: Vec<u8>,
        /// Where (modulo the length + 1).
        at: u8,
        /// Which.
        ws: Ws,
    },
    /// Canonical text of 32 bytes with non-zero pad bits in the last symbol.
    TrailingBits([u8; 32], u8),
    /// Anything.
    Raw(String),
}

impl KeyText {
    /// The header text, and the bytes the client meant (for an MD5 "of the key").
    fn render(&self) -> (String, Vec<u8>) {
        match self {
            Self::Valid(b) => (B64.encode(b), b.to_vec()),
            Self::Std(b) => (B64.encode(b), b.clone()),
            Self::UrlSafe(b) => (B64_URL.encode(b), b.clone()),
            Self::NoPad(b) => (B64_NO_PAD.encode(b), b.clone()),
            Self::InnerPad { bytes, at } => {
                let mut s = B64.encode(bytes);
                let at = usize::from(*at) % (s.len() + 1);
                s.insert(at, '=');
                (s, bytes.clone())
            }
            Self::Whitespace { bytes, at, ws } => {
                let mut s = B64.encode(bytes);
                let at = usize::from(*at) % (s.len() + 1);
                s.insert(at, [' ', '\t', '\n'][*ws as usize]);
                (s, bytes.clone())
            }
            Self::TrailingBits(b, bits) => {
                let s = B64.encode(b);
                // 32 bytes: 43 symbols + '='; the 43rd carries 4 data bits and 2 pad bits.
                let mut chars: Vec<u8> = s.into_bytes();
                let v = model_b64_value(chars[42]).unwrap_or(0) | u32::from(bits % 3 + 1);
                chars[42] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[v as usize & 63];
                (String::from_utf8(chars).unwrap_or_default(), b.to_vec())
            }
            Self::Raw(s) => {
                let s = clip(s.clone());
                let bytes = s.as_bytes().to_vec();
                (s, bytes)
            }
        }
    }
}

/// A key-MD5 header value.
#[derive(Debug, Clone, Arbitrary)]
pub enum Md5Text {
    /// base64(MD5(the bytes the key meant)).
    OfKey,
    /// base64(MD5(other bytes)).
    OfBytes(Vec<u8>),
    /// base64(MD5(the key's base64 text)): a client bug.
    OfKeyText,
    /// The right MD5 without padding.
    NoPad,
    /// The right MD5 in hex.
    Hex,
    /// Anything.
    Raw(String),
}

/// An `x-amz-server-side-encryption` value.
#[derive(Debug, Clone, Arbitrary)]
pub enum SseText {
    /// `AES256`
    Aes256,
    /// `aws:kms`
    Kms,
    /// Anything.
    Raw(String),
}

/// One triple; `None` fields are not sent.
#[derive(Debug, Clone, Arbitrary)]
pub struct TripleCase {
    /// Algorithm.
    pub alg: Option<AlgText>,
    /// Key.
    pub key: Option<KeyText>,
    /// Key MD5.
    pub md5: Option<Md5Text>,
}

impl TripleCase {
    /// The three header values.
    #[must_use]
    pub fn render(&self) -> (Option<String>, Option<String>, Option<String>) {
        let alg = self.alg.as_ref().map(AlgText::render);
        let key = self.key.as_ref().map(KeyText::render);
        let meant = key.as_ref().map(|(_, b)| b.clone()).unwrap_or_default();
        let md5 = self.md5.as_ref().map(|m| match m {
            Md5Text::OfKey => B64.encode(Md5::digest(&meant)),
            Md5Text::OfBytes(b) => B64.encode(Md5::digest(b)),
            Md5Text::OfKeyText => B64.encode(Md5::digest(key.as_ref().map(|(t, _)| t.as_bytes()).unwrap_or_default())),
            Md5Text::NoPad => B64_NO_PAD.encode(Md5::digest(&meant)),
            Md5Text::Hex => hex::encode(Md5::digest(&meant)),
            Md5Text::Raw(s) => clip(s.clone()),
        });
        (alg, key.map(|(t, _)| t), md5)
    }
}

/// Both triples of a request and the SSE-S3/KMS header.
#[derive(Debug, Clone, Arbitrary)]
pub struct HeaderCase {
    /// `x-amz-server-side-encryption-customer-*`
    pub request: TripleCase,
    /// `x-amz-copy-source-server-side-encryption-customer-*`
    pub copy_source: TripleCase,
    /// `x-amz-server-side-encryption`
    pub sse: Option<SseText>,
}

/// Fuzz entry point: [`HeaderCase`] from bytes, then [`check_header_case`].
pub fn sse_c_headers(data: &[u8]) {
    if let Ok(case) = HeaderCase::arbitrary_take_rest(Unstructured::new(data)) {
        check_header_case(&case);
    }
}

/// Checks both triples of a case against the model (see [`check_triple`]) and checks header
/// extraction.
pub fn check_header_case(case: &HeaderCase) {
    let sse = case.sse.as_ref().map(|s| match s {
        SseText::Aes256 => "AES256".to_owned(),
        SseText::Kms => "aws:kms".to_owned(),
        SseText::Raw(s) => clip(s.clone()),
    });
    let request = case.request.render();
    let copy = case.copy_source.render();
    check_triple(request.0.as_deref(), request.1.as_deref(), request.2.as_deref(), sse.as_deref());
    check_triple(copy.0.as_deref(), copy.1.as_deref(), copy.2.as_deref(), sse.as_deref());
    check_extraction(&request, &copy);
}

/// Every fixed text an SSE-C error can show: a key that is part of it is not a leak.
fn error_vocabulary() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let all = [
            SseCError::IncompatibleEncryption { value: String::new() },
            SseCError::MissingAlgorithm,
            SseCError::InvalidAlgorithm { value: String::new() },
            SseCError::MissingKey,
            SseCError::InvalidKey,
            SseCError::MissingKeyMd5,
            SseCError::KeyMd5Mismatch,
            SseCError::WrongKey,
            SseCError::ObjectEncrypted,
            SseCError::NotApplicable,
            SseCError::InsecureTransport,
            SseCError::MultipartEncryptionMismatch,
            SseCError::ParametersMismatch,
        ];
        all.iter().map(|e| format!("{e}\n{e:?}\n{:?}\n", e.argument())).collect::<String>() + "RawTriple <redacted>"
    })
}

fn key_may_be_searched(key: Option<&str>, others: &[Option<&str>]) -> Option<String> {
    let key = key?;
    let shown_anyway = others.iter().flatten().any(|o| o.contains(key)) || error_vocabulary().contains(key);
    (key.len() >= 12 && !shown_anyway).then(|| key.to_owned())
}

/// `validate_write` (with `sse`) and, for a triple that is present, `validate_read` agree with
/// [`model_write`]/[`model_read`]; errors carry the catalogue answer and never the key text.
pub fn check_triple(alg: Option<&str>, key: Option<&str>, md5: Option<&str>, sse: Option<&str>) {
    let raw = RawTriple::new(alg.map(str::to_owned), key.map(str::to_owned), md5.map(str::to_owned));
    let searchable = key_may_be_searched(key, &[alg, md5, sse]);
    if let Some(k) = &searchable {
        assert!(!format!("{raw:?}").contains(k.as_str()), "RawTriple's Debug shows the key");
    }
    let check_error = |e: &SseCError| {
        let fault = Fault::of(e).unwrap_or_else(|| panic!("a header rule answered {e:?}"));
        assert_eq!((e.status(), e.code()), fault.answer(), "wrong answer for {e:?}");
        if let Some(k) = &searchable {
            assert!(!e.to_string().contains(k.as_str()), "error text shows the key");
            assert!(!format!("{:?}", e.argument()).contains(k.as_str()), "error argument shows the key");
        }
        fault
    };
    let ctx = || format!("alg={alg:?} key={key:?} md5={md5:?} sse={sse:?}");
    let got = match validate_write(&raw, sse) {
        Ok(None) => WriteVerdict::Absent,
        Ok(Some(t)) => {
            assert_eq!(Some(t.key_md5.as_str()), md5, "echoed MD5 differs from the sent one: {}", ctx());
            WriteVerdict::Valid(*t.key.expose())
        }
        Err(e) => WriteVerdict::Invalid(check_error(&e)),
    };
    assert_eq!(got, model_write(alg, key, md5, sse), "validate_write disagrees with the catalogue: {}", ctx());
    if raw.is_absent() {
        return;
    }
    let got = match validate_read(&raw) {
        Ok(ReadTriple { key: k, key_md5 }) => {
            assert_eq!(Some(key_md5.as_str()), md5, "echoed MD5 differs from the sent one: {}", ctx());
            k.map(|k| k.expose().to_vec())
        }
        Err(e) => {
            let f = check_error(&e);
            assert_eq!(model_read(alg, key, md5), ReadVerdict::Invalid(f), "validate_read disagrees: {}", ctx());
            return;
        }
    };
    match model_read(alg, key, md5) {
        ReadVerdict::Presented(bytes) => {
            let want = (bytes.len() == 32).then_some(bytes);
            assert_eq!(got, want, "validate_read keeps the wrong key bytes: {}", ctx());
        }
        other => panic!("validate_read accepted what the catalogue refuses ({other:?}): {}", ctx()),
    }
}

type Rendered = (Option<String>, Option<String>, Option<String>);

fn check_extraction(request: &Rendered, copy: &Rendered) {
    let mut headers = http::HeaderMap::new();
    for (kind, (a, k, m)) in [(TripleKind::Request, request), (TripleKind::CopySource, copy)] {
        for (name, value) in kind.names().iter().zip([a, k, m]) {
            let Some(value) = value else { continue };
            let Ok(v) = http::HeaderValue::from_str(value) else { return };
            headers.insert(*name, v);
        }
    }
    for (kind, (a, k, m)) in [(TripleKind::Request, request), (TripleKind::CopySource, copy)] {
        let raw = RawTriple::from_headers(&headers, kind);
        assert_eq!(&raw.algorithm, a, "{kind:?} algorithm extracted wrongly");
        assert_eq!(raw.key.as_deref().map(String::as_str), k.as_deref(), "{kind:?} key extracted wrongly");
        assert_eq!(&raw.key_md5, m, "{kind:?} key MD5 extracted wrongly");
    }
}

// ------------------------------------------------------------------------------------------------
// Target `sigv4_auth`.
// ------------------------------------------------------------------------------------------------

const AUTH_BUCKET: &str = "fuzz-auth";

/// A request method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum MethodPick {
    /// GET
    Get,
    /// HEAD
    Head,
    /// PUT
    Put,
    /// DELETE
    Delete,
    /// POST
    Post,
}

impl MethodPick {
    /// The method name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
            Self::Post => "POST",
        }
    }
}

/// An object name.
#[derive(Debug, Clone, Arbitrary)]
pub enum ObjectName {
    /// `obj-<n % 4>`
    Fixed(u8),
    /// Any text (`/` kept, at most 64 characters, never empty).
    Text(String),
}

impl ObjectName {
    fn render(&self) -> String {
        match self {
            Self::Fixed(n) => format!("obj-{}", n % 4),
            Self::Text(s) => {
                let s: String = s.chars().filter(|c| !c.is_control()).take(64).collect();
                if s.is_empty() { "obj-0".into() } else { s }
            }
        }
    }
}

/// A query parameter name.
#[derive(Debug, Clone, Arbitrary)]
pub enum QueryName {
    /// `versionId`
    VersionId,
    /// `partNumber`
    PartNumber,
    /// `uploads`
    Uploads,
    /// `uploadId`
    UploadId,
    /// `tagging`
    Tagging,
    /// Anything ASCII-alphanumeric.
    Other(String),
}

/// A header the request carries (and the signature covers).
#[derive(Debug, Clone, Arbitrary)]
pub enum HeaderPick {
    /// `x-amz-meta-<n>`
    Meta(u8),
    /// `content-type`
    ContentType,
    /// The SSE-C algorithm header.
    SseCAlgorithm,
    /// The SSE-C key header.
    SseCKey,
    /// The SSE-C key-MD5 header.
    SseCKeyMd5,
    /// `range`
    Range,
    /// `if-match`
    IfMatch,
    /// Any other lower-case token (signing headers are renamed).
    Other(String),
}

impl HeaderPick {
    fn name(&self) -> String {
        match self {
            Self::Meta(n) => format!("x-amz-meta-m{}", n % 8),
            Self::ContentType => "content-type".into(),
            Self::SseCAlgorithm => ALGORITHM.into(),
            Self::SseCKey => KEY.into(),
            Self::SseCKeyMd5 => KEY_MD5.into(),
            Self::Range => "range".into(),
            Self::IfMatch => "if-match".into(),
            Self::Other(s) => {
                let s: String = s
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .take(32)
                    .collect::<String>()
                    .to_ascii_lowercase();
                // Names the signer owns, hop-by-hop headers and headers that change the body's
                // framing are not free request headers.
                let reserved = [
                    "host",
                    "authorization",
                    "content-length",
                    "content-encoding",
                    "content-md5",
                    "transfer-encoding",
                    "connection",
                    "expect",
                    "te",
                    "upgrade",
                    "trailer",
                    "keep-alive",
                    "proxy-connection",
                ];
                if s.is_empty() || reserved.contains(&s.as_str()) || s.starts_with("x-amz-") {
                    format!("x-fz-{s}")
                } else {
                    s
                }
            }
        }
    }
}

/// Visible ASCII text (what a header value or query value can carry unchanged).
fn visible(s: &str, max: usize) -> String {
    s.chars().filter(|c| c.is_ascii_graphic()).take(max).collect()
}

/// One byte-level change to a correctly signed request.
#[derive(Debug, Clone, Arbitrary)]
pub enum Mutation {
    /// Send it as signed.
    None,
    /// Another method.
    Method(MethodPick),
    /// One alphanumeric character of the path replaced by another.
    PathByte {
        /// Position (modulo the candidates).
        at: u16,
        /// Replacement (mapped to a different alphanumeric).
        to: u8,
    },
    /// One alphanumeric character of a signed header's value replaced by another.
    HeaderByte {
        /// Which signed header (modulo).
        which: u8,
        /// Position (modulo the candidates).
        at: u16,
        /// Replacement.
        to: u8,
    },
    /// One hex digit of the signature replaced by another.
    SignatureByte {
        /// Position (modulo 64).
        at: u8,
        /// Replacement.
        to: u8,
    },
    /// One alphanumeric character of the query string replaced by another.
    QueryByte {
        /// Position (modulo the candidates).
        at: u16,
        /// Replacement.
        to: u8,
    },
    /// `x-amz-date` moved by this many seconds (not 0).
    DateSkew(i32),
    /// A signed header removed.
    DropSignedHeader(u8),
}

/// How the request is authenticated.
#[derive(Debug, Clone, Arbitrary)]
pub enum AuthMode {
    /// Signed by our client (Authorization header), then mutated.
    Signed(Mutation),
    /// Presigned by our client, then mutated.
    Presigned {
        /// `X-Amz-Expires` (1..=604800 after mapping).
        expires: u32,
        /// The change.
        mutation: Mutation,
    },
    /// Not signed.
    Anonymous,
    /// An `Authorization` value from the fuzzer, with a fresh `x-amz-date`.
    RawAuthorization {
        /// The value (visible ASCII).
        value: String,
        /// Also send `x-amz-content-sha256: UNSIGNED-PAYLOAD`.
        unsigned_payload: bool,
    },
    /// A SigV4 `Authorization` header assembled from fuzzed parts.
    AuthorizationParts {
        /// Access key id.
        access_key: Option<String>,
        /// Region.
        region: Option<String>,
        /// Service.
        service: Option<String>,
        /// Signed headers list.
        signed_headers: Option<String>,
        /// Signature.
        signature: String,
        /// A stale or future date (seconds from now).
        date_offset: i32,
        /// Send `x-amz-content-sha256` with this value.
        content_sha256: Option<ShaPick>,
    },
    /// Presigned query parameters from the fuzzer.
    RawPresigned(Vec<(PresignParam, String)>),
    /// A SigV2 `Authorization: AWS <ak>:<sig>` header.
    V2 {
        /// Access key id.
        access_key: Option<String>,
        /// Signature.
        signature: String,
    },
}

/// An `x-amz-content-sha256` value.
#[derive(Debug, Clone, Arbitrary)]
pub enum ShaPick {
    /// `UNSIGNED-PAYLOAD`
    Unsigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`
    Streaming,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`
    StreamingUnsignedTrailer,
    /// `STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD`
    Ecdsa,
    /// The hash of the empty body.
    Empty,
    /// Anything.
    Raw(String),
}

impl ShaPick {
    fn render(&self) -> String {
        match self {
            Self::Unsigned => "UNSIGNED-PAYLOAD".into(),
            Self::Streaming => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD".into(),
            Self::StreamingUnsignedTrailer => "STREAMING-UNSIGNED-PAYLOAD-TRAILER".into(),
            Self::Ecdsa => "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD".into(),
            Self::Empty => "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
            Self::Raw(s) => visible(s, 80),
        }
    }
}

/// A presigned query parameter name.
#[derive(Debug, Clone, Arbitrary)]
pub enum PresignParam {
    /// `X-Amz-Algorithm`
    Algorithm,
    /// `X-Amz-Credential`
    Credential,
    /// `X-Amz-Date`
    Date,
    /// `X-Amz-Expires`
    Expires,
    /// `X-Amz-SignedHeaders`
    SignedHeaders,
    /// `X-Amz-Signature`
    Signature,
    /// `X-Amz-Security-Token`
    SecurityToken,
    /// SigV2 `Signature`
    V2Signature,
    /// SigV2 `Expires`
    V2Expires,
    /// SigV2 `AWSAccessKeyId`
    V2AccessKey,
}

/// One request for [`sigv4_auth`].
#[derive(Debug, Clone, Arbitrary)]
pub struct AuthCase {
    /// Method.
    pub method: MethodPick,
    /// Object (in the auth bucket), or the bucket itself.
    pub object: Option<ObjectName>,
    /// Query parameters.
    pub query: Vec<(QueryName, String)>,
    /// Headers.
    pub headers: Vec<(HeaderPick, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Authentication.
    pub auth: AuthMode,
}

/// Fuzz entry point: [`AuthCase`] from bytes, then [`check_auth_case`].
pub fn sigv4_auth(data: &[u8]) {
    if let Ok(case) = AuthCase::arbitrary_take_rest(Unstructured::new(data)) {
        check_auth_case(&case);
    }
}

fn amz_date(t: SystemTime) -> String {
    let t: time::OffsetDateTime = t.into();
    let f = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    t.format(&f).unwrap_or_default()
}

fn shift(now: SystemTime, secs: i32) -> SystemTime {
    let d = Duration::from_secs(u64::from(secs.unsigned_abs()));
    if secs < 0 { now.checked_sub(d).unwrap_or(now) } else { now.checked_add(d).unwrap_or(now) }
}

impl AuthCase {
    fn outgoing(&self, auth: Auth) -> Outgoing {
        let key = self.object.as_ref().map(ObjectName::render);
        let mut req = Outgoing::new(self.method.as_str(), Some(AUTH_BUCKET), key.as_deref());
        req.auth = auth;
        for (name, value) in self.query.iter().take(4) {
            let name = match name {
                QueryName::VersionId => "versionId".to_owned(),
                QueryName::PartNumber => "partNumber".to_owned(),
                QueryName::Uploads => "uploads".to_owned(),
                QueryName::UploadId => "uploadId".to_owned(),
                QueryName::Tagging => "tagging".to_owned(),
                QueryName::Other(s) => {
                    let s: String = s.chars().filter(char::is_ascii_alphanumeric).take(16).collect();
                    // X-Amz-* parameters belong to the presigner.
                    if s.is_empty() || s.to_ascii_lowercase().starts_with("x") { format!("q{s}") } else { s }
                }
            };
            // One value per name: s3s 0.14 orders repeated names by arrival, not by value as SigV4
            // (and aws-sigv4) do, so it refuses valid signatures of such URLs (fuzz/README.md, F1).
            if req.query.iter().any(|(n, _)| *n == name) {
                continue;
            }
            req.query.push((name, visible(value, 32)));
        }
        for (name, value) in self.headers.iter().take(6) {
            // Inner spaces too (SigV4 collapses runs of spaces), none at either end (HTTP/1.1 parsing
            // strips them before a server sees the value). No tabs: s3s 0.14 collapses any
            // whitespace where SigV4 collapses spaces only (fuzz/README.md, F2).
            let value: String = value.chars().filter(|c| c.is_ascii_graphic() || *c == ' ').take(64).collect();
            req.headers.push((name.name(), value.trim_matches(' ').to_owned()));
        }
        req.body = Bytes::from(self.body.iter().copied().take(1024).collect::<Vec<u8>>());
        req
    }
}

/// The service answers without panicking or failing; a request signed by our client is never refused
/// for its signature; one with a byte changed, or a made-up signature, never succeeds.
pub fn check_auth_case(case: &AuthCase) {
    let ip = in_process();
    ensure_bucket_once(ip, AUTH_BUCKET);
    let (req, mutated) = match &case.auth {
        AuthMode::Signed(m) => {
            let mut req = ip.sign(&case.outgoing(Auth::Header));
            let mutated = mutate_signed(&mut req, m, false);
            (req, mutated)
        }
        AuthMode::Presigned { expires, mutation } => {
            let secs = u64::from(expires % 604_800).max(60);
            let mut req = ip.sign(&case.outgoing(Auth::Presigned(Duration::from_secs(secs))));
            let mutated = mutate_signed(&mut req, mutation, true);
            (req, mutated)
        }
        AuthMode::Anonymous => (ip.sign(&case.outgoing(Auth::Anonymous)), true),
        other => (garbage_request(ip, case, other), true),
    };
    let what = format!("{} {} (mutated: {mutated})", req.method(), req.uri());
    let reply = ip.call(req);
    assert_not_server_error(&reply, &what);
    if mutated {
        assert!(!reply.is_success(), "{what}: accepted a request whose signature cannot be valid: {case:?}");
    } else {
        let code = reply.code().unwrap_or_default();
        assert!(
            !matches!(code.as_str(), "SignatureDoesNotMatch" | "AccessDenied" | "InvalidAccessKeyId"),
            "{what}: refused a request our client signed: {} for {case:?}",
            reply.summary()
        );
    }
    if reply.is_success() && matches!(case.method, MethodPick::Put | MethodPick::Post) {
        // Keep the store small: objects written by valid requests are removed again.
        if let Some(obj) = &case.object {
            let _ = ip.send(&Outgoing::new("DELETE", Some(AUTH_BUCKET), Some(&obj.render())));
        }
    }
}

fn ensure_bucket_once(ip: &InProcess, bucket: &'static str) {
    static DONE: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut done = DONE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !done.contains(&bucket) {
        ip.ensure_bucket(bucket);
        done.push(bucket);
    }
}

fn other_alnum(current: u8, to: u8) -> u8 {
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut c = ALNUM[usize::from(to) % ALNUM.len()];
    if c == current {
        c = ALNUM[(usize::from(to) + 1) % ALNUM.len()];
    }
    c
}

fn other_hex(current: u8, to: u8) -> u8 {
    const HEX: &[u8] = b"0123456789abcdef";
    let mut c = HEX[usize::from(to) % 16];
    if c == current {
        c = HEX[(usize::from(to) + 1) % 16];
    }
    c
}

/// Replaces one alphanumeric byte of `text` (chosen by `at`) with another; `None` when there is none.
fn replace_alnum(text: &str, at: u16, to: u8, skip: usize) -> Option<String> {
    let candidates: Vec<usize> =
        text.bytes().enumerate().skip(skip).filter(|(_, b)| b.is_ascii_alphanumeric()).map(|(i, _)| i).collect();
    let i = *candidates.get(usize::from(at) % candidates.len().max(1))?;
    let mut bytes = text.as_bytes().to_vec();
    bytes[i] = other_alnum(bytes[i], to);
    String::from_utf8(bytes).ok()
}

/// The names a signed request's signature covers (`SignedHeaders` / `X-Amz-SignedHeaders`).
#[must_use]
pub fn signed_header_names(req: &http::Request<Bytes>, presigned: bool) -> Vec<String> {
    let list = if presigned {
        req.uri()
            .query()
            .unwrap_or_default()
            .split('&')
            .find_map(|kv| kv.strip_prefix("X-Amz-SignedHeaders="))
            .map(|v| v.replace("%3B", ";").replace("%3b", ";"))
    } else {
        req.headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|a| a.split("SignedHeaders=").nth(1))
            .map(|s| s.split(',').next().unwrap_or_default().to_owned())
    };
    list.map(|l| l.split(';').map(str::to_owned).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
}

fn set_uri(req: &mut http::Request<Bytes>, path_and_query: &str) -> bool {
    let mut parts = req.uri().clone().into_parts();
    match path_and_query.parse() {
        Ok(pq) => {
            parts.path_and_query = Some(pq);
            match http::Uri::from_parts(parts) {
                Ok(uri) => {
                    *req.uri_mut() = uri;
                    true
                }
                Err(_) => false,
            }
        }
        Err(_) => false,
    }
}

/// Applies a mutation to a signed request; returns whether the request now differs from what was
/// signed (false when the mutation found nothing to change).
pub fn mutate_signed(req: &mut http::Request<Bytes>, m: &Mutation, presigned: bool) -> bool {
    match m {
        Mutation::None => false,
        Mutation::Method(method) => {
            let new = http::Method::from_bytes(method.as_str().as_bytes()).unwrap_or(http::Method::GET);
            let changed = *req.method() != new;
            *req.method_mut() = new;
            changed
        }
        Mutation::PathByte { at, to } => {
            let path = req.uri().path().to_owned();
            let query = req.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
            // The object key when there is one (a changed bucket name may be refused as invalid before
            // the signature is looked at), else the bucket; percent escapes are left alone (`%4a` and
            // `%4A` are the same).
            let key_start = path[1..].find('/').map_or(1, |i| i + 2);
            let skip = if path[key_start..].bytes().any(|b| b.is_ascii_alphanumeric()) { key_start } else { 1 };
            let escaped: Vec<usize> = path.match_indices('%').map(|(i, _)| i).collect();
            let Some(new_path) = replace_alnum(&path, *at, *to, skip) else { return false };
            let changed_at = path.bytes().zip(new_path.bytes()).position(|(a, b)| a != b).unwrap_or(0);
            if escaped.iter().any(|&e| changed_at > e && changed_at <= e + 2) {
                return false;
            }
            set_uri(req, &format!("{new_path}{query}"))
        }
        Mutation::QueryByte { at, to } => {
            let Some(query) = req.uri().query().map(str::to_owned) else { return false };
            let path = req.uri().path().to_owned();
            // Only the values of X-Amz-* parameters and parameter names: a value's percent escape
            // could be rewritten into an equivalent one.
            let escaped: Vec<usize> = query.match_indices('%').map(|(i, _)| i).collect();
            let Some(new_query) = replace_alnum(&query, *at, *to, 0) else { return false };
            let changed_at = query.bytes().zip(new_query.bytes()).position(|(a, b)| a != b).unwrap_or(0);
            if escaped.iter().any(|&e| changed_at > e && changed_at <= e + 2) {
                return false;
            }
            set_uri(req, &format!("{path}?{new_query}"))
        }
        Mutation::HeaderByte { which, at, to } => {
            let names = signed_header_names(req, presigned);
            if names.is_empty() {
                return false;
            }
            let name = &names[usize::from(*which) % names.len()];
            if name == "host" {
                // The host is not in the header map of an in-process request until the call.
                let Some(authority) = req.uri().authority().map(|a| a.as_str().to_owned()) else { return false };
                let Some(new) = replace_alnum(&authority, *at, *to, 0) else { return false };
                let Ok(v) = http::HeaderValue::from_str(&new) else { return false };
                req.headers_mut().insert(http::header::HOST, v);
                return true;
            }
            let Some(value) = req.headers().get(name.as_str()).and_then(|v| v.to_str().ok()).map(str::to_owned) else {
                return false;
            };
            let Some(new) = replace_alnum(&value, *at, *to, 0) else { return false };
            let Ok(v) = http::HeaderValue::from_str(&new) else { return false };
            let Ok(n) = http::HeaderName::from_bytes(name.as_bytes()) else { return false };
            req.headers_mut().insert(n, v);
            true
        }
        Mutation::SignatureByte { at, to } => {
            if presigned {
                let Some(query) = req.uri().query().map(str::to_owned) else { return false };
                let Some(pos) = query.find("X-Amz-Signature=") else { return false };
                let start = pos + "X-Amz-Signature=".len();
                let i = start + usize::from(*at) % 64;
                let mut bytes = query.into_bytes();
                if i >= bytes.len() {
                    return false;
                }
                bytes[i] = other_hex(bytes[i], *to);
                let path = req.uri().path().to_owned();
                set_uri(req, &format!("{path}?{}", String::from_utf8_lossy(&bytes)))
            } else {
                let Some(value) = req.headers().get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
                    return false;
                };
                let Some(pos) = value.find("Signature=") else { return false };
                let i = pos + "Signature=".len() + usize::from(*at) % 64;
                let mut bytes = value.as_bytes().to_vec();
                if i >= bytes.len() {
                    return false;
                }
                bytes[i] = other_hex(bytes[i], *to);
                let Ok(v) = http::HeaderValue::from_bytes(&bytes) else { return false };
                req.headers_mut().insert(http::header::AUTHORIZATION, v);
                true
            }
        }
        Mutation::DateSkew(secs) => {
            if *secs == 0 || presigned {
                return false;
            }
            let Some(value) = req.headers().get("x-amz-date").and_then(|v| v.to_str().ok()) else { return false };
            let Ok(t) = time::PrimitiveDateTime::parse(
                value,
                &time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"),
            ) else {
                return false;
            };
            let new = amz_date(shift(SystemTime::from(t.assume_utc()), *secs));
            if new == value {
                return false;
            }
            let Ok(v) = http::HeaderValue::from_str(&new) else { return false };
            req.headers_mut().insert("x-amz-date", v);
            true
        }
        Mutation::DropSignedHeader(which) => {
            let names: Vec<String> = signed_header_names(req, presigned).into_iter().filter(|n| n != "host").collect();
            if names.is_empty() {
                return false;
            }
            req.headers_mut().remove(names[usize::from(*which) % names.len()].as_str()).is_some()
        }
    }
}

fn garbage_request(ip: &InProcess, case: &AuthCase, mode: &AuthMode) -> http::Request<Bytes> {
    let mut req = ip.sign(&case.outgoing(Auth::Anonymous));
    let now = SystemTime::now();
    let headers = req.headers_mut();
    let set = |h: &mut http::HeaderMap, name: &'static str, value: &str| {
        if let Ok(v) = http::HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    match mode {
        AuthMode::RawAuthorization { value, unsigned_payload } => {
            set(headers, "authorization", &visible(value, 512));
            set(headers, "x-amz-date", &amz_date(now));
            if *unsigned_payload {
                set(headers, "x-amz-content-sha256", "UNSIGNED-PAYLOAD");
            }
        }
        AuthMode::AuthorizationParts {
            access_key,
            region,
            service,
            signed_headers,
            signature,
            date_offset,
            content_sha256,
        } => {
            let date = shift(now, *date_offset % 3600);
            let day = &amz_date(date)[..8];
            let ak = access_key.as_deref().map_or(DEFAULT_ACCESS_KEY.to_owned(), |s| visible(s, 32));
            let region = region.as_deref().map_or(REGION.to_owned(), |s| visible(s, 16));
            let service = service.as_deref().map_or("s3".to_owned(), |s| visible(s, 16));
            let signed =
                signed_headers.as_deref().map_or("host;x-amz-content-sha256;x-amz-date".to_owned(), |s| visible(s, 64));
            let value = format!(
                "AWS4-HMAC-SHA256 Credential={ak}/{day}/{region}/{service}/aws4_request, SignedHeaders={signed}, Signature={}",
                visible(signature, 80)
            );
            set(headers, "authorization", &value);
            set(headers, "x-amz-date", &amz_date(date));
            if let Some(sha) = content_sha256 {
                set(headers, "x-amz-content-sha256", &sha.render());
            }
        }
        AuthMode::V2 { access_key, signature } => {
            let ak = access_key.as_deref().map_or(DEFAULT_ACCESS_KEY.to_owned(), |s| visible(s, 32));
            set(headers, "authorization", &format!("AWS {ak}:{}", visible(signature, 64)));
            let http_date = httpdate(now);
            set(headers, "date", &http_date);
        }
        AuthMode::RawPresigned(params) => {
            let mut query: Vec<String> = req.uri().query().map(|q| vec![q.to_owned()]).unwrap_or_default();
            for (name, value) in params.iter().take(10) {
                let name = match name {
                    PresignParam::Algorithm => "X-Amz-Algorithm",
                    PresignParam::Credential => "X-Amz-Credential",
                    PresignParam::Date => "X-Amz-Date",
                    PresignParam::Expires => "X-Amz-Expires",
                    PresignParam::SignedHeaders => "X-Amz-SignedHeaders",
                    PresignParam::Signature => "X-Amz-Signature",
                    PresignParam::SecurityToken => "X-Amz-Security-Token",
                    PresignParam::V2Signature => "Signature",
                    PresignParam::V2Expires => "Expires",
                    PresignParam::V2AccessKey => "AWSAccessKeyId",
                };
                query.push(format!("{name}={}", crate::client::encode_path(&visible(value, 96)).replace('/', "%2F")));
            }
            let path = req.uri().path().to_owned();
            if !set_uri(&mut req, &format!("{path}?{}", query.join("&"))) {
                return req;
            }
        }
        AuthMode::Signed(_) | AuthMode::Presigned { .. } | AuthMode::Anonymous => {}
    }
    req
}

fn httpdate(t: SystemTime) -> String {
    let t: time::OffsetDateTime = t.into();
    let f = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&f).unwrap_or_default()
}

// ------------------------------------------------------------------------------------------------
// aws-chunked: an encoder (signatures by aws-sigv4) and target `aws_chunked`.
// ------------------------------------------------------------------------------------------------

const CHUNKED_BUCKET: &str = "fuzz-chunked";

/// The `x-amz-content-sha256` of a streaming upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum ChunkMode {
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`
    Signed,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`
    SignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`
    UnsignedTrailer,
}

impl ChunkMode {
    fn content_sha256(self) -> &'static str {
        match self {
            Self::Signed => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            Self::SignedTrailer => "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            Self::UnsignedTrailer => "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        }
    }
}

/// The checksum sent as a trailer (trailer modes only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum TrailerPick {
    /// No trailer.
    None,
    /// `x-amz-checksum-crc32c`
    Crc32c,
    /// `x-amz-checksum-crc32`
    Crc32,
    /// `x-amz-checksum-sha256`
    Sha256,
}

impl TrailerPick {
    fn name(self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Crc32c => Some("x-amz-checksum-crc32c"),
            Self::Crc32 => Some("x-amz-checksum-crc32"),
            Self::Sha256 => Some("x-amz-checksum-sha256"),
        }
    }

    fn value(self, data: &[u8]) -> String {
        let mut h = s3s::checksum::ChecksumHasher::default();
        match self {
            Self::None => return String::new(),
            Self::Crc32c => h.crc32c = Some(Default::default()),
            Self::Crc32 => h.crc32 = Some(Default::default()),
            Self::Sha256 => return B64.encode(sha2::Sha256::digest(data)),
        }
        h.update(data);
        let sum = h.finalize();
        sum.checksum_crc32c.or(sum.checksum_crc32).unwrap_or_default()
    }
}

/// A PutObject with an aws-chunked body, ready to send.
#[derive(Debug, Clone)]
pub struct ChunkedUpload {
    /// The signed request; its body is the encoded stream.
    pub request: http::Request<Bytes>,
}

fn signing_params<'a>(
    identity: &'a aws_smithy_runtime_api::client::identity::Identity,
    time: SystemTime,
    settings: aws_sigv4::http_request::SigningSettings,
) -> aws_sigv4::sign::v4::SigningParams<'a, aws_sigv4::http_request::SigningSettings> {
    aws_sigv4::sign::v4::SigningParams::builder()
        .identity(identity)
        .region(REGION)
        .name("s3")
        .time(time)
        .settings(settings)
        .build()
        .expect("signing params")
}

/// Encodes `data` as an aws-chunked PutObject of `bucket/key`: cut into chunks of the given sizes
/// (the rest in one chunk), with chunk and trailer signatures computed by aws-sigv4.
#[must_use]
pub fn encode_chunked(
    bucket: &str,
    key: &str,
    data: &[u8],
    chunk_sizes: &[usize],
    mode: ChunkMode,
    trailer: TrailerPick,
) -> ChunkedUpload {
    use aws_sigv4::http_request::{PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign};
    // The trailer modes need a trailer (`x-amz-trailer`); the plain signed mode has none.
    let trailer = match (mode, trailer) {
        (ChunkMode::Signed, _) => TrailerPick::None,
        (_, TrailerPick::None) => TrailerPick::Crc32c,
        (_, t) => t,
    };
    let now = SystemTime::now();
    let url = format!("{IN_PROCESS_ENDPOINT}/{bucket}/{}", crate::client::encode_path(key));
    let authority = "127.0.0.1:9000";
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), authority.into()),
        ("content-encoding".into(), "aws-chunked".into()),
        ("x-amz-decoded-content-length".into(), data.len().to_string()),
    ];
    if let Some(name) = trailer.name() {
        headers.push(("x-amz-trailer".into(), name.into()));
    }
    let credentials =
        aws_credential_types::Credentials::new(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, None, None, "fuzzing");
    let identity = credentials.into();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = signing_params(&identity, now, settings.clone()).into();
    let signable = SignableRequest::new(
        "PUT",
        &url,
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Precomputed(mode.content_sha256().to_owned()),
    )
    .expect("signable request");
    let (instructions, seed) = sign(signable, &params).expect("seed signature").into_parts();
    let chunk_params = signing_params(&identity, now, settings);

    let mut body = Vec::with_capacity(data.len() + 256);
    let mut prev = seed;
    let mut rest = data;
    let mut sizes = chunk_sizes.iter().copied();
    let signed_chunks = mode != ChunkMode::UnsignedTrailer;
    loop {
        let n = if rest.is_empty() { 0 } else { sizes.next().unwrap_or(rest.len()).clamp(1, rest.len()) };
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        if signed_chunks {
            let sig = aws_sigv4::sign::v4::sign_chunk(&Bytes::copy_from_slice(chunk), &prev, &chunk_params)
                .expect("chunk signature")
                .into_parts()
                .1;
            body.extend_from_slice(format!("{n:x};chunk-signature={sig}\r\n").as_bytes());
            prev = sig;
        } else {
            body.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        }
        if n == 0 {
            break;
        }
        body.extend_from_slice(chunk);
        body.extend_from_slice(b"\r\n");
    }
    if let Some(name) = trailer.name() {
        let value = trailer.value(data);
        body.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
        if signed_chunks {
            let mut th = aws_smithy_runtime_api::http::Headers::new();
            th.insert(name, value);
            let sig =
                aws_sigv4::sign::v4::sign_trailer(&th, &prev, &chunk_params).expect("trailer signature").into_parts().1;
            body.extend_from_slice(format!("x-amz-trailer-signature:{sig}\r\n").as_bytes());
        }
    }
    body.extend_from_slice(b"\r\n");

    let mut builder = http::Request::builder().method("PUT").uri(&url);
    for (n, v) in &headers {
        builder = builder.header(n.as_str(), v.as_str());
    }
    builder = builder.header("content-length", body.len().to_string());
    let mut request = builder.body(Bytes::from(body)).expect("chunked request");
    instructions.apply_to_request_http1x(&mut request);
    ChunkedUpload { request }
}

/// A change to an encoded aws-chunked request.
#[derive(Debug, Clone, Arbitrary)]
pub enum Corruption {
    /// None.
    None,
    /// One bit of the body flipped.
    FlipBit {
        /// Byte position (modulo the length).
        at: u32,
        /// Bit.
        bit: u8,
    },
    /// The body cut short.
    Truncate(u32),
    /// A byte inserted.
    Insert {
        /// Position.
        at: u32,
        /// Byte.
        byte: u8,
    },
    /// A byte removed.
    Remove(u32),
    /// `Content-Length` off by this much (the header is not signed).
    ContentLength(i16),
    /// The whole body replaced.
    Body(Vec<u8>),
}

/// One aws-chunked upload for [`aws_chunked`].
#[derive(Debug, Clone, Arbitrary)]
pub struct ChunkedCase {
    /// The payload.
    pub data: Vec<u8>,
    /// Chunk sizes.
    pub chunks: Vec<u16>,
    /// Signing mode.
    pub mode: ChunkMode,
    /// Trailer.
    pub trailer: TrailerPick,
    /// Change.
    pub corruption: Corruption,
}

/// Fuzz entry point: [`ChunkedCase`] from bytes, then [`check_chunked_case`].
pub fn aws_chunked(data: &[u8]) {
    if let Ok(case) = ChunkedCase::arbitrary_take_rest(Unstructured::new(data)) {
        check_chunked_case(&case);
    }
}

/// Uploads `case.data` aws-chunked to the in-process service, corrupted as asked, and returns the
/// PUT's reply and what a GET reads back (when the PUT succeeded).
pub fn put_chunked(case: &ChunkedCase, key: &str) -> (Reply, Option<Reply>) {
    let ip = in_process();
    ensure_bucket_once(ip, CHUNKED_BUCKET);
    let sizes: Vec<usize> = case.chunks.iter().take(64).map(|&s| usize::from(s)).collect();
    let ChunkedUpload { mut request } =
        encode_chunked(CHUNKED_BUCKET, key, &case.data, &sizes, case.mode, case.trailer);
    corrupt(&mut request, &case.corruption);
    let put = ip.call(request);
    let get = put.is_success().then(|| ip.send(&Outgoing::new("GET", Some(CHUNKED_BUCKET), Some(key))));
    (put, get)
}

fn corrupt(request: &mut http::Request<Bytes>, c: &Corruption) {
    let body = request.body().to_vec();
    let len = body.len().max(1);
    let new = match c {
        Corruption::None => return,
        Corruption::ContentLength(d) => {
            let n = i64::try_from(body.len()).unwrap_or(0) + i64::from(*d);
            let v = http::HeaderValue::from(u64::try_from(n.max(0)).unwrap_or(0));
            request.headers_mut().insert(http::header::CONTENT_LENGTH, v);
            return;
        }
        Corruption::FlipBit { at, bit } => {
            let mut b = body;
            let i = *at as usize % len;
            if let Some(x) = b.get_mut(i) {
                *x ^= 1 << (bit % 8);
            }
            b
        }
        Corruption::Truncate(at) => body[..*at as usize % len].to_vec(),
        Corruption::Insert { at, byte } => {
            let mut b = body;
            b.insert(*at as usize % (b.len() + 1), *byte);
            b
        }
        Corruption::Remove(at) => {
            let mut b = body;
            if !b.is_empty() {
                b.remove(*at as usize % len);
            }
            b
        }
        Corruption::Body(b) => b.clone(),
    };
    request.headers_mut().insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(new.len()));
    *request.body_mut() = Bytes::from(new);
}

/// An intact upload is stored exactly; a corrupted one is refused (4xx) or stored exactly as meant.
pub fn check_chunked_case(case: &ChunkedCase) {
    let key = "chunked-object";
    let (put, get) = put_chunked(case, key);
    let what = format!("aws-chunked PUT {:?} {:?} {:?}", case.mode, case.trailer, case.corruption);
    assert_not_server_error(&put, &what);
    let intact = matches!(case.corruption, Corruption::None);
    if intact {
        assert_eq!(put.status, 200, "{what}: an intact aws-chunked upload was refused: {}", put.summary());
    }
    let Some(get) = get else { return };
    // A single change is caught by the chunk and trailer signatures, or, for unsigned chunks, by the
    // trailing checksum the encoder always sends. A replaced body proves nothing: libFuzzer sees the
    // signatures and checksums the server compares against and can copy them into the input.
    if !matches!(case.corruption, Corruption::Body(_)) {
        assert_eq!(get.status, 200, "{what}: GET after PUT: {}", get.summary());
        assert!(
            get.bytes() == case.data.as_slice(),
            "{what}: stored {} bytes that differ from the {} sent",
            get.bytes().len(),
            case.data.len()
        );
    }
}

// ------------------------------------------------------------------------------------------------
// Target `s3_xml`.
// ------------------------------------------------------------------------------------------------

const XML_BUCKET: &str = "fuzz-xml";
const XML_VERSIONING_BUCKET: &str = "fuzz-xml-versioning";
const XML_KEY: &str = "xml-object";

/// The operation that receives the XML body.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum XmlOp {
    /// `POST /bucket/key?uploadId=…` (CompleteMultipartUpload)
    Complete,
    /// `POST /bucket?delete` (DeleteObjects)
    Delete {
        /// Send a correct `Content-MD5`.
        content_md5: bool,
    },
    /// `PUT /bucket?versioning` (PutBucketVersioning)
    Versioning,
}

/// An element name.
#[derive(Debug, Clone, Arbitrary)]
pub enum XmlName {
    /// `CompleteMultipartUpload`
    CompleteMultipartUpload,
    /// `Part`
    Part,
    /// `PartNumber`
    PartNumber,
    /// `ETag`
    ETag,
    /// `ChecksumCRC32`
    ChecksumCrc32,
    /// `Delete`
    Delete,
    /// `Object`
    Object,
    /// `Key`
    Key,
    /// `VersionId`
    VersionId,
    /// `Quiet`
    Quiet,
    /// `VersioningConfiguration`
    VersioningConfiguration,
    /// `Status`
    Status,
    /// `MfaDelete`
    MfaDelete,
    /// Anything.
    Other(String),
}

impl XmlName {
    fn render(&self) -> String {
        match self {
            Self::CompleteMultipartUpload => "CompleteMultipartUpload".into(),
            Self::Part => "Part".into(),
            Self::PartNumber => "PartNumber".into(),
            Self::ETag => "ETag".into(),
            Self::ChecksumCrc32 => "ChecksumCRC32".into(),
            Self::Delete => "Delete".into(),
            Self::Object => "Object".into(),
            Self::Key => "Key".into(),
            Self::VersionId => "VersionId".into(),
            Self::Quiet => "Quiet".into(),
            Self::VersioningConfiguration => "VersioningConfiguration".into(),
            Self::Status => "Status".into(),
            Self::MfaDelete => "MfaDelete".into(),
            Self::Other(s) => {
                let s: String =
                    s.chars().filter(|c| c.is_alphanumeric() || matches!(c, ':' | '-' | '_')).take(24).collect();
                if s.is_empty() { "X".into() } else { s }
            }
        }
    }
}

/// Element content.
#[derive(Debug, Clone, Arbitrary)]
pub enum XmlChild {
    /// A nested element.
    Element(XmlNode),
    /// A number.
    Number(i64),
    /// `Enabled`, `Suspended`, `true`, `false`, `"etag"`.
    Word(u8),
    /// Text (escaped).
    Text(String),
    /// Raw text (not escaped).
    Raw(String),
    /// `<![CDATA[…]]>`
    CData(String),
    /// An entity or character reference.
    Entity(u8),
}

/// An element.
#[derive(Debug, Clone, Arbitrary)]
pub struct XmlNode {
    /// Name.
    pub name: XmlName,
    /// Add the S3 namespace.
    pub xmlns: bool,
    /// Content.
    pub children: Vec<XmlChild>,
}

impl XmlNode {
    fn render(&self, out: &mut String, depth: usize) {
        let name = self.name.render();
        out.push('<');
        out.push_str(&name);
        if self.xmlns {
            out.push_str(r#" xmlns="http://s3.amazonaws.com/doc/2006-03-01/""#);
        }
        out.push('>');
        for child in self.children.iter().take(16) {
            match child {
                XmlChild::Element(e) if depth < 24 => e.render(out, depth + 1),
                XmlChild::Element(_) => {}
                XmlChild::Number(n) => out.push_str(&n.to_string()),
                XmlChild::Word(w) => {
                    out.push_str(
                        ["Enabled", "Suspended", "true", "false", "\"0123\"", "", "1", "10001"][usize::from(w % 8)],
                    );
                }
                XmlChild::Text(t) => {
                    out.push_str(&clip(t.clone()).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"))
                }
                XmlChild::Raw(t) => out.push_str(&clip(t.clone())),
                XmlChild::CData(t) => {
                    out.push_str("<![CDATA[");
                    out.push_str(&clip(t.replace("]]>", "")));
                    out.push_str("]]>");
                }
                XmlChild::Entity(e) => {
                    out.push_str(
                        ["&amp;", "&lt;", "&#65;", "&#x1F600;", "&#0;", "&bogus;", "&#xFFFFFFFF;", "&"]
                            [usize::from(e % 8)],
                    );
                }
            }
        }
        out.push_str("</");
        out.push_str(&name);
        out.push('>');
    }
}

/// The body of an [`XmlCase`].
#[derive(Debug, Clone, Arbitrary)]
pub enum XmlBody {
    /// Raw bytes.
    Raw(Vec<u8>),
    /// A generated document.
    Doc {
        /// Prefix `<?xml version="1.0" encoding="UTF-8"?>`.
        declaration: bool,
        /// The root element.
        root: XmlNode,
    },
}

/// One request for [`s3_xml`].
#[derive(Debug, Clone, Arbitrary)]
pub struct XmlCase {
    /// The operation.
    pub op: XmlOp,
    /// The body.
    pub body: XmlBody,
}

impl XmlBody {
    /// The body bytes.
    #[must_use]
    pub fn render(&self) -> Vec<u8> {
        match self {
            Self::Raw(b) => b.clone(),
            Self::Doc { declaration, root } => {
                let mut s = String::new();
                if *declaration {
                    s.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
                }
                root.render(&mut s, 0);
                s.into_bytes()
            }
        }
    }
}

/// Fuzz entry point: [`XmlCase`] from bytes, then [`check_xml_case`].
pub fn s3_xml(data: &[u8]) {
    if let Ok(case) = XmlCase::arbitrary_take_rest(Unstructured::new(data)) {
        check_xml_case(&case);
    }
}

/// The open multipart upload of [`XML_KEY`] (one 1-byte part), reused until a Complete succeeds.
static XML_UPLOAD: Mutex<Option<String>> = Mutex::new(None);

fn xml_upload(ip: &InProcess) -> String {
    let mut slot = XML_UPLOAD.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(id) = slot.as_ref() {
        return id.clone();
    }
    let mut create = Outgoing::new("POST", Some(XML_BUCKET), Some(XML_KEY));
    create.query.push(("uploads".into(), String::new()));
    let reply = ip.send(&create);
    let text = String::from_utf8_lossy(reply.bytes()).into_owned();
    let id = text
        .split("<UploadId>")
        .nth(1)
        .and_then(|r| r.split("</UploadId>").next())
        .unwrap_or_else(|| panic!("CreateMultipartUpload: {}", reply.summary()))
        .to_owned();
    let mut part = Outgoing::new("PUT", Some(XML_BUCKET), Some(XML_KEY));
    part.query = vec![("partNumber".into(), "1".into()), ("uploadId".into(), id.clone())];
    part.body = Bytes::from_static(b"x");
    assert!(ip.send(&part).is_success(), "UploadPart for the XML target failed");
    *slot = Some(id.clone());
    id
}

/// A signed request with the case's XML body never panics and never gets a 5xx.
pub fn check_xml_case(case: &XmlCase) {
    let ip = in_process();
    ensure_bucket_once(ip, XML_BUCKET);
    ensure_bucket_once(ip, XML_VERSIONING_BUCKET);
    let body = case.body.render();
    let req = match case.op {
        XmlOp::Complete => {
            let id = xml_upload(ip);
            let mut req = Outgoing::new("POST", Some(XML_BUCKET), Some(XML_KEY));
            req.query.push(("uploadId".into(), id));
            req
        }
        XmlOp::Delete { content_md5 } => {
            let mut req = Outgoing::new("POST", Some(XML_BUCKET), None);
            req.query.push(("delete".into(), String::new()));
            if content_md5 {
                req.headers.push(("content-md5".into(), B64.encode(Md5::digest(&body))));
            }
            req
        }
        XmlOp::Versioning => {
            let mut req = Outgoing::new("PUT", Some(XML_VERSIONING_BUCKET), None);
            req.query.push(("versioning".into(), String::new()));
            req
        }
    };
    let mut req = req;
    req.body = Bytes::from(body);
    let reply = ip.send(&req);
    assert_not_server_error(&reply, &format!("{:?} with a {}-byte body", case.op, req.body.len()));
    if matches!(case.op, XmlOp::Complete) && reply.is_success() {
        *XML_UPLOAD.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

// ------------------------------------------------------------------------------------------------
// Target `scenario_load`.
// ------------------------------------------------------------------------------------------------

/// Fuzz entry point: the bytes as a scenario file and as a profile file.
pub fn scenario_load(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_scenario_text(&text);
}

/// Loading never panics, and every refusal says where.
pub fn check_scenario_text(text: &str) {
    if let Err(errors) = crate::scenario::load::parse("fuzz/000-case.yaml", text) {
        assert!(!errors.is_empty(), "a scenario was refused without a message");
        for e in &errors {
            assert!(e.starts_with("fuzz/000-case.yaml:"), "an error does not name the file: {e}");
        }
    }
    let path = profile_scratch_path();
    if std::fs::write(&path, text.as_bytes()).is_ok()
        && let Err(e) = crate::scenario::profile::Profile::load(&path)
    {
        assert!(e.to_string().contains(&path.display().to_string()), "a profile error does not name the file: {e}");
    }
}

fn profile_scratch_path() -> std::path::PathBuf {
    thread_local! {
        static PATH: std::path::PathBuf = {
            static N: AtomicU64 = AtomicU64::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            std::env::temp_dir().join(format!("ssec-fuzz-profile-{}-{n}.yaml", std::process::id()))
        };
    }
    PATH.with(Clone::clone)
}

// ------------------------------------------------------------------------------------------------
// Target `server_ops`.
// ------------------------------------------------------------------------------------------------

/// Three fixed customer keys (catalogue fixtures K_A, K_B, and a third); their base64 text has both
/// `+` and `/`, so the URL-safe mutation always changes it.
#[must_use]
pub fn fuzz_keys() -> [[u8; 32]; 3] {
    let decode = |s: &str| -> [u8; 32] { B64.decode(s).ok().and_then(|v| v.try_into().ok()).expect("fixture key") };
    [
        decode("pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs="),
        decode("6b+WOZ1T3cqZMxgThRcXAQBrS5mXKdDUphvpxptl9/4="),
        [0xfb; 32],
    ]
}

/// Which object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum ObjPick {
    /// `a`
    A,
    /// `b/b` (a key with a slash)
    B,
    /// `c c+` (a key needing escapes)
    C,
}

impl ObjPick {
    const ALL: [Self; 3] = [Self::A, Self::B, Self::C];

    fn name(self) -> &'static str {
        match self {
            Self::A => "a",
            Self::B => "b/b",
            Self::C => "c c+",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The key a request presents.
#[derive(Debug, Clone, Arbitrary)]
pub enum KeyPick {
    /// No SSE-C headers.
    None,
    /// Fixed key 0.
    K0,
    /// Fixed key 1.
    K1,
    /// Fixed key 2.
    K2,
    /// Any 32 bytes.
    Raw([u8; 32]),
}

/// A change to an otherwise correct triple.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum HeaderMutation {
    /// Unchanged.
    Intact,
    /// No algorithm header.
    DropAlgorithm,
    /// No key header.
    DropKey,
    /// No key-MD5 header.
    DropKeyMd5,
    /// `aes256`
    AlgorithmLowercase,
    /// `AES128`
    AlgorithmAes128,
    /// The key in the URL-safe alphabet.
    KeyUrlSafe,
    /// The key without padding.
    KeyUnpadded,
    /// The key text cut by 4 characters (MD5 of the full key).
    KeyTruncated,
    /// A space inside the key text.
    KeyWhitespace,
    /// The first 31 key bytes, with their own MD5.
    Key31Bytes,
    /// The key plus a zero byte, with its own MD5.
    Key33Bytes,
    /// The MD5 of another fixed key.
    Md5OfOtherKey,
    /// The MD5 without padding.
    Md5Unpadded,
    /// The MD5 of the key's base64 text.
    Md5OfKeyText,
    /// Also `x-amz-server-side-encryption: AES256` (writes only).
    SseS3Too,
}

/// The SSE-C part of a request.
#[derive(Debug, Clone, Arbitrary)]
pub struct SsePick {
    /// The key.
    pub key: KeyPick,
    /// The change.
    pub mutation: HeaderMutation,
}

/// A triple as sent.
#[derive(Debug, Clone, Default)]
pub struct SentTriple {
    /// Headers to add.
    pub headers: Vec<(String, String)>,
    /// Algorithm value.
    pub alg: Option<String>,
    /// Key value.
    pub key: Option<String>,
    /// Key-MD5 value.
    pub md5: Option<String>,
    /// `x-amz-server-side-encryption` value.
    pub sse: Option<String>,
    /// Every 32-byte key this triple could reveal.
    pub secrets: Vec<[u8; 32]>,
}

impl SentTriple {
    /// What a write makes of it.
    #[must_use]
    pub fn write_verdict(&self) -> WriteVerdict {
        model_write(self.alg.as_deref(), self.key.as_deref(), self.md5.as_deref(), self.sse.as_deref())
    }

    fn is_absent(&self) -> bool {
        self.alg.is_none() && self.key.is_none() && self.md5.is_none()
    }

    /// Whether this triple opens an object stored under `stored` (`None`: a plain object).
    fn opens(&self, stored: Option<&[u8; 32]>) -> bool {
        if self.sse.is_some() {
            return false;
        }
        match stored {
            None => self.is_absent(),
            Some(k) => {
                !self.is_absent()
                    && model_read(self.alg.as_deref(), self.key.as_deref(), self.md5.as_deref())
                        == ReadVerdict::Presented(k.to_vec())
            }
        }
    }
}

impl SsePick {
    fn key_bytes(&self) -> Option<[u8; 32]> {
        let keys = fuzz_keys();
        match &self.key {
            KeyPick::None => None,
            KeyPick::K0 => Some(keys[0]),
            KeyPick::K1 => Some(keys[1]),
            KeyPick::K2 => Some(keys[2]),
            KeyPick::Raw(k) => Some(*k),
        }
    }

    /// Renders the triple under the given header names (`write`: SSE-S3 conflicts are sent).
    #[must_use]
    pub fn render(&self, kind: TripleKind, write: bool) -> SentTriple {
        let Some(key) = self.key_bytes() else { return SentTriple::default() };
        let mut alg = Some("AES256".to_owned());
        let mut key_text = Some(B64.encode(key));
        let mut md5 = Some(B64.encode(Md5::digest(key)));
        let mut sse = None;
        let secrets = vec![key];
        match self.mutation {
            HeaderMutation::Intact => {}
            HeaderMutation::DropAlgorithm => alg = None,
            HeaderMutation::DropKey => key_text = None,
            HeaderMutation::DropKeyMd5 => md5 = None,
            HeaderMutation::AlgorithmLowercase => alg = Some("aes256".into()),
            HeaderMutation::AlgorithmAes128 => alg = Some("AES128".into()),
            HeaderMutation::KeyUrlSafe => key_text = Some(B64_URL.encode(key)),
            HeaderMutation::KeyUnpadded => key_text = Some(B64_NO_PAD.encode(key)),
            HeaderMutation::KeyTruncated => key_text = Some(B64.encode(key)[..40].to_owned()),
            HeaderMutation::KeyWhitespace => {
                let mut t = B64.encode(key);
                t.insert(20, ' ');
                key_text = Some(t);
            }
            HeaderMutation::Key31Bytes => {
                key_text = Some(B64.encode(&key[..31]));
                md5 = Some(B64.encode(Md5::digest(&key[..31])));
            }
            HeaderMutation::Key33Bytes => {
                let mut k = key.to_vec();
                k.push(0);
                key_text = Some(B64.encode(&k));
                md5 = Some(B64.encode(Md5::digest(&k)));
            }
            HeaderMutation::Md5OfOtherKey => {
                let keys = fuzz_keys();
                let other = keys.iter().find(|k| **k != key).copied().unwrap_or([0; 32]);
                md5 = Some(B64.encode(Md5::digest(other)));
            }
            HeaderMutation::Md5Unpadded => md5 = Some(B64_NO_PAD.encode(Md5::digest(key))),
            HeaderMutation::Md5OfKeyText => md5 = Some(B64.encode(Md5::digest(B64.encode(key)))),
            HeaderMutation::SseS3Too => {
                if write {
                    sse = Some("AES256".to_owned());
                }
            }
        }
        let [n_alg, n_key, n_md5] = kind.names();
        let mut headers = Vec::new();
        for (name, value) in [(n_alg, &alg), (n_key, &key_text), (n_md5, &md5)] {
            if let Some(v) = value {
                headers.push((name.to_owned(), v.clone()));
            }
        }
        if let Some(v) = &sse {
            headers.push((SERVER_SIDE_ENCRYPTION.to_owned(), v.clone()));
        }
        SentTriple { headers, alg, key: key_text, md5, sse, secrets }
    }
}

/// An object size.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum SizePick {
    /// 0 bytes.
    Zero,
    /// Under 64 bytes.
    Tiny(u8),
    /// Under 16 KiB.
    Small(u16),
    /// `segments` × 256 KiB + `delta` (at least 0).
    NearSegment {
        /// 0..=2 segments.
        segments: u8,
        /// Offset.
        delta: i8,
    },
    /// Up to 600 KiB.
    Large(u32),
}

impl SizePick {
    /// Bytes.
    #[must_use]
    pub fn bytes(self) -> usize {
        let seg = crate::server::crypto::SEGMENT_SIZE;
        match self {
            Self::Zero => 0,
            Self::Tiny(n) => usize::from(n % 64),
            Self::Small(n) => usize::from(n % 16_384),
            Self::NearSegment { segments, delta } => {
                let base = usize::from(segments % 3) * seg;
                if delta < 0 { base.saturating_sub(usize::from(delta.unsigned_abs())) } else { base + delta as usize }
            }
            Self::Large(n) => n as usize % (600 * 1024 + 1),
        }
    }
}

/// A `Range` header (always syntactically valid).
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum RangePick {
    /// `bytes=a-b` (ordered).
    FromTo(u32, u32),
    /// `bytes=a-`
    From(u32),
    /// `bytes=-n` (n ≥ 1)
    Suffix(u32),
}

impl RangePick {
    fn header(self) -> String {
        let m = |n: u32| n % (700 * 1024);
        match self {
            Self::FromTo(a, b) => format!("bytes={}-{}", m(a).min(m(b)), m(a).max(m(b))),
            Self::From(a) => format!("bytes={}-", m(a)),
            Self::Suffix(n) => format!("bytes=-{}", m(n).max(1)),
        }
    }
}

/// One S3 operation.
#[derive(Debug, Clone, Arbitrary)]
pub enum Op {
    /// PutObject.
    Put {
        /// Object.
        obj: ObjPick,
        /// Size.
        size: SizePick,
        /// Content seed.
        seed: u8,
        /// SSE-C.
        sse: SsePick,
    },
    /// GetObject.
    Get {
        /// Object.
        obj: ObjPick,
        /// SSE-C.
        sse: SsePick,
        /// Range.
        range: Option<RangePick>,
    },
    /// HeadObject.
    Head {
        /// Object.
        obj: ObjPick,
        /// SSE-C.
        sse: SsePick,
    },
    /// CopyObject.
    Copy {
        /// Source.
        src: ObjPick,
        /// Destination.
        dst: ObjPick,
        /// Copy-source SSE-C.
        source_sse: SsePick,
        /// Destination SSE-C.
        dest_sse: SsePick,
        /// `x-amz-metadata-directive: REPLACE`.
        replace: bool,
    },
    /// CreateMultipartUpload.
    CreateUpload {
        /// Object.
        obj: ObjPick,
        /// SSE-C.
        sse: SsePick,
    },
    /// UploadPart.
    UploadPart {
        /// Upload (modulo the open ones).
        upload: u8,
        /// Part number 1..=3.
        part: u8,
        /// Size.
        size: SizePick,
        /// Content seed.
        seed: u8,
        /// SSE-C.
        sse: SsePick,
    },
    /// UploadPartCopy.
    UploadPartCopy {
        /// Upload.
        upload: u8,
        /// Part number 1..=3.
        part: u8,
        /// Source.
        src: ObjPick,
        /// Copy-source SSE-C.
        source_sse: SsePick,
        /// Destination SSE-C.
        dest_sse: SsePick,
        /// `x-amz-copy-source-range` first/last.
        range: Option<(u32, u32)>,
    },
    /// CompleteMultipartUpload.
    Complete {
        /// Upload.
        upload: u8,
        /// Part numbers, as listed.
        parts: Vec<u8>,
        /// SSE-C (optional on Complete).
        sse: SsePick,
    },
    /// AbortMultipartUpload.
    Abort {
        /// Upload.
        upload: u8,
    },
    /// DeleteObject.
    Delete {
        /// Object.
        obj: ObjPick,
    },
}

/// A sequence of operations for [`server_ops`].
#[derive(Debug, Clone, Arbitrary)]
pub struct OpsCase {
    /// The operations (the first 12 are run).
    pub ops: Vec<Op>,
}

/// At most this many operations per case.
pub const MAX_OPS: usize = 12;
/// CompleteMultipartUpload's minimum for every part but the last (the server's `MIN_PART_SIZE`).
const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

/// Fuzz entry point: [`OpsCase`] from bytes, then [`check_ops_case`].
pub fn server_ops(data: &[u8]) {
    if let Ok(case) = OpsCase::arbitrary_take_rest(Unstructured::new(data)) {
        check_ops_case(&case);
    }
}

/// A reference server started once per process, over HTTPS, and a client for it.
struct Remote {
    _handle: crate::ServerHandle,
    signer: Client,
    http: reqwest::Client,
}

fn remote() -> &'static Remote {
    static R: OnceLock<Remote> = OnceLock::new();
    R.get_or_init(|| {
        runtime().block_on(async {
            let handle = crate::ReferenceServer::start(crate::ServerConfig::default()).await.expect("reference server");
            let url = handle.https_url().expect("https listener").to_owned();
            let signer = Client::new(signing_target(&url, Trust::Pem(handle.ca_pem().to_owned()))).expect("client");
            let mut builder = reqwest::Client::builder()
                .http1_only()
                .use_rustls_tls()
                .timeout(Duration::from_secs(60))
                .redirect(reqwest::redirect::Policy::none());
            for cert in reqwest::Certificate::from_pem_bundle(handle.ca_pem().as_bytes()).expect("CA PEM") {
                builder = builder.add_root_certificate(cert);
            }
            Remote { _handle: handle, signer, http: builder.build().expect("reqwest client") }
        })
    })
}

impl Remote {
    /// Signs and sends; the status survives a body that fails mid-way.
    fn send(&self, req: &Outgoing) -> Reply {
        let prepared = self.signer.prepare(req).unwrap_or_else(|e| panic!("cannot sign: {e}"));
        runtime().block_on(async {
            let request = reqwest::Request::try_from(prepared.map(reqwest::Body::from)).expect("reqwest request");
            match self.http.execute(request).await {
                Err(e) => Reply { status: 0, headers: http::HeaderMap::new(), body: Err(format!("transport: {e:?}")) },
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    let body = resp.bytes().await.map_err(|e| format!("{e:?}"));
                    Reply { status, headers, body }
                }
            }
        })
    }
}

#[derive(Debug, Clone)]
struct StoredModel {
    key: Option<[u8; 32]>,
    data: Arc<Vec<u8>>,
}

#[derive(Debug, Clone)]
struct UploadModel {
    obj: ObjPick,
    id: String,
    key: Option<[u8; 32]>,
    parts: BTreeMap<u32, Arc<Vec<u8>>>,
}

struct Run<'a> {
    remote: &'a Remote,
    bucket: String,
    objects: [Option<StoredModel>; 3],
    uploads: Vec<UploadModel>,
    secrets: Vec<[u8; 32]>,
    log: Vec<String>,
}

impl Run<'_> {
    fn fail(&self, msg: &str) -> ! {
        panic!("server_ops: {msg}\n  bucket {}\n  ops so far:\n    {}", self.bucket, self.log.join("\n    "));
    }

    fn check(&self, ok: bool, msg: impl FnOnce() -> String) {
        if !ok {
            self.fail(&msg());
        }
    }

    fn send(&self, req: &Outgoing) -> Reply {
        let reply = self.remote.send(req);
        if reply.status == 0 {
            self.fail(&format!("{} {:?}: no response: {}", req.method, req.key, reply.summary()));
        }
        self.check(reply.status < 500, || format!("{} {:?}: server error {}", req.method, req.key, reply.summary()));
        let fixed = fuzz_keys();
        for key in &self.secrets {
            // Raw bytes only for the fixed keys: libFuzzer sees the bytes `contains` compares and can
            // copy response text into a fuzzed key, which the key's base64 form does not allow.
            let raw: &[u8] = if fixed.contains(key) { key } else { &[] };
            let b64 = B64.encode(key);
            let url = B64_URL.encode(key);
            let leaks = |v: &[u8]| contains(v, b64.as_bytes()) || contains(v, url.as_bytes()) || contains(v, raw);
            for (name, value) in &reply.headers {
                self.check(!leaks(value.as_bytes()), || {
                    format!("{} {:?}: header {name} carries a customer key", req.method, req.key)
                });
            }
            self.check(!leaks(reply.bytes()), || {
                format!("{} {:?}: the response body carries a customer key", req.method, req.key)
            });
        }
        reply
    }

    fn req(&self, method: &str, obj: ObjPick) -> Outgoing {
        Outgoing::new(method, Some(&self.bucket), Some(obj.name()))
    }

    fn track(&mut self, sent: &SentTriple) {
        for k in &sent.secrets {
            if !self.secrets.contains(k) {
                self.secrets.push(*k);
            }
        }
    }

    /// A read (GET or HEAD) that must not succeed: no 2xx, and no plaintext in the body.
    fn refused(&self, what: &str, reply: &Reply, stored: &StoredModel) {
        self.check(!reply.is_success(), || format!("{what}: a wrong or missing key got {}", reply.summary()));
        let probe = &stored.data[..stored.data.len().min(32)];
        self.check(probe.len() < 8 || !contains(reply.bytes(), probe), || format!("{what}: plaintext in a refusal"));
    }

    fn upload(&self, pick: u8) -> Option<usize> {
        (!self.uploads.is_empty()).then(|| usize::from(pick) % self.uploads.len())
    }

    fn op(&mut self, i: usize, op: &Op) {
        self.log.push(format!("#{i} {op:?}"));
        match op {
            Op::Put { obj, size, seed, sse } => self.put(*obj, size.bytes(), *seed, sse),
            Op::Get { obj, sse, range } => self.get(*obj, sse, *range),
            Op::Head { obj, sse } => self.head(*obj, sse),
            Op::Copy { src, dst, source_sse, dest_sse, replace } => {
                self.copy(*src, *dst, source_sse, dest_sse, *replace);
            }
            Op::CreateUpload { obj, sse } => self.create_upload(*obj, sse),
            Op::UploadPart { upload, part, size, seed, sse } => {
                self.upload_part(*upload, u32::from(part % 3) + 1, size.bytes(), *seed, sse);
            }
            Op::UploadPartCopy { upload, part, src, source_sse, dest_sse, range } => {
                self.upload_part_copy(*upload, u32::from(part % 3) + 1, *src, source_sse, dest_sse, *range);
            }
            Op::Complete { upload, parts, sse } => self.complete(*upload, parts, sse),
            Op::Abort { upload } => self.abort(*upload),
            Op::Delete { obj } => {
                let reply = self.send(&self.req("DELETE", *obj));
                self.check(reply.status == 204, || format!("DeleteObject: {}", reply.summary()));
                self.objects[obj.index()] = None;
            }
        }
    }

    fn put(&mut self, obj: ObjPick, size: usize, seed: u8, sse: &SsePick) {
        let sent = sse.render(TripleKind::Request, true);
        self.track(&sent);
        let data = Arc::new(pattern(u64::from(seed) << 32 | size as u64, size));
        let mut req = self.req("PUT", obj);
        req.headers.clone_from(&sent.headers);
        req.body = Bytes::from(data.to_vec());
        let reply = self.send(&req);
        match sent.write_verdict() {
            WriteVerdict::Invalid(f) => {
                self.check(reply.status == f.answer().0, || format!("PutObject with {f:?} got {}", reply.summary()));
            }
            v => {
                self.check(reply.status == 200, || format!("a valid PutObject got {}", reply.summary()));
                let key = if let WriteVerdict::Valid(k) = v { Some(k) } else { None };
                self.objects[obj.index()] = Some(StoredModel { key, data });
            }
        }
    }

    fn get(&self, obj: ObjPick, sse: &SsePick, range: Option<RangePick>) {
        let sent = sse.render(TripleKind::Request, false);
        let mut req = self.req("GET", obj);
        req.headers.clone_from(&sent.headers);
        if let Some(r) = range {
            req.headers.push(("range".into(), r.header()));
        }
        let reply = self.send(&req);
        let Some(stored) = &self.objects[obj.index()] else {
            self.check(reply.status == 404, || format!("GetObject of a missing object: {}", reply.summary()));
            return;
        };
        if !sent.opens(stored.key.as_ref()) {
            self.refused("GetObject", &reply, stored);
            return;
        }
        self.check(reply.body.is_ok(), || format!("GetObject with the right key: body failed: {}", reply.summary()));
        let body = reply.bytes();
        match reply.status {
            200 => self.check(body == stored.data.as_slice(), || {
                format!("GetObject returned {} bytes that differ from the {} stored", body.len(), stored.data.len())
            }),
            206 => {
                let cr = reply.header("content-range").unwrap_or_default().to_owned();
                let parsed = cr.strip_prefix("bytes ").and_then(|r| r.split_once('/')).and_then(|(span, total)| {
                    let (a, b) = span.split_once('-')?;
                    Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?, total.parse::<usize>().ok()?))
                });
                let Some((a, b, total)) = parsed else { self.fail(&format!("206 with Content-Range {cr:?}")) };
                self.check(total == stored.data.len() && a <= b && b < total, || format!("bad Content-Range {cr}"));
                self.check(body == &stored.data[a..=b], || format!("ranged GetObject ({cr}) returned wrong bytes"));
            }
            416 => self.check(range.is_some(), || "416 without a Range".into()),
            _ => self.fail(&format!("GetObject with the right key got {}", reply.summary())),
        }
    }

    fn head(&self, obj: ObjPick, sse: &SsePick) {
        let sent = sse.render(TripleKind::Request, false);
        let mut req = self.req("HEAD", obj);
        req.headers.clone_from(&sent.headers);
        let reply = self.send(&req);
        self.check(reply.bytes().is_empty(), || "HeadObject with a body".into());
        let Some(stored) = &self.objects[obj.index()] else {
            self.check(reply.status == 404, || format!("HeadObject of a missing object: {}", reply.summary()));
            return;
        };
        if sent.opens(stored.key.as_ref()) {
            self.check(reply.status == 200, || format!("HeadObject with the right key got {}", reply.summary()));
            let len = reply.header("content-length").and_then(|v| v.parse::<usize>().ok());
            self.check(len == Some(stored.data.len()), || format!("HeadObject Content-Length {len:?}"));
        } else {
            self.refused("HeadObject", &reply, stored);
        }
    }

    fn copy_source_header(&self, src: ObjPick) -> (String, String) {
        ("x-amz-copy-source".into(), format!("/{}/{}", self.bucket, crate::client::encode_path(src.name())))
    }

    fn copy(&mut self, src: ObjPick, dst: ObjPick, source_sse: &SsePick, dest_sse: &SsePick, replace: bool) {
        let source = source_sse.render(TripleKind::CopySource, false);
        let dest = dest_sse.render(TripleKind::Request, true);
        self.track(&source);
        self.track(&dest);
        let mut req = self.req("PUT", dst);
        req.headers.push(self.copy_source_header(src));
        req.headers.extend(source.headers.iter().cloned());
        req.headers.extend(dest.headers.iter().cloned());
        if replace {
            req.headers.push(("x-amz-metadata-directive".into(), "REPLACE".into()));
        }
        let reply = self.send(&req);
        let Some(stored) = self.objects[src.index()].clone() else {
            self.check(reply.status == 404, || format!("CopyObject from a missing source: {}", reply.summary()));
            return;
        };
        let source_ok = source.opens(stored.key.as_ref());
        let dest_verdict = dest.write_verdict();
        let dest_ok = !matches!(dest_verdict, WriteVerdict::Invalid(_));
        if !source_ok || !dest_ok {
            self.check(!reply.is_success(), || {
                format!("CopyObject (source ok: {source_ok}, destination ok: {dest_ok}) got {}", reply.summary())
            });
            let probe = &stored.data[..stored.data.len().min(32)];
            self.check(probe.len() < 8 || !contains(reply.bytes(), probe), || "plaintext in a refusal".into());
            return;
        }
        // A plain self-copy without a change is illegal (400); everything else must work.
        let illegal_self_copy = src == dst && stored.key.is_none() && dest_verdict == WriteVerdict::Absent && !replace;
        if illegal_self_copy {
            self.check(reply.status == 400, || format!("an illegal self-copy got {}", reply.summary()));
            return;
        }
        self.check(reply.status == 200, || format!("a valid CopyObject got {}", reply.summary()));
        let key = if let WriteVerdict::Valid(k) = dest_verdict { Some(k) } else { None };
        self.objects[dst.index()] = Some(StoredModel { key, data: stored.data });
    }

    fn create_upload(&mut self, obj: ObjPick, sse: &SsePick) {
        let sent = sse.render(TripleKind::Request, true);
        self.track(&sent);
        let mut req = self.req("POST", obj);
        req.query.push(("uploads".into(), String::new()));
        req.headers.clone_from(&sent.headers);
        let reply = self.send(&req);
        let key = match sent.write_verdict() {
            WriteVerdict::Invalid(f) => {
                self.check(reply.status == f.answer().0, || {
                    format!("CreateMultipartUpload with {f:?}: {}", reply.summary())
                });
                return;
            }
            WriteVerdict::Valid(k) => Some(k),
            WriteVerdict::Absent => None,
        };
        self.check(reply.status == 200, || format!("a valid CreateMultipartUpload got {}", reply.summary()));
        let text = String::from_utf8_lossy(reply.bytes()).into_owned();
        let id = text.split("<UploadId>").nth(1).and_then(|r| r.split("</UploadId>").next()).unwrap_or_default();
        self.check(!id.is_empty(), || "CreateMultipartUpload without an UploadId".into());
        self.uploads.push(UploadModel { obj, id: id.to_owned(), key, parts: BTreeMap::new() });
    }

    /// Whether a part's triple matches the upload's key (M3–M6).
    fn part_ok(upload: &UploadModel, sent: &SentTriple) -> bool {
        match (upload.key, sent.write_verdict()) {
            (None, WriteVerdict::Absent) => true,
            (Some(k), WriteVerdict::Valid(p)) => k == p,
            _ => false,
        }
    }

    fn part_request(&self, u: &UploadModel, part: u32) -> Outgoing {
        let mut req = self.req("PUT", u.obj);
        req.query = vec![("partNumber".into(), part.to_string()), ("uploadId".into(), u.id.clone())];
        req
    }

    fn upload_part(&mut self, upload: u8, part: u32, size: usize, seed: u8, sse: &SsePick) {
        let Some(ui) = self.upload(upload) else { return };
        // `x-amz-server-side-encryption` is not an UploadPart header.
        let sent = sse.render(TripleKind::Request, false);
        self.track(&sent);
        let u = self.uploads[ui].clone();
        let data = Arc::new(pattern(u64::from(seed) << 40 | size as u64, size));
        let mut req = self.part_request(&u, part);
        req.headers.clone_from(&sent.headers);
        req.body = Bytes::from(data.to_vec());
        let reply = self.send(&req);
        let ok = Self::part_ok(&u, &sent);
        self.check(reply.is_success() == ok, || format!("UploadPart (expected ok: {ok}) got {}", reply.summary()));
        if ok {
            self.uploads[ui].parts.insert(part, data);
        }
    }

    fn upload_part_copy(
        &mut self,
        upload: u8,
        part: u32,
        src: ObjPick,
        source_sse: &SsePick,
        dest_sse: &SsePick,
        range: Option<(u32, u32)>,
    ) {
        let Some(ui) = self.upload(upload) else { return };
        let source = source_sse.render(TripleKind::CopySource, false);
        let dest = dest_sse.render(TripleKind::Request, false);
        self.track(&source);
        self.track(&dest);
        let u = self.uploads[ui].clone();
        let mut req = self.part_request(&u, part);
        req.headers.push(self.copy_source_header(src));
        req.headers.extend(source.headers.iter().cloned());
        req.headers.extend(dest.headers.iter().cloned());
        let stored = self.objects[src.index()].clone();
        let size = stored.as_ref().map_or(0, |s| s.data.len());
        let span = range.map(|(a, b)| {
            let m = |n: u32| n as usize % (size + 2);
            (m(a).min(m(b)), m(a).max(m(b)))
        });
        if let Some((a, b)) = span {
            req.headers.push(("x-amz-copy-source-range".into(), format!("bytes={a}-{b}")));
        }
        let reply = self.send(&req);
        let Some(stored) = stored else {
            self.check(!reply.is_success(), || format!("UploadPartCopy from a missing source: {}", reply.summary()));
            return;
        };
        let source_ok = source.opens(stored.key.as_ref());
        let dest_ok = Self::part_ok(&u, &dest);
        let range_ok = span.is_none_or(|(_, b)| b < size);
        let ok = source_ok && dest_ok && range_ok;
        self.check(reply.is_success() == ok, || {
            format!(
                "UploadPartCopy (source ok: {source_ok}, destination ok: {dest_ok}, range ok: {range_ok}) got {}",
                reply.summary()
            )
        });
        if !source_ok {
            let probe = &stored.data[..stored.data.len().min(32)];
            self.check(probe.len() < 8 || !contains(reply.bytes(), probe), || "plaintext in a refusal".into());
        }
        if ok {
            let data = match span {
                Some((a, b)) => stored.data[a..=b].to_vec(),
                None => stored.data.to_vec(),
            };
            self.uploads[ui].parts.insert(part, Arc::new(data));
        }
    }

    fn complete(&mut self, upload: u8, parts: &[u8], sse: &SsePick) {
        let Some(ui) = self.upload(upload) else { return };
        let sent = sse.render(TripleKind::Request, false);
        self.track(&sent);
        let u = self.uploads[ui].clone();
        let numbers: Vec<u32> = parts.iter().take(4).map(|p| u32::from(p % 3) + 1).collect();
        let mut xml = String::from("<CompleteMultipartUpload>");
        for n in &numbers {
            xml.push_str(&format!("<Part><PartNumber>{n}</PartNumber></Part>"));
        }
        xml.push_str("</CompleteMultipartUpload>");
        let mut req = self.req("POST", u.obj);
        req.query.push(("uploadId".into(), u.id.clone()));
        req.headers.clone_from(&sent.headers);
        req.body = Bytes::from(xml);
        let reply = self.send(&req);
        let ascending = numbers.windows(2).all(|w| w[0] < w[1]);
        let present = numbers.iter().all(|n| u.parts.contains_key(n));
        let min = MIN_PART_SIZE;
        let sizes_ok = numbers.iter().rev().skip(1).all(|n| u.parts.get(n).is_some_and(|p| p.len() as u64 >= min));
        let triple_ok = sent.is_absent() || Self::part_ok(&u, &sent);
        let ok = !numbers.is_empty() && ascending && present && sizes_ok && triple_ok;
        self.check(reply.is_success() == ok, || {
            format!(
                "CompleteMultipartUpload {numbers:?} (have {:?}, triple ok: {triple_ok}) got {}",
                u.parts.keys().collect::<Vec<_>>(),
                reply.summary()
            )
        });
        if ok {
            let data: Vec<u8> = numbers.iter().flat_map(|n| u.parts[n].iter().copied()).collect();
            self.objects[u.obj.index()] = Some(StoredModel { key: u.key, data: Arc::new(data) });
            self.uploads.remove(ui);
        }
    }

    fn abort(&mut self, upload: u8) {
        let Some(ui) = self.upload(upload) else { return };
        let u = self.uploads.remove(ui);
        let mut req = self.req("DELETE", u.obj);
        req.query.push(("uploadId".into(), u.id));
        let reply = self.send(&req);
        self.check(reply.status == 204, || format!("AbortMultipartUpload got {}", reply.summary()));
    }

    fn cleanup(&mut self) {
        for u in std::mem::take(&mut self.uploads) {
            let mut req = self.req("DELETE", u.obj);
            req.query.push(("uploadId".into(), u.id));
            let reply = self.send(&req);
            self.check(reply.status == 204, || format!("cleanup: AbortMultipartUpload got {}", reply.summary()));
        }
        for obj in ObjPick::ALL {
            let reply = self.send(&self.req("DELETE", obj));
            self.check(reply.status == 204, || format!("cleanup: DeleteObject got {}", reply.summary()));
        }
        let reply = self.send(&Outgoing::new("DELETE", Some(&self.bucket), None));
        self.check(reply.status == 204, || format!("cleanup: DeleteBucket got {}", reply.summary()));
    }
}

/// Runs the operations in a fresh bucket against the shared reference server, checking every reply
/// against the model; the bucket is emptied and deleted afterwards.
pub fn check_ops_case(case: &OpsCase) {
    static N: AtomicU64 = AtomicU64::new(0);
    let remote = remote();
    let bucket = format!("ops-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    let mut run = Run {
        remote,
        bucket: bucket.clone(),
        objects: [None, None, None],
        uploads: Vec::new(),
        secrets: fuzz_keys().to_vec(),
        log: Vec::new(),
    };
    let created = run.send(&Outgoing::new("PUT", Some(&bucket), None));
    run.check(created.status == 200, || format!("CreateBucket: {}", created.summary()));
    for (i, op) in case.ops.iter().take(MAX_OPS).enumerate() {
        run.op(i, op);
    }
    run.cleanup();
}
