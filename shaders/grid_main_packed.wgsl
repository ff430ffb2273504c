// The packed entry point of the grid kernel (appended to grid_eval.wgsl), for software
// adapters. llvmpipe turns every store to a storage buffer into a loop over its SIMD
// lanes, so the cost of a kernel that writes 12 bytes per point is the number of stores.
// Here one invocation evaluates the 8 consecutive cells first..first + 8 of the tile
// (flattened row-major, so rows need not be a multiple of 8 wide) and `store_packed`
// writes them with 32-byte vec4<u64> stores: C for the field, 1 for the classes, one per
// sign word. Buffers hold 8 cells of slack past the tile for the last invocation.
// Dispatch: ceil(ceil(tile_cols * tile_rows / 8) / WORKGROUP_SIZE) workgroups, spread over
// (x, y) when x alone would exceed the device's limit. Needs SHADER_INT64.

// Set per pipeline when tile_cols is a multiple of 8, so that the eight cells of an
// invocation lie in one row: `network_row` may then share work along the row (the
// generator's first-layer exponentials; see faultline-shader's network.rs).
override ROW_ALIGNED: bool = false;

// Two 32-bit values as one u64, `lo` first in memory (little-endian).
fn pack_f32(lo: f32, hi: f32) -> u64 {
    return u64(bitcast<u32>(lo)) | (u64(bitcast<u32>(hi)) << 32u);
}

fn pack_u32(lo: u32, hi: u32) -> u64 {
    return u64(lo) | (u64(hi) << 32u);
}

// The tile rows of four flattened cells. The f32 quotient is within one row of the
// truth (tiles have far fewer than 2^31 cells); the integer steps make it exact. Signed
// conversions: llvmpipe emulates unsigned ones with several instructions each.
fn rows_of(cell: VU) -> VU {
    let cols = i32(params.tile_cols);
    let c = vec4<i32>(cell);
    var row = vec4<i32>(floor(V(c) * (1.0 / f32(cols))));
    row = select(row, row - 1, row * cols > c);
    row = select(row, row + 1, c - row * cols >= vec4<i32>(cols));
    return VU(row);
}

// The inputs of four flattened cells, from their global column and row exactly as the
// lane entry point computes them.
fn inputs_of(cell: VU) -> array<V, 2> {
    let row = rows_of(cell);
    let col = cell - row * params.tile_cols;
    let x = grid_x(V(vec4<i32>(VU(params.col_offset) + col)));
    let y = grid_y(V(vec4<i32>(VU(params.row_offset) + row)));
    return array<V, 2>(x, y);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let first = (gid.x + gid.y * groups.x * WORKGROUP_SIZE) * 8u;
    if (first >= params.tile_cols * params.tile_rows) {
        return;
    }
    if (ROW_ALIGNED) {
        // The eight cells share one row: find it once.
        let row = rows_of(VU(first)).x;
        let col = vec4<i32>(VU(params.col_offset + first - row * params.tile_cols))
            + vec4<i32>(0, 1, 2, 3);
        let x = grid_x(V(col));
        let x_next = grid_x(V(col + 4));
        let y = grid_y(V(f32(i32(params.row_offset + row))));
        store_packed(first, network_row(x, y), network_row(x_next, y));
    } else {
        let lo = VU(first) + VU(0u, 1u, 2u, 3u);
        let p = inputs_of(lo);
        let q = inputs_of(lo + VU(4u));
        store_packed(first, network(p[0], p[1]), network(q[0], q[1]));
    }
}
