// The fused entry point `main_flags` of packed kernels (appended after
// grid_main_packed.wgsl): the field and the boundary flags in one pass, for rows a
// multiple of 8 wide. llvmpipe turns every store into a loop over its SIMD lanes, so a
// network kernel storing classes and sign words and a second pass loading them back cost
// as many lane loops as the field itself. Here one invocation takes 8 columns x
// FLAG_ROWS rows: it evaluates its rows, the row above them and the cell right of each
// (through `network`, four rows per call: lane 0 of `network_row` gives `network`'s bits,
// so these are exactly what the next block computes), keeps classes and sign words in
// registers, and stores one byte of flags per cell (`flag_byte` of the rule
// `boundary_flags4`, both in boundary_rule.wgsl; CHANNELS <= 32). The bytes are tiled: invocation (group, block) stores
// its FLAG_ROWS rows x 8 bytes as the FLAG_ROWS / 4 32-byte words from
// (group * blocks + block) * FLAG_ROWS / 4, one u64 per row, its first row first; the
// host widens them to u32 flags while it copies.
//
// The rows are unrolled by hand (llvmpipe runs a loop's stores under an execution mask),
// so the network is inlined 39 times: llvmpipe takes a while to build this pipeline,
// which the evaluator does only when asked (GridEvaluator::prepare_fused). BENCHMARKS.md
// has the measurements behind these choices.
//
// Bindings as in grid_eval.wgsl, `classes` receiving the flag bytes (`signs` unused).
// Overrides: WRITE_FIELD (the field too), WRITE_CLASSES = false (store_packed then writes
// the field only), ROW_ALIGNED as for `main`. Needs params.grid_cols and grid_rows.
// Dispatch (ceil(tile_cols / 8 / WORKGROUP_SIZE), ceil(tile_rows / FLAG_ROWS), 1); the
// field and flag buffers hold whole groups of rows (the last group may run past the tile).

// FLAG_ROWS (rows per invocation, from the prelude): main_flags takes them as four calls
// of four_rows, so changing it means changing those (a test checks it is 16).
// The last sign word (the first again where there is one): marking both words covers
// SIGN_WORDS of 1 and 2 without arrays, which llvmpipe would keep in memory.
const LAST_WORD: u32 = SIGN_WORDS - 1u;

// The codes of a row's 8 cells, as two vectors of 4 (cells 0-3, 4-7): classes `k`,
// sign words `s` (the first) and `t` (the last), and `kn`, `sn`, `tn` for the cell right
// of the row (the row's last cell again where the grid ends).
struct Codes {
    k0: VU, k1: VU, kn: u32,
    s0: VU, s1: VU, sn: u32,
    t0: VU, t1: VU, tn: u32,
}

// The codes of a row from its outputs and the right neighbour's class and sign words.
fn codes_of(a: Outputs, b: Outputs, kn: u32, sn: u32, tn: u32, has_next: bool) -> Codes {
    let k1 = b.winner;
    let s1 = b.signs[0];
    let t1 = b.signs[LAST_WORD];
    return Codes(
        a.winner, k1, select(k1.w, kn, has_next),
        a.signs[0], s1, select(s1.w, sn, has_next),
        a.signs[LAST_WORD], t1, select(t1.w, tn, has_next),
    );
}

// Whether sign words change from `s` to the right neighbours `right` or the upper `up`.
fn changes(s: VU, right: VU, up: VU) -> VU {
    return (s ^ right) | (s ^ up);
}

// Four flag bytes (cell 0 lowest) in one u32.
fn bytes4(f: VU) -> u32 {
    return f.x | (f.y << 8u) | (f.z << 16u) | (f.w << 24u);
}

// The flag bytes of a row's 8 cells (cell 0 in the lowest byte of `.x`) from its codes
// and those of the row above (the row itself where there is none, at the grid's top).
fn mark(h: Codes, above: Codes, has_up: bool) -> vec2<u32> {
    var u = above;
    if (!has_up) {
        u = h;
    }
    let right0 = VU(h.k0.yzw, h.k1.x);
    let right1 = VU(h.k1.yzw, h.kn);
    let diag0 = VU(u.k0.yzw, u.k1.x);
    let diag1 = VU(u.k1.yzw, u.kn);
    let c0 = changes(h.s0, VU(h.s0.yzw, h.s1.x), u.s0) | changes(h.t0, VU(h.t0.yzw, h.t1.x), u.t0);
    let c1 = changes(h.s1, VU(h.s1.yzw, h.sn), u.s1) | changes(h.t1, VU(h.t1.yzw, h.tn), u.t1);
    return vec2<u32>(
        bytes4(flag_byte(boundary_flags4(h.k0, right0, u.k0, diag0, c0 != VU(0u)))),
        bytes4(flag_byte(boundary_flags4(h.k1, right1, u.k1, diag1, c1 != VU(0u)))),
    );
}

