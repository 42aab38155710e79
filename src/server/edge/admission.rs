//! What the edge can tell from a request's head alone: its kind (object upload, POST form), its size,
//! and the limits and presigning rules it breaks, each with its AWS answer.

use http::Request;

use crate::server::error::{entity_too_large, incomplete_body, s3_error, with_elements};
use crate::server::limits::Limits;

/// PS3: on a presigned request, every `x-amz-*` header must be among the signed headers; returns
/// the unsigned ones, comma-separated.
pub(super) fn unsigned_amz_headers<B>(req: &Request<B>) -> Option<String> {
    let query = req.uri().query()?;
    if !query.contains("X-Amz-Signature=") {
        return None;
    }
    let signed: Vec<String> = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("X-Amz-SignedHeaders="))
        .map(|v| v.replace("%3B", ";").replace("%3b", ";").split(';').map(str::to_ascii_lowercase).collect())
        .unwrap_or_default();
    let unsigned: Vec<&str> = req
        .headers()
        .keys()
        .map(|k| k.as_str())
        .filter(|k| k.starts_with("x-amz-") && !signed.iter().any(|s| s == k))
        .collect();
    (!unsigned.is_empty()).then(|| unsigned.join(","))
}

/// The size of a request head as it was on the wire (request line, headers, blank line), give or
/// take the spelling of the HTTP version.
pub(super) fn head_size<B>(req: &Request<B>) -> usize {
    let target = req.uri().authority().map_or(0, |a| a.as_str().len() + 8)
        + req.uri().path_and_query().map_or(1, |p| p.as_str().len());
    let line = req.method().as_str().len() + 1 + target + " HTTP/1.1\r\n".len();
    let headers: usize = req.headers().iter().map(|(n, v)| n.as_str().len() + 2 + v.len() + 2).sum();
    line + headers + 2
}

/// The query parameter names of a request.
fn query_names<B>(req: &Request<B>) -> impl Iterator<Item = &str> {
    req.uri()
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| kv.split('=').next().unwrap_or(kv))
}

/// A query parameter's raw value.
fn query_value<'a, B>(req: &'a Request<B>, name: &str) -> Option<&'a str> {
    req.uri().query()?.split('&').find_map(|kv| match kv.split_once('=') {
        Some((k, v)) if k == name => Some(v),
        None if kv == name => Some(""),
        _ => None,
    })
}

/// Whether the request names an object (path-style `/bucket/key`, or `/key` on `bucket.localhost`).
fn names_object<B>(req: &Request<B>) -> bool {
    let host = req.headers().get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let host = host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h);
    let path = req.uri().path().trim_start_matches('/');
    if host.strip_suffix(".localhost").is_some_and(|b| !b.is_empty()) {
        return !path.is_empty();
    }
    path.split_once('/').is_some_and(|(bucket, key)| !bucket.is_empty() && !key.is_empty())
}

/// PutObject or UploadPart: a PUT whose body is object data.
pub(super) fn is_object_upload<B>(req: &Request<B>) -> bool {
    req.method() == http::Method::PUT
        && names_object(req)
        && !req.headers().contains_key("x-amz-copy-source")
        && query_names(req).all(|n| {
            matches!(n, "partNumber" | "uploadId" | "x-id")
                || n.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"))
        })
}

/// POST Object: a browser form upload, whose file size s3s limits.
pub(super) fn is_post_form<B>(req: &Request<B>) -> bool {
    req.method() == http::Method::POST
        && req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

fn header_u64<B>(req: &Request<B>, name: &str) -> Option<u64> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

fn part_number_error<B>(req: &Request<B>, max_parts: u32) -> Option<s3s::S3Error> {
    let raw = query_value(req, "partNumber")?;
    let n = raw.parse::<i64>().ok()?;
    if (1..=i64::from(max_parts)).contains(&n) {
        return None;
    }
    let e = s3_error(
        400,
        "InvalidArgument",
        format!("Part number must be an integer between 1 and {max_parts}, inclusive"),
    );
    Some(with_elements(e, &[("ArgumentName", "partNumber"), ("ArgumentValue", raw)]))
}

/// The limits a request breaks that can be seen from its head; `None` when within all of them.
/// Bodies without a declared length are limited as they are read ([`Edge::handle`], and s3s for XML).
pub(super) fn over_limits<B>(req: &Request<B>, limits: &Limits) -> Option<s3s::S3Error> {
    // UploadPart and UploadPartCopy.
    if req.method() == http::Method::PUT
        && names_object(req)
        && query_names(req).any(|n| n == "uploadId")
        && let Some(e) = part_number_error(req, limits.max_parts)
    {
        return Some(e);
    }
    if is_object_upload(req) {
        // aws-chunked bodies declare the object size apart from the framed length.
        let decoded = header_u64(req, "x-amz-decoded-content-length");
        let length = header_u64(req, http::header::CONTENT_LENGTH.as_str());
        if let Some(size) = decoded.or(length).filter(|size| *size > limits.max_object_size) {
            return Some(entity_too_large(Some(size), limits.max_object_size));
        }
        return decoded.zip(length).filter(|(d, l)| *l > max_framed_length(*d)).map(|_| incomplete_body());
    }
    if is_post_form(req) {
        return None;
    }
    let length = header_u64(req, http::header::CONTENT_LENGTH.as_str())?;
    (length > limits.max_xml_body_bytes as u64).then(max_message_length_exceeded)
}

/// The longest aws-chunked body that can carry `decoded` bytes: chunks of at least 1 KiB, each
/// framed in at most 128 bytes (size, signature, line ends), two more, and 16 KiB of trailers.
///
/// s3s holds each chunk in memory until it is whole (its signature covers it), so a framed length
/// past this bound, which could only be one oversized chunk, is refused from the head: the memory
/// an upload can take stays within its declared size.
fn max_framed_length(decoded: u64) -> u64 {
    decoded.saturating_add((decoded / 1024 + 2).saturating_mul(128)).saturating_add(16 * 1024)
}

pub(super) fn max_message_length_exceeded() -> s3s::S3Error {
    s3_error(400, "MaxMessageLengthExceeded", "Your request was too big.")
}
