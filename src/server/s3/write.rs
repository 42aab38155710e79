//! Writing a new object version: shared by PutObject, POST Object and CopyObject.

use std::collections::BTreeMap;

use bytes::Bytes;
use futures::Stream;
use s3s::checksum::ChecksumHasher;
use s3s::{S3Error, S3Result};

use crate::server::checksum::{Algorithm, Kind, ObjectChecksum, StoredChecksum};
use crate::server::crypto::{Binding, ObjectCipher};
use crate::server::error::{incomplete_body, internal, no_such_bucket, s3_error};
use crate::server::object_io::{IngestError, Ingested, ingest};
use crate::server::store::{CommitError, ObjectMeta, PartData, PartMeta, Store, now_ms, random_id};
use crate::sse_c::ValidTriple;

/// The attributes of an object about to be written.
#[derive(Debug)]
pub(super) struct NewObject {
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// Content type.
    pub content_type: Option<String>,
    /// User metadata.
    pub user_metadata: BTreeMap<String, String>,
    /// The SSE-C triple, if the object is to be SSE-C.
    pub triple: Option<ValidTriple>,
    /// A `Content-MD5` will be checked, so the plaintext MD5 is needed even for SSE-C.
    pub content_md5: bool,
    /// The tag set.
    pub tags: BTreeMap<String, String>,
    /// The algorithm of the checksum to store (the one the request sent, else CRC64NVME: A7.3).
    pub checksum: Algorithm,
}

impl NewObject {
    /// An object of `bucket`/`key` with the attributes a PUT or POST names, no tags, no
    /// `Content-MD5` to check and the default checksum (CRC64NVME: A7.3).
    pub(super) fn uploaded(
        bucket: String,
        key: String,
        content_type: Option<String>,
        metadata: Option<s3s::dto::Metadata>,
        triple: Option<ValidTriple>,
    ) -> Self {
        Self {
            bucket,
            key,
            content_type,
            user_metadata: metadata.unwrap_or_default().into_iter().collect(),
            triple,
            content_md5: false,
            tags: BTreeMap::new(),
            checksum: Algorithm::Crc64Nvme,
        }
    }
}

/// An object whose bytes are written but which is not yet visible.
#[derive(Debug)]
pub(super) struct Staged {
    /// Its metadata (version id assigned at commit).
    pub meta: ObjectMeta,
    /// What the body was.
    pub ingested: Ingested,
    /// The key MD5 to echo, for SSE-C.
    pub key_md5: Option<String>,
    /// The object's checksum, for the answer to the request that wrote it.
    pub checksum: Option<ObjectChecksum>,
    part: PartData,
}

/// Maps a body failure to its S3 error.
pub(super) fn body_error(e: &IngestError) -> S3Error {
    match e {
        IngestError::Body(msg) if msg.to_ascii_lowercase().contains("signature") => s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ),
        IngestError::Body(_) => incomplete_body(),
        IngestError::Store(e) => internal(e),
    }
}

/// A random ETag: an SSE-C ETag is never the plaintext MD5 and differs on every upload (P1, D.4).
#[must_use]
pub(super) fn random_etag() -> String {
    random_id()
}

/// Writes the body's segments (encrypted under a fresh data key for SSE-C).
pub(super) async fn stage<S, E>(
    store: &Store,
    new: NewObject,
    body: Option<S>,
    mut hasher: ChecksumHasher,
) -> S3Result<Staged>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    if !store.bucket_exists(&new.bucket) {
        return Err(no_such_bucket());
    }
    let data_id = random_id();
    let cipher = new.triple.as_ref().map(|_| ObjectCipher::generate(Binding::new(&new.bucket, &new.key, &data_id)));
    let part_cipher = cipher.as_ref().map(|c| c.new_part(0));
    let mut sink = store.begin().map_err(|e| internal(&e))?;
    let want_md5 = new.triple.is_none() || new.content_md5;
    new.checksum.enable(&mut hasher);
    let ingested = ingest(body, part_cipher.as_ref(), &mut sink, hasher, want_md5).await.map_err(|e| body_error(&e))?;
    let part = sink.finish().await.map_err(|e| internal(&e))?;
    let etag = match (&new.triple, ingested.md5) {
        (None, Some(md5)) => hex::encode(md5),
        _ => random_etag(),
    };
    let sse_c = cipher.as_ref().zip(new.triple.as_ref()).map(|(c, t)| c.seal(&t.key));
    let mut meta = ObjectMeta {
        bucket: new.bucket,
        key: new.key,
        version_id: String::new(),
        delete_marker: false,
        size: ingested.size,
        etag: etag.clone(),
        last_modified_ms: now_ms(),
        content_type: new.content_type,
        user_metadata: new.user_metadata,
        sse_c,
        data_id,
        parts: vec![PartMeta { number: 0, size: ingested.size, etag, salt: part_cipher.map(|p| p.salt()) }],
        manifest_tag: None,
        tags: new.tags,
        checksum: None,
        segment_size: store.segment_size(),
    };
    let checksum = new.checksum.value_in(&ingested.checksums).map(|value| ObjectChecksum {
        algorithm: new.checksum,
        kind: Kind::FullObject,
        value,
    });
    let checksum_key = cipher.as_ref().map(ObjectCipher::checksum_key);
    meta.checksum = checksum.clone().map(|c| StoredChecksum::keep(c, checksum_key.as_ref()));
    meta.manifest_tag = cipher.zip(meta.manifest()).map(|(c, m)| c.manifest_key().tag(&m));
    Ok(Staged { meta, ingested, key_md5: new.triple.map(|t| t.key_md5), checksum, part })
}

/// Makes a staged object visible; returns its committed metadata.
pub(super) async fn commit(store: &Store, staged: Staged) -> S3Result<ObjectMeta> {
    store.commit(staged.meta, vec![staged.part]).await.map_err(|e| match e {
        CommitError::NoSuchBucket => no_such_bucket(),
        CommitError::Io => internal(&e),
    })
}

/// The `x-amz-server-side-encryption` of an answer about an object: one written without SSE-C has
/// the bucket's default encryption, SSE-S3 (`AES256`), as on AWS (catalogue A7.1); an SSE-C object
/// (one with a key MD5 to echo) has none.
#[must_use]
pub(super) fn default_encryption(key_md5: Option<&String>) -> Option<s3s::dto::ServerSideEncryption> {
    key_md5.is_none().then(|| s3s::dto::ServerSideEncryption::from_static(s3s::dto::ServerSideEncryption::AES256))
}

/// The version id to report: only versions made while versioning was on have one.
#[must_use]
pub(super) fn reported_version(meta: &ObjectMeta) -> Option<String> {
    (meta.version_id != crate::server::store::NULL_VERSION).then(|| meta.version_id.clone())
}
