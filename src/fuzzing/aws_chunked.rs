//! Target `aws_chunked`: aws-chunked bodies, intact or corrupted, round-trip or are refused.

use std::time::SystemTime;

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use md5::Digest as _;

use crate::client::Outgoing;
use crate::fuzzing::{IN_PROCESS_ENDPOINT, REGION, Reply, assert_not_server_error, ensure_bucket_once, in_process};
use crate::server::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};

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

/// Uploads `case.data` aws-chunked to the in-process service, corrupted as the case says, and returns the
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
