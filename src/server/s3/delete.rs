//! DeleteObject and DeleteObjects: no SSE-C key is needed to delete (catalogue D1x).
//!
//! SSE-C headers sent with a delete are ignored, as AWS's model has no SSE-C members for
//! DeleteObject (D1x: undocumented; ignoring them is the most defensible answer, and the key is not
//! logged or kept).

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use crate::server::error::bucket_error;
use crate::server::store::Store;

pub fn delete_object(store: &Store, req: S3Request<DeleteObjectInput>) -> S3Result<S3Response<DeleteObjectOutput>> {
    store.delete(&req.input.bucket, &req.input.key).map_err(bucket_error)?;
    Ok(S3Response::new(DeleteObjectOutput::default()))
}

pub fn delete_objects(store: &Store, req: S3Request<DeleteObjectsInput>) -> S3Result<S3Response<DeleteObjectsOutput>> {
    let input = req.input;
    if !store.bucket_exists(&input.bucket) {
        return Err(crate::server::error::no_such_bucket());
    }
    let quiet = input.delete.quiet.unwrap_or(false);
    let mut deleted = Vec::new();
    for id in input.delete.objects {
        store.delete(&input.bucket, &id.key).map_err(bucket_error)?;
        if !quiet {
            deleted.push(DeletedObject { key: Some(id.key), ..Default::default() });
        }
    }
    Ok(S3Response::new(DeleteObjectsOutput { deleted: Some(deleted), ..Default::default() }))
}
