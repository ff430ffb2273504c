//! Faultline's images: the lit 3-D landscape (each output neuron a heightmap over the
//! input plane, with the decision boundary, pairwise crossings and junctions drawn on it)
//! and the 2-D boundary map.
//!
//! The landscape renderer draws into any wgpu texture (a window's surface or an offscreen
//! texture), so the viewer and the tests share one code path. It evaluates nothing itself
//! beyond asking faultline-gpu for a resident field, and must not depend on winit.

pub mod camera;
pub mod landscape;
pub mod map;
pub mod overlay;
pub mod palette;

pub use camera::Camera;
pub use landscape::{LandscapeRenderer, Mode, Scene, ViewOptions, render_rgba};
pub use map::{MapStyle, compose_map};
pub use overlay::{Overlay, annotate};
pub use palette::class_colour;

/// What can go wrong drawing.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The request cannot be drawn.
    #[error("{0}")]
    Input(String),
    /// The GPU failed.
    #[error("GPU error: {0}")]
    Gpu(String),
    /// Evaluating the field failed.
    #[error(transparent)]
    Eval(#[from] faultline_gpu::GpuError),
    /// The model or grid is unusable.
    #[error(transparent)]
    Model(#[from] faultline_model::ModelError),
}
