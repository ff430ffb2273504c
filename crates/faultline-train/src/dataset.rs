//! Labelled data: the paper's S1, S2 and S3 sets (section 5) and the common container.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::TrainError;
use faultline_model::Domain;

/// The default margin n of S1-S3: the grey band is `255 - n <= x1 + x2 <= 255 + n`.
pub const DEFAULT_MARGIN: f64 = 30.0;

/// The seed of the fresh test set `faultline train` draws for training seed `seed` (another
/// stream of the same generator), so the demo reports the accuracy the README's table
/// gives for the same seed.
pub fn test_seed(seed: u64) -> u64 {
    seed ^ 0x7E57_5EED
}

/// The class names of the paper's sets, in label order. The paper calls a low pixel sum
/// "white" and a high one "black", the reverse of pixel intensity; we follow the paper.
pub const PAPER_CLASSES: [&str; 3] = ["white", "black", "grey"];

/// Labelled samples with named features and classes.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// A short name for the training record (`s1`, `csv:path`).
    pub name: String,
    /// Feature names, one per input.
    pub inputs: Vec<String>,
    /// Class names, one per label value.
    pub classes: Vec<String>,
    /// Row-major `[n, inputs]` features.
    pub features: Vec<f32>,
    /// `n` labels, each `< classes.len()`.
    pub labels: Vec<usize>,
    /// The range of the data, the default view of the model (2-input data only).
    pub domain: Option<Domain>,
}

impl Dataset {
    /// Each feature's mean over the samples (float64).
    pub fn mean(&self) -> Vec<f64> {
        let d = self.inputs.len();
        (0..d)
            .map(|j| {
                self.features
                    .iter()
                    .skip(j)
                    .step_by(d)
                    .map(|&v| f64::from(v))
                    .sum::<f64>()
                    / self.len().max(1) as f64
            })
            .collect()
    }

    /// Each feature's `[min, max]` over the samples, each the shortest decimal that reads
    /// back as the float32 sample (4.4, not 4.400000095367432).
    pub fn ranges(&self) -> Vec<[f64; 2]> {
        let d = self.inputs.len();
        let decimal = |v: f32| v.to_string().parse::<f64>().unwrap_or(f64::from(v));
        (0..d)
            .map(|j| {
                let (lo, hi) = self
                    .features
                    .iter()
                    .skip(j)
                    .step_by(d)
                    .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                        (lo.min(v), hi.max(v))
                    });
                [decimal(lo), decimal(hi)]
            })
            .collect()
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set holds no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The features of sample `i`.
    pub fn sample(&self, i: usize) -> &[f32] {
        let d = self.inputs.len();
        &self.features[i * d..(i + 1) * d]
    }

    /// The samples at `indices`, as a new set.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        Dataset {
            features: indices
                .iter()
                .flat_map(|&i| self.sample(i).to_vec())
                .collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            ..self.clone()
        }
    }
}

/// One of the paper's three data sets over two pixel values `x1, x2` in `0..=255`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaperSet {
    /// white if `x1 + x2 < 255 - n`, black if `x1 + x2 > 255 + n`, grey otherwise.
    S1,
    /// white if `x1 < x2` and `x1 + x2 < 255 - n`; black if `x1 > x2` and
    /// `x1 + x2 > 255 + n`; grey otherwise.
    S2,
    /// S1, except that every third sample is grey whatever its values (label noise on
    /// purpose: the paper's "non-continuous" set).
    S3,
}

impl PaperSet {
    /// Parses `s1`, `s2` or `s3`.
    pub fn parse(s: &str) -> Option<PaperSet> {
        match s.to_ascii_lowercase().as_str() {
            "s1" => Some(PaperSet::S1),
            "s2" => Some(PaperSet::S2),
            "s3" => Some(PaperSet::S3),
            _ => None,
        }
    }

