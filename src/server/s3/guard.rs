//! The write gate of catalogue B.2: the bucket policy (P13, P14) and `BlockedEncryptionTypes` (P12)
//! are checked before any SSE-C header is validated, so a blocked or denied write gets 403 whatever
//! its SSE-C headers are, and nothing is written.

use std::collections::BTreeMap;

use s3s::S3Result;

use crate::server::error::{bucket_error, s3_error};
use crate::server::policy;
use crate::server::store::Store;
use crate::sse_c::RawTriple;

/// The policy condition key of the SSE-C algorithm.
const ALGORITHM_KEY: &str = "s3:x-amz-server-side-encryption-customer-algorithm";
/// The policy condition key of SSE-S3/SSE-KMS.
const SSE_KEY: &str = "s3:x-amz-server-side-encryption";

fn access_denied() -> s3s::S3Error {
    s3_error(403, "AccessDenied", "Access Denied")
}

/// Refuses a write (`s3:PutObject` on `bucket/key`) that the bucket's controls forbid.
pub fn check_write(store: &Store, bucket: &str, key: &str, triple: &RawTriple, sse: Option<&str>) -> S3Result<()> {
    let controls = store.controls(bucket).map_err(bucket_error)?;
    if let Some(text) = &controls.policy
        && let Ok(parsed) = policy::parse(text)
    {
        let mut context = BTreeMap::new();
        if let Some(alg) = &triple.algorithm {
            context.insert(ALGORITHM_KEY.to_owned(), alg.clone());
        }
        if let Some(v) = sse {
            context.insert(SSE_KEY.to_owned(), v.to_owned());
        }
        let request =
            policy::Request { action: "s3:PutObject", resource: format!("arn:aws:s3:::{bucket}/{key}"), context };
        if policy::denies(&parsed, &request) {
            return Err(access_denied());
        }
    }
    if controls.sse_c_blocked && !triple.is_absent() {
        return Err(access_denied());
    }
    Ok(())
}
