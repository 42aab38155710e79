//! The write gate of catalogue B.2: the bucket policy (P13, P14) and `BlockedEncryptionTypes` (P12)
//! are checked before any SSE-C header is validated, so a blocked or denied write gets 403 whatever
//! its SSE-C headers are, and nothing is written.

use s3s::S3Result;

use crate::server::error::{bucket_error, s3_error};
use crate::server::policy;
use crate::server::store::Store;
use crate::sse_c::RawTriple;

fn access_denied() -> s3s::S3Error {
    s3_error(403, "AccessDenied", "Access Denied")
}

/// Refuses a write (`s3:PutObject` on `bucket/key`) that the bucket's controls forbid.
pub(super) fn check_write(
    store: &Store,
    bucket: &str,
    key: &str,
    triple: &RawTriple,
    sse: Option<&str>,
) -> S3Result<()> {
    let controls = store.controls(bucket).map_err(bucket_error)?;
    if let Some(text) = &controls.policy
        && policy::denies_put_object(text, bucket, key, triple.algorithm.as_deref(), sse)
    {
        return Err(access_denied());
    }
    if controls.sse_c_blocked && !triple.is_absent() {
        return Err(access_denied());
    }
    Ok(())
}
