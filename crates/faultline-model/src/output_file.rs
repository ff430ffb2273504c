//! Output files written atomically, created before the work that fills them.
//!
//! [`OutputFile::create`] makes the hidden temporary file beside the destination at once,
//! so an unwritable folder fails a command before it evaluates anything;
//! [`OutputFile::write`] fills it and renames it into place only when everything
//! succeeded, so a failure never leaves a partial file and never touches what the user
//! had. A symbolic link is written through to its target. Every temporary file not yet
//! renamed is recorded, so a command interrupted by a signal can remove them all
//! ([`remove_unfinished`]).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::ModelError;

/// Temporary files created and not yet renamed or dropped.
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// An output being written: a temporary file beside its destination.
#[derive(Debug)]
pub struct OutputFile {
    /// The path the user named.
    named: PathBuf,
    /// Where the file goes: `named`, or the target of the link `named` is.
    destination: PathBuf,
    /// The temporary file, until it is renamed into place.
    tmp: Option<tempfile::NamedTempFile>,
}

impl OutputFile {
    /// Creates the temporary file for `path` (refusing a folder, a missing folder, a
    /// dangling link), without touching `path` itself.
    pub fn create(path: &Path) -> Result<OutputFile, ModelError> {
        let destination = destination(path)?;
        let dir = match destination.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(ModelError::io(
                path,
                std::io::Error::other(format!("folder '{}' does not exist", dir.display())),
            ));
        }
        let tmp = tempfile::Builder::new()
            .prefix(".faultline-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| ModelError::io(path, plain(e)))?;
        lock().push(tmp.path().to_path_buf());
        Ok(OutputFile {
            named: path.to_path_buf(),
            destination,
            tmp: Some(tmp),
        })
    }

    /// Where the file will be: the named path, or the target of the link it names.
    pub fn destination(&self) -> &Path {
        &self.destination
    }

    /// Writes the file through `write`, then renames it into place.
    pub fn write(
        mut self,
        write: impl FnOnce(&mut BufWriter<&mut File>) -> std::io::Result<()>,
    ) -> Result<(), ModelError> {
        let path = self.named.clone();
        let err = |e| ModelError::io(&path, plain(e));
        let mut tmp = self.tmp.take().expect("written once");
        let tmp_path = tmp.path().to_path_buf();
        let result = (|| {
            {
                let mut w = BufWriter::new(tmp.as_file_mut());
                write(&mut w)?;
                w.flush()?;
            }
            tmp.as_file().sync_all()?;
            // Temporary files are created 0600; the result should be readable like any other.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                tmp.as_file()
                    .set_permissions(std::fs::Permissions::from_mode(0o644))?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            drop(tmp);
            forget(&tmp_path);
            return Err(err(e));
        }
        let persisted = tmp.persist(&self.destination);
        forget(&tmp_path);
        persisted.map_err(|e| err(e.error))?;
        Ok(())
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let path = tmp.path().to_path_buf();
            drop(tmp); // removes the file
            forget(&path);
        }
    }
}

/// Removes every temporary file created and not yet renamed (for a signal handler: the
/// process is about to exit without running destructors).
pub fn remove_unfinished() {
    for path in lock().drain(..) {
        let _ = std::fs::remove_file(path);
    }
}

/// Writes a file through `write` atomically: [`OutputFile::create`] then
/// [`OutputFile::write`].
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&mut File>) -> std::io::Result<()>,
) -> Result<(), ModelError> {
    OutputFile::create(path)?.write(write)
}

fn lock() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    UNFINISHED.lock().unwrap_or_else(|e| e.into_inner())
}

fn forget(tmp: &Path) {
    lock().retain(|p| p != tmp);
}

/// Where writing `path` puts the file: `path`, or the final target of the symbolic link
/// it is (relative links resolved against the link's folder).
fn destination(path: &Path) -> Result<PathBuf, ModelError> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&current).map_err(|e| ModelError::io(path, e))?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Ok(m) if m.is_dir() => {
                return Err(ModelError::io(
                    path,
                    std::io::Error::other("is a directory"),
                ));
            }
            Ok(m) if !m.is_file() => {
                return Err(ModelError::io(
                    path,
                    std::io::Error::other("is not a regular file"),
                ));
            }
            _ => return Ok(current),
        }
    }
    Err(ModelError::io(
        path,
        std::io::Error::other("too many levels of symbolic links"),
    ))
}

/// An I/O error without the temporary file's name that `tempfile` adds: messages name
/// the user's path, never the hidden one.
fn plain(e: std::io::Error) -> std::io::Error {
    if let Some(code) = e.raw_os_error() {
        return std::io::Error::from_raw_os_error(code);
    }
    // tempfile appends ` at path "<temporary file>"` to the operating system's message.
    let text = e.to_string();
    match text.find(" at path \"") {
        Some(end) => std::io::Error::new(e.kind(), &text[..end]),
        None => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_through_links_and_leaves_nothing_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink("target.txt", &link).unwrap();
        write_atomically(&link, |w| w.write_all(b"new")).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");

        let failed = write_atomically(&target, |_| Err(std::io::Error::other("boom")));
        assert!(failed.unwrap_err().to_string().contains("boom"));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2, "no temporary file left");

        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("missing/file", &dangling).unwrap();
        let e = OutputFile::create(&dangling).unwrap_err().to_string();
        assert!(e.contains("does not exist"), "{e}");
    }

    #[test]
    fn unfinished_files_are_recorded_until_renamed_or_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputFile::create(&dir.path().join("x.bin")).unwrap();
        let tmp = out.tmp.as_ref().unwrap().path().to_path_buf();
        assert!(tmp.exists() && lock().contains(&tmp));
        drop(out);
        assert!(!tmp.exists() && !lock().contains(&tmp));
        let out = OutputFile::create(&dir.path().join("y.bin")).unwrap();
        let tmp = out.tmp.as_ref().unwrap().path().to_path_buf();
        out.write(|w| w.write_all(b"y")).unwrap();
        assert!(!lock().contains(&tmp) && dir.path().join("y.bin").exists());
    }

    #[test]
    fn errors_name_the_users_path() {
        let e = write_atomically(Path::new("/proc/faultline-test/x.png"), |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/proc/faultline-test/x.png: "), "{e}");
        let e = write_atomically(Path::new("/proc/x.png"), |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("/proc/x.png: ") && !e.contains(".faultline-"),
            "{e}"
        );
    }
}
