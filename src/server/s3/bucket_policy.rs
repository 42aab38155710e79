//! PutBucketPolicy, GetBucketPolicy and DeleteBucketPolicy. The document is checked when it is put
//! ([`crate::server::policy::parse`]) and enforced by the write gate ([`super::guard`]).

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use crate::server::error::{bucket_error, s3_error};
use crate::server::policy;
use crate::server::store::Store;

pub(super) fn put(store: &Store, req: S3Request<PutBucketPolicyInput>) -> S3Result<S3Response<PutBucketPolicyOutput>> {
    let text = req.input.policy;
    policy::parse(&text).map_err(|m| s3_error(400, "MalformedPolicy", m))?;
    store.update_controls(&req.input.bucket, |c| c.policy = Some(text)).map_err(bucket_error)?;
    let mut resp = S3Response::new(PutBucketPolicyOutput::default());
    resp.status = Some(http::StatusCode::NO_CONTENT);
    Ok(resp)
}

pub(super) fn get(store: &Store, req: S3Request<GetBucketPolicyInput>) -> S3Result<S3Response<GetBucketPolicyOutput>> {
    let controls = store.controls(&req.input.bucket).map_err(bucket_error)?;
    let policy =
        controls.policy.ok_or_else(|| s3_error(404, "NoSuchBucketPolicy", "The bucket policy does not exist"))?;
    Ok(S3Response::new(GetBucketPolicyOutput { policy: Some(policy) }))
}

pub(super) fn delete(
    store: &Store,
    req: S3Request<DeleteBucketPolicyInput>,
) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
    store.update_controls(&req.input.bucket, |c| c.policy = None).map_err(bucket_error)?;
    Ok(S3Response::new(DeleteBucketPolicyOutput::default()))
}
