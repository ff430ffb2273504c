// Faultline grid evaluation: one network evaluated on a W x H grid over the input plane.
//
// This file is the hand-written half of the kernel. faultline-shader prepends the
// generated declarations and appends the generated network:
//   alias V = f32 | vec4<f32>;      // one lane per grid point; LANES points per invocation
//   alias VU = u32 | vec4<u32>;
//   const LANES: u32;               // points per invocation (consecutive columns)
//   const LANE_OFFSETS: V;          // 0 or (0, 1, 2, 3)
//   const CHANNELS: u32;            // outputs C
//   const SIGN_WORDS: u32;          // u32 words per cell of the pair sign mask (1 or 2)
//   alias FieldElem, IndexElem;     // f32 and u32 (lane stores) or vec4<u64> (packed)
//   fn evaluate(x: V, y: V, cell: u32, lanes: u32)
//       computes the outputs of LANES points and stores, for lane l < lanes at cell + l:
//       field[(cell + l) * CHANNELS + k] (when WRITE_FIELD), and (when WRITE_CLASSES)
//       the argmax in classes[cell + l] (lowest index wins ties) and the signs of
//       z_i - z_j > 0 as bits in signs[(cell + l) * SIGN_WORDS ..] (pair (i, j)
//       numbered lexicographically).
// and the prelude of shared constants (flag bits, FLAG_ROWS) generated from Rust.
//
// Then one of two entry points follows (grid_main.wgsl or grid_main_packed.wgsl).
//
// Sample (r, c) sits at x = x0 + dx * c, y = y0 + dy * r (`grid_x`, `grid_y`), computed
// from the global column and row so that every tiling and every variant gives the same
// bits. Every switch is an override constant, set per pipeline.
// Keep GridParams in sync with crates/faultline-gpu/src/params.rs (GridParams; a test
// compares the layouts field by field).

struct GridParams {
    origin: vec2<f32>,   // (x0, y0): the grid's first sample
    step: vec2<f32>,     // (dx, dy): distance between columns and rows
    col_offset: u32,     // global column of this tile's column 0
    row_offset: u32,     // global row of this tile's row 0
    tile_cols: u32,      // columns in this tile
    tile_rows: u32,      // rows in this tile
    grid_cols: u32,      // columns of the whole grid (main_flags: is there a right neighbour)
    grid_rows: u32,      // rows of the whole grid (main_flags: is there an upper neighbour)
}

@group(0) @binding(0) var<uniform> params: GridParams;
// The same memory as f32 / u32 arrays; the packed kernel writes it 32 bytes at a time.
@group(0) @binding(1) var<storage, read_write> field: array<FieldElem>;
@group(0) @binding(2) var<storage, read_write> classes: array<IndexElem>;
@group(0) @binding(3) var<storage, read_write> signs: array<IndexElem>;
// Weights for the looped form of large networks; unused (a 4-byte dummy) when unrolled.
@group(0) @binding(4) var<storage, read> weights: array<f32>;

override WORKGROUP_SIZE: u32 = 64u;
// Which arrays a pipeline writes: the field, and the classes and sign words. (A uniform
// `if` would not do: llvmpipe runs the lane loop of a masked-off store anyway.)
override WRITE_FIELD: bool = true;
override WRITE_CLASSES: bool = true;

// The input-plane position of global columns `col` and rows `row` (integers as floats,
// exact for any grid that fits in memory): the one definition every entry point uses.
// CPU twin: GridSpec::x and GridSpec::y (in f64).
fn grid_x(col: V) -> V {
    return params.origin.x + params.step.x * col;
}

fn grid_y(row: V) -> V {
    return params.origin.y + params.step.y * row;
}

fn sigmoid(v: V) -> V {
    return 1.0 / (1.0 + exp(-v));
}

// tanh of large |v| can come out as NaN on some drivers (inf / inf); tanh(9) is 1 in f32.
fn tanh_safe(v: V) -> V {
    return tanh(clamp(v, V(-9.0), V(9.0)));
}

fn relu(v: V) -> V {
    return max(v, V(0.0));
}

fn leaky_relu(v: V, slope: f32) -> V {
    return select(v * slope, v, v > V(0.0));
}
