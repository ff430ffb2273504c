//! Lengths of the crossings z_i = z_j in domain units, by marching squares on
//! `z_i - z_j` (linear interpolation along each cell edge), and the share of each that is
//! decision boundary (where i and j are the two largest outputs, judged at each segment's
//! midpoint by bilinear interpolation of every output).

use faultline_model::GridSpec;
use faultline_model::arrays::{pair_signs, tracks_crossings};
use rayon::prelude::*;

/// One pair's crossing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairLength {
    /// The first output (class 0 of a one-output model).
    pub i: usize,
    /// The second output (class 1 of a one-output model).
    pub j: usize,
    /// The crossing's length in domain units.
    pub length: f64,
    /// The length of it that is decision boundary.
    pub decision: f64,
}

/// The crossings of every pair of outputs in `field` (`[H, W, C]`), one-output models as
/// the pair (0, 1) where the output crosses `threshold`. Empty above 64 pairs (they are
/// not tracked, as in every other array).
pub fn lengths(field: &[f32], channels: usize, threshold: f32, grid: &GridSpec) -> Vec<PairLength> {
    let (w, h) = (grid.width, grid.height);
    let pairs: Vec<(usize, usize)> = if channels == 1 {
        vec![(0, 1)]
    } else if tracks_crossings(channels) {
        (0..channels)
            .flat_map(|i| (i + 1..channels).map(move |j| (i, j)))
            .collect()
    } else {
        return Vec::new();
    };
    if w < 2 || h < 2 {
        return pairs
            .iter()
            .map(|&(i, j)| PairLength {
                i,
                j,
                length: 0.0,
                decision: 0.0,
            })
            .collect();
    }
    let signs: Vec<u64> = field
        .par_chunks(channels)
        .map(|z| {
            if channels == 1 {
                u64::from(z[0] - threshold > 0.0)
            } else {
                pair_signs(z)
            }
        })
        .collect();
    let diff = |cell: usize, pair: usize| -> f64 {
        let (i, j) = pairs[pair];
        let z = &field[cell * channels..(cell + 1) * channels];
        if channels == 1 {
            f64::from(z[0]) - f64::from(threshold)
        } else {
            f64::from(z[i]) - f64::from(z[j])
        }
    };
    let totals = (0..h - 1)
        .into_par_iter()
        .map(|r| {
            let mut sums = vec![(0.0f64, 0.0f64); pairs.len()];
            for c in 0..w - 1 {
                let corners = [
                    r * w + c,
                    r * w + c + 1,
                    (r + 1) * w + c + 1,
                    (r + 1) * w + c,
                ];
                let changed = (signs[corners[0]] ^ signs[corners[1]])
                    | (signs[corners[1]] ^ signs[corners[2]])
                    | (signs[corners[2]] ^ signs[corners[3]]);
                let mut bits = changed;
                while bits != 0 {
                    let pair = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let d = corners.map(|cell| diff(cell, pair));
                    for (a, b) in cell_segments(&d) {
                        let (pa, pb) = (point(grid, r, c, a), point(grid, r, c, b));
                        let length = (pa.0 - pb.0).hypot(pa.1 - pb.1);
                        sums[pair].0 += length;
                        let mid = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
                        if on_decision(field, channels, w, r, c, mid, pairs[pair]) {
                            sums[pair].1 += length;
                        }
                    }
                }
            }
            sums
        })
        .reduce(
            || vec![(0.0, 0.0); pairs.len()],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| {
                    x.0 += y.0;
                    x.1 += y.1
                });
                a
            },
        );
    pairs
        .iter()
        .zip(totals)
        .map(|(&(i, j), (length, decision))| PairLength {
            i,
            j,
            length,
            decision,
        })
        .collect()
}

/// A position inside a cell: (column fraction, row fraction), each 0 to 1.
pub(crate) type Local = (f64, f64);

/// The corners of a cell in local coordinates, in the order of `d` below: (r, c),
/// (r, c+1), (r+1, c+1), (r+1, c).
pub(crate) const CORNERS: [Local; 4] = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)];

