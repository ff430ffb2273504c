// Faultline blit: draws a texture over the whole target with bilinear filtering. The
// landscape renderer uses it to scale a reduced-resolution frame (drawn while the camera
// moves) up to the window.

@group(0) @binding(0) var source: texture_2d<f32>;
@group(0) @binding(1) var source_sampler: sampler;

struct BlitOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
}

// One triangle covering the target: vertices (-1, -1), (3, -1), (-1, 3).
@vertex
fn vs_blit(@builtin(vertex_index) vi: u32) -> BlitOut {
    let p = vec2<f32>(f32((vi << 1u) & 2u), f32(vi & 2u));
    var out: BlitOut;
    out.position = vec4<f32>(p * 2.0 - 1.0, 0.0, 1.0);
    out.uv = vec2<f32>(p.x, 1.0 - p.y);
    return out;
}

@fragment
fn fs_blit(in: BlitOut) -> @location(0) vec4<f32> {
    return textureSampleLevel(source, source_sampler, in.uv, 0.0);
}
