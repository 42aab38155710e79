//! Object storage for the reference server: an index in memory, object bytes in memory or in a
//! directory.
//!
//! The store holds what the handlers give it: ciphertext segments for SSE-C objects (the customer key
//! never reaches this module) and plaintext segments for plain objects. An object's bytes are kept per
//! part (a single PUT is one part). A new object becomes visible only at [`Store::commit`], after all
//! of its bytes are written; with a data directory, the commit is an atomic rename of the metadata
//! file, so a crash never exposes a partial object. Multipart uploads in progress live in memory and
//! in temporary files, and are gone after a restart.

mod dir;
mod layout;
mod marker;
mod quarantine;
mod safe_fs;
mod startup;
mod uploads;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::server::checksum::StoredChecksum;
use crate::server::crypto::{MIN_SEGMENT_SIZE, Manifest, ManifestTag, PartSalt, PartShape, SEGMENT_SIZE, SealedKey};

pub use self::dir::{DirBackend, TempData};
pub use self::uploads::{PartData, Upload, UploadedPart};

/// The version id of objects written while versioning is not enabled.
pub const NULL_VERSION: &str = "null";

/// One part of an object's bytes. A single PUT has one part, numbered 0.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PartMeta {
    /// Part number (0 for a single PUT, 1..=10000 for multipart).
    pub number: u32,
    /// Plaintext size of the part.
    pub size: u64,
    /// The part's ETag (without quotes).
    pub etag: String,
    /// For SSE-C: the salt of the part's key (random per upload of the part).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt: Option<PartSalt>,
}

/// Everything known about a stored object version except its bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectMeta {
    /// Bucket name.
    pub bucket: String,
    /// Object key.
    pub key: String,
    /// Version id (`null` unless written while versioning was enabled).
    pub version_id: String,
    /// A delete marker has no bytes and no parts.
    #[serde(default)]
    pub delete_marker: bool,
    /// Plaintext size in bytes.
    pub size: u64,
    /// The ETag, without quotes.
    pub etag: String,
    /// Last modification, milliseconds since the Unix epoch.
    pub last_modified_ms: i64,
    /// The `Content-Type` given at upload.
    pub content_type: Option<String>,
    /// `x-amz-meta-*` user metadata (names without the prefix).
    pub user_metadata: BTreeMap<String, String>,
    /// Present for SSE-C objects: the sealed data key and the key verifier.
    pub sse_c: Option<SealedKey>,
    /// The identity the ciphertext is bound to (random per upload).
    pub data_id: String,
    /// The parts, in order; their sizes add up to `size`.
    pub parts: Vec<PartMeta>,
    /// For SSE-C: the tag authenticating `size` and `parts` under the data key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_tag: Option<ManifestTag>,
    /// The object's tag set (`x-amz-tagging`, PutObjectTagging); not encrypted, like metadata.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// The flexible checksum (sealed for SSE-C objects); none for objects stored before checksums.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<StoredChecksum>,
    /// Plaintext bytes per stored segment (authenticated by the manifest of an SSE-C object).
    #[serde(default = "default_segment_size", skip_serializing_if = "is_default_segment_size")]
    pub segment_size: usize,
}

fn default_segment_size() -> usize {
    SEGMENT_SIZE
}

fn is_default_segment_size(size: &usize) -> bool {
    *size == SEGMENT_SIZE
}

impl ObjectMeta {
    /// The object's shape as its manifest tag authenticates it; `None` when a part has no salt
    /// (never the case for an SSE-C object written by this server).
    #[must_use]
    pub fn manifest(&self) -> Option<Manifest> {
        let parts = self
            .parts
            .iter()
            .map(|p| Some(PartShape { number: p.number, size: p.size, salt: p.salt? }))
            .collect::<Option<Vec<_>>>()?;
        Some(Manifest { segment_size: self.segment_size, size: self.size, parts })
    }

    /// Whether the object was made by CompleteMultipartUpload.
    #[must_use]
    pub fn is_multipart(&self) -> bool {
        self.parts.first().is_some_and(|p| p.number != 0)
    }
}

