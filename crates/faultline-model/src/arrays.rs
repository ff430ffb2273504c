//! The CPU reference of the grid arrays: field, classes, pairs and decision.
//!
//! Definitions (the README, "Grids and arrays"):
//! - field `[H, W, C]`: z after the output activation;
//! - classes `[H, W]`: argmax over C, the lowest index winning ties;
//! - pairs `[H, W]`: bit `p(i, j)` set iff `z_i - z_j > 0` differs between `(r, c)` and
//!   `(r, c+1)` or `(r+1, c)`;
//! - decision `[H, W]`: 1 iff the class differs from `(r, c+1)` or `(r+1, c)`.
//!
//! Classes, pairs and decision are derived from the `f32` field exactly as stored, so anyone
//! can recompute them from `field.npy`.

use crate::{GridSpec, Mlp, ModelError};

/// The number of unordered output pairs, `C (C - 1) / 2`.
pub fn pair_count(classes: usize) -> usize {
    classes * classes.saturating_sub(1) / 2
}

/// The bit number of pair `(i, j)`, `i < j < C`, in lexicographic order:
/// `(0,1)=0, (0,2)=1, ..., (1,2)=C-1, ...`.
pub fn pair_index(i: usize, j: usize, classes: usize) -> usize {
    debug_assert!(i < j && j < classes);
    i * (2 * classes - i - 1) / 2 + (j - i - 1)
}

/// The bitmask of one cell of the pairs array; bit `pair_index(i, j, C)` is pair `(i, j)`.
pub type PairMask = u64;

/// The most output pairs a pairs array can hold (one bit each in a `u64`).
pub const MAX_PAIRS: usize = 64;

/// Whether pair crossings are tracked for `channels` outputs: only when every pair fits a
/// pairs mask (at most 11 outputs, 55 pairs). Above that, classes, decision and junctions
/// are computed as always, but the CROSSING bit of the flags word is never set, no sign
/// masks are computed, and a pairs array (or a map of crossings) is refused with
/// [`too_many_pairs`]. This is the one place the limit is decided, for every engine.
pub fn tracks_crossings(channels: usize) -> bool {
    pair_count(channels) <= MAX_PAIRS
}

/// The error for asking pairs or crossings of `channels` outputs when they are not
/// tracked ([`tracks_crossings`]).
pub fn too_many_pairs(channels: usize) -> ModelError {
    ModelError::Output(format!(
        "{channels} outputs make {} pairs; pairs and crossings are tracked for at most \
         {MAX_PAIRS} pairs (11 outputs); classes and the decision boundary work for any number",
        pair_count(channels)
    ))
}

/// Per-cell flags word (what the GPU boundary pass and the native one write): bits
/// holding the class.
pub const CLASS_MASK: u32 = 0xffff;
/// Flags bit: the class differs from the right or upper neighbour.
pub const DECISION: u32 = 0x1_0000;
/// Flags bit: three or more classes meet in the 2x2 block above and right of the cell.
pub const JUNCTION: u32 = 0x2_0000;
/// Flags bit: some pair of outputs changes order towards the right or upper neighbour.
pub const CROSSING: u32 = 0x4_0000;

/// The flags word in one byte, as the fused GPU kernel stores it for nets of at most 32
/// outputs: bits holding the class.
pub const BYTE_CLASS_MASK: u32 = 0x1f;
/// Flag byte bit: [`DECISION`].
pub const BYTE_DECISION: u32 = 0x20;
/// Flag byte bit: [`JUNCTION`].
pub const BYTE_JUNCTION: u32 = 0x40;
/// Flag byte bit: [`CROSSING`].
pub const BYTE_CROSSING: u32 = 0x80;

/// A flag byte widened to the flags word (the host side of the byte encoding; the GPU
/// side is `flag_byte` in shaders/boundary_rule.wgsl).
#[inline]
pub fn widen_flag_byte(byte: u8) -> u32 {
    let b = u32::from(byte);
    (b & BYTE_CLASS_MASK) | (b & (BYTE_DECISION | BYTE_JUNCTION | BYTE_CROSSING)) << BYTE_SHIFT
}

