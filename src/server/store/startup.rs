//! What start-up does with a (marked) data directory: it removes the server's own leftovers
//! (temporary files, data files no metadata names: uploads a crash interrupted), moves to quarantine
//! whatever it cannot use, and loads the rest. Only entries whose name and type are exactly what the
//! server writes are read or removed; a link is never followed.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use super::layout::{BUCKET_FILE, BUCKETS, Loaded, LoadedBucket, OBJECTS, TMP, VersionFile, key_hash};
use super::quarantine::{self, Quarantine};
use super::safe_fs::{self, Kind};
use super::{ObjectData, StoredObject, marker};

/// Whether `s` is `len` lower-case hex digits (the server's random ids and key hashes).
fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A temporary file of an atomic write of `<stem>.<ext>`: `<stem>.<random id>.tmp`.
fn is_temp_of(name: &str, stem: &str) -> bool {
    name.strip_prefix(stem)
        .and_then(|r| r.strip_prefix('.'))
        .and_then(|r| r.strip_suffix(".tmp"))
        .is_some_and(|id| is_hex(id, 32))
}

/// A data file name, `<key hash>.<random id>.data`: its key hash.
pub(super) fn data_file_hash(name: &str) -> Option<&str> {
    let (hash, rest) = name.split_at_checked(64)?;
    let id = rest.strip_prefix('.')?.strip_suffix(".data")?;
    (is_hex(hash, 64) && is_hex(id, 32)).then_some(hash)
}

/// The bucket a directory name under `buckets/` stands for (hex of the name).
fn bucket_of_dir(name: &str) -> Option<String> {
    if !name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    String::from_utf8(hex::decode(name).ok()?).ok().filter(|b| !b.is_empty())
}

/// Says where a JSON document failed to parse, without quoting any of it (metadata holds sealed
/// keys and verifiers, which are not logged).
fn parse_error(e: &serde_json::Error) -> String {
    format!("{:?} error at line {} column {}", e.classify(), e.line(), e.column())
}

fn remove_leftover(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        tracing::warn!("data directory: cannot remove leftover {}: {e}", path.display());
    }
}

/// Cleans and loads the data directory `root`, whose marker has been checked.
pub(super) fn load(root: &Path, quarantine: &Quarantine) -> std::io::Result<Loaded> {
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        match entry.file_name().to_str() {
            Some(marker::FILE_NAME | quarantine::DIR_NAME | TMP | BUCKETS) => {}
            Some(n) if is_temp_of(n, "ssec-conform-data") && entry.file_type()?.is_file() => {
                remove_leftover(&entry.path());
            }
            _ => quarantine.isolate(&entry.path(), "not a file ssec-conform writes"),
        }
    }
    let tmp = root.join(TMP);
    quarantine.claim_dir(&tmp)?;
    for entry in std::fs::read_dir(&tmp)? {
        let entry = entry?;
        let ours = entry.file_name().to_str().is_some_and(|n| is_hex(n, 32)) && entry.file_type()?.is_file();
        if ours {
            remove_leftover(&entry.path());
        } else {
            quarantine.isolate(&entry.path(), "not an upload ssec-conform wrote");
        }
    }
    let buckets = root.join(BUCKETS);
    quarantine.claim_dir(&buckets)?;
    let mut loaded = Loaded::default();
    for entry in std::fs::read_dir(&buckets)? {
        let entry = entry?;
        let path = entry.path();
        match entry.file_name().to_str().and_then(bucket_of_dir) {
            Some(name) if entry.file_type()?.is_dir() => load_bucket(&path, &name, quarantine, &mut loaded)?,
            Some(name) => quarantine.isolate(&path, &format!("bucket {name}: not a directory")),
            None => quarantine.isolate(&path, "not a bucket directory name"),
        }
    }
    Ok(loaded)
}

fn read_bucket(path: &Path, name: &str) -> Result<LoadedBucket, String> {
    match Kind::of(path).map_err(|e| e.to_string())? {
        Kind::File => {}
        kind => return Err(format!("{BUCKET_FILE} is {}", kind.describe())),
    }
    let bytes = safe_fs::read(path).map_err(|e| format!("{BUCKET_FILE} cannot be read: {e}"))?;
    let bucket: LoadedBucket =
        serde_json::from_slice(&bytes).map_err(|e| format!("{BUCKET_FILE} does not parse ({})", parse_error(&e)))?;
    if bucket.name != name {
        return Err(format!("{BUCKET_FILE} names another bucket"));
    }
    Ok(bucket)
}

fn load_bucket(dir: &Path, name: &str, quarantine: &Quarantine, loaded: &mut Loaded) -> std::io::Result<()> {
    let bucket = match read_bucket(&dir.join(BUCKET_FILE), name) {
        Ok(b) => b,
        Err(why) => {
            quarantine.isolate(dir, &format!("bucket {name}: {why}"));
            return Ok(());
        }
    };
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        match entry.file_name().to_str() {
            Some(BUCKET_FILE | OBJECTS) => {}
            Some(n) if is_temp_of(n, "bucket") && entry.file_type()?.is_file() => remove_leftover(&entry.path()),
            _ => quarantine.isolate(&entry.path(), &format!("bucket {name}: not a file ssec-conform writes")),
        }
    }
    let objects = dir.join(OBJECTS);
    quarantine.claim_dir(&objects)?;
    load_objects(&objects, name, quarantine, loaded)?;
    loaded.buckets.push(bucket);
    Ok(())
}

