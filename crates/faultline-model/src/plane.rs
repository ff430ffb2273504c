//! Planes through input space, and a wider model folded onto one.
//!
//! A grid point `(s, t)` of a plane is the input `origin + s·u + t·v`. The first layer
//! applied to it is `W1·origin + b1 + s·(W1·u) + t·(W1·v)`: a first layer with two inputs.
//! [`Plane::fold`] computes that layer in float64 and rounds it once, so every engine,
//! kernel, boundary pass and renderer runs unchanged on an equivalent two-input network.

use serde::{Deserialize, Serialize};

use crate::{Domain, Layer, Mlp, ModelError, ModelMetadata};

/// How a plane was chosen (the `how` of a written plane file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// Two inputs as the axes, the others fixed (`--axes`).
    Axes,
    /// Through three data samples (`--through`).
    Through,
    /// Through the data's mean along its first two principal components (`--pca`).
    Pca,
    /// From a plane file (`--plane`).
    File,
}

impl How {
    /// The name in a plane file.
    pub fn name(self) -> &'static str {
        match self {
            How::Axes => "axes",
            How::Through => "through",
            How::Pca => "pca",
            How::File => "plane",
        }
    }
}

/// An affine plane `origin + s·u + t·v` in a model's input space.
#[derive(Debug, Clone, PartialEq)]
pub struct Plane {
    /// The input at `(0, 0)`.
    pub origin: Vec<f64>,
    /// The input-space direction of the grid's x axis (`s`).
    pub u: Vec<f64>,
    /// The input-space direction of the grid's y axis (`t`).
    pub v: Vec<f64>,
}

/// Two directions closer to parallel than this (`1 - cos²`) span no plane.
const PARALLEL: f64 = 1e-12;