/// How far the byte's boundary bits sit below the word's (one shift widens all three).
const BYTE_SHIFT: u32 = 11;
const _: () = assert!(
    BYTE_DECISION << BYTE_SHIFT == DECISION
        && BYTE_JUNCTION << BYTE_SHIFT == JUNCTION
        && BYTE_CROSSING << BYTE_SHIFT == CROSSING
        && BYTE_CLASS_MASK & (BYTE_DECISION | BYTE_JUNCTION | BYTE_CROSSING) == 0
);

/// An evaluated grid: `values[(r * W + c) * C + k]` is output k at row r, column c.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Samples along x (W).
    pub width: usize,
    /// Samples along y (H).
    pub height: usize,
    /// Outputs per sample (C).
    pub channels: usize,
    /// Row-major `[H, W, C]` values.
    pub values: Vec<f32>,
    /// For one output: the threshold class 1 is above ([`Mlp::threshold`]).
    pub threshold: f32,
}

impl Field {
    /// Evaluates `mlp` on every sample of `grid` in `f64` and rounds to `f32`: the reference.
    pub fn reference(mlp: &Mlp, grid: &GridSpec) -> Result<Field, ModelError> {
        Field::reference_rows(mlp, grid, 0..grid.height)
    }

    /// The reference of rows `rows` of `grid` only (a band; row 0 of the result is
    /// `rows.start`), with the same sample positions as the whole grid.
    pub fn reference_rows(
        mlp: &Mlp,
        grid: &GridSpec,
        rows: std::ops::Range<usize>,
    ) -> Result<Field, ModelError> {
        if mlp.inputs() != 2 {
            return Err(ModelError::Grid(format!(
                "grid evaluation needs a model with 2 inputs, this one has {}",
                mlp.inputs()
            )));
        }
        let channels = mlp.outputs();
        let mut values = Vec::with_capacity(rows.len() * grid.width * channels);
        let height = rows.len();
        for r in rows {
            let y = grid.y(r);
            for c in 0..grid.width {
                values.extend(mlp.forward_f64(&[grid.x(c), y]).iter().map(|&z| z as f32));
            }
        }
        Ok(Field {
            width: grid.width,
            height,
            channels,
            values,
            threshold: mlp.threshold(),
        })
    }

    /// The outputs at row `r`, column `c`.
    pub fn at(&self, r: usize, c: usize) -> &[f32] {
        let start = (r * self.width + c) * self.channels;
        &self.values[start..start + self.channels]
    }

    /// Argmax per sample, the lowest index winning ties, row-major `[H, W]`.
    pub fn classes(&self) -> Vec<u32> {
        (0..self.height)
            .flat_map(|r| (0..self.width).map(move |c| (r, c)))
            .map(|(r, c)| class_of(self.at(r, c), self.threshold))
            .collect()
    }

    /// The pairwise crossing bitmask per sample, row-major `[H, W]`.
    pub fn pairs(&self) -> Result<Vec<PairMask>, ModelError> {
        if !tracks_crossings(self.channels) {
            return Err(too_many_pairs(self.channels));
        }
        let signs: Vec<PairMask> = (0..self.height * self.width)
            .map(|cell| pair_signs(&self.values[cell * self.channels..(cell + 1) * self.channels]))
            .collect();
        Ok(mark_changes(self.width, self.height, |cell, other| {
            signs[cell] ^ signs[other]
        }))
    }

    /// The decision boundary per sample (1 where the class changes), row-major `[H, W]`.
    pub fn decision(&self) -> Vec<u8> {
        let classes = self.classes();
        mark_changes(self.width, self.height, |cell, other| {
            u8::from(classes[cell] != classes[other])
        })
    }
}

/// Junctions per sample: 1 where three or more classes meet in the 2x2 block
/// `(r..r+1, c..c+1)` (cells outside the grid are left out), row-major `[H, W]`.
pub fn junctions(classes: &[u32], width: usize, height: usize) -> Vec<u8> {
    let mut out = vec![0; width * height];
    for r in 0..height {
        for c in 0..width {
            let a = classes[r * width + c];
            let b = (c + 1 < width).then(|| classes[r * width + c + 1]);
            let d = (r + 1 < height).then(|| classes[(r + 1) * width + c]);
            let e = (r + 1 < height && c + 1 < width).then(|| classes[(r + 1) * width + c + 1]);
            // Distinct values among a and the present neighbours (no allocation).
            let mut seen = [a, a, a, a];
            let mut distinct = 1;
            for v in [b, d, e].into_iter().flatten() {
                if !seen[..distinct].contains(&v) {
                    seen[distinct] = v;
                    distinct += 1;
                }
            }
            out[r * width + c] = u8::from(distinct >= 3);
        }
    }
    out
}

