//! The data-directory backend: one metadata file per key (all its versions) and one data file per
//! part, committed by rename.
//!
//! Layout under the data directory:
//! - `ssec-conform-data.json`: the marker, with the format version ([`super::marker`]);
//! - `buckets/<hex(bucket)>/bucket.json`: creation time and versioning state;
//! - `buckets/<hex(bucket)>/objects/<sha256(key)>.json`: every version's metadata and data files;
//! - `buckets/<hex(bucket)>/objects/<sha256(key)>.<random>.data`: one part's stored segments;
//! - `tmp/`: uploads in progress (single PUTs and multipart parts), removed at start;
//! - `quarantine/`: what start-up found but could not use ([`super::quarantine`]).
//!
//! A commit fsyncs each data file, renames it into place, writes the metadata to a temporary file,
//! fsyncs it and renames it over the old metadata: the rename is the commit point. Data files no
//! metadata names (a crash between the renames) are removed at start ([`super::startup`]).
//! Directories are created 0700 and files 0600, and no link is followed ([`super::safe_fs`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::AsyncWriteExt as _;

use super::layout::{BUCKET_FILE, BUCKETS, Loaded, LoadedBucket, OBJECTS, TMP, VersionFile, key_hash};
use super::quarantine::Quarantine;
use super::{Controls, ObjectData, ObjectMeta, PartData, StoredObject, Versioning, marker, safe_fs, startup};

/// The directory backend.
#[derive(Debug)]
pub struct DirBackend {
    root: PathBuf,
    quarantine: Quarantine,
}

/// An upload in progress: a temporary file under `tmp/`.
#[derive(Debug)]
pub struct TempData {
    path: PathBuf,
    file: tokio::io::BufWriter<tokio::fs::File>,
}

impl TempData {
    /// Appends bytes.
    pub async fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.write_all(bytes).await
    }

    /// Flushes and fsyncs the file and hands over its path.
    pub async fn finish(mut self) -> std::io::Result<PathBuf> {
        self.file.flush().await?;
        self.file.get_ref().sync_all().await?;
        Ok(std::mem::take(&mut self.path))
    }
}

impl Drop for TempData {
    fn drop(&mut self) {
        // An abandoned upload leaves nothing behind; a finished one has handed its path over.
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl DirBackend {
    /// Opens a data directory (creating and marking it when new or empty; refusing one that is not
    /// an ssec-conform data directory) and loads what it holds.
    pub fn open(root: PathBuf) -> std::io::Result<(Self, Loaded)> {
        marker::claim(&root)?;
        let quarantine = Quarantine::new(&root)?;
        let loaded = startup::load(&root, &quarantine)?;
        Ok((Self { root, quarantine }, loaded))
    }

    fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join(BUCKETS).join(hex::encode(bucket))
    }

    /// Records a bucket's creation time, versioning state and controls.
    pub fn write_bucket(
        &self,
        name: &str,
        created_ms: i64,
        versioning: Versioning,
        controls: &Controls,
    ) -> std::io::Result<()> {
        let dir = self.bucket_dir(name);
        self.quarantine.claim_dir(&dir)?;
        self.quarantine.claim_dir(&dir.join(OBJECTS))?;
        let bucket = LoadedBucket { name: name.to_owned(), created_ms, versioning, controls: controls.clone() };
        let text = serde_json::to_vec(&bucket)?;
        safe_fs::write_atomically(&dir.join(BUCKET_FILE), &text)
    }

    /// Removes an (empty) bucket: its metadata file and its empty directories, nothing else.
    pub fn delete_bucket(&self, name: &str) {
        let dir = self.bucket_dir(name);
        let removed = std::fs::remove_file(dir.join(BUCKET_FILE))
            .and_then(|()| std::fs::remove_dir(dir.join(OBJECTS)))
            .and_then(|()| std::fs::remove_dir(&dir));
        if let Err(e) = removed {
            tracing::warn!("data directory: bucket {name} deleted, but its directory was not removed: {e}");
        }
    }

    /// Starts writing a part.
    pub fn temp_data(&self) -> std::io::Result<TempData> {
        let path = self.root.join(TMP).join(super::random_id());
        let file = safe_fs::create_new(&path)?;
        Ok(TempData { path, file: tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(file)) })
    }

    /// Moves finished part files into the object directory; returns their final paths.
    pub async fn place_parts(&self, meta: &ObjectMeta, mut parts: Vec<PartData>) -> std::io::Result<Vec<PathBuf>> {
        let objects = self.bucket_dir(&meta.bucket).join(OBJECTS);
        let hash = key_hash(&meta.key);
        let moves: Vec<(PathBuf, PathBuf)> = parts
            .iter_mut()
            .filter_map(|p| match p {
                PartData::File(from) => {
                    Some((std::mem::take(from), objects.join(format!("{hash}.{}.data", super::random_id()))))
                }
                PartData::Memory(_) => None,
            })
            .collect();
        let targets = moves.iter().map(|(_, to)| to.clone()).collect();
        tokio::task::spawn_blocking(move || moves.iter().try_for_each(|(from, to)| std::fs::rename(from, to)))
            .await
            .map_err(std::io::Error::other)??;
        Ok(targets)
    }

    /// Rewrites the metadata file of a key from its versions (the commit point).
    pub fn write_versions(&self, versions: &[Arc<StoredObject>]) -> std::io::Result<()> {
        let Some(first) = versions.first() else { return Ok(()) };
        let path =
            self.bucket_dir(&first.meta.bucket).join(OBJECTS).join(format!("{}.json", key_hash(&first.meta.key)));
        let files: Vec<VersionFile> = versions
            .iter()
            .map(|o| VersionFile {
                meta: o.meta.clone(),
                data_files: match &o.data {
                    ObjectData::Files(paths) => {
                        paths.iter().filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())).collect()
                    }
                    ObjectData::Memory(_) => Vec::new(),
                },
            })
            .collect();
        safe_fs::write_atomically(&path, &serde_json::to_vec(&files)?)
    }

    /// Like [`Self::write_versions`], removing the metadata file when no version is left.
    pub fn write_versions_of(&self, bucket: &str, key: &str, versions: &[Arc<StoredObject>]) {
        if versions.is_empty() {
            let path = self.bucket_dir(bucket).join(OBJECTS).join(format!("{}.json", key_hash(key)));
            let _ = std::fs::remove_file(path);
        } else if let Err(e) = self.write_versions(versions) {
            tracing::error!(%e, "rewriting object metadata");
        }
    }

    /// Removes a data file no longer referenced.
    pub fn remove_data(&self, path: &Path) {
        let _ = std::fs::remove_file(path);
    }
}

/// Opens a data file for reading; a link in its place is refused, never followed.
pub(super) fn open_data(path: &Path) -> std::io::Result<std::fs::File> {
    safe_fs::open_read(path)
}

/// Reads up to `len` bytes at `offset` of a part file (blocking).
pub(super) fn read_at(file: &std::fs::File, offset: u64, len: usize) -> std::io::Result<Bytes> {
    use std::os::unix::fs::FileExt as _;
    let mut buf = vec![0u8; len];
    let mut filled = 0;
    while filled < len {
        let n = file.read_at(&mut buf[filled..], offset + filled as u64)?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    buf.truncate(filled);
    Ok(Bytes::from(buf))
}
