//! GetObjectAttributes (GA1–GA4): the same SSE-C gate as GetObject, so a wrong key never learns the
//! size or part layout (the pgsty/silo #84 bug).

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::lookup::readable;
use super::read_access::authorize;
use super::write::reported_version;
use crate::server::store::Store;

pub(super) fn get_object_attributes(
    store: &Store,
    req: S3Request<GetObjectAttributesInput>,
) -> S3Result<S3Response<GetObjectAttributesOutput>> {
    let mut i = req.input;
    let obj = readable(store, &i.bucket, &i.key, i.version_id.as_deref())?;
    let raw = take_triple!(i);
    let access = authorize(&raw, &obj)?;
    // The header is a comma-separated list; s3s hands it over as one item per header line.
    let wants = |name: &str| {
        i.object_attributes.iter().flat_map(|a| a.as_str().split(',')).any(|a| a.trim().eq_ignore_ascii_case(name))
    };
    let meta = &obj.meta;
    let parts = (wants("ObjectParts") && meta.is_multipart()).then(|| GetObjectAttributesParts {
        total_parts_count: Some(i32::try_from(meta.parts.len()).unwrap_or(i32::MAX)),
        parts: Some(
            meta.parts
                .iter()
                .map(|p| ObjectPart {
                    part_number: Some(i32::try_from(p.number).unwrap_or(i32::MAX)),
                    size: Some(i64::try_from(p.size).unwrap_or(i64::MAX)),
                    ..Default::default()
                })
                .collect(),
        ),
        is_truncated: Some(false),
        ..Default::default()
    });
    let mut resp = S3Response::new(GetObjectAttributesOutput {
        e_tag: wants("ETag").then(|| ETag::Strong(meta.etag.clone())),
        object_size: wants("ObjectSize").then(|| i64::try_from(meta.size).unwrap_or(i64::MAX)),
        storage_class: wants("StorageClass").then(|| StorageClass::from_static(StorageClass::STANDARD)),
        object_parts: parts,
        checksum: wants("Checksum").then(|| access.checksum(&obj).map(|c| c.dto())).flatten(),
        last_modified: Some(super::list::timestamp(meta.last_modified_ms)),
        version_id: reported_version(meta),
        ..Default::default()
    });
    // A7.5: AWS writes this ETag without quotes (HEAD and GET quote theirs).
    resp.extensions.insert(crate::server::extensions::UnquotedETag);
    Ok(resp)
}
