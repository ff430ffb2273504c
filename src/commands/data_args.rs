//! `--data FILE.csv` and `--near D`: data samples placed on the grid's plane, each with
//! its label and the model's class for it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::plane_args::PlaneRecord;
use faultline_model::arrays::class_of;
use faultline_model::samples::{Samples, read_samples};
use faultline_model::{Domain, Mlp, Plane};
use faultline_render::dots::SampleDots;

/// The default `--near`, as a fraction of the data's spread (the root-mean-square distance
/// of its samples from their mean).
pub const NEAR_FRACTION: f64 = 0.1;

/// A data file read for a model: its samples, their labels and the model's classes.
pub struct Data {
    path: PathBuf,
    /// The samples, one feature per model input.
    pub samples: Samples,
    /// Each sample's label as a class index, when the file has labels.
    pub labels: Option<Vec<usize>>,
    /// The model's class for each sample itself.
    pub predicted: Vec<usize>,
    /// How far from a plane a sample may lie and still be drawn.
    pub near: f64,
    /// Why `near` is what it is (empty for a two-input model, where every sample lies in
    /// the plane).
    why: String,
}

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

impl Placed {
    /// The colour it is drawn in: its label's, else the model's class's.
    pub fn colour(&self) -> [u8; 3] {
        faultline_render::class_colour(self.label.unwrap_or(self.predicted))
    }

    /// Whether the model's class differs from its label.
    pub fn misclassified(&self) -> bool {
        self.label.is_some_and(|l| l != self.predicted)
    }
}

/// Reads `data` for the model the grid shows (`record`'s original when a plane is used,
/// else `model`): features, labels matched to the class names, the model's classes.
pub fn load(data: &Path, near: Option<f64>, record: &PlaneRecord, model: &Mlp) -> Result<Data> {
    if let Some(d) = near
        && !(d.is_finite() && d >= 0.0)
    {
        bail!("--near {d}: must be a distance, 0 or more");
    }
    let (original, on_plane) = match record.plane() {
        Some((_, original)) => (original, true),
        None => (model, false),
    };
    let samples = read_samples(data, original.metadata.inputs.as_deref(), original.inputs())
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
    let (near, why) = match (on_plane, near) {
        (false, _) => (f64::INFINITY, String::new()),
        (true, Some(d)) => (d, format!("within --near {d} of the plane")),
        (true, None) => {
            let spread = samples.spread();
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
    let predicted = (0..samples.rows())
        .map(|i| {
            let z: Vec<f32> = original
                .forward_f64(samples.row(i))
                .iter()
                .map(|&v| v as f32)
                .collect();
            class_of(&z, threshold) as usize
        })
        .collect();
    Ok(Data {
        path: data.to_path_buf(),
        samples,
        labels,
        predicted,
        near,
        why,
    })
}

impl Data {
    /// The samples drawn on `plane` (none: a two-input model) over `domain`.
    pub fn place(&self, plane: Option<&Plane>, domain: &Domain) -> Vec<Placed> {
        self.samples
            .near(plane, self.near, domain)
            .into_iter()
            .map(|(i, s, t)| Placed {
                s,
                t,
                label: self.labels.as_ref().map(|l| l[i]),
                predicted: self.predicted[i],
            })
            .collect()
    }

    /// The samples for a landscape, whose plane the viewer may move.
    pub fn dots(&self) -> SampleDots {
        let rows = self.samples.rows();
        let class = |i: usize| self.labels.as_ref().map_or(self.predicted[i], |l| l[i]);
        SampleDots {
            samples: self.samples.clone(),
            colours: (0..rows)
                .map(|i| faultline_render::class_colour(class(i)))
                .collect(),
            misclassified: (0..rows)
                .map(|i| {
                    self.labels
                        .as_ref()
                        .is_some_and(|l| l[i] != self.predicted[i])
                })
                .collect(),
            near: self.near,
        }
    }

    /// One line: how many samples were drawn, why, how many are misclassified.
    pub fn summary(&self, placed: &[Placed]) -> String {
        let wrong = placed.iter().filter(|p| p.misclassified()).count();
        format!(
            "{} of {} samples of {} drawn ({}){}",
            placed.len(),
            self.samples.rows(),
            self.path.display(),
            if self.why.is_empty() {
                "inside the domain"
            } else {
                &self.why
            },
            if self.labels.is_some() {
                format!(", {wrong} misclassified (rings)")
            } else {
                ", coloured by the model's class (the file has no labels)".into()
            }
        )
    }
}
