//! What a network learned, measured on a grid over its input plane (`faultline analyze`):
//! each class's area and whether it is dormant, overlapping sigmoid outputs, each hidden
//! neuron's activity, the linear pieces a piecewise-linear net crosses, each class
//! region's fragments, the crossings' lengths and the junctions.
//!
//! One float32 forward pass over the grid ([`forward`]) gives the outputs and the hidden
//! layers' statistics; [`regions`] and [`boundaries`] work on its class map and field.
//! Every definition is stated on the field it fills in [`Analysis`] (and in the README).
//! No device and no burn: the analysis is plain code over the grid, on all cores.

pub mod boundaries;
pub mod contours;
pub mod forward;
pub mod regions;
mod table;

use faultline_model::arrays::{class_count, class_of};
use faultline_model::{Activation, GridSpec, Mlp};
use serde::Serialize;

pub use forward::{is_active, is_piecewise};
pub use table::table;

/// The grid analysed.
#[derive(Debug, Clone, Serialize)]
pub struct GridInfo {
    /// Samples along x.
    pub width: usize,
    /// Samples along y.
    pub height: usize,
    /// `[[x0, x1], [y0, y1]]`.
    pub domain: [[f64; 2]; 2],
}

/// One class.
#[derive(Debug, Clone, Serialize)]
pub struct ClassInfo {
    /// Its index.
    pub index: usize,
    /// Its name.
    pub name: String,
    /// The fraction of samples whose class (the rule of `eval --classes`) is this one.
    pub area: f64,
    /// The largest value of its output over the grid (for a one-output model: the output
    /// for class 1, the threshold for class 0).
    pub max_score: f64,
    /// Whether `area` is 0: the network never predicts it here.
    pub dormant: bool,
}

/// Where sigmoid outputs overlap (the paper's overlapping decision planes).
#[derive(Debug, Clone, Serialize)]
pub struct Overlap {
    /// The fraction of samples where two or more outputs are above 0.5.
    pub ambiguous_area: f64,
    /// The fraction where none is.
    pub none_area: f64,
    /// Per pair, the fraction where both are.
    pub pairs: Vec<PairOverlap>,
}

/// Two outputs both above 0.5.
#[derive(Debug, Clone, Serialize)]
pub struct PairOverlap {
    /// The first output.
    pub i: usize,
    /// The second output.
    pub j: usize,
    /// The fraction of samples where both are above 0.5.
    pub both_area: f64,
}

/// One hidden neuron.
#[derive(Debug, Clone, Serialize)]
pub struct NeuronInfo {
    /// Its index in the layer.
    pub index: usize,
    /// The fraction of samples where it is active: relu and leaky relu with a positive
    /// pre-activation; sigmoid and tanh with an output more than 0.01 from an asymptote;
    /// identity with a pre-activation other than 0.
    pub active: f64,
    /// Whether `active` is 0.
    pub dead: bool,
    /// Its smallest output.
    pub min: f64,
    /// Its largest output.
    pub max: f64,
}

/// One hidden layer.
#[derive(Debug, Clone, Serialize)]
pub struct LayerInfo {
    /// The layer's index (0: the first hidden layer).
    pub index: usize,
    /// Its activation.
    pub activation: String,
    /// Its neurons.
    pub neurons: Vec<NeuronInfo>,
}

/// Linear pieces and region fragments.
#[derive(Debug, Clone, Serialize)]
pub struct Regions {
    /// For a piecewise-linear net (every hidden layer relu, leaky relu or identity): the
    /// number of distinct on/off patterns of its relu and leaky relu neurons over the
    /// samples, a lower bound on the linear pieces the view crosses; `null` otherwise.
    pub activation_patterns: Option<usize>,
    /// Per class, the number of 4-connected pieces of its region.
    pub components: Vec<usize>,
}

/// One pair's crossing.
#[derive(Debug, Clone, Serialize)]
pub struct Boundary {
    /// The first output (class 0 of a one-output model).
    pub i: usize,
    /// The second output (class 1 of a one-output model).
    pub j: usize,
    /// The length of the crossing z_i = z_j in domain units (marching squares, linear
    /// interpolation along cell edges).
    pub length: f64,
    /// The fraction of that length that is decision boundary (i and j the two largest).
    pub on_decision: f64,
}

/// Where three or more classes meet.
#[derive(Debug, Clone, Serialize)]
pub struct JunctionInfo {
    /// The centroid of a cluster of junction cells (8-connected), x.
    pub x: f64,
    /// Its y.
    pub y: f64,
    /// The classes that meet there.
    pub classes: Vec<u32>,
}

