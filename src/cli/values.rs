//! Values the command line checks itself: `--epoch`, and `-o` where `--animate` or
//! `--zarr` can stand in for it.

use std::path::PathBuf;

use super::{MapArgs, RenderArgs};

/// An `--epoch` value: a whole number, 0 (before training) or more.
pub fn epoch(s: &str) -> Result<usize, String> {
    s.parse::<usize>().map_err(|_| {
        format!("'{s}' is not an epoch: epochs are whole numbers from 0 (before any step)")
    })
}

/// `-o` of a command whose `-o` clap requires unless `--animate` is given.
fn required_output(output: &Option<PathBuf>) -> anyhow::Result<&std::path::Path> {
    output
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("-o OUT is required (or --animate OUT)"))
}

impl MapArgs {
    /// Where the map goes (`-o`).
    pub fn output_path(&self) -> anyhow::Result<&std::path::Path> {
        required_output(&self.output)
    }
}

impl RenderArgs {
    /// Where the image goes (`-o`).
    pub fn output_path(&self) -> anyhow::Result<&std::path::Path> {
        required_output(&self.output)
    }
}
