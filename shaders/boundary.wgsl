// Faultline boundary pass: from the per-cell classes and pair sign masks written by the
// grid evaluation kernel, mark for every cell (r, c) of a band
//   - the decision boundary: the class differs from (r, c+1) or (r+1, c);
//   - a junction: three or more classes meet in the 2x2 block (r..r+1, c..c+1);
//   - the pairwise crossings: bit p(i, j) set iff the sign of z_i - z_j differs from
//     (r, c+1) or (r+1, c); and whether any pair crosses there.
// Neighbours outside the grid are skipped. A band holds one extra row (its upper
// neighbour) unless it ends at the top of the grid, so bands give the same bits as one
// untiled pass. CPU twin: faultline_model::arrays (Field::decision, junctions, pairs).
// Keep BoundaryParams in sync with crates/faultline-gpu/src/params.rs (BoundaryParams).

struct BoundaryParams {
    cols: u32,            // grid width W
    rows: u32,            // rows to mark in this band
    rows_available: u32,  // rows present in classes / signs: rows, or rows + 1
    sign_words: u32,      // u32 words per cell of the sign mask (1 or 2)
    write_pairs: u32,     // 0: skip the pairs stores
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// flags[cell] = class | DECISION | JUNCTION | CROSSING
const CLASS_MASK: u32 = 0xffffu;
const DECISION: u32 = 0x10000u;
const JUNCTION: u32 = 0x20000u;
const CROSSING: u32 = 0x40000u;

@group(0) @binding(0) var<uniform> params: BoundaryParams;
@group(0) @binding(1) var<storage, read> classes: array<u32>;
@group(0) @binding(2) var<storage, read> signs: array<u32>;
@group(0) @binding(3) var<storage, read_write> flags: array<u32>;
@group(0) @binding(4) var<storage, read_write> pairs: array<u32>;

override WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    let r = gid.y;
    if (c >= params.cols || r >= params.rows) {
        return;
    }
    let cell = r * params.cols + c;
    let has_right = c + 1u < params.cols;
    let has_up = r + 1u < params.rows_available;

    let k = classes[cell];
    var decision = false;
    // Distinct classes of the 2x2 block, counted against the ones seen before.
    var distinct = 1u;
    var k_right = k;
    var k_up = k;
    if (has_right) {
        k_right = classes[cell + 1u];
        decision = decision || k_right != k;
        distinct += select(0u, 1u, k_right != k);
    }
    if (has_up) {
        k_up = classes[cell + params.cols];
        decision = decision || k_up != k;
        distinct += select(0u, 1u, k_up != k && k_up != k_right);
    }
    if (has_right && has_up) {
        let k_diag = classes[cell + params.cols + 1u];
        distinct += select(0u, 1u, k_diag != k && k_diag != k_right && k_diag != k_up);
    }

    var crossing = false;
    for (var w = 0u; w < params.sign_words; w++) {
        let s = signs[cell * params.sign_words + w];
        var p = 0u;
        if (has_right) {
            p |= s ^ signs[(cell + 1u) * params.sign_words + w];
        }
        if (has_up) {
            p |= s ^ signs[(cell + params.cols) * params.sign_words + w];
        }
        crossing = crossing || p != 0u;
        if (params.write_pairs != 0u) {
            pairs[cell * params.sign_words + w] = p;
        }
    }

    flags[cell] = (k & CLASS_MASK)
        | select(0u, DECISION, decision)
        | select(0u, JUNCTION, distinct >= 3u)
        | select(0u, CROSSING, crossing);
}