/// Where an object's stored segments are, per part.
#[derive(Debug, Clone)]
pub enum ObjectData {
    /// Segments held in memory, per part.
    Memory(Vec<Vec<Bytes>>),
    /// One file of concatenated segments per part.
    Files(Vec<PathBuf>),
}

/// An object version as committed: immutable.
#[derive(Debug)]
pub struct StoredObject {
    /// Metadata.
    pub meta: ObjectMeta,
    /// The stored bytes.
    pub data: ObjectData,
}

/// Errors of bucket-level operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BucketError {
    /// The bucket does not exist.
    #[error("no such bucket")]
    NoSuchBucket,
    /// The bucket exists already.
    #[error("bucket exists")]
    AlreadyExists,
    /// The bucket still holds objects.
    #[error("bucket not empty")]
    NotEmpty,
}

/// A bucket's versioning state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Versioning {
    /// Never enabled: writes replace the `null` version.
    #[default]
    Unversioned,
    /// Every write adds a version.
    Enabled,
    /// Writes replace the `null` version; older versions stay.
    Suspended,
}

/// A bucket's access controls on SSE-C (catalogue 0.3, P12–P14).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controls {
    /// `BlockedEncryptionTypes` lists `SSE-C`: writes that specify SSE-C get 403.
    #[serde(default)]
    pub sse_c_blocked: bool,
    /// The bucket policy document, as given.
    #[serde(default)]
    pub policy: Option<String>,
}

/// A bucket and every version of each key, oldest first.
#[derive(Debug, Default)]
struct Bucket {
    created_ms: i64,
    versioning: Versioning,
    controls: Controls,
    objects: BTreeMap<String, Vec<Arc<StoredObject>>>,
}

/// The object store: an in-memory index over a memory or directory backend.
#[derive(Debug)]
pub struct Store {
    dir: Option<DirBackend>,
    buckets: RwLock<BTreeMap<String, Bucket>>,
    uploads: uploads::Uploads,
    /// Controls of new buckets (`--block-ssec-by-default` sets `sse_c_blocked`).
    new_bucket_controls: Controls,
    /// Plaintext bytes per segment of the objects written from now on.
    segment_size: usize,
}

/// A sink for one part's segments while it is uploaded; invisible until committed.
#[derive(Debug)]
pub enum SegmentSink {
    /// Collecting segments in memory.
    Memory {
        /// The segments so far.
        segments: Vec<Bytes>,
        /// Plaintext bytes per segment.
        segment_size: usize,
    },
    /// Appending to a temporary file (segments of [`SEGMENT_SIZE`]).
    File(TempData),
}

impl SegmentSink {
    /// An empty in-memory sink for segments of `segment_size` plaintext bytes.
    #[must_use]
    pub fn memory(segment_size: usize) -> Self {
        Self::Memory { segments: Vec::new(), segment_size }
    }

    /// Plaintext bytes per segment.
    #[must_use]
    pub fn segment_size(&self) -> usize {
        match self {
            Self::Memory { segment_size, .. } => *segment_size,
            Self::File(_) => SEGMENT_SIZE,
        }
    }

    /// Appends one stored segment.
    pub async fn push(&mut self, segment: Vec<u8>) -> std::io::Result<()> {
        match self {
            Self::Memory { segments, .. } => {
                segments.push(Bytes::from(segment));
                Ok(())
            }
            Self::File(t) => t.append(&segment).await,
        }
    }

    /// Finishes writing: the part's data, durable when on disk.
    pub async fn finish(self) -> std::io::Result<PartData> {
        match self {
            Self::Memory { segments, .. } => Ok(PartData::Memory(segments)),
            Self::File(t) => Ok(PartData::File(t.finish().await?)),
        }
    }
}

/// Why a commit failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CommitError {
    /// The bucket was deleted during the upload.
    #[error("no such bucket")]
    NoSuchBucket,
    /// Writing to the data directory failed.
    #[error("storage i/o error")]
    Io,
}

