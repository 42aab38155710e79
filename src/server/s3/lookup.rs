//! Finding the object version a read names: the current one, or `versionId`; delete markers answer
//! as S3 does.

use std::sync::Arc;

use http::HeaderValue;
use s3s::{S3Error, S3Result};

use crate::server::error::{no_such_bucket, no_such_key, s3_error};
use crate::server::store::{Store, StoredObject};

fn with_delete_marker(mut e: S3Error, version: Option<&str>) -> S3Error {
    let mut h = e.headers().cloned().unwrap_or_default();
    h.insert("x-amz-delete-marker", HeaderValue::from_static("true"));
    if let Some(v) = version.and_then(|v| HeaderValue::from_str(v).ok()) {
        h.insert("x-amz-version-id", v);
    }
    e.set_headers(h);
    e
}

/// The object version to read: 404 `NoSuchBucket`/`NoSuchKey`/`NoSuchVersion`; a delete marker is
/// 404 `NoSuchKey` when current and 405 `MethodNotAllowed` when named by `versionId`.
pub(super) fn readable(store: &Store, bucket: &str, key: &str, version: Option<&str>) -> S3Result<Arc<StoredObject>> {
    let found = store.get(bucket, key, version).map_err(|_| no_such_bucket())?;
    match (found, version) {
        (None, None) => Err(no_such_key()),
        (None, Some(_)) => Err(s3_error(404, "NoSuchVersion", "The specified version does not exist.")),
        (Some(o), None) if o.meta.delete_marker => Err(with_delete_marker(no_such_key(), Some(&o.meta.version_id))),
        (Some(o), Some(v)) if o.meta.delete_marker => Err(with_delete_marker(
            s3_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource."),
            Some(v),
        )),
        (Some(o), _) => Ok(o),
    }
}
