//! The checksum and payload fields of a request (`checksum`, `checksum-mode`, `checksum-algorithm`,
//! `checksum-type`, `payload`, `chunk-size`): their load-time checks, and what they add to the
//! request (headers, trailers, the aws-chunked encoding).

use bytes::Bytes;

use super::model::{Algorithm, PayloadMode, Request};
use super::vars::Vars;
use crate::client::chunked::Payload;
use crate::client::{Outgoing, Response};
use crate::units::parse_size;

/// Bytes per aws-chunked chunk when a scenario gives no `chunk-size` (what the AWS SDKs send).
pub(crate) const DEFAULT_CHUNK_SIZE: usize = 64 << 10;

/// Operations that send a body these fields apply to.
const BODY_OPS: [&str; 2] = ["put", "upload-part"];

/// What is wrong with the checksum and payload fields of `op`'s request.
#[must_use]
pub(crate) fn errors(op: &str, r: &Request) -> Vec<String> {
    let mut out = Vec::new();
    let mut only = |set: bool, field: &str, ops: &[&str]| {
        if set && !ops.contains(&op) {
            out.push(format!("`{field}` applies to {} only, not `{op}`", ops.join(", ")));
        }
    };
    only(r.checksum.is_some(), "checksum", &BODY_OPS);
    only(r.payload.is_some(), "payload", &BODY_OPS);
    only(r.chunk_size.is_some(), "chunk-size", &BODY_OPS);
    only(r.checksum_mode, "checksum-mode", &["get", "head"]);
    only(r.checksum_algorithm.is_some(), "checksum-algorithm", &["create-multipart", "copy"]);
    only(r.checksum_type.is_some(), "checksum-type", &["create-multipart"]);
    let mode = mode(r);
    let streaming = matches!(mode, PayloadMode::StreamingSigned | PayloadMode::StreamingUnsignedTrailer);
    if let Some(size) = &r.chunk_size {
        if !streaming {
            out.push("`chunk-size` needs a streaming `payload`".into());
        } else if !parse_size(size).is_ok_and(|n| n > 0) {
            out.push(format!("`chunk-size`: bad size `{size}`"));
        }
    }
    if r.checksum.as_ref().is_some_and(|c| c.trailer) && mode != PayloadMode::StreamingUnsignedTrailer {
        out.push("a trailer checksum needs `payload: streaming-unsigned-trailer`".into());
    }
    if r.presign.is_some() && r.payload.is_some() {
        out.push("`payload` does not apply to a presigned request".into());
    }
    out
}

/// The payload mode: as given, else a trailer checksum's, else a signed body.
fn mode(r: &Request) -> PayloadMode {
    r.payload.unwrap_or(if r.checksum.as_ref().is_some_and(|c| c.trailer) {
        PayloadMode::StreamingUnsignedTrailer
    } else {
        PayloadMode::Signed
    })
}

/// Adds the checksum headers (or trailer) and the payload mode of `r` to `out`, whose body is `body`.
pub(crate) fn apply(r: &Request, body: &Bytes, vars: &Vars, out: &mut Outgoing) -> Result<(), String> {
    if r.checksum_mode {
        out.headers.push(("x-amz-checksum-mode".into(), "ENABLED".into()));
    }
    if let Some(a) = r.checksum_algorithm {
        out.headers.push(("x-amz-checksum-algorithm".into(), a.name().into()));
    }
    if let Some(k) = r.checksum_type {
        out.headers.push(("x-amz-checksum-type".into(), k.dto().as_str().into()));
    }
    let mut trailers = Vec::new();
    if let Some(c) = &r.checksum {
        let value = match &c.value {
            Some(v) => vars.expand(v)?,
            None => c.algorithm.compute(body),
        };
        let header = (c.algorithm.header().to_owned(), value);
        if c.trailer { trailers.push(header) } else { out.headers.push(header) }
    }
    let chunk_size = r
        .chunk_size
        .as_deref()
        .and_then(|s| parse_size(s).ok())
        .map_or(DEFAULT_CHUNK_SIZE, |n| usize::try_from(n).unwrap_or(DEFAULT_CHUNK_SIZE));
    out.payload = match mode(r) {
        PayloadMode::Signed => Payload::Signed,
        PayloadMode::Unsigned => Payload::Unsigned,
        PayloadMode::StreamingSigned => Payload::StreamingSigned { chunk_size },
        PayloadMode::StreamingUnsignedTrailer => Payload::StreamingUnsignedTrailer { chunk_size, trailers },
    };
    Ok(())
}

/// The part checksums an UploadPart (header) or UploadPartCopy (XML) answer carried, as the
/// CompleteMultipartUpload elements that repeat them (`ChecksumCRC32`, …).
#[must_use]
pub(crate) fn answered_part_checksums(resp: &Response) -> Vec<(String, String)> {
    Algorithm::ALL
        .into_iter()
        .filter_map(|a| {
            let element = format!("Checksum{}", a.name());
            let value = resp
                .header(a.header())
                .map(str::to_owned)
                .or_else(|| crate::client::xml::element(std::str::from_utf8(&resp.body).ok()?, &element))?;
            Some((element, value))
        })
        .collect()
}