    /// `s1`, `s2` or `s3`.
    pub fn name(self) -> &'static str {
        match self {
            PaperSet::S1 => "s1",
            PaperSet::S2 => "s2",
            PaperSet::S3 => "s3",
        }
    }

    /// The noise-free label of a point: 0 white, 1 black, 2 grey (S3 as S1).
    pub fn label(self, x1: f64, x2: f64, margin: f64) -> usize {
        let sum = x1 + x2;
        let (white, black) = match self {
            PaperSet::S1 | PaperSet::S3 => (sum < 255.0 - margin, sum > 255.0 + margin),
            PaperSet::S2 => (
                x1 < x2 && sum < 255.0 - margin,
                x1 > x2 && sum > 255.0 + margin,
            ),
        };
        if white {
            0
        } else if black {
            1
        } else {
            2
        }
    }

    /// How far `(x1, x2)` lies from the nearest class boundary of the noise-free labels,
    /// in pixel units (Euclidean distance in the input plane).
    pub fn boundary_distance(self, x1: f64, x2: f64, margin: f64) -> f64 {
        let sqrt2 = std::f64::consts::SQRT_2;
        let sum = x1 + x2;
        let to_low = (sum - (255.0 - margin)).abs() / sqrt2;
        let to_high = (sum - (255.0 + margin)).abs() / sqrt2;
        let band = to_low.min(to_high);
        match self {
            PaperSet::S1 | PaperSet::S3 => band,
            // The diagonal x1 = x2 is a boundary only where it separates white or black
            // from grey; using it everywhere only makes the distance smaller (conservative).
            PaperSet::S2 => band.min((x1 - x2).abs() / sqrt2),
        }
    }

    /// Draws `n` samples with integer pixel values uniform in `0..=255`, seeded.
    pub fn generate(self, n: usize, margin: f64, seed: u64) -> Result<Dataset, TrainError> {
        if !(margin.is_finite() && margin >= 0.0) {
            return Err(TrainError::Config(format!(
                "--margin must be a non-negative number, got {margin}"
            )));
        }
        if margin >= 255.0 {
            return Err(TrainError::Config(format!(
                "--margin {margin} leaves no white or black samples (it must be below 255)"
            )));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut features = Vec::with_capacity(2 * n);
        let mut labels = Vec::with_capacity(n);
        for i in 0..n {
            let x1 = f64::from(rng.random_range(0u8..=255));
            let x2 = f64::from(rng.random_range(0u8..=255));
            let label = if self == PaperSet::S3 && i % 3 == 2 {
                2
            } else {
                self.label(x1, x2, margin)
            };
            features.extend([x1 as f32, x2 as f32]);
            labels.push(label);
        }
        Ok(Dataset {
            name: self.name().into(),
            inputs: vec!["x1".into(), "x2".into()],
            classes: PAPER_CLASSES.iter().map(|s| s.to_string()).collect(),
            features,
            labels,
            domain: Some(Domain::new([0.0, 255.0], [0.0, 255.0])?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_paper() {
        let n = 30.0;
        assert_eq!(PaperSet::S1.label(10.0, 10.0, n), 0);
        assert_eq!(PaperSet::S1.label(200.0, 200.0, n), 1);
        assert_eq!(PaperSet::S1.label(127.0, 128.0, n), 2);
        assert_eq!(PaperSet::S2.label(10.0, 20.0, n), 0);
        assert_eq!(PaperSet::S2.label(20.0, 10.0, n), 2);
        assert_eq!(PaperSet::S2.label(220.0, 200.0, n), 1);
        assert_eq!(PaperSet::S2.label(200.0, 220.0, n), 2);
    }

    #[test]
    fn s3_makes_every_third_sample_grey() {
        let s1 = PaperSet::S1.generate(300, 30.0, 5).unwrap();
        let s3 = PaperSet::S3.generate(300, 30.0, 5).unwrap();
        assert_eq!(s1.features, s3.features);
        for i in 0..300 {
            let expect = if i % 3 == 2 { 2 } else { s1.labels[i] };
            assert_eq!(s3.labels[i], expect);
        }
    }

    #[test]
    fn generation_is_seeded() {
        let a = PaperSet::S2.generate(100, 10.0, 1).unwrap();
        assert_eq!(a, PaperSet::S2.generate(100, 10.0, 1).unwrap());
        assert_ne!(a, PaperSet::S2.generate(100, 10.0, 2).unwrap());
        assert!(
            a.features
                .iter()
                .all(|&v| (0.0..=255.0).contains(&v) && v.fract() == 0.0)
        );
        assert!(PaperSet::S1.generate(10, -1.0, 1).is_err());
    }
}
