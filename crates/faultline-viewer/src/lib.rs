//! The Faultline window: a winit 0.30 application that draws the landscape with
//! faultline-render into a wgpu surface and lets you fly through it.
//!
//! Controls: W/A/S/D or the arrows move, Z/X zoom the domain in/out 2x around the point
//! under the screen centre (evaluated again at full resolution), Q/E down/up, Shift faster, the wheel changes
//! speed, dragging with the left button looks around (or orbits, in orbit mode), O toggles
//! orbit/fly, R resets the view, M cycles the mode (all surfaces, envelope, each class),
//! 1-9 toggle class visibility, B/C/J toggle the decision boundary / crossings /
//! junctions, G the floor, +/- the height scale, `[` and `]` halve or double the grid
//! resolution (re-evaluated by the engine it opened with), space plays or pauses a model's
//! training snapshots and `,`/`.` step through them, F12 or P saves a screenshot, Tab shows or hides
//! the overlay panel (egui: model summary, class visibility, mode, height, boundary
//! toggles, grid resolution, camera, screenshot), Esc quits.
//!
//! This crate owns input handling and the window's surface; drawing is faultline-render's.

mod controls;
mod panel;
mod playback;
mod viewer;
mod zoom;

pub use playback::Playback;
pub use viewer::{DRAGGING_RESOLUTION, PngWriter, ViewerOptions, ViewerReport, run};

/// What can stop the viewer.
#[derive(Debug, thiserror::Error)]
pub enum ViewerError {
    /// No display to open a window on.
    #[error(
        "cannot open a window: {0}. Without a display, use `faultline render` to draw the landscape to a PNG"
    )]
    NoDisplay(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}
