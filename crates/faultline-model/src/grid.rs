//! Grid sampling of the input plane, in numpy's `linspace` / `meshgrid(xs, ys)` order.

use crate::{Domain, ModelError};

/// A `width x height` grid over a [`Domain`].
///
/// Sample `(r, c)` sits at `x = x0 + (x1 - x0) * c / (W - 1)`,
/// `y = y0 + (y1 - y0) * r / (H - 1)`; row 0 is `y0`. A dimension of size 1 samples its
/// lower bound only, as `numpy.linspace(x0, x1, 1)` does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridSpec {
    /// The rectangle sampled.
    pub domain: Domain,
    /// Samples along x (columns, W).
    pub width: usize,
    /// Samples along y (rows, H).
    pub height: usize,
}

impl GridSpec {
    /// Builds a grid; both sizes must be at least 1.
    pub fn new(domain: Domain, width: usize, height: usize) -> Result<Self, ModelError> {
        if width == 0 || height == 0 {
            return Err(ModelError::Grid(format!(
                "grid size {width}x{height}: both sides must be at least 1"
            )));
        }
        for (axis, [lo, hi], n) in [("x", domain.x, width), ("y", domain.y, height)] {
            if n < 2 {
                continue;
            }
            // Neighbouring samples must be distinct float32 numbers, the precision every
            // engine evaluates in.
            let step = (hi - lo) / (n - 1) as f64;
            let largest = lo.abs().max(hi.abs()) as f32;
            let resolution = largest.next_up() - largest;
            if (step as f32) < resolution {
                return Err(ModelError::Grid(format!(
                    "{n} samples along {axis} over [{lo}, {hi}] are {step:e} apart, closer than float32 resolves near {largest:e} ({resolution:e}): use fewer samples or a wider domain"
                )));
            }
        }
        Ok(GridSpec {
            domain,
            width,
            height,
        })
    }

    /// Number of samples, W x H.
    pub fn points(&self) -> usize {
        self.width * self.height
    }

    /// The x coordinate of column `c`.
    pub fn x(&self, c: usize) -> f64 {
        axis(self.domain.x, c, self.width)
    }

    /// The y coordinate of row `r`.
    pub fn y(&self, r: usize) -> f64 {
        axis(self.domain.y, r, self.height)
    }

    /// The distance between neighbouring columns and rows (0 for a size-1 side).
    pub fn step(&self) -> [f64; 2] {
        let step = |[lo, hi]: [f64; 2], n: usize| {
            if n > 1 {
                (hi - lo) / (n - 1) as f64
            } else {
                0.0
            }
        };
        [
            step(self.domain.x, self.width),
            step(self.domain.y, self.height),
        ]
    }
}

fn axis([lo, hi]: [f64; 2], i: usize, n: usize) -> f64 {
    if n <= 1 {
        lo
    } else {
        lo + (hi - lo) * i as f64 / (n - 1) as f64
    }
}

/// Parses the CLI's `--size` flag: `N` (square) or `WxH`.
pub fn parse_size(s: &str) -> Result<(usize, usize), ModelError> {
    let bad = |why: &str| {
        ModelError::Grid(format!(
            "size '{s}': {why} (expected N or WxH, e.g. 512 or 640x480)"
        ))
    };
    let parse = |part: &str| -> Result<usize, ModelError> {
        let part = part.trim();
        if part.starts_with('-') {
            return Err(bad("sizes cannot be negative"));
        }
        let v: usize = part
            .parse()
            .map_err(|_| bad(&format!("'{part}' is not a whole number")))?;
        if v == 0 {
            return Err(bad("sizes must be at least 1"));
        }
        Ok(v)
    };
    match s.split_once(['x', 'X']) {
        Some((w, h)) => Ok((parse(w)?, parse(h)?)),
        None => {
            let n = parse(s)?;
            Ok((n, n))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_like_linspace() {
        let g = GridSpec::new(Domain::new([0.0, 1.0], [10.0, 20.0]).unwrap(), 5, 3).unwrap();
        assert_eq!(
            (0..5).map(|c| g.x(c)).collect::<Vec<_>>(),
            [0.0, 0.25, 0.5, 0.75, 1.0]
        );
        assert_eq!(
            (0..3).map(|r| g.y(r)).collect::<Vec<_>>(),
            [10.0, 15.0, 20.0]
        );
        let one = GridSpec::new(g.domain, 1, 4).unwrap();
        assert_eq!(one.x(0), 0.0);
        assert!(GridSpec::new(g.domain, 0, 4).is_err());
    }

    #[test]
    fn neighbouring_samples_must_differ_in_float32() {
        let narrow = Domain::new([1000.0, 1000.01], [0.0, 1.0]).unwrap();
        // 1000 has a float32 spacing of 6.1e-5: 100 samples 1e-4 apart are fine, 1000 not.
        assert!(GridSpec::new(narrow, 100, 2).is_ok());
        let e = GridSpec::new(narrow, 1000, 2).unwrap_err().to_string();
        assert!(e.contains("closer than float32"), "{e}");
        assert!(
            GridSpec::new(narrow, 1, 2).is_ok(),
            "one sample has no neighbour"
        );
    }

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size("512").unwrap(), (512, 512));
        assert_eq!(parse_size("640x480").unwrap(), (640, 480));
        for bad in ["0", "-3", "abc", "10x0", "x10", "1.5"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
