//! Object tagging (`x-amz-tagging` on writes, Put/Get/DeleteObjectTagging) and the object ACL calls.
//!
//! None of them has SSE-C members in AWS's service model: tags and ACLs, like metadata, are not
//! encrypted, so the reference server serves them without a key and ignores SSE-C headers sent with
//! them, as on DELETE (catalogue V5, V6: AWS not observed with SSE-C objects). They never read the
//! object's bytes and never echo a key or its MD5.

use std::collections::BTreeMap;

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::lookup::readable;
use super::write::reported_version;
use crate::server::error::{bucket_error, no_such_key, s3_error};
use crate::server::store::Store;

/// AWS's limit on the tags of one object.
const MAX_TAGS: usize = 10;

fn invalid_tag(message: &str) -> s3s::S3Error {
    s3_error(400, "InvalidTag", message)
}

fn checked(tags: BTreeMap<String, String>, given: usize) -> S3Result<BTreeMap<String, String>> {
    if tags.len() != given {
        return Err(invalid_tag("Cannot provide multiple Tags with the same key"));
    }
    if tags.len() > MAX_TAGS {
        return Err(invalid_tag("Object tags cannot be greater than 10"));
    }
    Ok(tags)
}

/// The tag set of an `x-amz-tagging` header (`k1=v1&k2=v2`, URL-encoded), for PutObject,
/// CreateMultipartUpload and a copy with `x-amz-tagging-directive: REPLACE`.
pub(super) fn from_header(header: Option<&str>) -> S3Result<BTreeMap<String, String>> {
    let Some(header) = header.filter(|h| !h.is_empty()) else { return Ok(BTreeMap::new()) };
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(header.as_bytes()).into_owned().collect();
    let given = pairs.len();
    checked(pairs.into_iter().collect(), given)
}

/// The `x-amz-tagging-count` of a read: the number of tags, when there are any.
#[must_use]
pub(super) fn count(tags: &BTreeMap<String, String>) -> Option<i32> {
    (!tags.is_empty()).then(|| i32::try_from(tags.len()).unwrap_or(i32::MAX))
}

fn set(
    store: &Store,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    tags: BTreeMap<String, String>,
) -> S3Result<Option<String>> {
    let meta = store.set_tags(bucket, key, version, tags).map_err(bucket_error)?.ok_or_else(no_such_key)?;
    Ok(reported_version(&meta))
}

pub(super) fn put(
    store: &Store,
    req: S3Request<PutObjectTaggingInput>,
) -> S3Result<S3Response<PutObjectTaggingOutput>> {
    let i = req.input;
    let given = i.tagging.tag_set.len();
    let tags = i.tagging.tag_set.into_iter().map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()));
    let tags = checked(tags.collect(), given)?;
    let version_id = set(store, &i.bucket, &i.key, i.version_id.as_deref(), tags)?;
    Ok(S3Response::new(PutObjectTaggingOutput { version_id }))
}

pub(super) fn get(
    store: &Store,
    req: S3Request<GetObjectTaggingInput>,
) -> S3Result<S3Response<GetObjectTaggingOutput>> {
    let i = &req.input;
    let obj = readable(store, &i.bucket, &i.key, i.version_id.as_deref())?;
    let tag_set = obj.meta.tags.iter().map(|(k, v)| Tag { key: Some(k.clone()), value: Some(v.clone()) }).collect();
    Ok(S3Response::new(GetObjectTaggingOutput { tag_set, version_id: reported_version(&obj.meta) }))
}

pub(super) fn delete(
    store: &Store,
    req: S3Request<DeleteObjectTaggingInput>,
) -> S3Result<S3Response<DeleteObjectTaggingOutput>> {
    let i = &req.input;
    let version_id = set(store, &i.bucket, &i.key, i.version_id.as_deref(), BTreeMap::new())?;
    Ok(S3Response::new(DeleteObjectTaggingOutput { version_id }))
}

/// GetObjectAcl: the owner holds `FULL_CONTROL`, the only grant this server knows.
pub(super) fn get_acl(store: &Store, req: S3Request<GetObjectAclInput>) -> S3Result<S3Response<GetObjectAclOutput>> {
    let i = &req.input;
    readable(store, &i.bucket, &i.key, i.version_id.as_deref())?;
    let owner = super::list::owner();
    let grant = Grant {
        grantee: Some(Grantee {
            display_name: owner.display_name.clone(),
            id: owner.id.clone(),
            type_: Type::from_static(Type::CANONICAL_USER),
            email_address: None,
            uri: None,
        }),
        permission: Some(Permission::from_static(Permission::FULL_CONTROL)),
    };
    Ok(S3Response::new(GetObjectAclOutput { grants: Some(vec![grant]), owner: Some(owner), ..Default::default() }))
}

/// PutObjectAcl: the canned ACL `private` is accepted (it is what the object has); anything else is
/// refused as on a bucket whose ACLs are disabled, AWS's default since 2023.
pub(super) fn put_acl(store: &Store, req: S3Request<PutObjectAclInput>) -> S3Result<S3Response<PutObjectAclOutput>> {
    let i = &req.input;
    readable(store, &i.bucket, &i.key, i.version_id.as_deref())?;
    let private = i.acl.as_ref().is_some_and(|a| a.as_str() == ObjectCannedACL::PRIVATE)
        && i.access_control_policy.is_none()
        && i.grant_full_control.is_none()
        && i.grant_read.is_none()
        && i.grant_read_acp.is_none()
        && i.grant_write_acp.is_none();
    if !private {
        return Err(s3_error(400, "AccessControlListNotSupported", "The bucket does not allow ACLs"));
    }
    Ok(S3Response::new(PutObjectAclOutput::default()))
}
