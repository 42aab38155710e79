//! Multipart uploads with SSE-C (catalogue A.4, B.6).
//!
//! The initiating key binds every part: CreateMultipartUpload seals a fresh data key under it, and
//! each UploadPart/UploadPartCopy must present a key that opens that seal (M3 missing, M4 different
//! key, M5 wrong MD5, M6 SSE-C into a plain upload). Parts are encrypted under the data key with
//! their part number bound in, so CompleteMultipartUpload needs no key (M9) and only links parts.

use std::collections::BTreeMap;

use md5::{Digest as _, Md5};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::copy::{open_source, source_failure};
use super::digests::Declared;
use super::guard::check_write;
use super::list::{owner, timestamp};
use super::part_checksums;
use super::preconditions::{Conditions, current_etag};
use super::put::write_triple;
use super::read_access::open_sealed;
use super::write::{body_error, default_encryption, random_etag, reported_version};
use crate::server::checksum::{ObjectChecksum, StoredChecksum};
use crate::server::crypto::{Binding, ObjectCipher};
use crate::server::error::{internal, no_such_bucket, s3_error};
use crate::server::object_io::{ByteRange, ingest};
use crate::server::store::{CommitError, ObjectMeta, PartMeta, Store, Upload, UploadedPart, now_ms, random_id};
use crate::sse_c::headers::AES256;
use crate::sse_c::rules::validate_write;
use crate::sse_c::{RawTriple, SseCError};

const MAX_PART_NUMBER: i32 = 10_000;

fn no_such_upload() -> s3s::S3Error {
    s3_error(
        404,
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
}

fn lock(u: &std::sync::Mutex<Upload>) -> std::sync::MutexGuard<'_, Upload> {
    u.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(super) fn create(
    store: &Store,
    req: S3Request<CreateMultipartUploadInput>,
) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
    let mut i = req.input;
    if !store.bucket_exists(&i.bucket) {
        return Err(no_such_bucket());
    }
    let raw = take_triple!(i);
    let sse = super::put::sse_header(&req.headers, i.server_side_encryption.as_ref());
    check_write(store, &i.bucket, &i.key, &raw, sse.as_deref())?;
    let triple = write_triple(&req.headers, &raw, sse.as_deref())?;
    let checksum = part_checksums::requested(i.checksum_algorithm.as_ref(), i.checksum_type.as_ref())?;
    let upload_id = random_id();
    let cipher = triple.as_ref().map(|_| ObjectCipher::generate(Binding::new(&i.bucket, &i.key, &upload_id)));
    let sse_c = cipher.as_ref().zip(triple.as_ref()).map(|(c, t)| c.seal(&t.key));
    store.uploads().insert(Upload {
        bucket: i.bucket.clone(),
        key: i.key.clone(),
        upload_id: upload_id.clone(),
        initiated_ms: now_ms(),
        content_type: i.content_type,
        user_metadata: i.metadata.unwrap_or_default().into_iter().collect(),
        tags: super::tagging::from_header(i.tagging.as_deref())?,
        sse_c,
        manifest_key: cipher.as_ref().map(ObjectCipher::manifest_key),
        checksum_key: cipher.as_ref().map(ObjectCipher::checksum_key),
        checksum,
        parts: BTreeMap::new(),
    });
    let key_md5 = triple.map(|t| t.key_md5);
    Ok(S3Response::new(CreateMultipartUploadOutput {
        checksum_algorithm: checksum.map(|(a, _)| ChecksumAlgorithm::from(a.name().to_owned())),
        checksum_type: checksum.map(|(_, k)| k.dto()),
        bucket: Some(i.bucket),
        key: Some(i.key),
        upload_id: Some(upload_id),
        server_side_encryption: default_encryption(key_md5.as_ref()),
        sse_customer_algorithm: key_md5.as_ref().map(|_| AES256.to_owned()),
        sse_customer_key_md5: key_md5,
        ..Default::default()
    }))
}

