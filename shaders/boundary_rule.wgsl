// The boundary rule, written once for every kernel that marks boundaries (boundary.wgsl,
// boundary_packed.wgsl and the fused grid_flags_packed.wgsl). CPU twin: `rule` in
// crates/faultline-cpu/src/boundary.rs; reference: faultline_model::arrays. The flag
// bits (CLASS_MASK, DECISION, JUNCTION, CROSSING and the BYTE_ ones) come from the
// prelude faultline-shader generates from faultline-model's constants.
//
// For a cell of class `k` with right neighbour `right`, upper neighbour `up` and
// upper-right neighbour `diag` (a neighbour outside the grid is the cell itself):
//   - decision: the class differs from the right or upper neighbour;
//   - junction: three or more distinct classes in the 2 x 2 block;
//   - crossing: some pair's sign changes towards the right or upper neighbour (given).

fn boundary_flags(k: u32, right: u32, up: u32, diag: u32, crossing: bool) -> u32 {
    let decision = right != k || up != k;
    // Distinct classes of the 2x2 block, each counted against the ones before it.
    let distinct = 1u
        + select(0u, 1u, right != k)
        + select(0u, 1u, up != k && up != right)
        + select(0u, 1u, diag != k && diag != right && diag != up);
    return (k & CLASS_MASK)
        | select(0u, DECISION, decision)
        | select(0u, JUNCTION, distinct >= 3u)
        | select(0u, CROSSING, crossing);
}

// `boundary_flags` of four cells at once.
fn boundary_flags4(k: vec4<u32>, right: vec4<u32>, up: vec4<u32>, diag: vec4<u32>, crossing: vec4<bool>) -> vec4<u32> {
    return vec4<u32>(
        boundary_flags(k.x, right.x, up.x, diag.x, crossing.x),
        boundary_flags(k.y, right.y, up.y, diag.y, crossing.y),
        boundary_flags(k.z, right.z, up.z, diag.z, crossing.z),
        boundary_flags(k.w, right.w, up.w, diag.w, crossing.w),
    );
}

// A flags word as one byte (classes below 32): what the fused kernel stores; the host
// widens it back (faultline_model::arrays::widen_flag_byte).
fn flag_byte(word: vec4<u32>) -> vec4<u32> {
    return (word & vec4<u32>(BYTE_CLASS_MASK))
        | select(vec4<u32>(0u), vec4<u32>(BYTE_DECISION), (word & vec4<u32>(DECISION)) != vec4<u32>(0u))
        | select(vec4<u32>(0u), vec4<u32>(BYTE_JUNCTION), (word & vec4<u32>(JUNCTION)) != vec4<u32>(0u))
        | select(vec4<u32>(0u), vec4<u32>(BYTE_CROSSING), (word & vec4<u32>(CROSSING)) != vec4<u32>(0u));
}
