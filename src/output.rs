//! Checks on output paths made before any work starts, so a run fails early and leaves
//! nothing behind.

use std::path::Path;

use anyhow::{Result, bail};

/// Fails if `path` cannot be written: its folder is missing or it names a folder.
pub fn check_writable(flag: &str, path: &Path) -> Result<()> {
    if path.is_dir() {
        bail!("{flag} {}: is a directory", path.display());
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!(
            "{flag} {}: folder '{}' does not exist",
            path.display(),
            dir.display()
        );
    }
    Ok(())
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