/// The part's cipher under the upload's key: M3/M6 when the SSE-C state differs, the write rules for
/// the triple's syntax (M5), M4 when the key is not the initiating one.
fn part_cipher(upload: &Upload, raw: &RawTriple) -> S3Result<(Option<ObjectCipher>, Option<String>)> {
    let Some(sealed) = &upload.sse_c else {
        if raw.is_absent() {
            return Ok((None, None));
        }
        return Err(SseCError::MultipartEncryptionMismatch.into());
    };
    if raw.is_absent() {
        return Err(SseCError::MultipartEncryptionMismatch.into());
    }
    validate_write(raw, None)?;
    match open_sealed(raw, sealed, Binding::new(&upload.bucket, &upload.key, &upload.upload_id)) {
        Ok((cipher, md5)) => Ok((Some(cipher), Some(md5))),
        Err(e) if *e.code() == s3s::S3ErrorCode::AccessDenied => Err(SseCError::ParametersMismatch.into()),
        Err(e) => Err(e),
    }
}

fn part_number(n: i32) -> S3Result<u32> {
    if (1..=MAX_PART_NUMBER).contains(&n) {
        Ok(u32::try_from(n).unwrap_or(1))
    } else {
        Err(s3_error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive"))
    }
}

/// Writes one part from a plaintext stream and records it. Each call encrypts under a part key of
/// its own (a fresh salt), so uploading a part number again never reuses a key stream.
async fn store_part<S, E>(
    store: &Store,
    upload: &std::sync::Mutex<Upload>,
    number: u32,
    cipher: Option<&ObjectCipher>,
    body: Option<S>,
    declared: Option<(&Declared, &http::HeaderMap, Option<&s3s::TrailingHeaders>)>,
    hasher: s3s::checksum::ChecksumHasher,
) -> S3Result<(String, i64, s3s::dto::Checksum)>
where
    S: futures::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let part_cipher = cipher.map(|c| c.new_part(number));
    let mut sink = store.begin().map_err(|e| internal(&e))?;
    let want_md5 = cipher.is_none() || declared.is_some_and(|(d, ..)| d.has_content_md5());
    let ingested = ingest(body, part_cipher.as_ref(), &mut sink, hasher, want_md5).await.map_err(|e| body_error(&e))?;
    if let Some((d, headers, trailers)) = declared {
        d.verify(&ingested, headers, trailers)?;
    }
    let data = sink.finish().await.map_err(|e| internal(&e))?;
    let etag = match (cipher, ingested.md5) {
        (None, Some(md5)) => hex::encode(md5),
        _ => random_etag(),
    };
    let last_modified_ms = now_ms();
    let salt = part_cipher.map(|p| p.salt());
    let checksums = ingested.checksums;
    let part = UploadedPart {
        size: ingested.size,
        etag: etag.clone(),
        last_modified_ms,
        data,
        salt,
        checksums: checksums.clone(),
    };
    lock(upload).parts.insert(number, part);
    Ok((etag, last_modified_ms, checksums))
}

pub(super) async fn upload_part(
    store: &Store,
    req: S3Request<UploadPartInput>,
) -> S3Result<S3Response<UploadPartOutput>> {
    let mut i = req.input;
    let number = part_number(i.part_number)?;
    let upload = store.uploads().get(&i.bucket, &i.key, &i.upload_id).ok_or_else(no_such_upload)?;
    let raw = take_triple!(i);
    check_write(store, &i.bucket, &i.key, &raw, None)?;
    let (cipher, key_md5, checksum) = {
        let u = lock(&upload);
        let (cipher, key_md5) = part_cipher(&u, &raw)?;
        (cipher, key_md5, u.checksum)
    };
    let (declared, _) = Declared::from_request(&req.headers, i.content_md5.as_deref())?;
    let hasher = part_checksums::part_hasher(checksum, Some(&declared))?;
    let (body, received) = super::received::count(i.body, &req.extensions, i.content_length);
    let (etag, _, sums) = store_part(
        store,
        &upload,
        number,
        cipher.as_ref(),
        body,
        Some((&declared, &req.headers, req.trailing_headers.as_ref())),
        hasher,
    )
    .await
    .map_err(|e| received.or(e))?;
    let mut output = UploadPartOutput {
        e_tag: Some(ETag::Strong(etag)),
        server_side_encryption: default_encryption(key_md5.as_ref()),
        sse_customer_algorithm: key_md5.as_ref().map(|_| AES256.to_owned()),
        sse_customer_key_md5: key_md5,
        ..Default::default()
    };
    set_checksums!(output, part_checksums::shown(checksum, declared.algorithm(), &sums));
    Ok(S3Response::new(output))
}

