// Faultline boundary pass, packed: what shaders/boundary.wgsl computes, for software
// adapters. llvmpipe turns every load and store of a storage buffer into a loop over its
// SIMD lanes, so the per-cell pass (seven loads and one or two stores per cell) costs
// many times the network kernel. Here one invocation marks 8 consecutive cells of a row
// from 32-byte words: its own 8 classes and sign words, the 8 above, and the first cell
// right of each block, then stores the 8 flags (and pairs) as 32-byte words.
//
// Needs: rows a multiple of 8 cells wide (so blocks never straddle rows), at most 2 sign
// words per cell, the codes written by the packed network kernel, SHADER_INT64.
// Dispatch (ceil(cols / 8 / WORKGROUP_SIZE), rows, 1). The rule is `boundary_flags`
// (boundary_rule.wgsl). CPU twin: faultline_model::arrays.
// Keep BoundaryParams in sync with crates/faultline-gpu/src/params.rs (BoundaryParams;
// a test compares the layouts field by field).

struct BoundaryParams {
    cols: u32,            // grid width W (a multiple of 8)
    rows: u32,            // rows to mark in this band
    rows_available: u32,  // rows present in classes / signs: rows, or rows + 1
}

@group(0) @binding(0) var<uniform> params: BoundaryParams;
@group(0) @binding(1) var<storage, read> classes: array<vec4<u64>>;
@group(0) @binding(2) var<storage, read> signs: array<vec4<u64>>;
@group(0) @binding(3) var<storage, read_write> flags: array<vec4<u64>>;
@group(0) @binding(4) var<storage, read_write> pairs: array<vec4<u64>>;

override WORKGROUP_SIZE: u32 = 64u;
// u32 words per cell of the sign mask (1 or 2); set per model when the pipeline is built.
override SIGN_WORDS: u32 = 1u;
// Whether the pairs are wanted (a pipeline per choice: llvmpipe runs a masked-off
// store's lane loop anyway).
override WRITE_PAIRS: bool = false;

// The eight u32 of a 32-byte word, in memory order (u32(u64) keeps the low half).
fn unpack(v: vec4<u64>) -> array<u32, 8> {
    return array<u32, 8>(
        u32(v.x), u32(v.x >> 32u), u32(v.y), u32(v.y >> 32u),
        u32(v.z), u32(v.z >> 32u), u32(v.w), u32(v.w >> 32u),
    );
}

fn pack(lo: u32, hi: u32) -> u64 {
    return u64(lo) | (u64(hi) << 32u);
}

// The 8 classes of the block at cell `first`, and the class right of the block (the
// block's last cell's own when `has_next` is false).
struct Row8 {
    k: array<u32, 8>,
    next: u32,
}

fn classes_at(first: u32, has_next: bool) -> Row8 {
    let word = first / 8u;
    let k = unpack(classes[word]);
    let after = unpack(classes[select(word, word + 1u, has_next)]);
    return Row8(k, select(k[7], after[0], has_next));
}

// Sign word `w` of the block's 8 cells and of the cell right of the block.
fn signs_at(first: u32, w: u32, has_next: bool) -> Row8 {
    // 8 cells of SIGN_WORDS words are SIGN_WORDS 32-byte words.
    let base = first / 8u * SIGN_WORDS;
    var s: array<u32, 8>;
    if (SIGN_WORDS == 1u) {
        s = unpack(signs[base]);
    } else {
        // Cells 0-3 in the first word, 4-7 in the second: word w of cell i is at 2 i + w.
        let a = unpack(signs[base]);
        let b = unpack(signs[base + 1u]);
        s = array<u32, 8>(a[w], a[2u + w], a[4u + w], a[6u + w],
                          b[w], b[2u + w], b[4u + w], b[6u + w]);
    }
    let after = unpack(signs[select(base, base + SIGN_WORDS, has_next)]);
    return Row8(s, select(s[7], after[w], has_next));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let block = gid.x;
    let r = gid.y;
    let blocks = params.cols / 8u;
    if (block >= blocks || r >= params.rows) {
        return;
    }
    let first = r * params.cols + block * 8u;
    let has_next = block + 1u < blocks;
    let has_up = r + 1u < params.rows_available;
    // A missing upper row is the row itself (which never differs).
    let up_first = select(first, first + params.cols, has_up);

    let here = classes_at(first, has_next);
    let above = classes_at(up_first, has_next);
    var crossing: array<u32, 8>;
    var crossed: array<array<u32, 8>, 2>;
    for (var w = 0u; w < SIGN_WORDS; w++) {
        let s = signs_at(first, w, has_next);
        let s_up = signs_at(up_first, w, has_next);
        for (var i = 0u; i < 8u; i++) {
            let right = select(s.k[min(i + 1u, 7u)], s.next, i == 7u);
            let p = (s.k[i] ^ right) | (s.k[i] ^ s_up.k[i]);
            crossed[w][i] = p;
            crossing[i] |= p;
        }
    }
    var out: array<u32, 8>;
    for (var i = 0u; i < 8u; i++) {
        let k = here.k[i];
        let last = i == 7u;
        let k_right = select(here.k[min(i + 1u, 7u)], here.next, last);
        // The diagonal neighbour exists only with both a right and an upper one.
        let has_diag = has_up && (!last || has_next);
        let k_diag = select(k, select(above.k[min(i + 1u, 7u)], above.next, last), has_diag);
        out[i] = boundary_flags(k, k_right, above.k[i], k_diag, crossing[i] != 0u);
    }
    flags[first / 8u] = vec4<u64>(
        pack(out[0], out[1]), pack(out[2], out[3]), pack(out[4], out[5]), pack(out[6], out[7]),
    );
    if (WRITE_PAIRS) {
        let base = first / 8u * SIGN_WORDS;
        if (SIGN_WORDS == 1u) {
            let p = crossed[0];
            pairs[base] = vec4<u64>(pack(p[0], p[1]), pack(p[2], p[3]), pack(p[4], p[5]), pack(p[6], p[7]));
        } else {
            let p = crossed[0];
            let q = crossed[1];
            pairs[base] = vec4<u64>(pack(p[0], q[0]), pack(p[1], q[1]), pack(p[2], q[2]), pack(p[3], q[3]));
            pairs[base + 1u] = vec4<u64>(pack(p[4], q[4]), pack(p[5], q[5]), pack(p[6], q[6]), pack(p[7], q[7]));
        }
    }
}
