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
