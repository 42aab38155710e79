//! The data-directory backend: one metadata file and one data file per object, committed by rename.
//!
//! Layout under the data directory:
//! - `buckets/<bucket>/bucket.json`: the bucket's creation time;
//! - `buckets/<bucket>/objects/<sha256(key)>.json`: the object's metadata, naming its data file;
//! - `buckets/<bucket>/objects/<sha256(key)>.<random>.data`: the stored segments;
//! - `tmp/`: uploads in progress, removed at start.
//!
//! A commit fsyncs the data file, renames it into place, writes the metadata to a temporary file,
//! fsyncs it and renames it over the old metadata: the rename is the commit point. Data files no
//! metadata names (a crash between the two renames) are removed at start.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use tokio::io::AsyncWriteExt as _;

use super::{ObjectData, ObjectMeta, StoredObject};

/// The directory backend.
#[derive(Debug)]
pub struct DirBackend {
    root: PathBuf,
}

/// What a previous run left committed.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Bucket names and creation times.
    pub buckets: Vec<(String, i64)>,
    /// Committed objects.
    pub objects: Vec<StoredObject>,
}

#[derive(Serialize, Deserialize)]
struct BucketFile {
    name: String,
    created_ms: i64,
}

#[derive(Serialize, Deserialize)]
struct MetaFile {
    meta: ObjectMeta,
    data_file: String,
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
}

impl Drop for TempData {
    fn drop(&mut self) {
        // An abandoned upload leaves nothing behind; after a commit the path no longer exists.
        let _ = std::fs::remove_file(&self.path);
    }
}

fn random_name() -> String {
    let mut b = [0u8; 16];
    rand::fill(&mut b);
    hex::encode(b)
}

fn key_hash(key: &str) -> String {
    hex::encode(sha2::Sha256::digest(key.as_bytes()))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("{}.tmp", random_name()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
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
            let Ok(b) = serde_json::from_slice::<BucketFile>(&text) else { continue };
            loaded.buckets.push((b.name, b.created_ms));
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
                    let Ok(m) = serde_json::from_slice::<MetaFile>(&text) else { continue };
                    referenced.insert(objects.join(&m.data_file));
                    let data = ObjectData::File(objects.join(&m.data_file));
                    loaded.objects.push(StoredObject { meta: m.meta, data });
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

    /// Records a new bucket.
    pub fn create_bucket(&self, name: &str, created_ms: i64) -> std::io::Result<()> {
        let dir = self.bucket_dir(name);
        std::fs::create_dir_all(dir.join("objects"))?;
        let text = serde_json::to_vec(&BucketFile { name: name.to_owned(), created_ms })?;
        write_atomically(&dir.join("bucket.json"), &text)
    }

    /// Removes an (empty) bucket.
    pub fn delete_bucket(&self, name: &str) {
        let _ = std::fs::remove_dir_all(self.bucket_dir(name));
    }

    /// Starts an upload.
    pub fn temp_data(&self) -> std::io::Result<TempData> {
        let path = self.root.join("tmp").join(random_name());
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
        Ok(TempData { path, file: tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(file)) })
    }

    /// Commits an upload: returns the data file's final path.
    pub async fn commit(&self, meta: &ObjectMeta, mut temp: TempData) -> std::io::Result<PathBuf> {
        temp.file.flush().await?;
        temp.file.get_ref().sync_all().await?;
        let objects = self.bucket_dir(&meta.bucket).join("objects");
        let hash = key_hash(&meta.key);
        let data_file = format!("{hash}.{}.data", random_name());
        let final_path = objects.join(&data_file);
        let meta_file = MetaFile { meta: meta.clone(), data_file };
        let from = temp.path.clone();
        let to = final_path.clone();
        let meta_path = objects.join(format!("{hash}.json"));
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::rename(&from, &to)?;
            let text = serde_json::to_vec(&meta_file)?;
            write_atomically(&meta_path, &text)
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(final_path)
    }

    /// Removes a data file no longer referenced.
    pub fn remove_data(&self, path: &Path) {
        let _ = std::fs::remove_file(path);
    }

    /// Removes an object's metadata (the commit point of a delete).
    pub fn remove_object(&self, meta: &ObjectMeta) {
        let path = self.bucket_dir(&meta.bucket).join("objects").join(format!("{}.json", key_hash(&meta.key)));
        let _ = std::fs::remove_file(path);
    }
}

/// Reads up to `len` bytes at `offset` of an open file.
pub async fn read_at(file: Arc<std::fs::File>, offset: u64, len: usize) -> std::io::Result<Bytes> {
    tokio::task::spawn_blocking(move || {
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
    })
    .await
    .map_err(std::io::Error::other)?
}
