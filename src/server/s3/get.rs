//! GetObject and HeadObject: the SSE-C read gate (catalogue A.2), conditional requests (after the
//! SSE-C gate, [`super::preconditions`]), ranges
//! judged against the plaintext size, part reads, and a body streamed segment by segment: the first
//! segment of the range is authenticated before the status line, each later one before its bytes
//! are sent, and a later failure breaks the response off (catalogue D.6).

use std::sync::Arc;

use http::{HeaderMap, StatusCode};
use s3s::dto::*;
use s3s::{S3Error, S3Request, S3Response, S3Result};

use super::lookup::readable;
use super::preconditions::{Conditions, Current};
use super::read_access::{ReadAccess, authorize};
use super::write::{default_encryption, reported_version};
use crate::server::error::{internal, s3_error};
use crate::server::object_io::{ByteRange, ExactStream};
use crate::server::store::{Store, StoredObject};
use crate::sse_c::RawTriple;
use crate::sse_c::headers::{AES256, SERVER_SIDE_ENCRYPTION};

/// The parts of GetObject and HeadObject requests that decide the answer.
struct ReadRequest<'a> {
    bucket: &'a str,
    key: &'a str,
    version: Option<&'a str>,
    headers: &'a HeaderMap,
    triple: RawTriple,
    part_number: Option<i32>,
    range: Option<&'a Range>,
    conditions: Conditions<'a>,
}

/// A read that passed every check: the object, its access and the bytes to send.
struct Granted {
    obj: Arc<StoredObject>,
    access: ReadAccess,
    range: ByteRange,
    partial: bool,
}

fn invalid_part() -> S3Error {
    s3_error(
        400,
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    )
}

/// The plaintext range of part `n` (G10): a single-part object has exactly part 1.
fn part_range(obj: &StoredObject, n: i32) -> S3Result<ByteRange> {
    let n = u32::try_from(n).map_err(|_| invalid_part())?;
    if !obj.meta.is_multipart() {
        return if n == 1 { Ok(ByteRange { start: 0, end: obj.meta.size }) } else { Err(invalid_part()) };
    }
    let mut start = 0;
    for p in &obj.meta.parts {
        if p.number == n {
            return Ok(ByteRange { start, end: start + p.size });
        }
        start += p.size;
    }
    Err(invalid_part())
}

/// Checks in the order of catalogue B.4/B.5: existence, part number, SSE-C, preconditions, range.
fn grant(store: &Store, r: &ReadRequest<'_>) -> S3Result<Granted> {
    let obj = readable(store, r.bucket, r.key, r.version)?;
    if r.headers.contains_key(SERVER_SIDE_ENCRYPTION) {
        // G8: SSE-S3/KMS parameters are not accepted on reads.
        return Err(s3_error(
            400,
            "InvalidArgument",
            "x-amz-server-side-encryption header is not supported for this operation.",
        ));
    }
    let part = match r.part_number {
        Some(_) if r.range.is_some() => {
            return Err(s3_error(
                400,
                "InvalidRequest",
                "Cannot specify both Range header and partNumber query parameter",
            ));
        }
        // G10: part existence beats the SSE-C state (B.5), unless the part list itself fails to
        // authenticate with the presented key (then it cannot be trusted to say which parts exist).
        Some(n) => match part_range(&obj, n) {
            Ok(range) => Some(range),
            Err(e) => {
                return Err(match authorize(&r.triple, &obj) {
                    Err(tampered) if tampered.status_code() == Some(StatusCode::INTERNAL_SERVER_ERROR) => tampered,
                    _ => e,
                });
            }
        },
        None => None,
    };
    let access = authorize(&r.triple, &obj)?;
    r.conditions.check_read(Current { etag: &obj.meta.etag, last_modified_ms: obj.meta.last_modified_ms })?;
    let size = obj.meta.size;
    let (range, partial) = match (r.range, part) {
        (Some(range), _) => {
            // An empty selection (any range of a zero-byte object, a zero suffix) is unsatisfiable: 416,
            // never a 206 without bytes (found by the server_ops fuzz target).
            let bytes =
                range.check(size).ok().filter(|b| b.start < b.end).ok_or_else(|| range_not_satisfiable(size))?;
            (ByteRange { start: bytes.start, end: bytes.end }, true)
        }
        (None, Some(part)) => (part, true),
        (None, None) => (ByteRange { start: 0, end: size }, false),
    };
    Ok(Granted { obj, access, range, partial })
}

fn range_not_satisfiable(size: u64) -> S3Error {
    let mut e = s3_error(416, "InvalidRange", "The requested range is not satisfiable");
    let mut h = HeaderMap::new();
    h.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/xml"));
    if let Ok(v) = http::HeaderValue::from_str(&format!("bytes */{size}")) {
        h.insert(http::header::CONTENT_RANGE, v);
    }
    e.set_headers(h);
    e
}

fn content_range(g: &Granted) -> Option<String> {
    // A part read of a zero-byte object is the only partial answer without bytes.
    g.partial.then(|| match g.range.end.checked_sub(1).filter(|_| g.range.end > g.range.start) {
        Some(last) => format!("bytes {}-{last}/{}", g.range.start, g.obj.meta.size),
        None => format!("bytes */{}", g.obj.meta.size),
    })
}

