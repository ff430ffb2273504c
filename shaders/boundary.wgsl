// Faultline boundary pass: from the per-cell classes and pair sign masks written by the
// grid evaluation kernel, mark for every cell (r, c) of a band
//   - the decision boundary: the class differs from (r, c+1) or (r+1, c);
//   - a junction: three or more classes meet in the 2x2 block (r..r+1, c..c+1);
//   - the pairwise crossings: bit p(i, j) set iff the sign of z_i - z_j differs from
//     (r, c+1) or (r+1, c); and whether any pair crosses there.
// Neighbours outside the grid are skipped. A band holds one extra row (its upper
// neighbour) unless it ends at the top of the grid, so bands give the same bits as one
// untiled pass. The rule itself is `boundary_flags` (boundary_rule.wgsl, prepended with
// the generated prelude of flag bits). CPU twin: faultline_model::arrays.
// Keep BoundaryParams in sync with crates/faultline-gpu/src/params.rs (BoundaryParams;
// a test compares the layouts field by field).

struct BoundaryParams {
    cols: u32,            // grid width W
    rows: u32,            // rows to mark in this band
    rows_available: u32,  // rows present in classes / signs: rows, or rows + 1
}

@group(0) @binding(0) var<uniform> params: BoundaryParams;
@group(0) @binding(1) var<storage, read> classes: array<u32>;
@group(0) @binding(2) var<storage, read> signs: array<u32>;
@group(0) @binding(3) var<storage, read_write> flags: array<u32>;
@group(0) @binding(4) var<storage, read_write> pairs: array<u32>;

override WORKGROUP_SIZE: u32 = 64u;
// u32 words per cell of the sign mask; set per model when the pipeline is built.
override SIGN_WORDS: u32 = 1u;
// Whether the pairs are wanted (a pipeline per choice).
override WRITE_PAIRS: bool = false;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    let r = gid.y;
    if (c >= params.cols || r >= params.rows) {
        return;
    }
    // Branch-free neighbours: a missing neighbour is the cell itself, which never differs.
    let cell = r * params.cols + c;
    let has_right = c + 1u < params.cols;
    let has_up = r + 1u < params.rows_available;
    let right = select(cell, cell + 1u, has_right);
    let up = select(cell, cell + params.cols, has_up);
    let diag = select(cell, cell + params.cols + 1u, has_right && has_up);

    var any = 0u;
    for (var w = 0u; w < SIGN_WORDS; w++) {
        let s = signs[cell * SIGN_WORDS + w];
        let p = (s ^ signs[right * SIGN_WORDS + w]) | (s ^ signs[up * SIGN_WORDS + w]);
        any |= p;
        if (WRITE_PAIRS) {
            pairs[cell * SIGN_WORDS + w] = p;
        }
    }

    flags[cell] = boundary_flags(classes[cell], classes[right], classes[up], classes[diag], any != 0u);
}
