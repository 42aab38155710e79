//! DeleteObject and DeleteObjects: no SSE-C key is needed to delete, any version (catalogue D1x).
//!
//! SSE-C headers sent with a delete are ignored, as AWS's model has no SSE-C members for
//! DeleteObject (D1x: undocumented; ignoring them is the most defensible answer, and the key is not
//! logged or kept).

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use crate::server::error::bucket_error;
use crate::server::store::Store;

/// What deleting one key did.
struct Deleted {
    delete_marker: bool,
    version_id: Option<String>,
}

async fn delete_one(store: &Store, bucket: &str, key: &str, version: Option<&str>) -> S3Result<Deleted> {
    match version {
        Some(v) => {
            let removed = store.delete_version(bucket, key, v).map_err(bucket_error)?;
            Ok(Deleted { delete_marker: removed.is_some_and(|m| m.delete_marker), version_id: Some(v.to_owned()) })
        }
        None => {
            let marker = store.delete(bucket, key).await.map_err(bucket_error)?;
            Ok(Deleted { delete_marker: marker.is_some(), version_id: marker })
        }
    }
}

pub(super) async fn delete_object(
    store: &Store,
    req: S3Request<DeleteObjectInput>,
) -> S3Result<S3Response<DeleteObjectOutput>> {
    let i = &req.input;
    let d = delete_one(store, &i.bucket, &i.key, i.version_id.as_deref()).await?;
    Ok(S3Response::new(DeleteObjectOutput {
        delete_marker: d.delete_marker.then_some(true),
        version_id: d.version_id,
        ..Default::default()
    }))
}

pub(super) async fn delete_objects(
    store: &Store,
    req: S3Request<DeleteObjectsInput>,
) -> S3Result<S3Response<DeleteObjectsOutput>> {
    let input = req.input;
    if !store.bucket_exists(&input.bucket) {
        return Err(crate::server::error::no_such_bucket());
    }
    let quiet = input.delete.quiet.unwrap_or(false);
    let mut deleted = Vec::new();
    for id in input.delete.objects {
        let d = delete_one(store, &input.bucket, &id.key, id.version_id.as_deref()).await?;
        if !quiet {
            let marker_version = d.delete_marker.then(|| d.version_id.clone()).flatten();
            deleted.push(DeletedObject {
                key: Some(id.key),
                version_id: id.version_id,
                delete_marker: d.delete_marker.then_some(true),
                delete_marker_version_id: marker_version,
            });
        }
    }
    Ok(S3Response::new(DeleteObjectsOutput { deleted: Some(deleted), ..Default::default() }))
}
