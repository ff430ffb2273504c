//! Turns a [`faultline_model::Mlp`] into WGSL: the grid kernel that evaluates the network
//! on a grid and records each point's class and pair signs, plus the hand-written boundary
//! pass it feeds.
//!
//! Code is built from a small typed representation ([`wgsl`]) printed with `Display`, and
//! spliced around the hand-written template `shaders/grid_eval.wgsl`. This crate needs no
//! GPU and must not depend on wgpu: every shader it produces is validated by naga in its
//! tests. Set `FAULTLINE_DUMP_WGSL=DIR` to have the GPU crate write every kernel it builds.

pub mod kernel;
pub mod network;
pub mod prelude;
pub mod variant;
pub mod wgsl;

pub use kernel::{
    BOUNDARY_PACKED_WGSL, BOUNDARY_WGSL, FLAG_ROWS, GridKernel, KernelOptions, MAX_CHANNELS,
    PACKED_CELLS, Stores, boundary_packed_source, boundary_source, export_source, grid_kernel,
};
pub use network::{Form, ROW_RATIO_LIMIT, UNROLL_LIMIT, auto_form, multiply_adds, sign_words};
pub use prelude::{BOUNDARY_RULE_WGSL, prelude};
pub use variant::{Module, Specialisation, Variant};

/// What can stop a kernel from being generated.
#[derive(Debug, thiserror::Error)]
pub enum ShaderError {
    /// The model or the options are outside what the generator handles.
    #[error("cannot generate a kernel: {0}")]
    Unsupported(String),
}
