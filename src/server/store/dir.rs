//! The data-directory backend: one metadata file per key (all its versions) and one data file per
//! part, committed by rename.
//!
//! Layout under the data directory:
//! - `buckets/<hex(bucket)>/bucket.json`: creation time and versioning state;
//! - `buckets/<hex(bucket)>/objects/<sha256(key)>.json`: every version's metadata and data files;
//! - `buckets/<hex(bucket)>/objects/<sha256(key)>.<random>.data`: one part's stored segments;
//! - `tmp/`: uploads in progress (single PUTs and multipart parts), removed at start.
//!
//! A commit fsyncs each data file, renames it into place, writes the metadata to a temporary file,
//! fsyncs it and renames it over the old metadata: the rename is the commit point. Data files no
//! metadata names (a crash between the renames) are removed at start.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use tokio::io::AsyncWriteExt as _;

use super::{Controls, ObjectData, ObjectMeta, PartData, StoredObject, Versioning};

/// The directory backend.
#[derive(Debug)]
pub struct DirBackend {
    root: PathBuf,
}

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

#[derive(Serialize, Deserialize)]
struct VersionFile {
    meta: ObjectMeta,
    data_files: Vec<String>,
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

fn key_hash(key: &str) -> String {
    hex::encode(sha2::Sha256::digest(key.as_bytes()))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("{}.tmp", super::random_id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(path.parent().unwrap_or(Path::new(".")))?.sync_all()
}

impl DirBackend {
    /// Opens (creating if needed) a data directory and loads what it holds.
    pub fn open(root: PathBuf) -> std::io::Result<(Self, Loaded)> {
        let _ = std::fs::remove_dir_all(root.join("tmp"));
        std::fs::create_dir_all(root.join("tmp"))?;
        std::fs::create_dir_all(root.join("buckets"))?;
        let mut loaded = Loaded::default();
        for entry in std::fs::read_dir(root.join("buckets"))? {
            let bucket_dir = entry?.path();
            let Ok(text) = std::fs::read(bucket_dir.join("bucket.json")) else { continue };
            let Ok(b) = serde_json::from_slice::<LoadedBucket>(&text) else { continue };
            loaded.buckets.push(b);
            let objects = bucket_dir.join("objects");
            let mut referenced = HashSet::new();
            let mut data_files = Vec::new();
            for entry in std::fs::read_dir(&objects)? {
                let path = entry?.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
                if name.ends_with(".data") {
                    data_files.push(path);
                } else if name.ends_with(".json") {
                    let Ok(text) = std::fs::read(&path) else { continue };
                    let Ok(versions) = serde_json::from_slice::<Vec<VersionFile>>(&text) else { continue };
                    for v in versions {
                        let paths: Vec<PathBuf> = v.data_files.iter().map(|f| objects.join(f)).collect();
                        referenced.extend(paths.iter().cloned());
                        loaded.objects.push(StoredObject { meta: v.meta, data: ObjectData::Files(paths) });
                    }
                } else {
                    let _ = std::fs::remove_file(&path);
                }
            }
            for orphan in data_files.into_iter().filter(|p| !referenced.contains(p)) {
                let _ = std::fs::remove_file(orphan);
            }
        }
        Ok((Self { root }, loaded))
    }

    fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join("buckets").join(hex::encode(bucket))
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
        std::fs::create_dir_all(dir.join("objects"))?;
        let bucket = LoadedBucket { name: name.to_owned(), created_ms, versioning, controls: controls.clone() };
        let text = serde_json::to_vec(&bucket)?;
        write_atomically(&dir.join("bucket.json"), &text)
    }

    /// Removes an (empty) bucket.
    pub fn delete_bucket(&self, name: &str) {
        let _ = std::fs::remove_dir_all(self.bucket_dir(name));
    }

    /// Starts writing a part.
    pub fn temp_data(&self) -> std::io::Result<TempData> {
        let path = self.root.join("tmp").join(super::random_id());
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
        Ok(TempData { path, file: tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(file)) })
    }

    /// Moves finished part files into the object directory; returns their final paths.
    pub async fn place_parts(&self, meta: &ObjectMeta, mut parts: Vec<PartData>) -> std::io::Result<Vec<PathBuf>> {
        let objects = self.bucket_dir(&meta.bucket).join("objects");
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
            self.bucket_dir(&first.meta.bucket).join("objects").join(format!("{}.json", key_hash(&first.meta.key)));
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
        write_atomically(&path, &serde_json::to_vec(&files)?)
    }

    /// Like [`Self::write_versions`], removing the metadata file when no version is left.
    pub fn write_versions_of(&self, bucket: &str, key: &str, versions: &[Arc<StoredObject>]) {
        if versions.is_empty() {
            let path = self.bucket_dir(bucket).join("objects").join(format!("{}.json", key_hash(key)));
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

/// Reads up to `len` bytes at `offset` of part file `part`.
pub async fn read_at(files: Arc<Vec<std::fs::File>>, part: usize, offset: u64, len: usize) -> std::io::Result<Bytes> {
    tokio::task::spawn_blocking(move || {
        use std::os::unix::fs::FileExt as _;
        let file = &files[part];
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
    })
    .await
    .map_err(std::io::Error::other)?
}