/// The files of a bucket's `objects/` directory, sorted by what they are.
#[derive(Default)]
struct ObjectFiles {
    /// `<key hash>.json`, by key hash.
    metadata: BTreeMap<String, PathBuf>,
    /// `<key hash>.<id>.data`, by file name.
    data: BTreeMap<String, PathBuf>,
}

fn list_objects(objects: &Path, bucket: &str, quarantine: &Quarantine) -> std::io::Result<ObjectFiles> {
    let mut files = ObjectFiles::default();
    for entry in std::fs::read_dir(objects)? {
        let entry = entry?;
        let path = entry.path();
        let is_file = entry.file_type()?.is_file();
        let Some(name) = entry.file_name().to_str().map(str::to_owned).filter(|_| is_file) else {
            quarantine.isolate(&path, &format!("bucket {bucket}: not a file ssec-conform writes"));
            continue;
        };
        if let Some(hash) = name.strip_suffix(".json").filter(|h| is_hex(h, 64)) {
            files.metadata.insert(hash.to_owned(), path);
        } else if data_file_hash(&name).is_some() {
            files.data.insert(name, path);
        } else if name.get(..64).is_some_and(|h| is_temp_of(&name, h) && is_hex(h, 64)) {
            remove_leftover(&path);
        } else {
            quarantine.isolate(&path, &format!("bucket {bucket}: not a file ssec-conform writes"));
        }
    }
    Ok(files)
}

/// The versions a metadata file holds, checked against the bucket, its file name and the data files
/// present; the error says why it cannot be used.
fn read_versions(
    path: &Path,
    bucket: &str,
    hash: &str,
    data: &BTreeMap<String, PathBuf>,
) -> Result<Vec<VersionFile>, String> {
    let bytes = safe_fs::read(path).map_err(|e| format!("object metadata in bucket {bucket} cannot be read: {e}"))?;
    let versions: Vec<VersionFile> = serde_json::from_slice(&bytes)
        .map_err(|e| format!("object metadata in bucket {bucket} does not parse ({})", parse_error(&e)))?;
    for v in &versions {
        let object = format!("object {bucket}/{} (version {})", v.meta.key, v.meta.version_id);
        if v.meta.bucket != bucket || key_hash(&v.meta.key) != hash {
            return Err(format!("{object}: stored under another bucket or key's file name"));
        }
        for f in &v.data_files {
            if data_file_hash(f) != Some(hash) || !data.contains_key(f) {
                return Err(format!("{object}: its data file {f:?} is missing or not a regular file"));
            }
        }
    }
    Ok(versions)
}

fn load_objects(objects: &Path, bucket: &str, quarantine: &Quarantine, loaded: &mut Loaded) -> std::io::Result<()> {
    let files = list_objects(objects, bucket, quarantine)?;
    let mut referenced = HashSet::new();
    let mut quarantined = HashSet::new();
    for (hash, path) in &files.metadata {
        match read_versions(path, bucket, hash, &files.data) {
            Ok(versions) => {
                for v in versions {
                    referenced.extend(v.data_files.iter().cloned());
                    let paths = v.data_files.iter().map(|f| objects.join(f)).collect();
                    loaded.objects.push(StoredObject { meta: v.meta, data: ObjectData::Files(paths) });
                }
            }
            Err(why) => {
                quarantine.isolate(path, &why);
                quarantined.insert(hash.as_str());
            }
        }
    }
    for (name, path) in &files.data {
        if data_file_hash(name).is_some_and(|h| quarantined.contains(h)) {
            quarantine.isolate(path, "data of quarantined object metadata");
        } else if !referenced.contains(name) {
            remove_leftover(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_servers_own_names_are_recognised() {
        let (hash, id) = ("a".repeat(64), "0".repeat(32));
        assert_eq!(data_file_hash(&format!("{hash}.{id}.data")), Some(hash.as_str()));
        assert_eq!(data_file_hash(&format!("{hash}.{id}.data.bak")), None);
        assert_eq!(data_file_hash("../../etc/passwd"), None);
        assert_eq!(data_file_hash(&format!("{}.{id}.data", "A".repeat(64))), None);
        assert!(is_temp_of(&format!("bucket.{id}.tmp"), "bucket"));
        assert!(!is_temp_of("bucket.json", "bucket"));
        assert_eq!(bucket_of_dir(&hex::encode("photos")).as_deref(), Some("photos"));
        assert_eq!(bucket_of_dir("zz"), None);
        assert_eq!(bucket_of_dir(""), None);
    }
}
