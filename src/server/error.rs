//! S3 error responses the handlers return, including the SSE-C argument fields s3s cannot express.
//!
//! s3s serialises `Code`, `Message` and `RequestId` only. AWS adds `ArgumentName` and
//! `ArgumentValue` to SSE-C argument errors (catalogue B.9) and `HeadersNotSigned` to PS3, so an error
//! that has such elements carries them in an internal header, and the edge layer ([`super::edge`])
//! moves them into the XML body before the response leaves the server.

use http::{HeaderValue, StatusCode};
use s3s::{S3Error, S3ErrorCode};

use crate::sse_c::SseCError;

/// Internal header carrying extra error-body elements (base64 of an XML fragment) from a handler to
/// the edge; never sent to clients.
pub(super) const EXTRA_XML_HEADER: &str = "x-ssec-conform-internal-error-xml";

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Adds elements (`ArgumentName`, `HeadersNotSigned`, …) to an error's XML body.
#[must_use]
pub(super) fn with_elements(mut e: S3Error, elements: &[(&str, &str)]) -> S3Error {
    use base64::Engine as _;
    let xml: String = elements.iter().map(|(n, v)| format!("<{n}>{}</{n}>", xml_escape(v))).collect();
    let mut headers = e.headers().cloned().unwrap_or_default();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    if let Ok(v) = HeaderValue::from_str(&base64::engine::general_purpose::STANDARD.encode(xml)) {
        headers.insert(EXTRA_XML_HEADER, v);
    }
    e.set_headers(headers);
    e
}

/// An S3 error with an explicit status, code and message.
#[must_use]
pub(super) fn s3_error(status: u16, code: &str, message: impl Into<String>) -> S3Error {
    let code = S3ErrorCode::from_bytes(code.as_bytes()).unwrap_or(S3ErrorCode::InternalError);
    let mut e = S3Error::with_message(code, message.into());
    e.set_status_code(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    e
}

/// The AWS answer to an SSE-C fault, with its argument fields.
#[must_use]
pub(super) fn sse_c_error(err: &SseCError) -> S3Error {
    let e = s3_error(err.status(), err.code(), err.to_string());
    match err.argument() {
        Some((name, Some(value))) => with_elements(e, &[("ArgumentName", name), ("ArgumentValue", value)]),
        Some((name, None)) => with_elements(e, &[("ArgumentName", name)]),
        None => e,
    }
}

impl From<SseCError> for S3Error {
    fn from(err: SseCError) -> Self {
        sse_c_error(&err)
    }
}

/// 400 `EntityTooLarge`: an upload over `max` bytes, with the size proposed if it was declared.
#[must_use]
pub(super) fn entity_too_large(proposed: Option<u64>, max: u64) -> S3Error {
    let e = s3_error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
    let max = max.to_string();
    match proposed.map(|p| p.to_string()) {
        Some(p) => with_elements(e, &[("ProposedSize", &p), ("MaxSizeAllowed", &max)]),
        None => with_elements(e, &[("MaxSizeAllowed", &max)]),
    }
}

/// 400 `IncompleteBody`: the S3 answer to a body whose length does not match its declaration.
#[must_use]
pub(super) fn incomplete_body() -> S3Error {
    s3_error(
        400,
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
    )
}

/// 404 `NoSuchBucket`.
#[must_use]
pub(super) fn no_such_bucket() -> S3Error {
    s3_error(404, "NoSuchBucket", "The specified bucket does not exist")
}

/// 404 `NoSuchKey`.
#[must_use]
pub(super) fn no_such_key() -> S3Error {
    s3_error(404, "NoSuchKey", "The specified key does not exist.")
}

/// 500 `InternalError` for a storage failure; the detail goes to the log, not the client.
#[must_use]
pub(super) fn internal(detail: &dyn std::fmt::Display) -> S3Error {
    tracing::error!(%detail, "internal error");
    s3_error(500, "InternalError", "We encountered an internal error. Please try again.")
}

/// Maps a store bucket error to its S3 error.
#[must_use]
pub(super) fn bucket_error(e: crate::server::store::BucketError) -> S3Error {
    use crate::server::store::BucketError;
    match e {
        BucketError::NoSuchBucket => no_such_bucket(),
        BucketError::AlreadyExists => s3_error(
            409,
            "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.",
        ),
        BucketError::NotEmpty => s3_error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty"),
    }
}
