//! `--data FILE.csv` and `--near D`: data samples placed on the grid's plane, each with
//! its label and the model's class for it.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::plane_args::PlaneRecord;
use faultline_model::arrays::class_of;
use faultline_model::samples::read_samples;
use faultline_model::{Domain, Mlp};

/// The default `--near`, as a fraction of the data's spread (the root-mean-square distance
/// of its samples from their mean).
pub const NEAR_FRACTION: f64 = 0.1;

/// A sample on the plane.
pub struct Placed {
    /// Plane coordinates of its projection.
    pub s: f64,
    /// Plane coordinates of its projection.
    pub t: f64,
    /// Its label as a class index, when the file has labels.
    pub label: Option<usize>,
    /// The model's class for the sample itself.
    pub predicted: usize,
}

/// The samples of `data` within `near` of the plane (all of them for a two-input model),
/// and a line saying how many were kept and why.
pub fn place(
    data: &Path,
    near: Option<f64>,
    record: &PlaneRecord,
    model: &Mlp,
    domain: &Domain,
) -> Result<(Vec<Placed>, String)> {
    if let Some(d) = near
        && !(d.is_finite() && d >= 0.0)
    {
        bail!("--near {d}: must be a distance, 0 or more");
    }
    let (original, plane) = match record.plane() {
        Some((plane, original)) => (original, Some(plane)),
        None => (model, None),
    };
    let n = original.inputs();
    let samples = read_samples(data, original.metadata.inputs.as_deref(), n)
        .with_context(|| "--data".to_string())?;
    let classes = original.class_names();
    let labels: Option<Vec<usize>> = samples
        .labels
        .as_ref()
        .map(|(column, labels)| {
            labels
                .iter()
                .map(|l| {
                    classes
                        .iter()
                        .position(|c| c == l)
                        .or_else(|| l.parse::<usize>().ok().filter(|&k| k < classes.len()))
                        .with_context(|| {
                            format!(
                                "--data {}: label '{l}' in column '{column}' is not one of the model's classes ({})",
                                data.display(),
                                classes.join(", ")
                            )
                        })
                })
                .collect::<Result<Vec<usize>>>()
        })
        .transpose()?;
    let rows = samples.rows();
    let (near, why) = match (plane, near) {
        (None, _) => (f64::INFINITY, String::new()),
        (Some(_), Some(d)) => (d, format!("within --near {d} of the plane")),
        (Some(_), None) => {
            let mean: Vec<f64> = (0..n)
                .map(|j| (0..rows).map(|i| samples.row(i)[j]).sum::<f64>() / rows as f64)
                .collect();
            let spread = ((0..rows)
                .map(|i| {
                    samples
                        .row(i)
                        .iter()
                        .zip(&mean)
                        .map(|(x, m)| (x - m).powi(2))
                        .sum::<f64>()
                })
                .sum::<f64>()
                / rows as f64)
                .sqrt();
            let d = NEAR_FRACTION * spread;
            (
                d,
                format!(
                    "within {d:.3} of the plane (default --near: {:.0} % of the data's spread, {spread:.3})",
                    NEAR_FRACTION * 100.0
                ),
            )
        }
    };
    let threshold = original.threshold();
    let mut placed = Vec::new();
    for i in 0..rows {
        let x = samples.row(i);
        let (s, t, distance) = match plane {
            Some(p) => p.project(x),
            None => (x[0], x[1], 0.0),
        };
        let inside =
            (domain.x[0]..=domain.x[1]).contains(&s) && (domain.y[0]..=domain.y[1]).contains(&t);
        if distance > near || !inside {
            continue;
        }
        let z: Vec<f32> = original.forward_f64(x).iter().map(|&v| v as f32).collect();
        placed.push(Placed {
            s,
            t,
            label: labels.as_ref().map(|l| l[i]),
            predicted: class_of(&z, threshold) as usize,
        });
    }
    let wrong = placed
        .iter()
        .filter(|p| p.label.is_some_and(|l| l != p.predicted))
        .count();
    let summary = format!(
        "{} of {rows} samples of {} drawn{}{}{}",
        placed.len(),
        data.display(),
        if why.is_empty() {
            String::new()
        } else {
            format!(" ({why})")
        },
        if why.is_empty() {
            " (inside the domain)"
        } else {
            ""
        },
        if labels.is_some() {
            format!(", {wrong} misclassified (rings)")
        } else {
            ", coloured by the model's class (the file has no labels)".into()
        }
    );
    Ok((placed, summary))
}
