//! Object storage for the reference server: an index in memory, object bytes in memory or in a
//! directory.
//!
//! The store holds what the handlers give it: ciphertext segments for SSE-C objects (the customer key
//! never reaches this module) and plaintext segments for plain objects. A new object becomes visible
//! only at [`Store::commit`], after all of its bytes are written; with a data directory, the commit is
//! an atomic rename of the metadata file, so a crash never exposes a partial object.

mod dir;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::server::crypto::SealedKey;

pub use self::dir::DirBackend;

/// Everything known about a stored object except its bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectMeta {
    /// Bucket name.
    pub bucket: String,
    /// Object key.
    pub key: String,
    /// Version id (`null` in an unversioned bucket).
    pub version_id: String,
    /// Plaintext size in bytes.
    pub size: u64,
    /// The ETag, quoted as sent on the wire.
    pub etag: String,
    /// Last modification, milliseconds since the Unix epoch.
    pub last_modified_ms: i64,
    /// The `Content-Type` given at upload.
    pub content_type: Option<String>,
    /// `x-amz-meta-*` user metadata (names without the prefix).
    pub user_metadata: BTreeMap<String, String>,
    /// Present for SSE-C objects: the sealed data key and the key verifier.
    pub sse_c: Option<SealedKey>,
}

/// Where an object's stored segments are.
#[derive(Debug)]
pub enum ObjectData {
    /// Segments held in memory.
    Memory(Vec<Bytes>),
    /// One file of concatenated segments.
    File(PathBuf),
}

/// An object as committed: immutable; overwriting a key replaces the `Arc`.
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

/// A bucket and the latest committed object of each key.
#[derive(Debug, Default)]
struct Bucket {
    created_ms: i64,
    objects: BTreeMap<String, Arc<StoredObject>>,
}

/// The object store: an in-memory index over a memory or directory backend.
#[derive(Debug)]
pub struct Store {
    dir: Option<DirBackend>,
    buckets: RwLock<BTreeMap<String, Bucket>>,
}

/// A sink for an object's segments while it is uploaded; invisible until committed.
#[derive(Debug)]
pub enum SegmentSink {
    /// Collecting segments in memory.
    Memory(Vec<Bytes>),
    /// Appending to a temporary file.
    File(dir::TempData),
}

impl SegmentSink {
    /// Appends one stored segment.
    pub async fn push(&mut self, segment: Vec<u8>) -> std::io::Result<()> {
        match self {
            Self::Memory(v) => {
                v.push(Bytes::from(segment));
                Ok(())
            }
            Self::File(t) => t.append(&segment).await,
        }
    }
}

