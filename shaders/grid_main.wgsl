// The lane-store entry point of the grid kernel (appended to grid_eval.wgsl): one
// invocation per LANES consecutive columns of a row, dispatched as
// (ceil(ceil(tile_cols / LANES) / WORKGROUP_SIZE), tile_rows, 1); `evaluate` stores each
// point's values one lane at a time.

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let groups = (params.tile_cols + LANES - 1u) / LANES;
    let row = gid.y;
    if (gid.x >= groups || row >= params.tile_rows) {
        return;
    }
    let col = gid.x * LANES;
    let lanes = min(LANES, params.tile_cols - col);
    let x = grid_x(V(f32(params.col_offset + col)) + LANE_OFFSETS);
    let y = grid_y(V(f32(params.row_offset + row)));
    evaluate(x, y, row * params.tile_cols + col, lanes);
}