fn invalid(message: String) -> ModelError {
    ModelError::Plane(message)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

impl Plane {
    /// A plane, checked: three vectors of one length, finite, `u` and `v` neither zero nor
    /// parallel.
    pub fn new(origin: Vec<f64>, u: Vec<f64>, v: Vec<f64>) -> Result<Plane, ModelError> {
        let n = origin.len();
        for (name, vector) in [("origin", &origin), ("u", &u), ("v", &v)] {
            if vector.len() != n {
                return Err(invalid(format!(
                    "the plane's {name} has {} values, origin has {n}",
                    vector.len()
                )));
            }
            if let Some(bad) = vector.iter().find(|x| !x.is_finite()) {
                return Err(invalid(format!("the plane's {name} holds {bad}")));
            }
        }
        let (uu, vv, uv) = (dot(&u, &u), dot(&v, &v), dot(&u, &v));
        if uu == 0.0 || vv == 0.0 {
            let which = if uu == 0.0 { "u" } else { "v" };
            return Err(invalid(format!("the plane's {which} is zero")));
        }
        if 1.0 - uv * uv / (uu * vv) < PARALLEL {
            return Err(invalid(
                "the plane's u and v are parallel: they span a line, not a plane".into(),
            ));
        }
        Ok(Plane { origin, u, v })
    }

    /// Inputs `a` and `b` as the axes (`u = e_a`, `v = e_b`), every other input at its
    /// value in `at` (whose `a` and `b` entries are ignored).
    pub fn axes(at: &[f64], a: usize, b: usize) -> Result<Plane, ModelError> {
        let n = at.len();
        if a >= n || b >= n || a == b {
            return Err(invalid(format!(
                "axes {a} and {b} must be two different inputs of {n}"
            )));
        }
        let mut origin = at.to_vec();
        origin[a] = 0.0;
        origin[b] = 0.0;
        let unit = |k: usize| (0..n).map(|i| f64::from(u8::from(i == k))).collect();
        Plane::new(origin, unit(a), unit(b))
    }

    /// The plane through three points: origin at the first, `u` the unit direction to the
    /// second, `v` the unit direction towards the third orthogonal to `u` (so `s` and `t`
    /// are distances in input units). Collinear points are refused.
    pub fn through(points: [&[f64]; 3]) -> Result<Plane, ModelError> {
        let [p, q, r] = points;
        let d1: Vec<f64> = q.iter().zip(p).map(|(a, b)| a - b).collect();
        let d2: Vec<f64> = r.iter().zip(p).map(|(a, b)| a - b).collect();
        let (n1, n2) = (norm(&d1), norm(&d2));
        if n1 == 0.0 || n2 == 0.0 {
            return Err(invalid(
                "two of the three samples are the same point: they span no plane".into(),
            ));
        }
        let u: Vec<f64> = d1.iter().map(|x| x / n1).collect();
        let along = dot(&d2, &u);
        let w: Vec<f64> = d2.iter().zip(&u).map(|(x, e)| x - along * e).collect();
        let nw = norm(&w);
        if nw <= 1e-9 * n2 {
            return Err(invalid(
                "the three samples are collinear: they span a line, not a plane".into(),
            ));
        }
        let v = w.iter().map(|x| x / nw).collect();
        Plane::new(p.to_vec(), u, v)
    }

    /// The plane through the mean of `rows` (row-major, `n` values each) along their first
    /// two principal components (unit vectors, largest variance first), and the third
    /// component (the plane's normal within the data) when there is one.
    pub fn pca(rows: &[f64], n: usize) -> Result<(Plane, Option<Vec<f64>>), ModelError> {
        let count = rows.len() / n.max(1);
        if n < 2 || count < 3 {
            return Err(invalid(format!(
                "principal components need at least 3 samples of 2 or more features (got {count} of {n})"
            )));
        }
        let mean: Vec<f64> = (0..n)
            .map(|j| rows.iter().skip(j).step_by(n).sum::<f64>() / count as f64)
            .collect();
        let mut cov = vec![0.0; n * n];
        let mut centred = vec![0.0; n];
        for row in rows.chunks_exact(n) {
            for j in 0..n {
                centred[j] = row[j] - mean[j];
            }
            for i in 0..n {
                let ci = centred[i];
                if ci == 0.0 {
                    continue;
                }
                for j in i..n {
                    cov[i * n + j] += ci * centred[j];
                }
            }
        }
        for i in 0..n {
            for j in i..n {
                cov[i * n + j] /= (count - 1) as f64;
                cov[j * n + i] = cov[i * n + j];
            }
        }
        let (values, vectors) = crate::eigen::top_eigenvectors(&cov, n, 3.min(n));
        let total: f64 = (0..n).map(|i| cov[i * n + i]).sum();
        if values.len() < 2 || values[1] <= 1e-12 * total.max(f64::MIN_POSITIVE) {
            return Err(invalid(
                "the data varies along fewer than two directions: no principal plane".into(),
            ));
        }
        let plane = Plane::new(mean, vectors[0].clone(), vectors[1].clone())?;
        let normal = vectors.get(2).filter(|_| values[2] > 0.0).cloned();
        Ok((plane, normal))
    }

    /// The number of inputs.
    pub fn inputs(&self) -> usize {
        self.origin.len()
    }

    /// The input at plane coordinates `(s, t)`.
    pub fn point(&self, s: f64, t: f64) -> Vec<f64> {
        (0..self.inputs())
            .map(|i| self.origin[i] + s * self.u[i] + t * self.v[i])
            .collect()
    }

    /// The plane coordinates of the point of the plane nearest `x` (least squares), and
    /// `x`'s distance from the plane.
    pub fn project(&self, x: &[f64]) -> (f64, f64, f64) {
        let d: Vec<f64> = x.iter().zip(&self.origin).map(|(a, o)| a - o).collect();
        let (uu, vv, uv) = (
            dot(&self.u, &self.u),
            dot(&self.v, &self.v),
            dot(&self.u, &self.v),
        );
        let (du, dv) = (dot(&d, &self.u), dot(&d, &self.v));
        let det = uu * vv - uv * uv;
        let s = (du * vv - dv * uv) / det;
        let t = (dv * uu - du * uv) / det;
        let rest: Vec<f64> = (0..d.len())
            .map(|i| d[i] - s * self.u[i] - t * self.v[i])
            .collect();
        (s, t, norm(&rest))
    }

    /// The bounding box of the projections of `rows` (row-major, one point per
    /// [`Plane::inputs`] values), widened by `margin` of its size on each side.
    pub fn extent(&self, rows: &[f64], margin: f64) -> Result<Domain, ModelError> {
        let (mut s0, mut s1, mut t0, mut t1) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for row in rows.chunks_exact(self.inputs()) {
            let (s, t, _) = self.project(row);
            (s0, s1, t0, t1) = (s0.min(s), s1.max(s), t0.min(t), t1.max(t));
        }
        let widen = |lo: f64, hi: f64| {
            let pad = if hi > lo {
                (hi - lo) * margin
            } else {
                lo.abs().max(1.0) * 0.1
            };
            [lo - pad, hi + pad]
        };
        Domain::new(widen(s0, s1), widen(t0, t1))
    }

    /// `mlp` on this plane: the same network with its first layer folded onto the plane
    /// (float64, rounded once), two inputs named `names`, and `domain` as its default view.
    pub fn fold(
        &self,
        mlp: &Mlp,
        names: [String; 2],
        domain: Option<Domain>,
    ) -> Result<Mlp, ModelError> {
        if mlp.inputs() != self.inputs() {
            return Err(invalid(format!(
                "the plane has {} values per vector, the model has {} inputs",
                self.inputs(),
                mlp.inputs()
            )));
        }
        let first = &mlp.layers()[0];
        let n = first.inputs;
        let mut weight = Vec::with_capacity(2 * first.outputs);
        let mut bias = Vec::with_capacity(first.outputs);
        for o in 0..first.outputs {
            let row: Vec<f64> = (0..n).map(|i| f64::from(first.w(o, i))).collect();
            weight.push(dot(&row, &self.u) as f32);
            weight.push(dot(&row, &self.v) as f32);
            bias.push((f64::from(first.bias[o]) + dot(&row, &self.origin)) as f32);
        }
        let mut layers = mlp.layers().to_vec();
        layers[0] = Layer {
            inputs: 2,
            outputs: first.outputs,
            weight,
            bias,
            activation: first.activation,
        };
        let metadata = ModelMetadata {
            domain,
            inputs: Some(names.to_vec()),
            reference: None,
            input_ranges: None,
            ..mlp.metadata.clone()
        };
        Mlp::new(layers, metadata)
    }
}

/// A plane file: `{"origin": [...], "u": [...], "v": [...]}`, optional `"domain"`; as
/// written, also `"inputs"` and `"how"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlaneFile {
    /// The input at `(0, 0)`.
    pub origin: Vec<f64>,
    /// The grid's x direction.
    pub u: Vec<f64>,
    /// The grid's y direction.
    pub v: Vec<f64>,
    /// `[[s0, s1], [t0, t1]]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<[[f64; 2]; 2]>,
    /// The model's input names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<String>>,
    /// `axes`, `through`, `pca` or `plane`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how: Option<String>,
}