/// Milliseconds since the Unix epoch.
#[must_use]
pub fn now_ms() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A fresh random identifier (hex of 16 bytes).
#[must_use]
pub fn random_id() -> String {
    let mut b = [0u8; 16];
    rand::fill(&mut b);
    hex::encode(b)
}

impl Store {
    /// An empty store in memory.
    #[must_use]
    pub fn memory() -> Self {
        Self {
            dir: None,
            buckets: RwLock::default(),
            uploads: uploads::Uploads::default(),
            new_bucket_controls: Controls::default(),
            segment_size: SEGMENT_SIZE,
        }
    }

    /// An in-memory store writing segments of `segment_size` plaintext bytes (at least
    /// [`MIN_SEGMENT_SIZE`]); a small size lets tests and fuzzers cross segment boundaries with
    /// small objects.
    #[must_use]
    pub fn memory_with_segment_size(segment_size: usize) -> Self {
        Self { segment_size: segment_size.max(MIN_SEGMENT_SIZE), ..Self::memory() }
    }

    /// Plaintext bytes per segment of the objects written from now on.
    #[must_use]
    pub fn segment_size(&self) -> usize {
        self.segment_size
    }

    /// Blocks SSE-C on buckets created from now on (AWS's default since April 2026).
    #[must_use]
    pub fn blocking_sse_c_by_default(mut self, block: bool) -> Self {
        self.new_bucket_controls.sse_c_blocked = block;
        self
    }

