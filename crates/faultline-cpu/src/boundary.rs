//! Boundary arrays from a field on all cores: classes, pair crossings, decision boundary,
//! junctions, and the per-cell flags word the GPU boundary pass writes.
//!
//! Two passes, each parallel over rows: every cell's class (argmax, the lowest index
//! winning ties) and pair sign mask, then every cell against its right and upper
//! neighbours. The definitions are those of `faultline_model::arrays` (the reference,
//! which the tests compare with) and of shaders/boundary.wgsl.

use faultline_model::arrays::{Field, class_of, pair_count, too_many_pairs, tracks_crossings};
use faultline_model::{ModelError, PairMask};
use rayon::prelude::*;

pub use faultline_model::arrays::{CLASS_MASK, CROSSING, DECISION, JUNCTION};

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
    /// The classes and sign masks of `field` (sign masks 0 where crossings are not
    /// tracked: see `faultline_model::arrays::tracks_crossings`).
    pub fn of(field: &Field) -> Codes {
        let (w, c) = (field.width, field.channels);
        let cells = field.width * field.height;
        let mut classes = vec![0u32; cells];
        let mut signs: Vec<PairMask> = vec![0; cells];
        let rows = field.values.par_chunks(w * c.max(1));
        classes
            .par_chunks_mut(w.max(1))
            .zip(signs.par_chunks_mut(w.max(1)))
            .zip(rows)
            .for_each(|((classes, signs), row)| {
                codes_into(row, c, field.threshold, classes, signs)
            });
        Codes {
            width: field.width,
            height: field.height,
            classes,
            signs,
        }
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
    /// towards the right or upper neighbour; refused where crossings are not tracked.
    pub fn pairs(&self, rows: usize, channels: usize) -> Result<Vec<PairMask>, ModelError> {
        if !tracks_crossings(channels) {
            return Err(too_many_pairs(channels));
        }
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
        Ok(out)
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

/// The boundary rule, written once for the CPU crate (its WGSL twin is `boundary_flags`
/// in shaders/boundary_rule.wgsl, its reference `faultline_model::arrays`): the flags
/// word of a cell of class `a` with right neighbour `b`, upper neighbour `u` and
/// upper-right neighbour `d` (a missing neighbour is the cell itself), and whether some
/// pair changes sign towards the right or upper neighbour.
#[inline(always)]
fn rule(a: u32, b: u32, u: u32, d: u32, crossing: bool) -> u32 {
    let decision = (b != a) | (u != a);
    let distinct = 1
        + u32::from(b != a)
        + u32::from((u != a) & (u != b))
        + u32::from((d != a) & (d != b) & (d != u));
    (a & CLASS_MASK)
        | (u32::from(decision) * DECISION)
        | (u32::from(distinct >= 3) * JUNCTION)
        | (u32::from(crossing) * CROSSING)
}

/// The flags word of a cell of class `a` and sign mask `sa`, with right neighbour `b`
/// (`sb`), upper neighbour `u` (`su`) and upper-right neighbour `d`.
#[inline(always)]
fn flag(a: u32, b: u32, u: u32, d: u32, sa: PairMask, sb: PairMask, su: PairMask) -> u32 {
    rule(a, b, u, d, ((sa ^ sb) | (sa ^ su)) != 0)
}

/// Rows per parallel task of [`flags_into`]: small enough that a task's codes stay in cache.
const CHUNK_ROWS: usize = 8;

/// The flags word of rows `0..out.len() / W` of `field` into `out`, fused: each task
/// computes the classes and sign masks of its rows (and the row above) in a small buffer
/// and marks them at once, so nothing but the flags is written to memory. Row
/// `out.len() / W`, when `field` has it, only serves as the upper neighbour.
pub fn flags_into(field: &Field, out: &mut [u32]) {
    let (w, c) = (field.width, field.channels);
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
            codes_into(
                values,
                c,
                field.threshold,
                &mut codes.classes,
                &mut codes.signs,
            );
            for (r, out) in out.chunks_mut(w).enumerate() {
                codes.flag_row(r, out);
            }
        });
    debug_assert!(rows <= field.height);
}

