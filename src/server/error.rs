//! S3 error responses the handlers return, including the SSE-C argument fields s3s cannot express.
//!
//! s3s serialises `Code`, `Message` and `RequestId` only. AWS adds `ArgumentName` and
//! `ArgumentValue` to SSE-C argument errors (catalogue B.9), so an error that has them carries them in
//! two internal headers, and the edge layer ([`super::edge`]) moves them into the XML body before the
//! response leaves the server.

use http::{HeaderMap, HeaderValue, StatusCode};
use s3s::{S3Error, S3ErrorCode};

use crate::sse_c::SseCError;

/// Internal header carrying `ArgumentName` from a handler to the edge; never sent to clients.
pub const ARGUMENT_NAME_HEADER: &str = "x-ssec-conform-internal-argument-name";
/// Internal header carrying `ArgumentValue` from a handler to the edge; never sent to clients.
pub const ARGUMENT_VALUE_HEADER: &str = "x-ssec-conform-internal-argument-value";

/// An S3 error with an explicit status, code and message.
#[must_use]
pub fn s3_error(status: u16, code: &str, message: impl Into<String>) -> S3Error {
    let code = S3ErrorCode::from_bytes(code.as_bytes()).unwrap_or(S3ErrorCode::InternalError);
    let mut e = S3Error::with_message(code, message.into());
    e.set_status_code(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    e
}

/// The AWS answer to an SSE-C fault, with its argument fields.
#[must_use]
pub fn sse_c_error(err: &SseCError) -> S3Error {
    let mut e = s3_error(err.status(), err.code(), err.to_string());
    if let Some((name, value)) = err.argument() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        headers.insert(ARGUMENT_NAME_HEADER, HeaderValue::from_static(name));
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(ARGUMENT_VALUE_HEADER, v);
        }
        e.set_headers(headers);
    }
    e
}

impl From<SseCError> for S3Error {
    fn from(err: SseCError) -> Self {
        sse_c_error(&err)
    }
}

/// 404 `NoSuchBucket`.
#[must_use]
pub fn no_such_bucket() -> S3Error {
    s3_error(404, "NoSuchBucket", "The specified bucket does not exist")
}

/// 404 `NoSuchKey`.
#[must_use]
pub fn no_such_key() -> S3Error {
    s3_error(404, "NoSuchKey", "The specified key does not exist.")
}

/// 500 `InternalError` for a storage failure; the detail goes to the log, not the client.
#[must_use]
pub fn internal(detail: &dyn std::fmt::Display) -> S3Error {
    tracing::error!(%detail, "internal error");
    s3_error(500, "InternalError", "We encountered an internal error. Please try again.")
}

/// Maps a store bucket error to its S3 error.
#[must_use]
pub fn bucket_error(e: crate::server::store::BucketError) -> S3Error {
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