/// `bytes=first-last` of `x-amz-copy-source-range`, within a source of `size` bytes.
fn copy_range(value: Option<&str>, size: u64) -> S3Result<ByteRange> {
    let Some(v) = value else { return Ok(ByteRange { start: 0, end: size }) };
    let parsed = v
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)));
    let Some((first, last)) = parsed.filter(|(a, b)| a <= b) else {
        return Err(s3_error(
            400,
            "InvalidArgument",
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
        ));
    };
    if last >= size {
        return Err(s3_error(
            400,
            "InvalidRange",
            format!("Range specified is not valid for source object of size: {size}"),
        ));
    }
    Ok(ByteRange { start: first, end: last + 1 })
}

pub(super) async fn upload_part_copy(
    store: &Store,
    req: S3Request<UploadPartCopyInput>,
) -> S3Result<S3Response<UploadPartCopyOutput>> {
    let mut i = req.input;
    let number = part_number(i.part_number)?;
    let upload = store.uploads().get(&i.bucket, &i.key, &i.upload_id).ok_or_else(no_such_upload)?;
    let src_raw = take_copy_source_triple!(i);
    let dst_raw = take_triple!(i);
    check_write(store, &i.bucket, &i.key, &dst_raw, None)?;
    let source = open_source(store, &i.copy_source, &src_raw, copy_source_conditions!(i))?;
    let (cipher, key_md5, checksum) = {
        let u = lock(&upload);
        let (cipher, key_md5) = part_cipher(&u, &dst_raw)?;
        (cipher, key_md5, u.checksum)
    };
    let range = copy_range(i.copy_source_range.as_deref(), source.obj.meta.size)?;
    let body = source.access.source(&source.obj)?.stream(range);
    let hasher = part_checksums::part_hasher(checksum, None)?;
    let (etag, last_modified_ms, sums) =
        store_part(store, &upload, number, cipher.as_ref(), Some(body), None, hasher).await.map_err(source_failure)?;
    let mut result = CopyPartResult {
        e_tag: Some(ETag::Strong(etag)),
        last_modified: Some(timestamp(last_modified_ms)),
        ..Default::default()
    };
    set_checksums!(result, part_checksums::shown(checksum, None, &sums));
    Ok(S3Response::new(UploadPartCopyOutput {
        copy_part_result: Some(result),
        copy_source_version_id: reported_version(&source.obj.meta),
        sse_customer_algorithm: key_md5.as_ref().map(|_| AES256.to_owned()),
        sse_customer_key_md5: key_md5,
        ..Default::default()
    }))
}

fn invalid_part() -> s3s::S3Error {
    s3_error(
        400,
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    )
}

