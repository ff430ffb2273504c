//! Faultline's images. Today: the 2-D boundary map (classes in a colour-blind-safe
//! palette, decision boundaries, junctions, optional pairwise crossings) composed from the
//! per-cell flags of a grid evaluation. It does not evaluate networks (faultline-gpu does)
//! and does not open windows (the viewer will).

pub mod map;
pub mod palette;

pub use map::{MapStyle, compose_map};
pub use palette::class_colour;