/// The number of classes of `outputs` outputs: one output is a binary classifier (2).
pub fn class_count(outputs: usize) -> usize {
    if outputs == 1 { 2 } else { outputs }
}

/// The class of one cell's outputs `z`: the argmax, the lowest index winning ties; for one
/// output (a binary classifier), 1 where it is above `threshold` ([`Mlp::threshold`]), else
/// 0. The rule every engine follows (the WGSL twin is generated in faultline-shader's
/// `network/codes.rs`, the CPU's in faultline-cpu's `boundary.rs`).
#[inline]
pub fn class_of(z: &[f32], threshold: f32) -> u32 {
    if z.len() == 1 {
        u32::from(z[0] > threshold)
    } else {
        argmax(z)
    }
}

/// The argmax of `z`, the lowest index winning ties.
pub fn argmax(z: &[f32]) -> u32 {
    let mut best = 0;
    for (k, &v) in z.iter().enumerate().skip(1) {
        if v > z[best] {
            best = k;
        }
    }
    best as u32
}

/// Whether the two largest of `z` are within `tolerance` of each other: a cell whose
/// argmax two correct `f32` evaluations (in another order of operations, on another
/// engine) may disagree on. Tests excuse class differences only there.
pub fn top_two_within(z: &[f32], tolerance: f32) -> bool {
    let (mut first, mut second) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
    for &v in z {
        if v > first {
            second = first;
            first = v;
        } else if v > second {
            second = v;
        }
    }
    z.len() > 1 && first - second <= tolerance * first.abs().max(1.0)
}

/// Bit `pair_index(i, j)` set iff `z_i - z_j > 0`; 0 where crossings are not tracked
/// ([`tracks_crossings`]).
pub fn pair_signs(z: &[f32]) -> PairMask {
    let mut mask = 0;
    if !tracks_crossings(z.len()) {
        return mask;
    }
    let mut bit = 0;
    for i in 0..z.len() {
        for j in i + 1..z.len() {
            if z[i] - z[j] > 0.0 {
                mask |= 1 << bit;
            }
            bit += 1;
        }
    }
    mask
}

