//! CreateBucket, HeadBucket, DeleteBucket, ListBuckets.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use crate::server::error::bucket_error;
use crate::server::store::Store;

pub(super) fn create(store: &Store, req: S3Request<CreateBucketInput>) -> S3Result<S3Response<CreateBucketOutput>> {
    store.create_bucket(&req.input.bucket).map_err(bucket_error)?;
    let output = CreateBucketOutput { location: Some(format!("/{}", req.input.bucket)) };
    Ok(S3Response::new(output))
}

pub(super) fn head(store: &Store, req: S3Request<HeadBucketInput>) -> S3Result<S3Response<HeadBucketOutput>> {
    if !store.bucket_exists(&req.input.bucket) {
        return Err(crate::server::error::no_such_bucket());
    }
    Ok(S3Response::new(HeadBucketOutput::default()))
}

pub(super) fn delete(store: &Store, req: S3Request<DeleteBucketInput>) -> S3Result<S3Response<DeleteBucketOutput>> {
    store.delete_bucket(&req.input.bucket).map_err(bucket_error)?;
    Ok(S3Response::new(DeleteBucketOutput::default()))
}

pub(super) fn list(store: &Store, _req: S3Request<ListBucketsInput>) -> S3Result<S3Response<ListBucketsOutput>> {
    let buckets = store
        .list_buckets()
        .into_iter()
        .map(|(name, created_ms)| Bucket {
            name: Some(name),
            creation_date: Some(super::list::timestamp(created_ms)),
            ..Default::default()
        })
        .collect();
    let output = ListBucketsOutput { buckets: Some(buckets), owner: Some(super::list::owner()), ..Default::default() };
    Ok(S3Response::new(output))
}
