//! The bench report: the table and the JSON (a contract: scripts read its fields).

use anyhow::Result;
use serde_json::json;

use super::Measurement;
use faultline_gpu::GpuContext;

/// Prints the measurements: a table, or with `json` the documented JSON report.
pub(super) fn print(
    json: bool,
    gpu: Option<&GpuContext>,
    results: &[Measurement],
    notes: Vec<String>,
) -> Result<()> {
    if json {
        let adapter = gpu.map(|ctx| {
            json!({
                "name": ctx.adapter_info.name,
                "backend": format!("{:?}", ctx.adapter_info.backend),
                "device_type": format!("{:?}", ctx.adapter_info.device_type),
                "driver": ctx.adapter_info.driver,
                "driver_info": ctx.adapter_info.driver_info,
            })
        });
        let report = json!({
            "adapter": adapter,
            "cpu_threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "results": results.iter().map(Measurement::to_json).collect::<Vec<_>>(),
            "notes": notes,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    if let Some(ctx) = gpu {
        println!("adapter: {}", ctx.describe());
    }
    // The framework baseline measured in this run, by model: the last column's ratio.
    let baseline = |model: &str| {
        results
            .iter()
            .find(|b| b.model == model && b.backend == "cpu-burn")
            .map(|b| b.points() / b.seconds)
    };
    let label_width = results
        .iter()
        .map(|m| m.model.len())
        .max()
        .unwrap_or(0)
        .max(5);
    println!(
        "{:<label_width$} {:<14} {:>6} {:>14} {:>14} {:>9} {:>10} {:>10} {:>9}",
        "model",
        "backend",
        "size",
        "end-to-end/s",
        "compute/s",
        "GFLOP/s",
        "seconds",
        "pipeline",
        "vs burn"
    );
    for m in results {
        let j = m.to_json();
        let per_second = j["points_per_second"].as_f64().unwrap_or(0.0);
        let versus = baseline(&m.model)
            .map(|b| format!("{:.2}x", per_second / b))
            .unwrap_or_default();
        println!(
            "{:<label_width$} {:<14} {:>6} {:>12.2} M {:>12.2} M {:>9.2} {:>10.4} {:>10.4} {:>9}",
            m.model,
            m.backend,
            m.size,
            per_second / 1e6,
            j["compute_points_per_second"].as_f64().unwrap_or(0.0) / 1e6,
            j["gflops"].as_f64().unwrap_or(0.0),
            m.seconds,
            m.pipeline_seconds,
            versus
        );
        if let Some(o) = j["boundary_overhead"].as_f64() {
            println!("{:<label_width$} {:<14} {}", "", "", overhead_text(o));
        }
    }
    if results.iter().any(|m| m.backend == "cpu-burn") {
        println!("vs burn: end to end over cpu-burn (burn's ndarray inference) in this run");
    }
    for n in notes {
        println!("note: {n}");
    }
    Ok(())
}

/// The boundary pass's cost as the report says it. It is timed alternately with the
/// field alone, so on small grids the difference can come out negative: that is noise,
/// and said so rather than printed as a negative cost.
fn overhead_text(overhead: f64) -> String {
    if overhead >= 0.0 {
        format!("boundary pass adds {:.1} % to compute", overhead * 100.0)
    } else {
        format!(
            "boundary pass adds nothing measurable ({:.1} %, within the run-to-run noise)",
            overhead * 100.0
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_negative_overhead_is_reported_as_noise() {
        assert_eq!(
            super::overhead_text(0.125),
            "boundary pass adds 12.5 % to compute"
        );
        let noise = super::overhead_text(-0.031);
        assert!(
            noise.contains("nothing measurable") && noise.contains("noise"),
            "{noise}"
        );
        assert!(!noise.starts_with("boundary pass adds -"));
    }
}