/// Everything `analyze` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// The grid.
    pub grid: GridInfo,
    /// Per class.
    pub classes: Vec<ClassInfo>,
    /// For sigmoid outputs (more than one), where they overlap; `null` otherwise.
    pub overlap: Option<Overlap>,
    /// Per hidden layer.
    pub layers: Vec<LayerInfo>,
    /// Linear pieces and fragments.
    pub regions: Regions,
    /// Per pair of outputs (up to 64 pairs).
    pub boundaries: Vec<Boundary>,
    /// The junctions.
    pub junctions: Vec<JunctionInfo>,
}

/// Analyses `mlp` (two inputs) on `grid`.
pub fn analyze(mlp: &Mlp, grid: &GridSpec) -> Analysis {
    let pass = forward::run(mlp, grid);
    let c = mlp.outputs();
    let threshold = mlp.threshold();
    let n = grid.points();
    let total = n.max(1) as f64;
    let classes: Vec<u32> = pass
        .field
        .chunks(c)
        .map(|z| class_of(z, threshold))
        .collect();
    let count = class_count(c);
    let mut hits = vec![0usize; count];
    classes.iter().for_each(|&k| hits[k as usize] += 1);
    let mut top = vec![f64::NEG_INFINITY; c];
    for z in pass.field.chunks(c) {
        for (t, &v) in top.iter_mut().zip(z) {
            *t = t.max(f64::from(v));
        }
    }
    let names = mlp.class_names();
    let class_info = (0..count)
        .map(|k| ClassInfo {
            index: k,
            name: names[k].clone(),
            area: hits[k] as f64 / total,
            max_score: match c {
                1 if k == 0 => f64::from(threshold),
                1 => top[0],
                _ => top[k],
            },
            dormant: hits[k] == 0,
        })
        .collect();
    let output = mlp.layers().last().expect("a layer").activation;
    let overlap = (output == Activation::Sigmoid && c > 1).then(|| overlap(&pass.field, c, total));
    let layers = mlp.layers()[..mlp.layers().len() - 1]
        .iter()
        .zip(&pass.layers)
        .enumerate()
        .map(|(index, (layer, stats))| LayerInfo {
            index,
            activation: layer.activation.name(),
            neurons: stats
                .iter()
                .enumerate()
                .map(|(j, s)| NeuronInfo {
                    index: j,
                    active: s.active as f64 / total,
                    dead: s.active == 0,
                    min: f64::from(s.min),
                    max: f64::from(s.max),
                })
                .collect(),
        })
        .collect();
    let components = regions::components(&classes, grid.width, grid.height, count);
    let boundaries = boundaries::lengths(&pass.field, c, threshold, grid)
        .into_iter()
        .map(|p| Boundary {
            i: p.i,
            j: p.j,
            length: p.length,
            on_decision: if p.length > 0.0 {
                p.decision / p.length
            } else {
                0.0
            },
        })
        .collect();
    let junctions = regions::junctions(&classes, grid)
        .into_iter()
        .map(|j| JunctionInfo {
            x: j.x,
            y: j.y,
            classes: j.classes,
        })
        .collect();
    Analysis {
        grid: GridInfo {
            width: grid.width,
            height: grid.height,
            domain: [grid.domain.x, grid.domain.y],
        },
        classes: class_info,
        overlap,
        layers,
        regions: Regions {
            activation_patterns: pass.patterns,
            components,
        },
        boundaries,
        junctions,
    }
}

fn overlap(field: &[f32], c: usize, total: f64) -> Overlap {
    let (mut ambiguous, mut none) = (0usize, 0usize);
    let mut both = vec![0usize; c * c];
    for z in field.chunks(c) {
        let above = z.iter().filter(|&&v| v > 0.5).count();
        match above {
            0 => none += 1,
            1 => {}
            _ => ambiguous += 1,
        }
        if above >= 2 {
            for i in 0..c {
                if z[i] > 0.5 {
                    for j in i + 1..c {
                        if z[j] > 0.5 {
                            both[i * c + j] += 1;
                        }
                    }
                }
            }
        }
    }
    Overlap {
        ambiguous_area: ambiguous as f64 / total,
        none_area: none as f64 / total,
        pairs: (0..c)
            .flat_map(|i| (i + 1..c).map(move |j| (i, j)))
            .map(|(i, j)| PairOverlap {
                i,
                j,
                both_area: both[i * c + j] as f64 / total,
            })
            .collect(),
    }
}
