//! The data directory's names and file formats, shared by the backend ([`super::dir`]) and start-up
//! ([`super::startup`]).

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::{Controls, ObjectMeta, StoredObject, Versioning};

/// Uploads in progress.
pub(super) const TMP: &str = "tmp";
/// One directory per bucket.
pub(super) const BUCKETS: &str = "buckets";
/// A bucket's metadata, in its directory.
pub(super) const BUCKET_FILE: &str = "bucket.json";
/// A bucket's objects, in its directory.
pub(super) const OBJECTS: &str = "objects";

/// A bucket found at start.
#[derive(Debug, Serialize, Deserialize)]
pub struct LoadedBucket {
    /// Name.
    pub name: String,
    /// Creation time.
    pub created_ms: i64,
    /// Versioning state.
    #[serde(default)]
    pub versioning: Versioning,
    /// SSE-C controls.
    #[serde(default)]
    pub controls: Controls,
}

/// What a previous run left committed.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Buckets.
    pub buckets: Vec<LoadedBucket>,
    /// Committed object versions.
    pub objects: Vec<StoredObject>,
}

/// One version in a key's metadata file.
#[derive(Serialize, Deserialize)]
pub(super) struct VersionFile {
    /// The version's metadata.
    pub meta: ObjectMeta,
    /// The names of its data files (one per part) in the bucket's `objects/` directory.
    pub data_files: Vec<String>,
}

/// The name under which a key's files are stored: hex SHA-256 of the key.
pub(super) fn key_hash(key: &str) -> String {
    hex::encode(sha2::Sha256::digest(key.as_bytes()))
}
