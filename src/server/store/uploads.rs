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
#[derive(Debug, Default)]
pub struct Uploads {
    inner: Mutex<BTreeMap<String, Arc<Mutex<Upload>>>>,
}

impl Uploads {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Arc<Mutex<Upload>>>> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a new upload.
    pub fn insert(&self, upload: Upload) {
        self.lock().insert(upload.upload_id.clone(), Arc::new(Mutex::new(upload)));
    }

    /// The upload with this id, if it belongs to `bucket`/`key`.
    #[must_use]
    pub fn get(&self, bucket: &str, key: &str, upload_id: &str) -> Option<Arc<Mutex<Upload>>> {
        let found = self.lock().get(upload_id).cloned()?;
        let ok = {
            let u = found.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            u.bucket == bucket && u.key == key
        };
        ok.then_some(found)
    }

    /// Removes an upload (Complete or Abort); its parts' files go with it unless taken.
    pub fn remove(&self, upload_id: &str) -> Option<Arc<Mutex<Upload>>> {
        self.lock().remove(upload_id)
    }

    /// Removes every upload of `bucket` (the bucket is being deleted); their parts' files go with
    /// them.
    pub fn remove_bucket(&self, bucket: &str) {
        self.lock().retain(|_, u| !u.lock().is_ok_and(|u| u.bucket == bucket));
    }

    /// `(key, upload id, initiated)` of the uploads of `bucket` under `prefix`, sorted.
    #[must_use]
    pub fn list(&self, bucket: &str, prefix: &str) -> Vec<(String, String, i64)> {
        let mut v: Vec<_> = self
            .lock()
            .values()
            .filter_map(|u| {
                let u = u.lock().ok()?;
                (u.bucket == bucket && u.key.starts_with(prefix))
                    .then(|| (u.key.clone(), u.upload_id.clone(), u.initiated_ms))
            })
            .collect();
        v.sort();
        v
    }
}
