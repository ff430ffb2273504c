//! Faultline's images: the lit 3-D landscape (each output neuron a heightmap over the
//! input plane, with the decision boundary, pairwise crossings and junctions drawn on it)
//! and the 2-D boundary map.
//!
//! The landscape renderer draws into any wgpu texture (a window's surface or an offscreen
//! texture), so the viewer and the tests share one code path. It evaluates nothing itself
//! beyond asking an engine for the field (faultline-gpu's resident one on hardware GPUs), and must not depend on winit.

pub mod axes;
pub mod camera;
pub mod dots;
pub mod figure;
pub mod figure_png;
pub mod framing;
pub mod gltf;
pub mod landscape;
pub mod legend;
pub mod map;
pub mod occupancy;
mod offscreen;
pub mod overlay;
pub mod palette;
mod pipelines;
pub mod scene;
pub mod sheet;
pub mod text;
pub mod theme;
pub mod ticks;
pub mod view;
pub mod world;

pub use camera::Camera;
pub use dots::{Dot, SampleDots, SceneDot, draw_dots};
pub use landscape::{LandscapeRenderer, Mode, ViewOptions};
pub use map::{MapComposer, MapStyle, compose_map};
pub use offscreen::render_rgba;
pub use overlay::{Annotation, Overlay, annotate};
pub use palette::class_colour;
pub use scene::{Scene, SceneEngine};
pub use theme::Theme;
pub use world::WorldMap;

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
    /// A host engine failed evaluating the field.
    #[error(transparent)]
    Engine(#[from] faultline_model::EngineError),
    /// The model or grid is unusable.
    #[error(transparent)]
    Model(#[from] faultline_model::ModelError),
}
