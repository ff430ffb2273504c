//! Boundary arrays from a field on all cores: classes, pair crossings, decision boundary,
//! junctions, and the per-cell flags word the GPU boundary pass writes.
//!
//! Two passes, each parallel over rows: every cell's class (argmax, the lowest index
//! winning ties) and pair sign mask, then every cell against its right and upper
//! neighbours. The definitions are those of `faultline_model::arrays` (the reference,
//! which the tests compare with) and of shaders/boundary.wgsl.

use faultline_model::arrays::{Field, MAX_PAIRS, pair_count};
use faultline_model::{ModelError, PairMask};
use rayon::prelude::*;

/// Flag bit: the class differs from the right or upper neighbour.
pub const DECISION: u32 = 0x10000;
/// Flag bit: three or more classes meet in the 2x2 block above and right of the cell.
pub const JUNCTION: u32 = 0x20000;
/// Flag bit: some pair of outputs changes order towards the right or upper neighbour.
pub const CROSSING: u32 = 0x40000;

/// Per-cell class and pair sign mask of a field (`[H, W]` each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codes {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Argmax per cell, the lowest index winning ties.
    pub classes: Vec<u32>,
    /// Bit `pair_index(i, j)` set iff `z_i - z_j > 0`.
    pub signs: Vec<PairMask>,
}

impl Codes {
    /// The classes and sign masks of `field` (at most 11 outputs: 55 pairs).
    pub fn of(field: &Field) -> Result<Codes, ModelError> {
        let (w, c) = (field.width, field.channels);
        if pair_count(c) > MAX_PAIRS {
            return Err(ModelError::Output(format!(
                "{c} outputs make {} pairs; a pairs array holds at most {MAX_PAIRS}",
                pair_count(c)
            )));
        }
        let cells = field.width * field.height;
        let mut classes = vec![0u32; cells];
        let mut signs: Vec<PairMask> = vec![0; cells];
        let rows = field.values.par_chunks(w * c.max(1));
        classes
            .par_chunks_mut(w.max(1))
            .zip(signs.par_chunks_mut(w.max(1)))
            .zip(rows)
            .for_each(|((classes, signs), row)| codes_into(row, c, classes, signs));
        Ok(Codes {
            width: field.width,
            height: field.height,
            classes,
            signs,
        })
    }

    /// The flags word of rows `0..rows` (`class | DECISION | JUNCTION | CROSSING`); row
    /// `rows`, when present, only serves as the upper neighbour (bands overlap by one).
    pub fn flags(&self, rows: usize) -> Vec<u32> {
        let w = self.width;
        let mut out = vec![0u32; rows * w];
        out.par_chunks_mut(w.max(1))
            .enumerate()
            .for_each(|(r, out)| self.flag_row(r, out));
        out
    }

    /// The pair crossing masks of rows `0..rows`: bit p set where pair p changes sign
    /// towards the right or upper neighbour.
    pub fn pairs(&self, rows: usize) -> Vec<PairMask> {
        let w = self.width;
        let mut out: Vec<PairMask> = vec![0; rows * w];
        out.par_chunks_mut(w.max(1))
            .enumerate()
            .for_each(|(r, out)| {
                let (row, up) = self.row_and_up(&self.signs, r);
                for (c, o) in out.iter_mut().enumerate() {
                    let right = row[(c + 1).min(w - 1)];
                    *o = (row[c] ^ right) | (row[c] ^ up[c]);
                }
            });
        out
    }

    /// The decision boundary of rows `0..rows`: 1 where the class changes.
    pub fn decision(&self, rows: usize) -> Vec<u8> {
        self.flags(rows)
            .into_iter()
            .map(|f| u8::from(f & DECISION != 0))
            .collect()
    }

    /// Row `r` of `values` and the row above it (the row itself at the top edge, which
    /// never differs).
    fn row_and_up<'v, T>(&self, values: &'v [T], r: usize) -> (&'v [T], &'v [T]) {
        let w = self.width;
        let row = &values[r * w..(r + 1) * w];
        let up = if r + 1 < self.height {
            &values[(r + 1) * w..(r + 2) * w]
        } else {
            row
        };
        (row, up)
    }

    #[inline(always)]
    fn flag_row(&self, r: usize, out: &mut [u32]) {
        let w = self.width;
        let (k, k_up) = self.row_and_up(&self.classes, r);
        let (s, s_up) = self.row_and_up(&self.signs, r);
        let last = w - 1;
        // Every column but the last against its right neighbour, in straight zipped loops
        // the compiler vectorises; the last column's right neighbour is itself.
        let cells = out[..last]
            .iter_mut()
            .zip(k[..last].iter().zip(&k[1..]))
            .zip(k_up[..last].iter().zip(&k_up[1..]))
            .zip(s[..last].iter().zip(&s[1..]))
            .zip(&s_up[..last]);
        for ((((o, (&a, &b)), (&u, &d)), (&sa, &sb)), &su) in cells {
            *o = flag(a, b, u, d, sa, sb, su);
        }
        out[last] = flag(
            k[last], k[last], k_up[last], k_up[last], s[last], s[last], s_up[last],
        );
    }
}

/// The flags word of a cell of class `a` and sign mask `sa`, with right neighbour `b`
/// (`sb`), upper neighbour `u` (`su`) and upper-right neighbour `d`.
#[inline(always)]
fn flag(a: u32, b: u32, u: u32, d: u32, sa: PairMask, sb: PairMask, su: PairMask) -> u32 {
    let decision = (b != a) | (u != a);
    let distinct = 1
        + u32::from(b != a)
        + u32::from((u != a) & (u != b))
        + u32::from((d != a) & (d != b) & (d != u));
    let crossing = ((sa ^ sb) | (sa ^ su)) != 0;
    (a & 0xffff)
        | (u32::from(decision) * DECISION)
        | (u32::from(distinct >= 3) * JUNCTION)
        | (u32::from(crossing) * CROSSING)
}

