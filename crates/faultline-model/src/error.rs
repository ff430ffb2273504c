//! Errors of the model crate.

use std::path::PathBuf;

/// Everything that can be wrong with a model file, a model, a grid or an output array.
///
/// Messages are one line and name what is wrong, so the CLI can print them as they are.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The bytes are not a valid safetensors file.
    #[error("not a valid safetensors file: {0}")]
    Format(String),
    /// The tensors do not describe a valid MLP.
    #[error("invalid model: {0}")]
    Invalid(String),
    /// The `__metadata__` block is missing a required key or holds a bad value.
    #[error("invalid metadata: {0}")]
    Metadata(String),
    /// A grid or domain is unusable.
    #[error("invalid grid: {0}")]
    Grid(String),
    /// An output array cannot be produced as asked.
    #[error("{0}")]
    Output(String),
}

impl ModelError {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io {
            path: path.into(),
            source,
        }
    }
}
