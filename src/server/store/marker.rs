//! The marker file that says a directory is an ssec-conform data directory, and in which format.
//!
//! Start-up cleans temporary files and quarantines what it cannot read, so it only ever does so in a
//! directory it created: a new or empty directory is claimed (the marker is written), a marked one
//! is used if its format version is one this build reads, and anything else is refused.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::safe_fs::{self, Kind};

/// The marker's file name, at the top of the data directory.
pub(super) const FILE_NAME: &str = "ssec-conform-data.json";
/// The format version this build writes and reads.
pub(super) const FORMAT_VERSION: u32 = 1;
/// The marker's `format` field.
const FORMAT: &str = "ssec-conform data directory";

#[derive(Debug, Serialize, Deserialize)]
struct Marker {
    format: String,
    version: u32,
}

/// Why a directory cannot be used as a data directory.
#[derive(Debug, thiserror::Error)]
pub(super) enum DataDirError {
    /// Something other than a directory is at the path.
    #[error("{0} is not a directory: give a new or empty directory")]
    NotADirectory(PathBuf),
    /// A non-empty directory without a marker.
    #[error(
        "refusing to use {dir}: it is not empty and has no {FILE_NAME} marker, so it is not an \
         ssec-conform data directory. ssec-conform removes temporary files and moves unreadable data \
         to quarantine/ inside its data directory, so it only uses one it created: give a new or empty \
         directory. If {dir} was written by an ssec-conform that wrote no marker, add it: \
         echo '{marker}' > {dir}/{FILE_NAME}",
        dir = .0.display(),
        marker = marker_json()
    )]
    NotOurs(PathBuf),
    /// A marker this build cannot read.
    #[error(
        "refusing to use {dir}: {dir}/{FILE_NAME} is not an ssec-conform data directory marker ({why}); \
         give another directory, or restore the marker",
        dir = .dir.display()
    )]
    BadMarker {
        /// The data directory.
        dir: PathBuf,
        /// What is wrong with the marker.
        why: String,
    },
    /// A data directory written by a newer build.
    #[error(
        "refusing to use {dir}: its data is in format version {found}, newer than this ssec-conform \
         reads (version {FORMAT_VERSION}); run a newer ssec-conform, or give another directory",
        dir = .dir.display()
    )]
    Newer {
        /// The data directory.
        dir: PathBuf,
        /// The version found in the marker.
        found: u32,
    },
}

fn marker_json() -> String {
    serde_json::to_string(&Marker { format: FORMAT.to_owned(), version: FORMAT_VERSION })
        .unwrap_or_else(|_| String::from("{}"))
}

/// Checks that `root` is a data directory this build may use, creating (mode 0700) and marking it
/// when it is new or empty.
pub(super) fn claim(root: &Path) -> std::io::Result<()> {
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(std::io::Error::other(DataDirError::NotADirectory(root.to_owned()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            safe_fs::create_dir_all(root)?;
        }
        Err(e) => return Err(e),
    }
    let path = root.join(FILE_NAME);
    let bad = |why: String| std::io::Error::other(DataDirError::BadMarker { dir: root.to_owned(), why });
    match Kind::of(&path)? {
        Kind::Missing if std::fs::read_dir(root)?.next().is_none() => {
            safe_fs::write_atomically(&path, marker_json().as_bytes())
        }
        Kind::Missing => Err(std::io::Error::other(DataDirError::NotOurs(root.to_owned()))),
        Kind::File => {
            let bytes = safe_fs::read(&path).map_err(|e| bad(e.to_string()))?;
            let marker: Marker =
                serde_json::from_slice(&bytes).map_err(|e| bad(format!("not the expected JSON: {e}")))?;
            if marker.format != FORMAT {
                return Err(bad(format!("its format is {:?}", marker.format)));
            }
            if marker.version > FORMAT_VERSION {
                return Err(std::io::Error::other(DataDirError::Newer { dir: root.to_owned(), found: marker.version }));
            }
            Ok(())
        }
        kind => Err(bad(format!("it is {}", kind.describe()))),
    }
}