/// Rows per parallel task of [`flags_into`]: small enough that a task's codes stay in cache.
const CHUNK_ROWS: usize = 8;

/// The flags word of rows `0..out.len() / W` of `field` into `out`, fused: each task
/// computes the classes and sign masks of its rows (and the row above) in a small buffer
/// and marks them at once, so nothing but the flags is written to memory. Row
/// `out.len() / W`, when `field` has it, only serves as the upper neighbour.
pub fn flags_into(field: &Field, out: &mut [u32]) -> Result<(), ModelError> {
    let (w, c) = (field.width, field.channels);
    if pair_count(c) > MAX_PAIRS {
        return Err(ModelError::Output(format!(
            "{c} outputs make {} pairs; a pairs array holds at most {MAX_PAIRS}",
            pair_count(c)
        )));
    }
    let rows = out.len() / w.max(1);
    out.par_chunks_mut(w.max(1) * CHUNK_ROWS)
        .enumerate()
        .for_each(|(chunk, out)| {
            let r0 = chunk * CHUNK_ROWS;
            let n = out.len() / w;
            // Codes of rows r0 ..= r0 + n (the last one only as a neighbour, if present).
            let last = (r0 + n + 1).min(field.height);
            let mut codes = Codes {
                width: w,
                height: last - r0,
                classes: vec![0; (last - r0) * w],
                signs: vec![0; (last - r0) * w],
            };
            let values = &field.values[r0 * w * c..last * w * c];
            codes_into(values, c, &mut codes.classes, &mut codes.signs);
            for (r, out) in out.chunks_mut(w).enumerate() {
                codes.flag_row(r, out);
            }
        });
    debug_assert!(rows <= field.height);
    Ok(())
}

/// Reusable buffers of [`flag_rows`]: the codes of a few rows.
#[derive(Debug, Default)]
pub(crate) struct FlagScratch {
    classes: Vec<u32>,
    signs: Vec<PairMask>,
}

/// The flags word of the `out.len() / W` rows whose field is `rows` (`C` outputs per
/// cell), with `up` the field of the row above the last (`None` at the top of the grid):
/// what [`flags_into`] does per task, for callers that have just computed the rows.
/// Inlined so that callers compiled for a wider instruction set vectorise it.
#[inline(always)]
pub(crate) fn flag_rows(
    rows: &[f32],
    up: Option<&[f32]>,
    w: usize,
    c: usize,
    scratch: &mut FlagScratch,
    out: &mut [u32],
) {
    let n = out.len() / w;
    let height = n + usize::from(up.is_some());
    let mut codes = Codes {
        width: w,
        height,
        classes: std::mem::take(&mut scratch.classes),
        signs: std::mem::take(&mut scratch.signs),
    };
    codes.classes.resize(height * w, 0);
    codes.signs.resize(height * w, 0);
    codes_into(
        rows,
        c,
        &mut codes.classes[..n * w],
        &mut codes.signs[..n * w],
    );
    if let Some(up) = up {
        codes_into(
            up,
            c,
            &mut codes.classes[n * w..],
            &mut codes.signs[n * w..],
        );
    }
    for (r, out) in out.chunks_mut(w).enumerate() {
        codes.flag_row(r, out);
    }
    scratch.classes = codes.classes;
    scratch.signs = codes.signs;
}

/// The class and sign mask of every cell of `values` (`C` outputs per cell), with the
/// channel count known at compile time for the common small ones.
#[inline(always)]
fn codes_into(values: &[f32], c: usize, classes: &mut [u32], signs: &mut [PairMask]) {
    #[inline(always)]
    fn fixed<const C: usize>(values: &[f32], classes: &mut [u32], signs: &mut [PairMask]) {
        for ((class, sign), z) in classes.iter_mut().zip(signs).zip(values.chunks_exact(C)) {
            let z: &[f32; C] = z.try_into().expect("C values per cell");
            (*class, *sign) = code_fixed(z);
        }
    }
    match c {
        1 => fixed::<1>(values, classes, signs),
        2 => fixed::<2>(values, classes, signs),
        3 => fixed::<3>(values, classes, signs),
        4 => fixed::<4>(values, classes, signs),
        5 => fixed::<5>(values, classes, signs),
        _ => {
            for ((class, sign), z) in classes.iter_mut().zip(signs).zip(values.chunks(c)) {
                (*class, *sign) = code(z);
            }
        }
    }
}

/// [`code`] with the output count known at compile time (unrolled, constant shifts).
#[inline(always)]
fn code_fixed<const C: usize>(z: &[f32; C]) -> (u32, PairMask) {
    let mut best = 0u32;
    let mut top = z[0];
    let mut mask: PairMask = 0;
    let mut bit = 0;
    for i in 0..C {
        let above = z[i] > top;
        best = if above { i as u32 } else { best };
        top = if above { z[i] } else { top };
        for j in i + 1..C {
            mask |= PairMask::from(z[i] - z[j] > 0.0) << bit;
            bit += 1;
        }
    }
    (best, mask)
}

/// The class and sign mask of one cell's outputs.
#[inline]
fn code(z: &[f32]) -> (u32, PairMask) {
    let mut best = 0;
    let mut mask: PairMask = 0;
    let mut bit = 0u32;
    for i in 0..z.len() {
        if z[i] > z[best] {
            best = i;
        }
        for &zj in &z[i + 1..] {
            mask |= PairMask::from(z[i] - zj > 0.0).wrapping_shl(bit);
            bit = bit.wrapping_add(1);
        }
    }
    (best as u32, mask)
}