impl PlaneFile {
    /// Parses and checks a plane file's text.
    pub fn parse(text: &str) -> Result<(Plane, Option<Domain>), ModelError> {
        let file: PlaneFile = serde_json::from_str(text).map_err(|e| {
            invalid(format!(
                "not a plane file ({e}); expected {{\"origin\": [...], \"u\": [...], \"v\": [...]}}"
            ))
        })?;
        let domain = file.domain.map(|[s, t]| Domain::new(s, t)).transpose()?;
        Ok((Plane::new(file.origin, file.u, file.v)?, domain))
    }

    /// The file for a plane as used.
    pub fn describe(plane: &Plane, domain: &Domain, inputs: Vec<String>, how: How) -> PlaneFile {
        PlaneFile {
            origin: plane.origin.clone(),
            u: plane.u.clone(),
            v: plane.v.clone(),
            domain: Some([domain.x, domain.y]),
            inputs: Some(inputs),
            how: Some(how.name().into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Activation;
    use crate::random::random_mlp;

    #[test]
    fn folding_equals_evaluating_at_the_plane_point() {
        let mlp = random_mlp(&[5, 7, 3], Activation::Tanh, Activation::Softmax, 3, 1.0);
        let plane = Plane::new(
            vec![0.5, -1.0, 0.25, 2.0, 0.0],
            vec![1.0, 0.5, 0.0, -0.25, 0.1],
            vec![0.0, 0.3, 1.0, 0.2, -0.7],
        )
        .unwrap();
        let folded = plane.fold(&mlp, ["s".into(), "t".into()], None).unwrap();
        for (s, t) in [(0.0, 0.0), (1.5, -0.5), (-2.0, 3.0)] {
            let x: Vec<f32> = plane.point(s, t).iter().map(|&v| v as f32).collect();
            let full = mlp.forward_f64(&x.iter().map(|&v| f64::from(v)).collect::<Vec<_>>());
            let flat = folded.forward_f64(&[s, t]);
            for (a, b) in full.iter().zip(&flat) {
                assert!((a - b).abs() < 1e-5, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn axes_of_a_two_input_model_fold_to_the_same_weights() {
        let mlp = random_mlp(&[2, 6, 4], Activation::Relu, Activation::Identity, 9, 1.5);
        let folded = Plane::axes(&[0.0, 0.0], 0, 1)
            .unwrap()
            .fold(&mlp, ["x".into(), "y".into()], None)
            .unwrap();
        assert_eq!(folded.layers(), mlp.layers());
    }

    #[test]
    fn through_puts_the_samples_on_the_plane() {
        let p = [1.0, 2.0, 3.0, 4.0];
        let q = [2.0, 2.0, 3.0, 5.0];
        let r = [0.0, 5.0, 3.0, 4.0];
        let plane = Plane::through([&p, &q, &r]).unwrap();
        for x in [&p[..], &q, &r] {
            let (s, t, d) = plane.project(x);
            assert!(d < 1e-12, "{d}");
            let back = plane.point(s, t);
            assert!(back.iter().zip(x).all(|(a, b)| (a - b).abs() < 1e-12));
        }
        assert!(Plane::through([&p, &q, &[3.0, 2.0, 3.0, 6.0]]).is_err());
        assert!(Plane::through([&p, &p, &r]).is_err());
    }

    #[test]
    fn pca_finds_the_directions_of_largest_variance() {
        // Points spread 10 along (1, 1, 0, 0)/√2, 3 along e3, 0.1 along e4.
        let mut rows = Vec::new();
        let mut rng = 12345u64;
        let mut next = || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (rng >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for _ in 0..500 {
            let (a, b, c) = (10.0 * next(), 3.0 * next(), 0.1 * next());
            let h = a / 2f64.sqrt();
            rows.extend([h + 1.0, h - 2.0, b, c]);
        }
        let (plane, normal) = Plane::pca(&rows, 4).unwrap();
        let e = 1.0 / 2f64.sqrt();
        assert!((dot(&plane.u, &[e, e, 0.0, 0.0]).abs() - 1.0).abs() < 1e-3);
        assert!((dot(&plane.v, &[0.0, 0.0, 1.0, 0.0]).abs() - 1.0).abs() < 1e-3);
        assert!((dot(&normal.unwrap(), &[0.0, 0.0, 0.0, 1.0]).abs() - 1.0).abs() < 1e-3);
        let flat: Vec<f64> = (0..10).flat_map(|i| [i as f64, 2.0 * i as f64]).collect();
        assert!(Plane::pca(&flat, 2).is_err());
    }

    #[test]
    fn bad_planes_are_refused() {
        let e =
            |o: Vec<f64>, u: Vec<f64>, v: Vec<f64>| Plane::new(o, u, v).unwrap_err().to_string();
        assert!(e(vec![0.0; 3], vec![1.0, 0.0], vec![0.0, 1.0, 0.0]).contains("u has 2 values"));
        assert!(e(vec![0.0; 2], vec![0.0, 0.0], vec![0.0, 1.0]).contains("u is zero"));
        assert!(e(vec![0.0; 2], vec![1.0, 1.0], vec![-2.0, -2.0]).contains("parallel"));
        assert!(e(vec![f64::NAN, 0.0], vec![1.0, 0.0], vec![0.0, 1.0]).contains("NaN"));
        let text = r#"{"origin": [0, 0], "u": [1, 0], "v": [0, 1], "domain": [[0, 1], [2, 3]]}"#;
        let (plane, domain) = PlaneFile::parse(text).unwrap();
        assert_eq!(plane.u, [1.0, 0.0]);
        assert_eq!(domain.unwrap().y, [2.0, 3.0]);
        assert!(PlaneFile::parse("{\"origin\": [0]}").is_err());
    }
}