/// Marks rows as they are evaluated, bottom to top: fed the field of consecutive rows, it
/// writes the flags of every row whose upper neighbour it has seen and holds the codes of
/// the last one until the next rows (or [`RowMarker::finish`]) supply it. A band of rows
/// is so marked in one pass while its field is in cache, without evaluating any row twice.
#[derive(Debug)]
pub(crate) struct RowMarker {
    width: usize,
    channels: usize,
    /// A one-output model's class threshold.
    threshold: f32,
    /// Codes of up to `rows + 1` rows: one packed word per cell when the pairs fit
    /// ([`PACKED_PAIRS`]), else separate classes and sign masks.
    codes: RowCodes,
    /// Whether row 0 of the codes holds the last row fed, not yet flagged.
    held: bool,
}

/// The codes a [`RowMarker`] keeps.
#[derive(Debug)]
enum RowCodes {
    /// `class | signs << PACKED_SHIFT` per cell: a third of the memory traffic of
    /// `Wide`, and flags computed on 16 lanes of u32.
    Packed(Vec<u32>),
    /// Classes and 64-bit sign masks.
    Wide(Codes),
}

/// At most this many pairs (7 outputs) are packed into a u32 code beside the class.
const PACKED_PAIRS: usize = 24;
/// Where the sign bits start in a packed code (the class takes the bits below).
const PACKED_SHIFT: u32 = 8;

impl RowMarker {
    /// A marker for rows `width` wide of `channels` outputs (one output: classes by
    /// `threshold`), fed at most `rows` at a time.
    pub(crate) fn new(width: usize, channels: usize, threshold: f32, rows: usize) -> RowMarker {
        let cells = (rows + 1) * width;
        let codes = if pair_count(channels) <= PACKED_PAIRS {
            RowCodes::Packed(vec![0; cells])
        } else {
            RowCodes::Wide(Codes {
                width,
                height: 0,
                classes: vec![0; cells],
                signs: vec![0; cells],
            })
        };
        RowMarker {
            width,
            channels,
            threshold,
            codes,
            held: false,
        }
    }

    /// Rows whose flags the next [`RowMarker::push`] of `n` rows writes.
    pub(crate) fn flagged_by_push(&self, n: usize) -> usize {
        (usize::from(self.held) + n).saturating_sub(1)
    }

    /// The codes of `rows` (field values) into slots `first..`.
    #[inline(always)]
    fn code_rows(&mut self, rows: &[f32], first: usize) {
        let w = self.width;
        let n = rows.len() / (w * self.channels);
        let slots = first * w..(first + n) * w;
        match &mut self.codes {
            RowCodes::Packed(codes) => {
                packed_codes_into(rows, self.channels, self.threshold, &mut codes[slots])
            }
            RowCodes::Wide(codes) => codes_into(
                rows,
                self.channels,
                self.threshold,
                &mut codes.classes[slots.clone()],
                &mut codes.signs[slots],
            ),
        }
    }

    /// The flags of slot rows `0..out.len() / W`, each against the slot row above it
    /// when there are `height` slot rows (the top one against itself).
    #[inline(always)]
    fn flag_slots(&mut self, height: usize, out: &mut [u32]) {
        let w = self.width;
        match &mut self.codes {
            RowCodes::Packed(codes) => {
                for (r, out) in out.chunks_mut(w).enumerate() {
                    let row = &codes[r * w..(r + 1) * w];
                    let up = if r + 1 < height {
                        &codes[(r + 1) * w..(r + 2) * w]
                    } else {
                        row
                    };
                    flag_packed_row(row, up, out);
                }
            }
            RowCodes::Wide(codes) => {
                codes.height = height;
                for (r, out) in out.chunks_mut(w).enumerate() {
                    codes.flag_row(r, out);
                }
            }
        }
    }

    /// Moves the codes of slot row `from` to slot row 0.
    fn hold(&mut self, from: usize) {
        let w = self.width;
        let cells = from * w..(from + 1) * w;
        match &mut self.codes {
            RowCodes::Packed(codes) => codes.copy_within(cells, 0),
            RowCodes::Wide(codes) => {
                codes.classes.copy_within(cells.clone(), 0);
                codes.signs.copy_within(cells, 0);
            }
        }
        self.held = true;
    }

    /// Feeds the field of the next `n` rows (`rows`, `n * W * C` values) and writes the
    /// flags of the held row and all of these but the last into `out`
    /// ([`RowMarker::flagged_by_push`] rows).
    #[inline(always)]
    pub(crate) fn push(&mut self, rows: &[f32], out: &mut [u32]) {
        let n = rows.len() / (self.width * self.channels);
        if n == 0 {
            return;
        }
        let base = usize::from(self.held);
        self.code_rows(rows, base);
        self.flag_slots(base + n, out);
        // The last row waits for its upper neighbour.
        self.hold(base + n - 1);
    }

