//! CopyObject, including key rotation (catalogue A.3, B.7), and the copy source shared with
//! UploadPartCopy.
//!
//! Order: the source (existence, its SSE-C state C4/C8, its triple C5/C7), then the destination
//! triple (C5, C6), then the legality of a self-copy. The plaintext streams from the source's
//! segments into new segments under a new data key: a copy never shares ciphertext with its source.

use std::sync::Arc;

use http::HeaderMap;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::guard::check_write;
use super::lookup::readable;
use super::preconditions::{Conditions, Current};
use super::put::sse_header;
use super::read_access::{ReadAccess, authorize};
use super::write::{NewObject, commit, default_encryption, reported_version, stage};
use crate::server::checksum::{Algorithm, Kind, ObjectChecksum};
use crate::server::error::{internal, s3_error};
use crate::server::store::{Store, StoredObject};
use crate::sse_c::headers::AES256;
use crate::sse_c::rules::validate_write;
use crate::sse_c::{RawTriple, SseCError};

/// A readable copy source.
#[derive(Debug)]
pub(super) struct Source {
    /// The source version.
    pub obj: Arc<StoredObject>,
    /// Its access (cipher for SSE-C).
    pub access: ReadAccess,
}

/// Resolves and authorises `x-amz-copy-source` with the copy-source triple.
pub(super) fn open_source(
    store: &Store,
    copy_source: &CopySource,
    raw: &RawTriple,
    conditions: Conditions<'_>,
) -> S3Result<Source> {
    let CopySource::Bucket { bucket, key, version_id } = copy_source else {
        return Err(s3_error(501, "NotImplemented", "Copying from an access point is not implemented."));
    };
    let obj = readable(store, bucket, key, version_id.as_deref())?;
    let access = authorize(raw, &obj)?;
    conditions.check_copy_source(Current { etag: &obj.meta.etag, last_modified_ms: obj.meta.last_modified_ms })?;
    Ok(Source { obj, access })
}

fn illegal_self_copy() -> s3s::S3Error {
    s3_error(
        400,
        "InvalidRequest",
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    )
}

/// Whether the copy names its own source as destination (the current version).
fn is_self_copy(copy_source: &CopySource, bucket: &str, key: &str, source: &StoredObject, store: &Store) -> bool {
    let CopySource::Bucket { bucket: sb, key: sk, .. } = copy_source else { return false };
    **sb == *bucket
        && **sk == *key
        && store.get(bucket, key, None).ok().flatten().is_some_and(|cur| cur.meta.version_id == source.meta.version_id)
}

pub(super) async fn copy_object(
    store: &Store,
    req: S3Request<CopyObjectInput>,
) -> S3Result<S3Response<CopyObjectOutput>> {
    let headers: &HeaderMap = &req.headers;
    let mut i = req.input;
    let src_raw = take_copy_source_triple!(i);
    let dst_raw = take_triple!(i);
    let sse = sse_header(headers, i.server_side_encryption.as_ref());
    check_write(store, &i.bucket, &i.key, &dst_raw, sse.as_deref())?;
    let self_copy_target = match &i.copy_source {
        CopySource::Bucket { bucket, key, .. } => **bucket == *i.bucket && **key == *i.key,
        _ => false,
    };
    // C10: rotating "to the same key" with a key that is not the object's is answered as a parameter
    // mismatch, not as a wrong key (AWS text quoted in minio #5625; code not quoted, InvalidRequest
    // like its UploadPart sibling M4).
    let source = match open_source(store, &i.copy_source, &src_raw, copy_source_conditions!(i)) {
        Err(e)
            if self_copy_target && *e.code() == s3s::S3ErrorCode::AccessDenied && same_triple(&src_raw, &dst_raw) =>
        {
            return Err(SseCError::ParametersMismatch.into());
        }
        other => other?,
    };
    let triple = validate_write(&dst_raw, sse.as_deref())?;
    let replace = i.metadata_directive.as_ref().is_some_and(|d| d.as_str() == MetadataDirective::REPLACE);
    if is_self_copy(&i.copy_source, &i.bucket, &i.key, &source.obj, store)
        && !replace
        && triple.is_none()
        // C11: decrypting an SSE-C object in place changes its encryption attributes, so it is legal
        // (AWS not observed).
        && source.obj.meta.sse_c.is_none()
    {
        return Err(illegal_self_copy());
    }
    let (content_type, user_metadata) = if replace {
        (i.content_type.take(), i.metadata.take().unwrap_or_default().into_iter().collect())
    } else {
        (source.obj.meta.content_type.clone(), source.obj.meta.user_metadata.clone())
    };
    let full = crate::server::object_io::ByteRange { start: 0, end: source.obj.meta.size };
    let body = source.access.source(&source.obj)?.stream(full);
    // Tags are copied unless replaced, as metadata is.
    let tags = if i.tagging_directive.as_ref().is_some_and(|d| d.as_str() == TaggingDirective::REPLACE) {
        super::tagging::from_header(i.tagging.as_deref())?
    } else {
        source.obj.meta.tags.clone()
    };
    // The copy keeps the source's full-object algorithm unless the request names one (K7; AWS not
    // observed for SSE-C: chosen), and its checksum is computed over the bytes copied.
    let checksum = i
        .checksum_algorithm
        .as_ref()
        .and_then(Algorithm::of)
        .or_else(|| source.access.checksum(&source.obj).filter(|c| c.kind == Kind::FullObject).map(|c| c.algorithm))
        .unwrap_or(Algorithm::Crc64Nvme);
    let new = NewObject {
        bucket: i.bucket,
        key: i.key,
        content_type,
        user_metadata,
        triple,
        content_md5: false,
        tags,
        checksum,
    };
    let staged =
        stage(store, new, Some(body), s3s::checksum::ChecksumHasher::default()).await.map_err(source_failure)?;
    let key_md5 = staged.key_md5.clone();
    let sums = staged.checksum.as_ref().map(ObjectChecksum::dto).unwrap_or_default();
    let meta = commit(store, staged).await?;
    let mut result = CopyObjectResult {
        e_tag: Some(ETag::Strong(meta.etag.clone())),
        last_modified: Some(super::list::timestamp(meta.last_modified_ms)),
        ..Default::default()
    };
    set_checksums!(result, sums, with type);
    Ok(S3Response::new(CopyObjectOutput {
        copy_object_result: Some(result),
        copy_source_version_id: reported_version(&source.obj.meta),
        version_id: reported_version(&meta),
        server_side_encryption: default_encryption(key_md5.as_ref()),
        sse_customer_algorithm: key_md5.as_ref().map(|_| AES256.to_owned()),
        sse_customer_key_md5: key_md5,
        ..Default::default()
    }))
}

/// A copy source that fails to read back is a server fault, not the client's body.
pub(super) fn source_failure(e: s3s::S3Error) -> s3s::S3Error {
    if *e.code() == s3s::S3ErrorCode::IncompleteBody { internal(&"the copy source could not be read back") } else { e }
}

fn same_triple(a: &RawTriple, b: &RawTriple) -> bool {
    a.algorithm == b.algorithm
        && a.key_md5 == b.key_md5
        && a.key.as_deref().map(String::as_str) == b.key.as_deref().map(String::as_str)
}