/// M9: CompleteMultipartUpload needs no SSE-C headers, unless the upload named a checksum algorithm
/// (A7.6: documented, answer not observed; the UploadPart answer to a missing triple is chosen);
/// when sent they must name the upload's key (AWS not observed for a mismatch; refusing is the most
/// defensible answer). The object's checksum is answered only to a request presenting the key (K8):
/// without it, it would be a plaintext checksum served to anyone.
pub(super) async fn complete(
    store: &Store,
    min_part_size: u64,
    req: S3Request<CompleteMultipartUploadInput>,
) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
    let mut i = req.input;
    let upload = store.uploads().get(&i.bucket, &i.key, &i.upload_id).ok_or_else(no_such_upload)?;
    let raw = take_triple!(i);
    let requested: Vec<CompletedPart> = i.multipart_upload.and_then(|m| m.parts).unwrap_or_default();
    if requested.is_empty() {
        return Err(s3_error(
            400,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        ));
    }
    // Read before the upload is locked: the store's lock comes first (see `Store::delete_bucket`).
    let current = current_etag(store, &i.bucket, &i.key);
    let (meta, data, checksum) = {
        let mut u = lock(&upload);
        if !raw.is_absent() || (u.sse_c.is_some() && u.checksum.is_some()) {
            part_cipher(&u, &raw)?;
        }
        // V4: after the triple (M4's answer wins), before any part is taken.
        let conditions =
            Conditions { if_match: i.if_match.as_ref(), if_none_match: i.if_none_match.as_ref(), ..Default::default() };
        conditions.check_write(current.as_deref())?;
        // Part checksums are compared only for a request that may see them.
        let reveal = u.sse_c.is_none() || !raw.is_absent();
        let mut previous = 0;
        let mut parts = Vec::new();
        for p in &requested {
            let n = u32::try_from(p.part_number.unwrap_or(0)).unwrap_or(0);
            if n <= previous {
                return Err(s3_error(
                    400,
                    "InvalidPartOrder",
                    "The list of parts was not in ascending order. Parts must be ordered by part number.",
                ));
            }
            previous = n;
            let stored = u.parts.get(&n).ok_or_else(invalid_part)?;
            if p.e_tag.as_ref().is_some_and(|e| e.value() != stored.etag)
                || (reveal && part_checksums::differs(p, stored))
            {
                return Err(invalid_part());
            }
            parts.push(PartMeta { number: n, size: stored.size, etag: stored.etag.clone(), salt: stored.salt });
        }
        if let Some(small) = parts[..parts.len() - 1].iter().find(|p| p.size < min_part_size) {
            return Err(s3_error(
                400,
                "EntityTooSmall",
                format!(
                    "Your proposed upload is smaller than the minimum allowed object size. Part {} has {} bytes.",
                    small.number, small.size
                ),
            ));
        }
        let mut md5 = Md5::new();
        for p in &parts {
            md5.update(hex::decode(&p.etag).unwrap_or_default());
        }
        let etag = format!("{}-{}", hex::encode(md5.finalize()), parts.len());
        let listed: Vec<&UploadedPart> = parts.iter().filter_map(|p| u.parts.get(&p.number)).collect();
        let checksum = part_checksums::of_object(u.checksum, &listed);
        let data = parts.iter().filter_map(|p| u.parts.remove(&p.number).map(|part| part.data)).collect::<Vec<_>>();
        let mut meta = ObjectMeta {
            bucket: u.bucket.clone(),
            key: u.key.clone(),
            version_id: String::new(),
            delete_marker: false,
            size: parts.iter().map(|p| p.size).sum(),
            etag,
            last_modified_ms: now_ms(),
            content_type: u.content_type.clone(),
            user_metadata: u.user_metadata.clone(),
            sse_c: u.sse_c.clone(),
            data_id: u.upload_id.clone(),
            parts,
            manifest_tag: None,
            tags: u.tags.clone(),
            checksum: checksum.clone().map(|c| StoredChecksum::keep(c, u.checksum_key.as_ref())),
            segment_size: store.segment_size(),
        };
        meta.manifest_tag = u.manifest_key.as_ref().zip(meta.manifest()).map(|(k, m)| k.tag(&m));
        let shown = if reveal { checksum } else { None };
        (meta, data, shown)
    };
    store.uploads().remove(&i.upload_id);
    let meta = store.commit(meta, data).await.map_err(|e| match e {
        CommitError::NoSuchBucket => no_such_bucket(),
        CommitError::Io => internal(&e),
    })?;
    let mut output = CompleteMultipartUploadOutput {
        bucket: Some(meta.bucket.clone()),
        key: Some(meta.key.clone()),
        e_tag: Some(ETag::Strong(meta.etag.clone())),
        location: Some(format!("/{}/{}", meta.bucket, meta.key)),
        version_id: reported_version(&meta),
        server_side_encryption: meta
            .sse_c
            .is_none()
            .then(|| ServerSideEncryption::from_static(ServerSideEncryption::AES256)),
        ..Default::default()
    };
    set_checksums!(output, checksum.as_ref().map(ObjectChecksum::dto).unwrap_or_default(), with type);
    Ok(S3Response::new(output))
}