/// For every cell, ORs `differs(cell, right)` and `differs(cell, up)` over the neighbours
/// that exist (`(r, c+1)` and `(r+1, c)`).
fn mark_changes<T: Default + Copy + std::ops::BitOr<Output = T>>(
    width: usize,
    height: usize,
    differs: impl Fn(usize, usize) -> T,
) -> Vec<T> {
    let mut out = vec![T::default(); width * height];
    for r in 0..height {
        for c in 0..width {
            let cell = r * width + c;
            let mut v = T::default();
            if c + 1 < width {
                v = v | differs(cell, cell + 1);
            }
            if r + 1 < height {
                v = v | differs(cell, cell + width);
            }
            out[cell] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mlp::tests::linear;
    use crate::{Activation, Domain};

    fn grid(w: usize, h: usize, x: [f64; 2], y: [f64; 2]) -> GridSpec {
        GridSpec::new(Domain::new(x, y).unwrap(), w, h).unwrap()
    }

    #[test]
    fn pair_numbering_is_lexicographic() {
        let c = 5;
        let mut expected = 0;
        for i in 0..c {
            for j in i + 1..c {
                assert_eq!(pair_index(i, j, c), expected);
                expected += 1;
            }
        }
        assert_eq!(expected, pair_count(c));
        assert_eq!(pair_index(1, 2, 3), 2);
        assert_eq!(pair_index(1, 2, 11), 10);
    }

    /// z0 = x, z1 = y: the surfaces cross on the diagonal y = x.
    #[test]
    fn diagonal_crossing_of_two_planes() {
        let m = linear(
            &[&[1.0, 0.0], &[0.0, 1.0]],
            &[0.0, 0.0],
            Activation::Identity,
        );
        // 5x5 grid on [0, 4]^2: integer coordinates, x = c, y = r.
        let f = Field::reference(&m, &grid(5, 5, [0.0, 4.0], [0.0, 4.0])).unwrap();
        let classes = f.classes();
        let pairs = f.pairs().unwrap();
        let decision = f.decision();
        for r in 0..5 {
            for c in 0..5 {
                let cell = r * 5 + c;
                // Ties (x == y) go to class 0, the lowest index.
                assert_eq!(classes[cell], u32::from(r > c), "class at ({r},{c})");
                // sign(x - y > 0) changes between (r,c) and (r,c+1) iff c + 1 > r >= c+1 ... i.e.
                // x - y goes from > 0 to <= 0 when c == r; upward when r + 1 == c... compute directly.
                let s = |r: usize, c: usize| c > r;
                let mut expect = false;
                if c + 1 < 5 {
                    expect |= s(r, c) != s(r, c + 1);
                }
                if r + 1 < 5 {
                    expect |= s(r, c) != s(r + 1, c);
                }
                assert_eq!(pairs[cell] == 1, expect, "pair at ({r},{c})");
                let k = |r: usize, c: usize| r > c;
                let mut dec = false;
                if c + 1 < 5 {
                    dec |= k(r, c) != k(r, c + 1);
                }
                if r + 1 < 5 {
                    dec |= k(r, c) != k(r + 1, c);
                }
                assert_eq!(decision[cell] == 1, dec, "decision at ({r},{c})");
            }
        }
        // Spot checks that don't depend on the formula above: the cell just right of the
        // diagonal on row 0 flips going right? (0,0): x-y = 0 (not > 0), (0,1): 1 > 0 -> set.
        assert_eq!(pairs[0], 1);
        // Top-right corner has no neighbours: never marked.
        assert_eq!(pairs[24], 0);
        assert_eq!(decision[24], 0);
        // Far from the diagonal nothing is marked.
        assert_eq!(pairs[4], 0); // (0,4): right edge, up neighbour (1,4) still x > y.
        assert_eq!(pairs[20], 0); // (4,0)
    }

    #[test]
    fn one_by_n_grids_only_compare_existing_neighbours() {
        // z0 = x - 0.5, z1 = 0: crossing between columns 2 and 3 of a 1x6 row on [0, 1].
        let m = linear(
            &[&[1.0, 0.0], &[0.0, 0.0]],
            &[-0.5, 0.0],
            Activation::Identity,
        );
        let row = Field::reference(&m, &grid(6, 1, [0.0, 1.0], [0.0, 1.0])).unwrap();
        assert_eq!(row.classes(), [1, 1, 1, 0, 0, 0]);
        assert_eq!(row.decision(), [0, 0, 1, 0, 0, 0]);
        assert_eq!(row.pairs().unwrap(), [0, 0, 1, 0, 0, 0]);
        // The same function on a 1-wide column (x fixed at x0 = 0): class 1 everywhere.
        let col = Field::reference(&m, &grid(1, 6, [0.0, 1.0], [0.0, 1.0])).unwrap();
        assert_eq!(col.classes(), [1; 6]);
        assert_eq!(col.decision(), [0; 6]);
        // 1x1: nothing to compare.
        let one = Field::reference(&m, &grid(1, 1, [0.0, 1.0], [0.0, 1.0])).unwrap();
        assert_eq!(one.pairs().unwrap(), [0]);
    }

    #[test]
    fn junctions_need_three_classes_in_a_block() {
        // 3x3 classes:        row 2: 2 2 2
        //                     row 1: 0 1 1
        //                     row 0: 0 0 1
        let classes = [0, 0, 1, 0, 1, 1, 2, 2, 2];
        let j = junctions(&classes, 3, 3);
        // (0,0): {0,0,0,1} -> 2 classes; (1,0): {0,1,2,2} -> 3; (1,1): {1,1,2,2} -> 2.
        assert_eq!(j, [0, 0, 0, 1, 0, 0, 0, 0, 0]);
        // A single row never has a junction.
        assert_eq!(junctions(&[0, 1, 2], 3, 1), [0, 0, 0]);
    }

    #[test]
    fn near_ties_are_the_top_two_within_the_tolerance() {
        assert!(top_two_within(&[0.0, 1.0, 1.00001], 1e-4));
        assert!(!top_two_within(&[1.0, 0.5, 0.99], 1e-4));
        assert!(top_two_within(&[5.0, 5.0], 0.0));
        assert!(!top_two_within(&[5.0], 1.0));
    }

    #[test]
    fn ties_go_to_the_lowest_index() {
        assert_eq!(argmax(&[1.0, 1.0, 0.5]), 0);
        assert_eq!(argmax(&[0.0, 2.0, 2.0]), 1);
        assert_eq!(pair_signs(&[1.0, 1.0]), 0);
    }

    /// C = 11 outputs z_k = x - k on x in [0, 10]: pair (i, j) crosses where x - i = x - j
    /// never (parallel), so no pairs; but with z_k = k * x - k^2 ... use z_k = -(x - k)^2
    /// linearised: z_k = 2 k x - k^2, whose pairs (i, j) cross at x = (i + j) / 2.
    #[test]
    fn eleven_classes_cross_at_known_midpoints() {
        let c = 11;
        let rows: Vec<Vec<f32>> = (0..c).map(|k| vec![2.0 * k as f32, 0.0]).collect();
        let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let bias: Vec<f32> = (0..c).map(|k| -((k * k) as f32)).collect();
        let m = linear(&refs, &bias, Activation::Identity);
        // x = c * 0.25 for c in 0..=40 on [0, 10], one row.
        let f = Field::reference(&m, &grid(41, 2, [0.0, 10.0], [0.0, 1.0])).unwrap();
        let pairs = f.pairs().unwrap();
        let classes = f.classes();
        for col in 0..41 {
            let x0 = col as f64 * 0.25;
            // The nearest centre wins: class = round(x), ties (x = k + 0.5) to the lower k.
            let expect_class = if x0.fract() == 0.5 {
                x0.floor()
            } else {
                x0.round()
            };
            assert_eq!(classes[col] as f64, expect_class, "class at x = {x0}");
            for i in 0..c {
                for j in i + 1..c {
                    let mid = (i + j) as f64 / 2.0;
                    // z_i - z_j > 0 iff x < mid; it flips between x0 and x0 + 0.25 iff
                    // x0 < mid <= x0 + 0.25 is false... precisely: (x0 < mid) != (x0+0.25 < mid)
                    let flips = col + 1 < 41 && ((x0 < mid) != (x0 + 0.25 < mid));
                    let bit = pairs[col] >> pair_index(i, j, c) & 1 == 1;
                    assert_eq!(bit, flips, "pair ({i},{j}) at x = {x0}");
                }
            }
        }
        // Bits beyond pair_count stay clear.
        assert!(pairs.iter().all(|p| p >> pair_count(c) == 0));
    }

    #[test]
    fn two_classes_decision_equals_the_single_pair() {
        let m = linear(
            &[&[1.0, -1.0], &[-1.0, 1.0]],
            &[0.3, 0.0],
            Activation::Sigmoid,
        );
        let f = Field::reference(&m, &grid(17, 13, [-2.0, 2.0], [-2.0, 2.0])).unwrap();
        let pairs = f.pairs().unwrap();
        let decision = f.decision();
        assert!(decision.contains(&1));
        for (p, d) in pairs.iter().zip(&decision) {
            assert_eq!(*p as u8, *d);
        }
    }

    #[test]
    fn too_many_pairs_is_an_error() {
        let rows: Vec<Vec<f32>> = (0..12).map(|k| vec![k as f32, 0.0]).collect();
        let refs: Vec<&[f32]> = rows.iter().map(Vec::as_slice).collect();
        let m = linear(&refs, &[0.0; 12], Activation::Identity);
        let f = Field::reference(&m, &grid(2, 2, [0.0, 1.0], [0.0, 1.0])).unwrap();
        assert!(f.pairs().unwrap_err().to_string().contains("66 pairs"));
        assert!(!tracks_crossings(12) && tracks_crossings(11));
        assert_eq!(pair_signs(&[0.0; 12]), 0);
    }
}
