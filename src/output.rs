//! Output files created before any work starts, so a run fails early and leaves nothing
//! behind; memory checks and sizes for reports.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use faultline_model::output_file::OutputFile;

/// Creates the temporary file of every output (`(flag, path)`), which proves each folder
/// writable before anything is computed; refuses two outputs naming one file, and an
/// output naming one of `inputs` (`(flag, path)`: the model, a data file).
pub fn prepare(outputs: &[(&str, &Path)], inputs: &[(&str, &Path)]) -> Result<Vec<OutputFile>> {
    let mut files: Vec<(&str, PathBuf, OutputFile)> = Vec::with_capacity(outputs.len());
    for &(flag, path) in outputs {
        let file = OutputFile::create(path).map_err(|e| anyhow::anyhow!("{flag} {e}"))?;
        let key = identity(file.destination());
        if let Some((other, _, _)) = files.iter().find(|(_, k, _)| *k == key) {
            bail!(
                "{flag} {}: the same file as {other}; give each output its own path",
                path.display()
            );
        }
        if let Some((input, _)) = inputs.iter().find(|(_, p)| identity(p) == key) {
            bail!(
                "{flag} {}: the same file as {input}, which would be overwritten",
                path.display()
            );
        }
        files.push((flag, key, file));
    }
    Ok(files.into_iter().map(|(_, _, f)| f).collect())
}

/// [`prepare`] for one output.
pub fn prepare_one(flag: &str, path: &Path, inputs: &[(&str, &Path)]) -> Result<OutputFile> {
    Ok(prepare(&[(flag, path)], inputs)?
        .pop()
        .expect("one output prepared"))
}

/// A path in a form two names of one file share: the folder canonical (links and `..`
/// resolved), the file through its links.
fn identity(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(dir), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

/// Bytes as `12.3 MiB`.
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// Memory this process may use for results: what the system says is available, or 8 GiB
/// where that cannot be read.
pub fn available_memory() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kib| kib * 1024.0)
        .unwrap_or(8.0 * 1024.0 * 1024.0 * 1024.0)
}

/// Refuses an image path whose extension names another format than the PNG written.
pub fn png_path(flag: &str, path: &Path) -> Result<()> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !ext.eq_ignore_ascii_case("png") {
        bail!(
            "{flag} {}: images are written as PNG; name the file .png",
            path.display()
        );
    }
    Ok(())
}

/// Writes one line of a command's report to standard output; if that fails (a closed pipe,
/// a full disk) says so in one line, removes unfinished outputs and exits with status 1.
pub fn say(line: std::fmt::Arguments) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(line).and_then(|()| out.write_all(b"\n")) {
        drop(out);
        eprintln!("error: writing to standard output: {e}");
        faultline_model::output_file::remove_unfinished();
        std::process::exit(1);
    }
}

/// Bytes free for an unprivileged writer in the file system holding `path`'s folder, where
/// the system says.
pub fn free_disk_bytes(path: &Path) -> Option<f64> {
    use std::os::unix::ffi::OsStrExt;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let c_path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stats = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a NUL-terminated string that outlives the call, and `stats`
    // points to writable memory of the size statvfs fills; it is read only on success.
    let stats = unsafe {
        if libc::statvfs(c_path.as_ptr(), stats.as_mut_ptr()) != 0 {
            return None;
        }
        stats.assume_init()
    };
    Some(stats.f_bavail as f64 * stats.f_frsize as f64)
}

/// Refuses an output `path` (for `flag`) that needs at least `at_least` bytes where the
/// disk holds fewer free.
pub fn check_disk_space(flag: &str, path: &Path, at_least: f64, why: &str) -> Result<()> {
    if let Some(free) = free_disk_bytes(path)
        && free < at_least
    {
        bail!(
            "{flag} {}: {why} needs at least {}, and its disk has {} free",
            path.display(),
            human_bytes(at_least),
            human_bytes(free)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_larger_than_the_free_disk_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.png");
        let free = free_disk_bytes(&path).expect("statvfs answers for a temporary folder");
        assert!(free > 0.0);
        check_disk_space("-o", &path, 1.0, "the PNG").unwrap();
        let e = check_disk_space("-o", &path, free * 4.0 + 1e12, "the PNG")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!("-o {}: the PNG needs at least", path.display()))
                && e.contains("free"),
            "{e}"
        );
    }
}
