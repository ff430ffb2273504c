//! Choosing where a grid is evaluated.

use anyhow::{Result, bail};

use crate::cli::Backend;
use faultline_gpu::{GpuContext, gpu_required};

/// The engine a command runs on.
pub enum Engine {
    /// A GPU device (hardware or lavapipe).
    Gpu(Box<GpuContext>),
    /// The CPU reference.
    Cpu,
}

impl Engine {
    /// A short description for reports.
    pub fn describe(&self) -> String {
        match self {
            Engine::Gpu(ctx) => format!("gpu: {}", ctx.describe()),
            Engine::Cpu => "cpu (reference)".into(),
        }
    }
}

/// Opens the engine `backend` asks for. `auto` falls back to the CPU with a one-line
/// notice when there is no adapter, unless FAULTLINE_REQUIRE_GPU=1.
pub fn choose(backend: Backend) -> Result<Engine> {
    match backend {
        Backend::Cpu => Ok(Engine::Cpu),
        Backend::Gpu => match GpuContext::new() {
            Ok(ctx) => Ok(Engine::Gpu(Box::new(ctx))),
            Err(e) => bail!("--backend gpu: {e}"),
        },
        Backend::Auto => match GpuContext::new() {
            Ok(ctx) => Ok(Engine::Gpu(Box::new(ctx))),
            Err(e) if gpu_required() => bail!("FAULTLINE_REQUIRE_GPU=1: {e}"),
            Err(e) => {
                eprintln!("note: {e}; evaluating on the CPU");
                Ok(Engine::Cpu)
            }
        },
    }
}