/// Which edges of one cell the zero line of `d` (at the [`CORNERS`]) joins: pairs of edge
/// numbers, edge e running from corner e to corner e + 1 (bottom, right, top, left). The
/// one marching-squares rule: a saddle is split by the sign of the centre (the mean).
pub(crate) fn cell_edges(d: &[f64; 4]) -> Vec<(usize, usize)> {
    let positive = d.map(|v| v > 0.0);
    let crossed: Vec<usize> = (0..4)
        .filter(|&e| positive[e] != positive[(e + 1) % 4])
        .collect();
    match crossed[..] {
        [a, b] => vec![(a, b)],
        [_, _, _, _] => {
            let centre = d.iter().sum::<f64>() / 4.0 > 0.0;
            if centre == positive[0] {
                // Corners 1 and 3 are cut off: bottom with right, top with left.
                vec![(0, 1), (2, 3)]
            } else {
                vec![(3, 0), (1, 2)]
            }
        }
        _ => Vec::new(),
    }
}

/// Where the zero line of `d` crosses edge `e`, linearly between its corners.
pub(crate) fn edge_point(d: &[f64; 4], e: usize) -> Local {
    let (a, b) = (e, (e + 1) % 4);
    let t = d[a] / (d[a] - d[b]);
    let (pa, pb) = (CORNERS[a], CORNERS[b]);
    (pa.0 + t * (pb.0 - pa.0), pa.1 + t * (pb.1 - pa.1))
}

/// The segments of the zero line of `d` inside one cell, in local coordinates.
fn cell_segments(d: &[f64; 4]) -> Vec<(Local, Local)> {
    cell_edges(d)
        .into_iter()
        .map(|(a, b)| (edge_point(d, a), edge_point(d, b)))
        .collect()
}

/// Domain coordinates of a local position in cell `(r, c)`.
fn point(grid: &GridSpec, r: usize, c: usize, (fc, fr): Local) -> (f64, f64) {
    let x = grid.x(c) + fc * (grid.x(c + 1) - grid.x(c));
    let y = grid.y(r) + fr * (grid.y(r + 1) - grid.y(r));
    (x, y)
}

/// Whether outputs i and j are the two largest at a local position of cell `(r, c)`
/// (bilinear interpolation of every output); always for two outputs or one.
pub(crate) fn on_decision(
    field: &[f32],
    channels: usize,
    w: usize,
    r: usize,
    c: usize,
    (fc, fr): Local,
    (i, j): (usize, usize),
) -> bool {
    if channels <= 2 {
        return true;
    }
    let at = |k: usize| {
        let v = |rr: usize, cc: usize| f64::from(field[(rr * w + cc) * channels + k]);
        let bottom = v(r, c) * (1.0 - fc) + v(r, c + 1) * fc;
        let top = v(r + 1, c) * (1.0 - fc) + v(r + 1, c + 1) * fc;
        bottom * (1.0 - fr) + top * fr
    };
    let level = 0.5 * (at(i) + at(j));
    (0..channels)
        .filter(|&k| k != i && k != j)
        .all(|k| at(k) < level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_model::Domain;

    #[test]
    fn a_straight_line_has_its_length() {
        // z0 - z1 = x + 0.5 y - 0.1 on [-1, 1]^2: the line x = 0.1 - 0.5 y crosses the
        // whole square, length sqrt(1 + 0.25) * 2.
        let grid = GridSpec::new(Domain::new([-1.0, 1.0], [-1.0, 1.0]).unwrap(), 64, 48).unwrap();
        let mut field = Vec::new();
        for r in 0..48 {
            for c in 0..64 {
                let (x, y) = (grid.x(c), grid.y(r));
                field.extend([(x + 0.5 * y - 0.1) as f32, 0.0]);
            }
        }
        let l = lengths(&field, 2, 0.0, &grid);
        let want = 2.0 * 1.25f64.sqrt();
        assert!((l[0].length - want).abs() < 1e-4 * want, "{l:?}");
        assert_eq!(l[0].decision, l[0].length);
    }
}
