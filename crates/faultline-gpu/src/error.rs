//! Errors of the GPU crate.

/// What can go wrong on the GPU path.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No adapter could be found or matched.
    #[error("{0}")]
    NoAdapter(String),
    /// The device could not be created.
    #[error("could not open the GPU device: {0}")]
    Device(String),
    /// A kernel could not be generated.
    #[error(transparent)]
    Shader(#[from] faultline_shader::ShaderError),
    /// wgpu reported a validation or out-of-memory error.
    #[error("GPU error: {0}")]
    Wgpu(String),
    /// The grid cannot be evaluated as asked.
    #[error("{0}")]
    Grid(String),
}