pub(super) fn abort(
    store: &Store,
    req: S3Request<AbortMultipartUploadInput>,
) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
    let i = &req.input;
    store.uploads().get(&i.bucket, &i.key, &i.upload_id).ok_or_else(no_such_upload)?;
    store.uploads().remove(&i.upload_id);
    Ok(S3Response::new(AbortMultipartUploadOutput::default()))
}

/// M8: ListParts needs no SSE-C headers, unless the upload named a checksum algorithm (A7.6, chosen
/// as for Complete); the parts' checksums are listed with the key only.
pub(super) fn list_parts(store: &Store, req: S3Request<ListPartsInput>) -> S3Result<S3Response<ListPartsOutput>> {
    let mut i = req.input;
    let upload = store.uploads().get(&i.bucket, &i.key, &i.upload_id).ok_or_else(no_such_upload)?;
    let raw = take_triple!(i);
    let u = lock(&upload);
    if !raw.is_absent() || (u.sse_c.is_some() && u.checksum.is_some()) {
        part_cipher(&u, &raw)?;
    }
    let checksum = if u.sse_c.is_none() || !raw.is_absent() { u.checksum } else { None };
    let marker = i.part_number_marker.unwrap_or(0);
    let max = usize::try_from(i.max_parts.unwrap_or(1000)).unwrap_or(1000).min(1000);
    let all: Vec<_> = u.parts.iter().filter(|(n, _)| i64::from(**n) > i64::from(marker)).collect();
    let truncated = all.len() > max;
    let shown = &all[..all.len().min(max)];
    let parts = shown
        .iter()
        .map(|(n, p)| {
            let mut part = Part {
                part_number: Some(i32::try_from(**n).unwrap_or(i32::MAX)),
                size: Some(i64::try_from(p.size).unwrap_or(i64::MAX)),
                e_tag: Some(ETag::Strong(p.etag.clone())),
                last_modified: Some(timestamp(p.last_modified_ms)),
                ..Default::default()
            };
            set_checksums!(part, part_checksums::shown(checksum, None, &p.checksums));
            part
        })
        .collect();
    Ok(S3Response::new(ListPartsOutput {
        bucket: Some(u.bucket.clone()),
        key: Some(u.key.clone()),
        upload_id: Some(u.upload_id.clone()),
        part_number_marker: Some(marker),
        next_part_number_marker: shown.last().map(|(n, _)| i32::try_from(**n).unwrap_or(i32::MAX)),
        max_parts: Some(i32::try_from(max).unwrap_or(1000)),
        is_truncated: Some(truncated),
        parts: Some(parts),
        owner: Some(owner()),
        storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
        checksum_algorithm: u.checksum.map(|(a, _)| ChecksumAlgorithm::from(a.name().to_owned())),
        checksum_type: u.checksum.map(|(_, k)| k.dto()),
        ..Default::default()
    }))
}

pub(super) fn list_uploads(
    store: &Store,
    req: S3Request<ListMultipartUploadsInput>,
) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
    let i = req.input;
    if !store.bucket_exists(&i.bucket) {
        return Err(no_such_bucket());
    }
    let prefix = i.prefix.clone().unwrap_or_default();
    let uploads = store
        .uploads()
        .list(&i.bucket, &prefix)
        .into_iter()
        .map(|(key, upload_id, initiated)| MultipartUpload {
            key: Some(key),
            upload_id: Some(upload_id),
            initiated: Some(timestamp(initiated)),
            owner: Some(owner()),
            storage_class: Some(StorageClass::from_static(StorageClass::STANDARD)),
            ..Default::default()
        })
        .collect();
    Ok(S3Response::new(ListMultipartUploadsOutput {
        bucket: Some(i.bucket),
        prefix: Some(prefix),
        is_truncated: Some(false),
        max_uploads: Some(i.max_uploads.unwrap_or(1000)),
        uploads: Some(uploads),
        ..Default::default()
    }))
}