    /// Writes the flags of the held row into `out` (`W` values), given the field of the
    /// row above it (`None` at the top of the grid, where a cell has no upper neighbour).
    #[inline(always)]
    pub(crate) fn finish(&mut self, up: Option<&[f32]>, out: &mut [u32]) {
        if !self.held {
            return;
        }
        if let Some(up) = up {
            self.code_rows(up, 1);
        }
        self.flag_slots(if up.is_some() { 2 } else { 1 }, out);
        self.held = false;
    }
}

/// Packed codes (`class | signs << PACKED_SHIFT`) of every cell of `values`.
#[inline(always)]
fn packed_codes_into(values: &[f32], c: usize, threshold: f32, out: &mut [u32]) {
    #[inline(always)]
    fn fixed<const C: usize>(values: &[f32], out: &mut [u32]) {
        for (o, z) in out.iter_mut().zip(values.chunks_exact(C)) {
            let (class, signs) = code_fixed::<C>(z.try_into().expect("C values per cell"));
            *o = class | (signs as u32) << PACKED_SHIFT;
        }
    }
    match c {
        1 => out
            .iter_mut()
            .zip(values)
            .for_each(|(o, &z)| *o = class_of(std::slice::from_ref(&z), threshold)),
        2 => fixed::<2>(values, out),
        3 => fixed::<3>(values, out),
        4 => fixed::<4>(values, out),
        5 => fixed::<5>(values, out),
        6 => fixed::<6>(values, out),
        7 => fixed::<7>(values, out),
        _ => {
            for (o, z) in out.iter_mut().zip(values.chunks(c)) {
                let (class, signs) = code(z);
                *o = class | (signs as u32) << PACKED_SHIFT;
            }
        }
    }
}

/// [`Codes::flag_row`] on packed codes: every column against its right neighbour in
/// zipped loops, the last column against itself.
#[inline(always)]
fn flag_packed_row(row: &[u32], up: &[u32], out: &mut [u32]) {
    let last = row.len() - 1;
    let cells = out[..last]
        .iter_mut()
        .zip(row[..last].iter().zip(&row[1..]))
        .zip(up[..last].iter().zip(&up[1..]));
    for ((o, (&a, &b)), (&u, &d)) in cells {
        *o = flag_packed(a, b, u, d);
    }
    out[last] = flag_packed(row[last], row[last], up[last], up[last]);
}

/// [`flag`] on packed codes: cell `a`, right `b`, upper `u`, upper-right `d`.
#[inline(always)]
fn flag_packed(a: u32, b: u32, u: u32, d: u32) -> u32 {
    const CLASS: u32 = (1 << PACKED_SHIFT) - 1;
    let crossing = ((a ^ b) | (a ^ u)) >> PACKED_SHIFT != 0;
    rule(a & CLASS, b & CLASS, u & CLASS, d & CLASS, crossing)
}

/// The class and sign mask of every cell of `values` (`C` outputs per cell), with the
/// channel count known at compile time for the common small ones.
#[inline(always)]
fn codes_into(
    values: &[f32],
    c: usize,
    threshold: f32,
    classes: &mut [u32],
    signs: &mut [PairMask],
) {
    #[inline(always)]
    fn fixed<const C: usize>(values: &[f32], classes: &mut [u32], signs: &mut [PairMask]) {
        for ((class, sign), z) in classes.iter_mut().zip(signs).zip(values.chunks_exact(C)) {
            let z: &[f32; C] = z.try_into().expect("C values per cell");
            (*class, *sign) = code_fixed(z);
        }
    }
    match c {
        1 => {
            for ((class, sign), &z) in classes.iter_mut().zip(signs).zip(values) {
                (*class, *sign) = (class_of(std::slice::from_ref(&z), threshold), 0);
            }
        }
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

/// The class and sign mask of one cell's outputs (the mask 0 where crossings are not
/// tracked).
#[inline]
fn code(z: &[f32]) -> (u32, PairMask) {
    if !tracks_crossings(z.len()) {
        return (faultline_model::arrays::argmax(z), 0);
    }
    let mut best = 0;
    let mut mask: PairMask = 0;
    let mut bit = 0u32;
    for i in 0..z.len() {
        if z[i] > z[best] {
            best = i;
        }
        for &zj in &z[i + 1..] {
            mask |= PairMask::from(z[i] - zj > 0.0) << bit;
            bit += 1;
        }
    }
    (best as u32, mask)
}