fn length(g: &Granted) -> i64 {
    i64::try_from(g.range.end - g.range.start).unwrap_or(i64::MAX)
}

fn user_metadata(obj: &StoredObject) -> Option<Metadata> {
    (!obj.meta.user_metadata.is_empty()).then(|| obj.meta.user_metadata.clone().into_iter().collect())
}

fn parts_count(g: &Granted, part_number: Option<i32>) -> Option<i32> {
    (part_number.is_some() && g.obj.meta.is_multipart())
        .then(|| i32::try_from(g.obj.meta.parts.len()).unwrap_or(i32::MAX))
}

/// With `x-amz-checksum-mode: ENABLED`, a whole-object read answers the stored checksum and its type
/// (A7.2, A7.3); an SSE-C object's checksum opens only with its key, which `grant` has checked.
fn checksum_fields(g: &Granted, mode: Option<&ChecksumMode>) -> Checksum {
    let enabled = mode.is_some_and(|m| m.as_str().eq_ignore_ascii_case(ChecksumMode::ENABLED));
    (enabled && !g.partial).then(|| g.access.checksum(&g.obj)).flatten().map(|c| c.dto()).unwrap_or_default()
}

/// 206 for ranges and parts. s3s applies `S3Response::status` to GetObject but not to HeadObject, so
/// the status also travels as an extension that the edge applies.
fn respond<T>(output: T, g: &Granted) -> S3Response<T> {
    let mut resp = S3Response::new(output);
    if g.partial {
        resp.status = Some(StatusCode::PARTIAL_CONTENT);
        resp.extensions.insert(crate::server::extensions::StatusOverride(StatusCode::PARTIAL_CONTENT));
    }
    resp
}

/// The [`ReadRequest`] of a GetObject or HeadObject input (the two carry the same fields), taking
/// its SSE-C triple.
macro_rules! read_request {
    ($input:ident, $headers:expr) => {
        ReadRequest {
            bucket: &$input.bucket,
            key: &$input.key,
            version: $input.version_id.as_deref(),
            headers: &$headers,
            triple: take_triple!($input),
            part_number: $input.part_number,
            range: $input.range.as_ref(),
            conditions: Conditions {
                if_match: $input.if_match.as_ref(),
                if_none_match: $input.if_none_match.as_ref(),
                if_modified_since: $input.if_modified_since.as_ref(),
                if_unmodified_since: $input.if_unmodified_since.as_ref(),
            },
        }
    };
}

/// Sets the headers GetObject and HeadObject share on `$output` (two s3s types with the same field
/// names) from the grant `$g` of input `$input`.
macro_rules! object_headers {
    ($output:ident, $g:ident, $input:ident) => {{
        let meta = &$g.obj.meta;
        $output.accept_ranges = Some("bytes".into());
        $output.content_length = Some(length(&$g));
        $output.content_range = content_range(&$g);
        $output.content_type = meta.content_type.clone();
        $output.e_tag = Some(ETag::Strong(meta.etag.clone()));
        $output.last_modified = Some(super::list::timestamp(meta.last_modified_ms));
        $output.metadata = user_metadata(&$g.obj);
        $output.parts_count = parts_count(&$g, $input.part_number);
        $output.version_id = reported_version(meta);
        $output.server_side_encryption = default_encryption($g.access.key_md5.as_ref());
        $output.sse_customer_algorithm = $g.access.key_md5.as_ref().map(|_| AES256.to_owned());
        $output.sse_customer_key_md5 = $g.access.key_md5.clone();
        set_checksums!($output, checksum_fields(&$g, $input.checksum_mode.as_ref()), with type);
    }};
}

pub(super) async fn get_object(store: &Store, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
    let mut i = req.input;
    let g = grant(store, &read_request!(i, req.headers))?;
    // The first segment is authenticated here, so an object altered from its start is a 500; a later
    // segment that fails ends the body early, so the client sees a broken transfer (catalogue D.6).
    let stream = g.access.source(&g.obj)?.open_stream(g.range).await.map_err(|e| internal(&e))?;
    let len = usize::try_from(g.range.end - g.range.start).unwrap_or(usize::MAX);
    let body = ExactStream::new(stream, len);
    let mut output = GetObjectOutput {
        body: Some(StreamingBlob::new(body)),
        tag_count: super::tagging::count(&g.obj.meta.tags),
        ..Default::default()
    };
    object_headers!(output, g, i);
    Ok(respond(output, &g))
}

pub(super) async fn head_object(
    store: &Store,
    req: S3Request<HeadObjectInput>,
) -> S3Result<S3Response<HeadObjectOutput>> {
    let mut i = req.input;
    let g = grant(store, &read_request!(i, req.headers))?;
    if g.access.cipher.is_some() {
        // The stored parts must match the authenticated manifest, as for a GET.
        g.access.source(&g.obj)?;
    }
    let mut output = HeadObjectOutput::default();
    object_headers!(output, g, i);
    Ok(respond(output, &g))
}