    /// A store persisted under `path`, reloading what a previous run committed and discarding
    /// uncommitted leftovers.
    pub fn open_dir(path: PathBuf) -> std::io::Result<Self> {
        let (backend, loaded) = DirBackend::open(path)?;
        let mut buckets = BTreeMap::new();
        for b in loaded.buckets {
            let bucket = Bucket {
                created_ms: b.created_ms,
                versioning: b.versioning,
                controls: b.controls,
                objects: BTreeMap::new(),
            };
            buckets.insert(b.name, bucket);
        }
        for obj in loaded.objects {
            if let Some(b) = buckets.get_mut(&obj.meta.bucket) {
                b.objects.entry(obj.meta.key.clone()).or_default().push(Arc::new(obj));
            }
        }
        for b in buckets.values_mut() {
            for versions in b.objects.values_mut() {
                versions.sort_by_key(|o| o.meta.last_modified_ms);
            }
        }
        Ok(Self {
            dir: Some(backend),
            buckets: RwLock::new(buckets),
            uploads: uploads::Uploads::default(),
            new_bucket_controls: Controls::default(),
            segment_size: SEGMENT_SIZE,
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Bucket>> {
        self.buckets.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Bucket>> {
        self.buckets.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Creates a bucket.
    pub fn create_bucket(&self, name: &str) -> Result<(), BucketError> {
        let mut buckets = self.write();
        if buckets.contains_key(name) {
            return Err(BucketError::AlreadyExists);
        }
        let bucket = Bucket { created_ms: now_ms(), controls: self.new_bucket_controls.clone(), ..Bucket::default() };
        self.persist_bucket(name, &bucket)?;
        buckets.insert(name.to_owned(), bucket);
        Ok(())
    }

    fn persist_bucket(&self, name: &str, b: &Bucket) -> Result<(), BucketError> {
        match &self.dir {
            Some(dir) => {
                dir.write_bucket(name, b.created_ms, b.versioning, &b.controls).map_err(|_| BucketError::NoSuchBucket)
            }
            None => Ok(()),
        }
    }

    /// A bucket's SSE-C controls.
    pub fn controls(&self, bucket: &str) -> Result<Controls, BucketError> {
        self.read().get(bucket).map(|b| b.controls.clone()).ok_or(BucketError::NoSuchBucket)
    }

    /// Changes a bucket's SSE-C controls.
    pub fn update_controls(&self, bucket: &str, change: impl FnOnce(&mut Controls)) -> Result<(), BucketError> {
        let mut buckets = self.write();
        let b = buckets.get_mut(bucket).ok_or(BucketError::NoSuchBucket)?;
        change(&mut b.controls);
        self.persist_bucket(bucket, b)
    }

    /// Deletes a bucket without objects or versions. Uploads in progress do not keep it: they go
    /// with it, as on AWS (catalogue A7.7).
    ///
    /// Lock order: the buckets, then an upload. A handler holding an upload's lock must not read
    /// the store, or it deadlocks with this.
    pub fn delete_bucket(&self, name: &str) -> Result<(), BucketError> {
        let mut buckets = self.write();
        let b = buckets.get(name).ok_or(BucketError::NoSuchBucket)?;
        if !b.objects.is_empty() {
            return Err(BucketError::NotEmpty);
        }
        self.uploads.remove_bucket(name);
        if let Some(dir) = &self.dir {
            dir.delete_bucket(name);
        }
        buckets.remove(name);
        Ok(())
    }

    /// Whether a bucket exists.
    #[must_use]
    pub fn bucket_exists(&self, name: &str) -> bool {
        self.read().contains_key(name)
    }

    /// All buckets with their creation times.
    #[must_use]
    pub fn list_buckets(&self) -> Vec<(String, i64)> {
        self.read().iter().map(|(n, b)| (n.clone(), b.created_ms)).collect()
    }

    /// A bucket's versioning state.
    pub fn versioning(&self, bucket: &str) -> Result<Versioning, BucketError> {
        self.read().get(bucket).map(|b| b.versioning).ok_or(BucketError::NoSuchBucket)
    }

    /// Enables or suspends versioning.
    pub fn set_versioning(&self, bucket: &str, enabled: bool) -> Result<(), BucketError> {
        let mut buckets = self.write();
        let b = buckets.get_mut(bucket).ok_or(BucketError::NoSuchBucket)?;
        b.versioning = if enabled { Versioning::Enabled } else { Versioning::Suspended };
        self.persist_bucket(bucket, b)
    }

    /// The current version of a key (which may be a delete marker), or a given version.
    pub fn get(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> Result<Option<Arc<StoredObject>>, BucketError> {
        let buckets = self.read();
        let b = buckets.get(bucket).ok_or(BucketError::NoSuchBucket)?;
        let Some(versions) = b.objects.get(key) else { return Ok(None) };
        Ok(match version {
            None => versions.last().cloned(),
            Some(v) => versions.iter().find(|o| o.meta.version_id == v).cloned(),
        })
    }

    /// Current, non-deleted objects of a bucket whose key starts with `prefix` and sorts after
    /// `start_after`, in key order.
    pub fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
    ) -> Result<Vec<Arc<StoredObject>>, BucketError> {
        Ok(self
            .list_versions(bucket, prefix, start_after)?
            .into_iter()
            .filter_map(|mut versions| versions.pop())
            .filter(|o| !o.meta.delete_marker)
            .collect())
    }

    /// Every version of each key (oldest first) under `prefix`, after `start_after`, in key order.
    pub fn list_versions(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
    ) -> Result<Vec<Vec<Arc<StoredObject>>>, BucketError> {
        let buckets = self.read();
        let b = buckets.get(bucket).ok_or(BucketError::NoSuchBucket)?;
        let from = match start_after {
            Some(s) if s >= prefix => std::ops::Bound::Excluded(s.to_owned()),
            _ => std::ops::Bound::Included(prefix.to_owned()),
        };
        Ok(b.objects
            .range((from, std::ops::Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v.clone())
            .collect())
    }

    /// Opens a sink for a new part's segments.
    pub fn begin(&self) -> std::io::Result<SegmentSink> {
        match &self.dir {
            None => Ok(SegmentSink::memory(self.segment_size)),
            Some(dir) => Ok(SegmentSink::File(dir.temp_data()?)),
        }
    }

    /// Makes a new object version visible. Its version id is assigned here from the bucket's
    /// versioning state; the committed metadata is returned.
    pub async fn commit(&self, mut meta: ObjectMeta, parts: Vec<PartData>) -> Result<ObjectMeta, CommitError> {
        meta.version_id = match self.versioning(&meta.bucket).map_err(|_| CommitError::NoSuchBucket)? {
            Versioning::Enabled => random_id(),
            Versioning::Unversioned | Versioning::Suspended => NULL_VERSION.to_owned(),
        };
        let data = match &self.dir {
            None => ObjectData::Memory(
                parts
                    .into_iter()
                    .map(|mut p| match &mut p {
                        PartData::Memory(v) => std::mem::take(v),
                        PartData::File(_) => Vec::new(),
                    })
                    .collect(),
            ),
            Some(dir) => ObjectData::Files(dir.place_parts(&meta, parts).await.map_err(|_| CommitError::Io)?),
        };
        let committed = meta.clone();
        let replaced = {
            let mut buckets = self.write();
            let b = buckets.get_mut(&meta.bucket).ok_or(CommitError::NoSuchBucket)?;
            let versions = b.objects.entry(meta.key.clone()).or_default();
            let replaced: Vec<_> = if meta.version_id == NULL_VERSION {
                let (null, rest): (Vec<_>, Vec<_>) =
                    versions.drain(..).partition(|o| o.meta.version_id == NULL_VERSION);
                *versions = rest;
                null
            } else {
                Vec::new()
            };
            versions.push(Arc::new(StoredObject { meta, data }));
            if let Some(dir) = &self.dir {
                dir.write_versions(versions).map_err(|_| CommitError::Io)?;
            }
            replaced
        };
        self.release(replaced);
        Ok(committed)
    }

    fn release(&self, objects: Vec<Arc<StoredObject>>) {
        if let Some(dir) = &self.dir {
            for o in objects {
                if let ObjectData::Files(paths) = &o.data {
                    paths.iter().for_each(|p| dir.remove_data(p));
                }
            }
        }
    }

    /// Deletes a key the way DeleteObject does without a version id: removes it in an unversioned
    /// bucket, adds a delete marker otherwise. Returns the delete marker's version id, if one was made.
    pub async fn delete(&self, bucket: &str, key: &str) -> Result<Option<String>, BucketError> {
        match self.versioning(bucket)? {
            Versioning::Unversioned => {
                self.delete_version(bucket, key, NULL_VERSION)?;
                Ok(None)
            }
            _ => {
                let exists = self.get(bucket, key, None)?.is_some();
                if !exists && self.versioning(bucket)? == Versioning::Unversioned {
                    return Ok(None);
                }
                let marker = ObjectMeta {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    version_id: String::new(),
                    delete_marker: true,
                    size: 0,
                    etag: String::new(),
                    last_modified_ms: now_ms(),
                    content_type: None,
                    user_metadata: BTreeMap::new(),
                    sse_c: None,
                    data_id: random_id(),
                    parts: Vec::new(),
                    manifest_tag: None,
                    tags: BTreeMap::new(),
                    checksum: None,
                    segment_size: SEGMENT_SIZE,
                };
                let committed = self.commit(marker, Vec::new()).await.map_err(|_| BucketError::NoSuchBucket)?;
                Ok(Some(committed.version_id))
            }
        }
    }

    /// Replaces the tag set of a version (the current one when `version` is `None`); the bytes and
    /// every other field stay. Returns the updated metadata, or `None` when there is no such version
    /// or it is a delete marker.
    pub fn set_tags(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
        tags: BTreeMap<String, String>,
    ) -> Result<Option<ObjectMeta>, BucketError> {
        let mut buckets = self.write();
        let b = buckets.get_mut(bucket).ok_or(BucketError::NoSuchBucket)?;
        let Some(versions) = b.objects.get_mut(key) else { return Ok(None) };
        let pos = match version {
            None => versions.len().checked_sub(1),
            Some(v) => versions.iter().position(|o| o.meta.version_id == v),
        };
        let Some(pos) = pos.filter(|&p| !versions[p].meta.delete_marker) else { return Ok(None) };
        let mut meta = versions[pos].meta.clone();
        meta.tags = tags;
        versions[pos] = Arc::new(StoredObject { meta: meta.clone(), data: versions[pos].data.clone() });
        if let Some(dir) = &self.dir {
            dir.write_versions_of(bucket, key, versions);
        }
        Ok(Some(meta))
    }

    /// Removes one version permanently; absent versions are not an error (S3 semantics). Returns the
    /// removed version's metadata.
    pub fn delete_version(&self, bucket: &str, key: &str, version: &str) -> Result<Option<ObjectMeta>, BucketError> {
        let removed = {
            let mut buckets = self.write();
            let b = buckets.get_mut(bucket).ok_or(BucketError::NoSuchBucket)?;
            let Some(versions) = b.objects.get_mut(key) else { return Ok(None) };
            let Some(pos) = versions.iter().position(|o| o.meta.version_id == version) else { return Ok(None) };
            let removed = versions.remove(pos);
            if let Some(dir) = &self.dir {
                dir.write_versions_of(bucket, key, versions);
            }
            if versions.is_empty() {
                b.objects.remove(key);
            }
            removed
        };
        let meta = removed.meta.clone();
        self.release(vec![removed]);
        Ok(Some(meta))
    }

    /// Multipart uploads in progress.
    #[must_use]
    pub fn uploads(&self) -> &uploads::Uploads {
        &self.uploads
    }
}

/// Reads an object's stored segments. Files are opened once, so an overwrite or delete during a read
/// does not disturb it.
#[derive(Debug, Clone)]
pub enum SegmentReader {
    /// Segments in memory.
    Memory(Arc<StoredObject>),
    /// Open data files, one per part.
    Files(Arc<Vec<std::fs::File>>),
}

impl SegmentReader {
    /// Opens an object for reading.
    pub fn open(obj: &Arc<StoredObject>) -> std::io::Result<Self> {
        match &obj.data {
            ObjectData::Memory(_) => Ok(Self::Memory(Arc::clone(obj))),
            ObjectData::Files(paths) => {
                let files = paths.iter().map(|p| dir::open_data(p)).collect::<std::io::Result<Vec<_>>>()?;
                Ok(Self::Files(Arc::new(files)))
            }
        }
    }

    /// Reads stored segment `index` of part `part` (position in the object's part list), where every
    /// stored segment but a part's last is `stored_len` bytes. Blocks on file reads.
    pub fn segment(&self, part: usize, index: u64, stored_len: usize) -> std::io::Result<Bytes> {
        let missing = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "segment missing");
        match self {
            Self::Memory(obj) => match &obj.data {
                ObjectData::Memory(parts) => {
                    parts.get(part).and_then(|p| p.get(usize::try_from(index).ok()?)).cloned().ok_or_else(missing)
                }
                ObjectData::Files(_) => Err(missing()),
            },
            Self::Files(files) => {
                let file = files.get(part).ok_or_else(missing)?;
                dir::read_at(file, index * stored_len as u64, stored_len)
            }
        }
    }

    /// Whether reading may block (file reads belong on a blocking thread).
    #[must_use]
    pub fn blocks(&self) -> bool {
        matches!(self, Self::Files(_))
    }

    /// Checks that the stored parts have exactly the lengths `expected` (one per part, in bytes):
    /// a data file that was swapped, dropped, truncated or extended is refused before it is read.
    pub fn check_lengths(&self, expected: &[u64]) -> std::io::Result<()> {
        let Self::Files(files) = self else { return Ok(()) };
        let bad = |msg: String| std::io::Error::new(std::io::ErrorKind::InvalidData, msg);
        if files.len() != expected.len() {
            return Err(bad(format!("{} data files for {} parts", files.len(), expected.len())));
        }
        for (i, (file, want)) in files.iter().zip(expected).enumerate() {
            let len = file.metadata()?.len();
            if len != *want {
                return Err(bad(format!("data file of part {} holds {len} bytes, its manifest says {want}", i + 1)));
            }
        }
        Ok(())
    }
}
