//! GPU grid evaluation with wgpu: choosing an adapter (hardware first, lavapipe as the
//! software fallback), building the generated network kernel and the boundary pass, and
//! running them over any W x H grid in row bands sized to the device's limits.
//!
//! This crate owns device setup, buffers, dispatch and readback. It must not generate
//! WGSL (faultline-shader does) or draw anything (the render crate does). Every kernel has
//! a CPU twin in faultline-model; the tests compare them.

pub mod context;
mod engine;
pub mod error;
pub mod evaluator;
mod host_copy;
pub mod output;
pub mod params;

pub use context::{GPU_PATH_ENV, GpuContext, GpuPath, context_for_test, gpu_required};
pub use error::GpuError;
pub use evaluator::{
    EvalRequest, FUSED_MULTIPLY_ADD_LIMIT, GridEvaluator, PACKED_MULTIPLY_ADD_LIMIT, Timing,
};
pub use output::{CROSSING, DECISION, GridOutput, JUNCTION};
