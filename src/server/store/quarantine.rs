//! Quarantine: what the server finds in its data directory but cannot use (metadata that does not
//! parse, data it names that is missing, links, files it did not write) is moved to
//! `quarantine/<UTC start time>-<random>/`, under the same path it had in the data directory, and
//! logged. Nothing is deleted and no link is followed: a rename moves the link itself.

use std::path::{Component, Path, PathBuf};

use super::safe_fs::{self, Kind};

/// The quarantine folder's name, at the top of the data directory.
pub(super) const DIR_NAME: &str = "quarantine";

/// Moves entries of one data directory into this run's quarantine folder.
#[derive(Debug)]
pub(super) struct Quarantine {
    root: PathBuf,
    /// `quarantine/<run>` relative to the data directory; created on first use.
    run: PathBuf,
}

impl Quarantine {
    /// The quarantine of data directory `root`; refuses a `quarantine` entry that is not a directory.
    pub(super) fn new(root: &Path) -> std::io::Result<Self> {
        let dir = root.join(DIR_NAME);
        match Kind::of(&dir)? {
            Kind::Dir | Kind::Missing => {}
            kind => {
                return Err(std::io::Error::other(format!(
                    "refusing to use {}: {} is {}, where ssec-conform keeps a folder of quarantined \
                     files; ssec-conform follows no link in its data directory: move it away",
                    root.display(),
                    dir.display(),
                    kind.describe()
                )));
            }
        }
        let started = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"))
            .map_err(std::io::Error::other)?;
        let run = Path::new(DIR_NAME).join(format!("{started}-{}", &super::random_id()[..8]));
        Ok(Self { root: root.to_owned(), run })
    }

    /// Moves `path` (inside the data directory) into quarantine and logs it with `reason`. Failing
    /// to move it leaves it where it is (logged): it is never deleted.
    pub(super) fn isolate(&self, path: &Path, reason: &str) {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        match self.move_in(path, relative) {
            Ok(to) => tracing::warn!(
                "data directory: moved {} to {}: {reason}",
                relative.display(),
                to.strip_prefix(&self.root).unwrap_or(&to).display()
            ),
            Err(e) => {
                tracing::error!(
                    "data directory: {} left in place, could not quarantine it ({e}): {reason}",
                    relative.display()
                );
            }
        }
    }

    /// Makes `path` a directory of the server's: creates it (mode 0700) when missing, and first moves
    /// anything else found there (a link, a file) to quarantine.
    pub(super) fn claim_dir(&self, path: &Path) -> std::io::Result<()> {
        match Kind::of(path)? {
            Kind::Dir => return Ok(()),
            Kind::Missing => {}
            kind => self.isolate(path, &format!("{} where ssec-conform keeps a directory", kind.describe())),
        }
        safe_fs::create_dir(path)
    }

    fn move_in(&self, path: &Path, relative: &Path) -> std::io::Result<PathBuf> {
        let mut dir = self.root.clone();
        let parents = self.run.join(relative.parent().unwrap_or(Path::new("")));
        for part in parents.components() {
            let Component::Normal(name) = part else {
                return Err(std::io::Error::other("not inside the data directory"));
            };
            dir.push(name);
            match Kind::of(&dir)? {
                Kind::Dir => {}
                Kind::Missing => safe_fs::create_dir(&dir)?,
                kind => return Err(std::io::Error::other(format!("{} is {}", dir.display(), kind.describe()))),
            }
        }
        let name = relative.file_name().ok_or_else(|| std::io::Error::other("no file name"))?;
        let mut to = dir.join(name);
        if Kind::of(&to)? != Kind::Missing {
            to = dir.join(format!("{}.{}", name.to_string_lossy(), super::random_id()));
        }
        std::fs::rename(path, &to)?;
        safe_fs::sync_dir(&dir)?;
        safe_fs::sync_dir(path.parent().unwrap_or(&self.root))?;
        Ok(to)
    }
}
