//! PutObject and POST Object: validate the SSE-C triple (catalogue A.1), then a conditional write's
//! `If-Match`/`If-None-Match` (V3), stream the body into
//! encrypted segments, verify `Content-MD5` and flexible checksums against the received bytes, then
//! commit.

use http::HeaderMap;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::digests::Declared;
use super::guard::check_write;
use super::preconditions::{Conditions, current_etag};
use super::write::{NewObject, commit, default_encryption, reported_version, stage};
use crate::server::checksum::{Algorithm, ObjectChecksum};
use crate::server::extensions::{PostFile, Transport};
use crate::sse_c::headers::{AES256, SERVER_SIDE_ENCRYPTION};
use crate::sse_c::rules::validate_write;
use crate::sse_c::{RawTriple, SseCError, TripleKind, ValidTriple};

/// Validates the SSE-C parameters of a write (P2–P10, P15), returning the valid triple if any.
pub(super) fn write_triple(headers: &HeaderMap, raw: &RawTriple, sse: Option<&str>) -> S3Result<Option<ValidTriple>> {
    // P15: copy-source parameters without a copy source (AWS not observed; MinIO's answer).
    if !RawTriple::from_headers(headers, TripleKind::CopySource).is_absent() {
        return Err(SseCError::NotApplicable.into());
    }
    Ok(validate_write(raw, sse)?)
}

/// The `x-amz-server-side-encryption` value of a request.
pub(super) fn sse_header(headers: &HeaderMap, field: Option<&ServerSideEncryption>) -> Option<String> {
    field
        .map(|v| v.as_str().to_owned())
        .or_else(|| headers.get(SERVER_SIDE_ENCRYPTION).and_then(|v| v.to_str().ok()).map(str::to_owned))
}

pub(super) async fn put_object(
    store: &crate::server::store::Store,
    req: S3Request<PutObjectInput>,
) -> S3Result<S3Response<PutObjectOutput>> {
    let mut input = req.input;
    let raw = take_triple!(input);
    let sse = sse_header(&req.headers, input.server_side_encryption.as_ref());
    check_write(store, &input.bucket, &input.key, &raw, sse.as_deref())?;
    let triple = write_triple(&req.headers, &raw, sse.as_deref())?;
    let conditions = Conditions {
        if_match: input.if_match.as_ref(),
        if_none_match: input.if_none_match.as_ref(),
        ..Default::default()
    };
    conditions.check_write(current_etag(store, &input.bucket, &input.key).as_deref())?;
    let (declared, hasher) = Declared::from_request(&req.headers, input.content_md5.as_deref())?;
    let new = NewObject {
        content_md5: declared.has_content_md5(),
        tags: super::tagging::from_header(input.tagging.as_deref())?,
        checksum: declared.algorithm().unwrap_or(Algorithm::Crc64Nvme),
        ..NewObject::uploaded(input.bucket, input.key, input.content_type, input.metadata, triple)
    };
    let (body, received) = super::received::count(input.body, &req.extensions, input.content_length);
    let staged = stage(store, new, body, hasher).await.map_err(|e| received.or(e))?;
    if let Some(declared_len) = input.content_length
        && u64::try_from(declared_len).ok() != Some(staged.ingested.size)
    {
        return Err(super::write::body_error(&crate::server::object_io::IngestError::Body("length".into())));
    }
    declared.verify(&staged.ingested, &req.headers, req.trailing_headers.as_ref())?;
    let checksum = staged.checksum.as_ref().map(ObjectChecksum::dto).unwrap_or_default();
    let key_md5 = staged.key_md5.clone();
    let meta = commit(store, staged).await?;
    let mut output = PutObjectOutput {
        e_tag: Some(ETag::Strong(meta.etag.clone())),
        server_side_encryption: default_encryption(key_md5.as_ref()),
        sse_customer_algorithm: key_md5.as_ref().map(|_| AES256.to_owned()),
        sse_customer_key_md5: key_md5,
        version_id: reported_version(&meta),
        ..Default::default()
    };
    set_checksums!(output, checksum, with type);
    Ok(S3Response::new(output))
}

/// POST Object (browser form upload, PO1): s3s has checked the policy, including its conditions on
/// the SSE-C form fields; the fields are validated like PutObject's headers. SSE-C fields over plain
/// HTTP are refused here, since the edge cannot see form fields (P11).
pub(super) async fn post_object(
    store: &crate::server::store::Store,
    req: S3Request<PostObjectInput>,
) -> S3Result<S3Response<PostObjectOutput>> {
    let mut input = req.input;
    let raw = take_triple!(input);
    if !raw.is_absent() && req.extensions.get::<Transport>().is_some_and(|t| !t.sse_c_allowed()) {
        return Err(SseCError::InsecureTransport.into());
    }
    let sse = input.server_side_encryption.as_ref().map(ServerSideEncryption::as_str);
    check_write(store, &input.bucket, &input.key, &raw, sse)?;
    let triple = validate_write(&raw, sse)?;
    // A POST form's `tagging` field is XML, not the header's query form; it is not read.
    let new = NewObject::uploaded(input.bucket, input.key, input.content_type, input.metadata, triple);
    // The edge streams the file past s3s when it can (`PostFile`); s3s read it otherwise.
    let file: Option<futures::stream::BoxStream<'static, Result<bytes::Bytes, String>>> =
        match req.extensions.get::<PostFile>().and_then(PostFile::take) {
            Some(file) => Some(file),
            None => input.body.map(|b| Box::pin(futures::TryStreamExt::map_err(b, |e| e.to_string())) as _),
        };
    let (file, received) = super::received::count(file, &req.extensions, None);
    let staged = stage(store, new, file, s3s::checksum::ChecksumHasher::default()).await.map_err(|e| received.or(e))?;
    let key_md5 = staged.key_md5.clone();
    let meta = commit(store, staged).await?;
    let output = PostObjectOutput {
        e_tag: Some(ETag::Strong(meta.etag.clone())),
        version_id: reported_version(&meta),
        ..Default::default()
    };
    // s3s serialises a POST's status only; the ETag, version and SSE-C echo AWS documents for POST
    // Object go in as headers.
    let mut resp = S3Response::new(output);
    if let Ok(etag) = http::HeaderValue::from_str(&format!("\"{}\"", meta.etag)) {
        resp.headers.insert(http::header::ETAG, etag);
    }
    if let Some(v) = reported_version(&meta).and_then(|v| http::HeaderValue::from_str(&v).ok()) {
        resp.headers.insert("x-amz-version-id", v);
    }
    if let Some(md5) = key_md5.and_then(|m| http::HeaderValue::from_str(&m).ok()) {
        resp.headers.insert(crate::sse_c::headers::ALGORITHM, http::HeaderValue::from_static(AES256));
        resp.headers.insert(crate::sse_c::headers::KEY_MD5, md5);
    }
    Ok(resp)
}
