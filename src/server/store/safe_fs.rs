//! File-system calls for the data directory: private permissions (directories 0700, files 0600),
//! durable directory creation, and no symbolic link followed when a file is opened or created.
//!
//! Paths inside the data directory are built by the server, never taken from a request; what this
//! module guards against is a link or a stray file planted where the server expects its own.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::Path;

/// Mode of every directory the server creates.
pub(super) const DIR_MODE: u32 = 0o700;
/// Mode of every file the server creates.
pub(super) const FILE_MODE: u32 = 0o600;

/// What is at a path, looked at without following a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Nothing.
    Missing,
    /// A directory (not a link to one).
    Dir,
    /// A regular file (not a link to one).
    File,
    /// A symbolic link, a socket, a device, …
    Other,
}

impl Kind {
    /// Says what is at `path` without following a link.
    pub(super) fn of(path: &Path) -> std::io::Result<Self> {
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_dir() => Ok(Self::Dir),
            Ok(m) if m.file_type().is_file() => Ok(Self::File),
            Ok(_) => Ok(Self::Other),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::Missing),
            Err(e) => Err(e),
        }
    }

    /// How a log line names it.
    #[must_use]
    pub(super) fn describe(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Dir => "a directory",
            Self::File => "a regular file",
            Self::Other => "a symbolic link or special file",
        }
    }
}

/// Opens an existing regular file for reading; a symbolic link in its place is an error.
pub(super) fn open_read(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(path)
}

/// Reads a whole regular file without following a link.
pub(super) fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_read(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Creates a new file (mode 0600) for writing; fails if anything, a link included, is in its place.
pub(super) fn create_new(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).custom_flags(libc::O_NOFOLLOW).open(path)
}

/// fsyncs a directory, so that entries created or renamed in it survive a crash (an fsync changes
/// nothing, so the directory may be reached through a link, as the data directory itself may be).
pub(super) fn sync_dir(path: &Path) -> std::io::Result<()> {
    OpenOptions::new().read(true).custom_flags(libc::O_DIRECTORY).open(path)?.sync_all()
}

fn parent(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Creates a directory (mode 0700) and makes it durable: the directory and its parent are fsynced.
pub(super) fn create_dir(path: &Path) -> std::io::Result<()> {
    DirBuilder::new().mode(DIR_MODE).create(path)?;
    sync_dir(path)?;
    sync_dir(parent(path))
}

/// Creates a directory and its missing parents (mode 0700), and makes them durable.
pub(super) fn create_dir_all(path: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(DIR_MODE).create(path)?;
    sync_dir(path)?;
    sync_dir(parent(path))
}

/// Writes `bytes` to `path` atomically: a new 0600 file beside it, fsynced, renamed over `path`
/// (a link at `path` is replaced, never followed), and the directory fsynced.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("{}.tmp", super::random_id()));
    let written = create_new(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(parent(path))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_entries_are_private_and_links_are_not_followed() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let dir = root.path().join("d");
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), DIR_MODE);
        let file = dir.join("f");
        write_atomically(&file, b"ours").unwrap();
        assert_eq!(mode(&file), FILE_MODE);
        assert_eq!(Kind::of(&file).unwrap(), Kind::File);

        let target = outside.path().join("target");
        std::fs::write(&target, b"not ours").unwrap();
        let link = dir.join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(Kind::of(&link).unwrap(), Kind::Other);
        assert!(open_read(&link).is_err(), "a link is not opened for reading");
        assert!(create_new(&link).is_err(), "a link is not opened for writing");
        write_atomically(&link, b"replaced").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"not ours", "the rename replaced the link, not its target");
        assert_eq!(std::fs::read(&link).unwrap(), b"replaced");
        assert_eq!(Kind::of(&dir.join("none")).unwrap(), Kind::Missing);
    }
}
