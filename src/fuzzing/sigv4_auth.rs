//! Target `sigv4_auth`: signed requests, changed by one byte or garbage, against the s3s service.

use std::time::{Duration, SystemTime};

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;

use crate::client::{Auth, Outgoing};
use crate::fuzzing::{InProcess, REGION, assert_not_server_error, ensure_bucket_once, in_process};
use crate::server::DEFAULT_ACCESS_KEY;
use crate::sse_c::headers::{ALGORITHM, KEY, KEY_MD5};

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
pub(crate) fn visible(s: &str, max: usize) -> String {
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
