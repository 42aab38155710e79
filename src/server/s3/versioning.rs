//! PutBucketVersioning, GetBucketVersioning and ListObjectVersions. Each version keeps its own
//! SSE-C key (G11); listings carry no key material.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::list::{owner, timestamp};
use crate::server::error::{bucket_error, s3_error};
use crate::server::store::{Store, Versioning};

pub(super) fn put_bucket_versioning(
    store: &Store,
    req: S3Request<PutBucketVersioningInput>,
) -> S3Result<S3Response<PutBucketVersioningOutput>> {
    let status = req.input.versioning_configuration.status.as_ref().map(|s| s.as_str().to_owned());
    let enabled = match status.as_deref() {
        Some("Enabled") => true,
        Some("Suspended") => false,
        _ => {
            return Err(s3_error(
                400,
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            ));
        }
    };
    store.set_versioning(&req.input.bucket, enabled).map_err(bucket_error)?;
    Ok(S3Response::new(PutBucketVersioningOutput::default()))
}

pub(super) fn get_bucket_versioning(
    store: &Store,
    req: S3Request<GetBucketVersioningInput>,
) -> S3Result<S3Response<GetBucketVersioningOutput>> {
    let status = match store.versioning(&req.input.bucket).map_err(bucket_error)? {
        Versioning::Unversioned => None,
        Versioning::Enabled => Some(BucketVersioningStatus::from_static(BucketVersioningStatus::ENABLED)),
        Versioning::Suspended => Some(BucketVersioningStatus::from_static(BucketVersioningStatus::SUSPENDED)),
    };
    Ok(S3Response::new(GetBucketVersioningOutput { status, ..Default::default() }))
}

pub(super) fn list_object_versions(
    store: &Store,
    req: S3Request<ListObjectVersionsInput>,
) -> S3Result<S3Response<ListObjectVersionsOutput>> {
    let i = req.input;
    let prefix = i.prefix.clone().unwrap_or_default();
    let keys = store.list_versions(&i.bucket, &prefix, None).map_err(bucket_error)?;
    let mut versions = Vec::new();
    let mut markers = Vec::new();
    for key_versions in keys {
        let newest = key_versions.len().saturating_sub(1);
        for (n, o) in key_versions.iter().enumerate().rev() {
            let m = &o.meta;
            if m.delete_marker {
                markers.push(DeleteMarkerEntry {
                    is_latest: Some(n == newest),
                    key: Some(m.key.clone()),
                    last_modified: Some(timestamp(m.last_modified_ms)),
                    owner: Some(owner()),
                    version_id: Some(m.version_id.clone()),
                });
            } else {
                versions.push(ObjectVersion {
                    e_tag: Some(ETag::Strong(m.etag.clone())),
                    is_latest: Some(n == newest),
                    key: Some(m.key.clone()),
                    last_modified: Some(timestamp(m.last_modified_ms)),
                    owner: Some(owner()),
                    size: Some(i64::try_from(m.size).unwrap_or(i64::MAX)),
                    storage_class: Some(ObjectVersionStorageClass::from_static(ObjectVersionStorageClass::STANDARD)),
                    version_id: Some(m.version_id.clone()),
                    ..Default::default()
                });
            }
        }
    }
    Ok(S3Response::new(ListObjectVersionsOutput {
        name: Some(i.bucket),
        prefix: Some(prefix),
        max_keys: Some(i.max_keys.unwrap_or(1000)),
        is_truncated: Some(false),
        versions: Some(versions),
        delete_markers: Some(markers),
        ..Default::default()
    }))
}
