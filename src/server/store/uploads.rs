//! Multipart uploads in progress: their parts, in memory or in temporary files.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::server::checksum::{Algorithm, Kind};
use crate::server::crypto::{ChecksumKey, ManifestKey, PartSalt, SealedKey};

/// A part's stored segments before the upload completes.
#[derive(Debug)]
pub enum PartData {
    /// In memory.
    Memory(Vec<Bytes>),
    /// In a finished temporary file.
    File(PathBuf),
}

impl Drop for PartData {
    fn drop(&mut self) {
        // A part replaced, aborted or left out of Complete leaves nothing behind; a committed part
        // has been moved away (its path is emptied) before this runs.
        if let Self::File(path) = self
            && !path.as_os_str().is_empty()
        {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// One uploaded part.
#[derive(Debug)]
pub struct UploadedPart {
    /// Plaintext size.
    pub size: u64,
    /// ETag (hex MD5 of the part's plaintext for plain uploads, random for SSE-C).
    pub etag: String,
    /// Upload time, ms since the epoch.
    pub last_modified_ms: i64,
    /// The stored segments.
    pub data: PartData,
    /// For SSE-C: the salt of this upload's part key.
    pub salt: Option<PartSalt>,
    /// The part's checksums (CRC64NVME, the upload's algorithm and any the request sent), kept in
    /// memory only.
    pub checksums: s3s::dto::Checksum,
}

/// A multipart upload in progress.
#[derive(Debug)]
pub struct Upload {
    /// Bucket.
    pub bucket: String,
    /// Key.
    pub key: String,
    /// Upload id (also the ciphertext binding id of its parts).
    pub upload_id: String,
    /// Initiation time, ms since the epoch.
    pub initiated_ms: i64,
    /// Content type given at initiation.
    pub content_type: Option<String>,
    /// User metadata given at initiation.
    pub user_metadata: BTreeMap<String, String>,
    /// The tag set given at initiation (`x-amz-tagging`), for the completed object.
    pub tags: BTreeMap<String, String>,
    /// For an SSE-C upload: the data key sealed under the initiating customer key.
    pub sse_c: Option<SealedKey>,
    /// For an SSE-C upload: the key that authenticates the completed object's manifest, kept in
    /// memory only (CompleteMultipartUpload needs no customer key; this key cannot decrypt).
    pub manifest_key: Option<ManifestKey>,
    /// For an SSE-C upload: the key that seals the completed object's checksum, in memory only.
    pub checksum_key: Option<ChecksumKey>,
    /// The checksum algorithm and type named at initiation, if any.
    pub checksum: Option<(Algorithm, Kind)>,
    /// Parts by number.
    pub parts: BTreeMap<u32, UploadedPart>,
}

/// The registry of uploads in progress.
///
/// It never locks an upload: what finding and listing need is kept beside each one, so a handler
/// holding an upload's lock and a bucket deletion scanning the registry cannot wait on each other.
#[derive(Debug, Default)]
pub struct Uploads {
    inner: Mutex<BTreeMap<String, Entry>>,
}

/// An upload and the fields it is found and listed by, which never change.
#[derive(Debug)]
struct Entry {
    bucket: String,
    key: String,
    initiated_ms: i64,
    upload: Arc<Mutex<Upload>>,
}

impl Uploads {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a new upload.
    pub fn insert(&self, upload: Upload) {
        let id = upload.upload_id.clone();
        let entry = Entry {
            bucket: upload.bucket.clone(),
            key: upload.key.clone(),
            initiated_ms: upload.initiated_ms,
            upload: Arc::new(Mutex::new(upload)),
        };
        self.lock().insert(id, entry);
    }

    /// The upload with this id, if it belongs to `bucket`/`key`.
    #[must_use]
    pub fn get(&self, bucket: &str, key: &str, upload_id: &str) -> Option<Arc<Mutex<Upload>>> {
        let uploads = self.lock();
        let entry = uploads.get(upload_id)?;
        (entry.bucket == bucket && entry.key == key).then(|| Arc::clone(&entry.upload))
    }

    /// Removes an upload (Complete or Abort); its parts' files go with it unless taken.
    pub fn remove(&self, upload_id: &str) -> Option<Arc<Mutex<Upload>>> {
        self.lock().remove(upload_id).map(|e| e.upload)
    }

    /// Removes every upload of `bucket` (the bucket is being deleted); their parts' files go with
    /// them.
    pub fn remove_bucket(&self, bucket: &str) {
        self.lock().retain(|_, e| e.bucket != bucket);
    }

    /// `(key, upload id, initiated)` of the uploads of `bucket` under `prefix`, sorted.
    #[must_use]
    pub fn list(&self, bucket: &str, prefix: &str) -> Vec<(String, String, i64)> {
        let mut v: Vec<_> = self
            .lock()
            .iter()
            .filter(|(_, e)| e.bucket == bucket && e.key.starts_with(prefix))
            .map(|(id, e)| (e.key.clone(), id.clone(), e.initiated_ms))
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    fn upload(bucket: &str, id: &str) -> Upload {
        Upload {
            bucket: bucket.to_owned(),
            key: "k".to_owned(),
            upload_id: id.to_owned(),
            initiated_ms: 0,
            content_type: None,
            user_metadata: BTreeMap::new(),
            tags: BTreeMap::new(),
            sse_c: None,
            manifest_key: None,
            checksum_key: None,
            checksum: None,
            parts: BTreeMap::new(),
        }
    }

    /// A CompleteMultipartUpload holds its upload's lock while a DeleteBucket of another bucket
    /// scans the registry: the scan must not wait for that lock (it once did, and the two
    /// deadlocked the server).
    #[test]
    fn the_registry_never_waits_for_an_upload_held_by_a_handler() {
        let uploads = Arc::new(Uploads::default());
        uploads.insert(upload("busy", "1"));
        uploads.insert(upload("gone", "2"));
        let held = uploads.get("busy", "k", "1").expect("registered");
        let _guard = held.lock().expect("not poisoned");

        let (done, finished) = mpsc::channel();
        let registry = Arc::clone(&uploads);
        std::thread::spawn(move || {
            registry.remove_bucket("gone");
            let listed = registry.list("busy", "");
            let found = registry.get("busy", "k", "1").is_some();
            let _ = done.send((listed, found));
        });
        let (listed, found) =
            finished.recv_timeout(Duration::from_secs(10)).expect("the registry waited for a locked upload");
        assert_eq!(listed, vec![("k".to_owned(), "1".to_owned(), 0)]);
        assert!(found);
        assert!(uploads.get("gone", "k", "2").is_none(), "the deleted bucket's upload went with it");
    }
}
