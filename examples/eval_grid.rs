//! Evaluating a grid through the library API: load a model, open an engine, ask for the
//! arrays you want, use them. Every engine (the native CPU one, the GPU one) implements
//! `faultline_model::GridEngine` and computes exactly what the request asks.
//!
//! ```sh
//! cargo run --example eval_grid -- [MODEL.safetensors] [--gpu]
//! ```

use anyhow::{Context, Result};
use faultline_model::{Domain, GridEngine, GridRequest, GridSpec};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let gpu = args.iter().any(|a| a == "--gpu");
    let path = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map_or("tests/fixtures/pytorch_2543.safetensors", String::as_str);
    let mlp = faultline_model::io::load(path.as_ref()).with_context(|| path.to_string())?;

    // The grid: the model's default view (or the unit square), 256 x 192 samples.
    let domain = match mlp.metadata.domain {
        Some(domain) => domain,
        None => Domain::new([-1.0, 1.0], [-1.0, 1.0])?,
    };
    let grid = GridSpec::new(domain, 256, 192)?;

    // An engine: the native CPU evaluator, or the generated WGSL kernel on a GPU adapter.
    let engine: Box<dyn GridEngine> = if gpu {
        let ctx = faultline_gpu::GpuContext::new()?;
        let options = faultline_shader::KernelOptions::default();
        Box::new(faultline_gpu::GridEvaluator::new(&ctx, &mlp, options)?)
    } else {
        Box::new(faultline_cpu::CpuEvaluator::new(&mlp)?)
    };

    // Ask for the field, the classes and the decision boundary (one boundary pass).
    let request = GridRequest {
        field: true,
        classes: true,
        decision: true,
        ..GridRequest::default()
    };
    let arrays = engine.evaluate(&grid, &request, &mut |_rows_done| {})?;
    let field = arrays.field.as_deref().context("the field was asked for")?;
    let classes = arrays
        .classes
        .as_deref()
        .context("classes were asked for")?;
    let decision = arrays
        .decision
        .as_deref()
        .context("decision was asked for")?;

    println!("{} on {}", mlp.architecture(), engine.describe());
    let c = arrays.channels;
    let (r, col) = (grid.height / 2, grid.width / 2);
    let cell = r * grid.width + col;
    println!(
        "at (x, y) = ({:.3}, {:.3}): z = {:?}, class {}",
        grid.x(col),
        grid.y(r),
        &field[cell * c..(cell + 1) * c],
        classes[cell]
    );
    for (k, name) in mlp.class_names().iter().enumerate() {
        let share = classes.iter().filter(|&&x| x as usize == k).count();
        println!(
            "{name}: {:.1} % of the grid",
            100.0 * share as f64 / classes.len() as f64
        );
    }
    let boundary = decision.iter().filter(|&&d| d == 1).count();
    println!("{boundary} cells on the decision boundary");
    Ok(())
}