fn now_ms() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// An empty store in memory.
    #[must_use]
    pub fn memory() -> Self {
        Self { dir: None, buckets: RwLock::default() }
    }

    /// A store persisted under `path`, reloading what a previous run committed and discarding
    /// uncommitted leftovers.
    pub fn open_dir(path: PathBuf) -> std::io::Result<Self> {
        let (backend, loaded) = DirBackend::open(path)?;
        let mut buckets = BTreeMap::new();
        for (name, created_ms) in loaded.buckets {
            buckets.insert(name, Bucket { created_ms, objects: BTreeMap::new() });
        }
        for obj in loaded.objects {
            if let Some(b) = buckets.get_mut(&obj.meta.bucket) {
                b.objects.insert(obj.meta.key.clone(), Arc::new(obj));
            }
        }
        Ok(Self { dir: Some(backend), buckets: RwLock::new(buckets) })
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
        let created_ms = now_ms();
        if let Some(dir) = &self.dir {
            dir.create_bucket(name, created_ms).map_err(|_| BucketError::NoSuchBucket)?;
        }
        buckets.insert(name.to_owned(), Bucket { created_ms, objects: BTreeMap::new() });
        Ok(())
    }

    /// Deletes an empty bucket.
    pub fn delete_bucket(&self, name: &str) -> Result<(), BucketError> {
        let mut buckets = self.write();
        let b = buckets.get(name).ok_or(BucketError::NoSuchBucket)?;
        if !b.objects.is_empty() {
            return Err(BucketError::NotEmpty);
        }
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

    /// The current object of a key.
    pub fn get(&self, bucket: &str, key: &str) -> Result<Option<Arc<StoredObject>>, BucketError> {
        let buckets = self.read();
        let b = buckets.get(bucket).ok_or(BucketError::NoSuchBucket)?;
        Ok(b.objects.get(key).cloned())
    }

    /// Objects of a bucket whose key starts with `prefix` and sorts after `start_after`, in key order,
    /// at most `limit` of them.
    pub fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Arc<StoredObject>>, BucketError> {
        let buckets = self.read();
        let b = buckets.get(bucket).ok_or(BucketError::NoSuchBucket)?;
        let from = match start_after {
            Some(s) => std::ops::Bound::Excluded(s.to_owned()),
            None => std::ops::Bound::Included(prefix.to_owned()),
        };
        Ok(b.objects
            .range((from, std::ops::Bound::Unbounded))
            .skip_while(|(k, _)| !k.starts_with(prefix) && k.as_str() < prefix)
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(_, o)| Arc::clone(o))
            .collect())
    }

    /// Opens a sink for a new object's segments.
    pub fn begin(&self) -> std::io::Result<SegmentSink> {
        match &self.dir {
            None => Ok(SegmentSink::Memory(Vec::new())),
            Some(dir) => Ok(SegmentSink::File(dir.temp_data()?)),
        }
    }

    /// Makes an uploaded object visible, replacing any previous object of the same key.
    pub async fn commit(&self, meta: ObjectMeta, sink: SegmentSink) -> Result<(), CommitError> {
        let data = match sink {
            SegmentSink::Memory(v) => ObjectData::Memory(v),
            SegmentSink::File(t) => {
                let dir = self.dir.as_ref().ok_or(CommitError::Io)?;
                ObjectData::File(dir.commit(&meta, t).await.map_err(|_| CommitError::Io)?)
            }
        };
        let mut buckets = self.write();
        let b = buckets.get_mut(&meta.bucket).ok_or(CommitError::NoSuchBucket)?;
        let old = b.objects.insert(meta.key.clone(), Arc::new(StoredObject { meta, data }));
        drop(buckets);
        if let (Some(dir), Some(old)) = (&self.dir, old)
            && let ObjectData::File(path) = &old.data
        {
            dir.remove_data(path);
        }
        Ok(())
    }

    /// Removes a key; absent keys are not an error (S3 semantics).
    pub fn delete(&self, bucket: &str, key: &str) -> Result<(), BucketError> {
        let mut buckets = self.write();
        let b = buckets.get_mut(bucket).ok_or(BucketError::NoSuchBucket)?;
        let old = b.objects.remove(key);
        drop(buckets);
        if let (Some(dir), Some(old)) = (&self.dir, old) {
            dir.remove_object(&old.meta);
            if let ObjectData::File(path) = &old.data {
                dir.remove_data(path);
            }
        }
        Ok(())
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

/// Reads an object's stored segments. A file is opened once, so an overwrite or delete during a read
/// does not disturb it.
#[derive(Debug, Clone)]
pub enum SegmentReader {
    /// Segments in memory.
    Memory(Arc<StoredObject>),
    /// An open data file.
    File(Arc<std::fs::File>),
}

impl SegmentReader {
    /// Opens an object for reading.
    pub fn open(obj: &Arc<StoredObject>) -> std::io::Result<Self> {
        match &obj.data {
            ObjectData::Memory(_) => Ok(Self::Memory(Arc::clone(obj))),
            ObjectData::File(path) => Ok(Self::File(Arc::new(std::fs::File::open(path)?))),
        }
    }

    /// Reads stored segment `index`, where every stored segment but the last is `stored_len` bytes.
    pub async fn segment(&self, index: u64, stored_len: usize) -> std::io::Result<Bytes> {
        match self {
            Self::Memory(obj) => match &obj.data {
                ObjectData::Memory(v) => usize::try_from(index).ok().and_then(|i| v.get(i).cloned()),
                ObjectData::File(_) => None,
            }
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "segment missing")),
            Self::File(file) => dir::read_at(Arc::clone(file), index * stored_len as u64, stored_len).await,
        }
    }
}