// y of tile row `r`, as `main` computes it.
fn row_y(r: u32) -> V {
    return grid_y(V(f32(i32(params.row_offset + r))));
}

// Evaluates tile row `r` of the block (x and x_next: its 4 + 4 columns), stores its field
// when `store`, and returns its codes with those of the cell right of it (kn, sn, tn).
fn flag_row(r: u32, block: u32, x: V, x_next: V, kn: u32, sn: u32, tn: u32, has_next: bool, store: bool) -> Codes {
    let y = row_y(r);
    var a: Outputs;
    var b: Outputs;
    if (ROW_ALIGNED) {
        a = network_row(x, y);
        b = network_row(x_next, y);
    } else {
        a = network(x, y);
        b = network(x_next, y);
    }
    if (store) {
        store_packed(r * params.tile_cols + block * 8u, a, b);
    }
    return codes_of(a, b, kn, sn, tn, has_next);
}

// Whether tile row `r` has a row above it in the grid.
fn has_up(r: u32) -> bool {
    return params.row_offset + r + 1u < params.grid_rows;
}

// The flag bytes of four rows, one u64 per row (row r first), and the codes of row r.
struct Quad {
    flags: vec4<u64>,
    low: Codes,
}

// Rows r .. r + 3 of the block, from the top down, given the codes of row r + 4. Their
// right neighbours come from one `network` call (a row per lane).
fn four_rows(r: u32, block: u32, x: V, x_next: V, x_right: V, has_next: bool, above: Codes) -> Quad {
    var right = Outputs();
    if (has_next) {
        let rows = VU(params.row_offset + r) + VU(0u, 1u, 2u, 3u);
        right = network(x_right, grid_y(V(vec4<i32>(rows))));
    }
    let k = right.winner;
    let s = right.signs[0];
    let t = right.signs[LAST_WORD];
    let c3 = flag_row(r + 3u, block, x, x_next, k.w, s.w, t.w, has_next, true);
    let f3 = mark(c3, above, has_up(r + 3u));
    let c2 = flag_row(r + 2u, block, x, x_next, k.z, s.z, t.z, has_next, true);
    let f2 = mark(c2, c3, has_up(r + 2u));
    let c1 = flag_row(r + 1u, block, x, x_next, k.y, s.y, t.y, has_next, true);
    let f1 = mark(c1, c2, has_up(r + 1u));
    let c0 = flag_row(r, block, x, x_next, k.x, s.x, t.x, has_next, true);
    let f0 = mark(c0, c1, has_up(r));
    return Quad(
        vec4<u64>(pack_u32(f0.x, f0.y), pack_u32(f1.x, f1.y), pack_u32(f2.x, f2.y), pack_u32(f3.x, f3.y)),
        c0,
    );
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main_flags(@builtin(global_invocation_id) gid: vec3<u32>) {
    let blocks = params.tile_cols / 8u;
    let block = gid.x;
    if (block >= blocks) {
        return;
    }
    let r0 = gid.y * FLAG_ROWS;
    let col0 = params.col_offset + block * 8u;
    let col = vec4<i32>(VU(col0)) + vec4<i32>(0, 1, 2, 3);
    let x = grid_x(V(col));
    let x_next = grid_x(V(col + 4));
    let has_next = col0 + 8u < params.grid_cols;
    let x_right = grid_x(V(f32(i32(col0 + 8u))));

    // The row above the group, then groups of four rows from the top down, each row
    // marked against the one above it.
    let top = r0 + FLAG_ROWS;
    var right = Outputs();
    if (has_next) {
        right = network(x_right, row_y(top));
    }
    let above = flag_row(top, block, x, x_next, right.winner.x, right.signs[0].x,
                         right.signs[LAST_WORD].x, has_next, false);
    let base = (gid.y * blocks + block) * (FLAG_ROWS / 4u);
    // Unrolled by hand: llvmpipe runs a loop's stores under an execution mask.
    let q3 = four_rows(r0 + 12u, block, x, x_next, x_right, has_next, above);
    classes[base + 3u] = q3.flags;
    let q2 = four_rows(r0 + 8u, block, x, x_next, x_right, has_next, q3.low);
    classes[base + 2u] = q2.flags;
    let q1 = four_rows(r0 + 4u, block, x, x_next, x_right, has_next, q2.low);
    classes[base + 1u] = q1.flags;
    let q0 = four_rows(r0, block, x, x_next, x_right, has_next, q1.low);
    classes[base] = q0.flags;
}
