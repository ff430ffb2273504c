//! Choosing where a grid is evaluated.

use anyhow::{Result, bail};

use crate::cli::Backend;
use faultline_cpu::CpuEvaluator;
use faultline_gpu::{GpuContext, gpu_required};

/// The engine a command runs on.
pub enum Engine {
    /// A GPU device (hardware or lavapipe).
    Gpu(Box<GpuContext>),
    /// The native CPU evaluator on all cores.
    Cpu,
}

impl Engine {
    /// A short description for reports.
    pub fn describe(&self) -> String {
        match self {
            Engine::Gpu(ctx) => format!("gpu: {}", ctx.describe()),
            Engine::Cpu => format!("cpu: native, {} threads", rayon_threads()),
        }
    }
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Opens the engine `backend` asks for.
///
/// `auto` takes a hardware GPU when there is one. A software adapter (lavapipe) runs on
/// the same CPU cores as the native evaluator, which is faster there for the field (7x,
/// BENCHMARKS.md) and for boundaries (an 8192^2 map: 1.75 s against 1.97 s), so `auto`
/// takes the CPU then, unless FAULTLINE_REQUIRE_GPU=1 asks for the adapter. With no
/// adapter at all it takes the CPU with a one-line notice, unless FAULTLINE_REQUIRE_GPU=1.
pub fn choose(backend: Backend) -> Result<Engine> {
    match backend {
        Backend::Cpu => Ok(Engine::Cpu),
        Backend::Gpu => match GpuContext::new() {
            Ok(ctx) => Ok(Engine::Gpu(Box::new(ctx))),
            Err(e) => bail!("--backend gpu: {e}"),
        },
        Backend::Auto => match GpuContext::new() {
            Ok(ctx) if gpu_required() || !ctx.is_software() => Ok(Engine::Gpu(Box::new(ctx))),
            Ok(_) => Ok(Engine::Cpu),
            Err(e) if gpu_required() => bail!("FAULTLINE_REQUIRE_GPU=1: {e}"),
            Err(e) => {
                eprintln!("note: {e}; evaluating on the CPU");
                Ok(Engine::Cpu)
            }
        },
    }
}

/// Builds the native evaluator for `mlp`.
pub fn cpu_evaluator(mlp: &faultline_model::Mlp) -> Result<CpuEvaluator> {
    Ok(CpuEvaluator::new(mlp)?)
}
