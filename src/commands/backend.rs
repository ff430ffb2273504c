//! Choosing where a grid is evaluated: the one place that knows the engines apart.

use anyhow::{Result, bail};

use crate::cli::Backend;
use faultline_cpu::CpuEvaluator;
use faultline_gpu::{GpuContext, GridEvaluator, gpu_required};
use faultline_model::{GridEngine, Mlp};
use faultline_shader::{KernelOptions, MAX_CHANNELS};

/// Opens the engine `backend` asks for, prepared for `mlp`.
///
/// `auto` takes a hardware GPU when there is one. A software adapter (lavapipe) runs on
/// the same CPU cores as the native evaluator, which is faster there for the field and
/// for boundaries (BENCHMARKS.md), so `auto` takes the CPU then, unless
/// FAULTLINE_REQUIRE_GPU=1 asks for the adapter. With no adapter at all it takes the CPU
/// with a one-line notice, unless FAULTLINE_REQUIRE_GPU=1. A model wider than a GPU
/// kernel handles ([`MAX_CHANNELS`] outputs) runs on the CPU under `auto`.
pub fn engine(backend: Backend, mlp: &Mlp) -> Result<Box<dyn GridEngine>> {
    let gpu = |ctx: &GpuContext| -> Result<Box<dyn GridEngine>> {
        Ok(Box::new(GridEvaluator::new(
            ctx,
            mlp,
            KernelOptions::default(),
        )?))
    };
    match backend {
        Backend::Cpu => cpu(mlp),
        Backend::Gpu => match GpuContext::new() {
            Ok(ctx) => gpu(&ctx),
            Err(e) => bail!("--backend gpu: {e}"),
        },
        Backend::Auto if mlp.outputs() > MAX_CHANNELS => cpu(mlp),
        Backend::Auto => match GpuContext::new() {
            Ok(ctx) if gpu_required() || !ctx.is_software() => gpu(&ctx),
            Ok(_) => cpu(mlp),
            Err(e) if gpu_required() => bail!("FAULTLINE_REQUIRE_GPU=1: {e}"),
            Err(e) => {
                eprintln!("note: {e}; evaluating on the CPU");
                cpu(mlp)
            }
        },
    }
}

/// The native CPU engine for `mlp`.
pub fn cpu(mlp: &Mlp) -> Result<Box<dyn GridEngine>> {
    Ok(Box::new(CpuEvaluator::new(mlp)?))
}
