// Faultline landscape: every output neuron z_k(x, y) as a lit heightmap over the input
// plane, drawn straight from the field buffer the grid kernel wrote ([H, W, C] f32). The
// mesh is generated here from the vertex index (no vertex buffers, nothing uploaded per
// frame); `grid.w` is the mesh step, so a coarse mesh is one uniform away.
//
// World space: x in [-1, 1] along the grid's columns (input x), z from +1 (row 0, input y0)
// to -1 (row H-1), y up: the height (z_k - z_min) / (z_max - z_min) * height_scale.
//
// Lines are drawn per fragment from the field itself (on the mesh's triangles), with screen-space
// derivatives: the decision boundary where the two largest outputs meet, the pairwise
// crossings where a surface meets another, junctions where three meet. They stay one to
// two pixels wide however close the camera is.
// Keep Uniforms in sync with crates/faultline-render/src/landscape.rs (Uniforms).

struct Uniforms {
    view_proj: mat4x4<f32>,
    eye: vec4<f32>,      // camera position (xyz)
    light: vec4<f32>,    // direction towards the light (xyz, normalised)
    grid: vec4<u32>,     // W, H, C, mesh step
    shape: vec4<f32>,    // height scale, z min, 1 / (z max - z min), surface alpha
    view: vec4<u32>,     // mode, class, visible-class mask, toggles
    binary: vec4<f32>,   // x: a one-output model's class threshold (see z_at); y, z: the
                         // iso-lines' spacing (0: none) and first value
}

const MODE_ALL: u32 = 0u;       // every visible surface, see-through
const MODE_ENVELOPE: u32 = 1u;  // the upper envelope, coloured by the winning class
const MODE_SINGLE: u32 = 2u;    // one class alone

const SHOW_DECISION: u32 = 1u;
const SHOW_CROSSINGS: u32 = 2u;
const SHOW_JUNCTIONS: u32 = 4u;

const MAX_CLASSES: u32 = 16u;
const LINE: vec3<f32> = vec3<f32>(0.02, 0.02, 0.02);

@group(0) @binding(0) var<uniform> u: Uniforms;
@group(0) @binding(1) var<storage, read> field: array<f32>;
@group(0) @binding(2) var<storage, read> colours: array<vec4<f32>>;

// Surface k at row r, column c. A one-output model (a binary classifier) shows two
// surfaces: class 0 is the plane at its threshold, class 1 its output, so the decision
// boundary is drawn where the output crosses the threshold, as the engines mark it (ties
// go to class 0, the lowest index).
fn z_at(r: u32, c: u32, k: u32) -> f32 {
    return z_at_vertex(r * u.grid.x + c, k);
}

// The same at vertex index v = row * W + column.
fn z_at_vertex(v: u32, k: u32) -> f32 {
    if (u.grid.z == 1u) {
        return select(field[v], u.binary.x, k == 0u);
    }
    return field[v * u.grid.z + k];
}

// The number of surfaces: the outputs, or 2 for a one-output model (see z_at).
fn surfaces() -> u32 {
    return select(u.grid.z, 2u, u.grid.z == 1u);
}

fn height(z: f32) -> f32 {
    return (z - u.shape.y) * u.shape.z * u.shape.x;
}

fn world_x(c: f32) -> f32 {
    return -1.0 + 2.0 * c / max(f32(u.grid.x) - 1.0, 1.0);
}

fn world_z(r: f32) -> f32 {
    return 1.0 - 2.0 * r / max(f32(u.grid.y) - 1.0, 1.0);
}

// The value a vertex of surface k shows: z_k, or the largest z for the envelope.
fn surface_z(r: u32, c: u32, k: u32) -> f32 {
    if (u.view.x == MODE_ENVELOPE) {
        var best = z_at(r, c, 0u);
        for (var j = 1u; j < surfaces(); j++) {
            best = max(best, z_at(r, c, j));
        }
        return best;
    }
    return z_at(r, c, k);
}

struct SurfaceOut {
    @builtin(position) position: vec4<f32>,
    @location(0) world: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) cell: vec2<f32>,  // (column, row) in grid units
    @location(3) @interpolate(flat) surface: u32,
}

// The surfaces as triangle strips, one instance per mesh row of each surface
// (instance = surface * rows + row): vertex 2q is column q of the row's top edge, 2q + 1
// the same column one mesh step further, so each grid vertex is shaded about twice rather
// than six times. Each quad splits along the diagonal from (c1, r0) to (c0, r1), as
// facet_at assumes.
@vertex
fn vs_surface(@builtin(vertex_index) vi: u32, @builtin(instance_index) instance: u32) -> SurfaceOut {
    var out: SurfaceOut;
    let w = u.grid.x;
    let h = u.grid.y;
    let step = max(u.grid.w, 1u);
    let rows = (h - 1u + step - 1u) / step;
    let c = min((vi / 2u) * step, w - 1u);
    let r = min((instance % rows + vi % 2u) * step, h - 1u);

    var k = instance / rows;
    if (u.view.x == MODE_SINGLE) {
        k = u.view.y;
    }
    out.surface = k;
    let hidden = u.view.x == MODE_ALL && ((u.view.z >> min(k, 31u)) & 1u) == 0u;

    let y = height(surface_z(r, c, k));
    // Normal from central differences over one mesh step.
    let cl = select(c - step, 0u, c < step);
    let cr = min(c + step, w - 1u);
    let rd = select(r - step, 0u, r < step);
    let ru = min(r + step, h - 1u);
    let dydx = (height(surface_z(r, cr, k)) - height(surface_z(r, cl, k)))
        / max(world_x(f32(cr)) - world_x(f32(cl)), 1e-6);
    let dydz = (height(surface_z(ru, c, k)) - height(surface_z(rd, c, k)))
        / min(world_z(f32(ru)) - world_z(f32(rd)), -1e-6);
    out.normal = normalize(vec3<f32>(-dydx, 1.0, -dydz));
    out.world = vec3<f32>(world_x(f32(c)), y, world_z(f32(r)));
    out.cell = vec2<f32>(f32(c), f32(r));
    out.position = u.view_proj * vec4<f32>(out.world, 1.0);
    if (hidden) {
        out.position = vec4<f32>(2.0, 2.0, 2.0, 1.0);  // outside the clip volume
    }
    return out;
}

// The mesh triangle under a fractional (column, row), chosen once per fragment. A quad
// spans one mesh step (`grid.w`) and splits along the diagonal from (c1, r0) to (c0, r1)
// exactly as vs_surface splits it, so the lines below are drawn on the very triangles the
// rasteriser fills and are straight within each. The triangle is stored as its
// right-angle corner (`apex`) and the corners one step from it along the columns and the
// rows, as vertex indices (row * W + column), so sampling an output is three loads and no
// branch. Outputs are sampled one at a time (no per-fragment arrays: they are slow on
// software rasterisers).
struct Facet {
    apex: u32,
    along_c: u32,
    along_r: u32,
    offset: vec2<f32>,  // the fragment's position from the apex towards the two corners, 0..1
    scale: vec2<f32>,   // from differences along the edges to d/dcolumn, d/drow (+-1 / span)
}

fn facet_at(cell: vec2<f32>) -> Facet {
    let w = u.grid.x;
    let h = u.grid.y;
    let step = max(u.grid.w, 1u);
    let p = clamp(cell, vec2<f32>(0.0), vec2<f32>(f32(w - 1u), f32(h - 1u)));
    let last_c = (w - 2u) / step;
    let last_r = (h - 2u) / step;
    let c0 = min(u32(floor(p.x / f32(step))), last_c) * step;
    let r0 = min(u32(floor(p.y / f32(step))), last_r) * step;
    let c1 = min(c0 + step, w - 1u);
    let r1 = min(r0 + step, h - 1u);
    let span = max(vec2<f32>(f32(c1 - c0), f32(r1 - r0)), vec2<f32>(1.0));
    let f = (p - vec2<f32>(f32(c0), f32(r0))) / span;
    let lower = f.x + f.y <= 1.0;
    var t: Facet;
    t.apex = select(r1 * w + c1, r0 * w + c0, lower);
    t.along_c = select(r1 * w + c0, r0 * w + c1, lower);
    t.along_r = select(r0 * w + c1, r1 * w + c0, lower);
    t.offset = select(vec2<f32>(1.0) - f, f, lower);
    t.scale = select(-1.0, 1.0, lower) / span;
    return t;
}

// Output k at a facet with its gradient in grid units (d/dcolumn, d/drow), linear on the
// triangle.
struct Sample {
    z: f32,
    g: vec2<f32>,
}

fn sample_output(t: Facet, k: u32) -> Sample {
    let za = z_at_vertex(t.apex, k);
    let edges = vec2<f32>(z_at_vertex(t.along_c, k) - za, z_at_vertex(t.along_r, k) - za);
    return Sample(za + dot(t.offset, edges), edges * t.scale);
}

// Indices, values and gradients of the three largest outputs (lowest index wins ties).
struct Top3 {
    first: u32,
    second: u32,
    third: u32,
    z1: f32,
    z2: f32,
    z3: f32,
    g1: vec2<f32>,
    g2: vec2<f32>,
    g3: vec2<f32>,
}

fn top3(q: Facet) -> Top3 {
    var t: Top3;
    let s0 = sample_output(q, 0u);
    t.first = 0u;
    t.second = 0u;
    t.third = 0u;
    t.z1 = s0.z;
    t.z2 = -3.4e38;
    t.z3 = -3.4e38;
    t.g1 = s0.g;
    t.g2 = vec2<f32>(0.0);
    t.g3 = vec2<f32>(0.0);
    let n = min(surfaces(), MAX_CLASSES);
    for (var k = 1u; k < n; k++) {
        let s = sample_output(q, k);
        let above1 = s.z > t.z1;
        let above2 = s.z > t.z2;
        let above3 = s.z > t.z3;
        t.z3 = select(select(t.z3, s.z, above3), t.z2, above2);
        t.g3 = select(select(t.g3, s.g, above3), t.g2, above2);
        t.third = select(select(t.third, k, above3), t.second, above2);
        t.second = select(select(t.second, k, above2), t.first, above1);
        t.z2 = select(select(t.z2, s.z, above2), t.z1, above1);
        t.g2 = select(select(t.g2, s.g, above2), t.g1, above1);
        t.first = select(t.first, k, above1);
        t.z1 = select(t.z1, s.z, above1);
        t.g1 = select(t.g1, s.g, above1);
    }
    return t;
}

fn lit(base: vec3<f32>, normal: vec3<f32>, world: vec3<f32>) -> vec3<f32> {
    let n = normalize(normal);
    let l = normalize(u.light.xyz);
    let v = normalize(u.eye.xyz - world);
    // Two-sided: surfaces are seen from below too.
    let nf = select(-n, n, dot(n, v) >= 0.0);
    let diffuse = max(dot(nf, l), 0.0);
    let half_vector = normalize(l + v);
    let specular = pow(max(dot(nf, half_vector), 0.0), 48.0) * 0.35;
    return base * (0.28 + 0.72 * diffuse) + vec3<f32>(specular);
}

// The grid position's screen derivatives at a fragment (grid units per pixel along x
// and y), taken once in uniform control flow.
struct Footprint {
    dx: vec2<f32>,
    dy: vec2<f32>,
}

fn footprint_of(cell: vec2<f32>) -> Footprint {
    return Footprint(dpdx(cell), dpdy(cell));
}

// How much of a line of `width` pixels covers this fragment, for a quantity d that is
// zero on the line, with gradient `grad` in grid units: the distance to the line in
// pixels is |d| over the length of d's screen gradient, so the line keeps its width and
// its anti-aliased edge however steep the wall it lies on. The derivative of d is taken
// analytically rather than with fwidth(d), which came out wrong on lavapipe for values
// computed in loops. Where d hardly changes across a pixel (surfaces that coincide, like
// two sigmoids saturated at 0) nothing is drawn.
fn line_cover(d: f32, grad: vec2<f32>, fp: Footprint, width: f32) -> f32 {
    let screen = vec2<f32>(dot(grad, fp.dx), dot(grad, fp.dy));
    let per_pixel = length(screen);
    let changing = step(1e-5 / u.shape.z, per_pixel);
    let distance = abs(d) / max(per_pixel, 1e-12);
    return changing * (1.0 - smoothstep(0.5 * width - 0.5, 0.5 * width + 0.5, distance));
}

// The class with the largest output at the grid sample nearest to `cell` (lowest index
// wins ties): the fast frames' colour, no interpolation.
fn winner_near(cell: vec2<f32>) -> u32 {
    let at = vec2<u32>(round(clamp(cell, vec2<f32>(0.0),
        vec2<f32>(f32(u.grid.x - 1u), f32(u.grid.y - 1u)))));
    let v = at.y * u.grid.x + at.x;
    var first = 0u;
    var best = z_at_vertex(v, 0u);
    for (var k = 1u; k < min(surfaces(), MAX_CLASSES); k++) {
        let z = z_at_vertex(v, k);
        first = select(first, k, z > best);
        best = max(best, z);
    }
    return first;
}

fn surface_alpha() -> f32 {
    return select(1.0, u.shape.w, u.view.x == MODE_ALL);
}

// A surface at full quality: lit colour and the lines.
@fragment
fn fs_surface(in: SurfaceOut) -> @location(0) vec4<f32> {
    let footprint = footprint_of(in.cell);
    let q = facet_at(in.cell);
    let t = top3(q);
    let n = min(surfaces(), MAX_CLASSES);
    var k = min(in.surface, MAX_CLASSES - 1u);
    if (u.view.x == MODE_ENVELOPE) {
        k = t.first;
    }
    var colour = lit(colours[k].rgb, in.normal, in.world);
    let own = sample_output(q, k);

    let decision = line_cover(t.z1 - t.z2, t.g1 - t.g2, footprint, 2.2);
    let junction = line_cover(t.z1 - t.z3, t.g1 - t.g3, footprint, 3.0)
        * line_cover(t.z1 - t.z2, t.g1 - t.g2, footprint, 3.0);
    var crossing = 0.0;
    if ((u.view.w & SHOW_CROSSINGS) != 0u) {
        for (var j = 0u; j < n; j++) {
            let other = sample_output(q, j);
            let cover = line_cover(own.z - other.z, own.g - other.g, footprint, 1.0);
            crossing = max(crossing, select(cover, 0.0, j == k));
        }
    }

    if (u.binary.y > 0.0) {
        // Iso-lines at base + i * step on this surface, one pixel wide.
        let rel = own.z - u.binary.z;
        let d = rel - round(rel / u.binary.y) * u.binary.y;
        colour = mix(colour, vec3<f32>(0.1, 0.1, 0.12), 0.55 * line_cover(d, own.g, footprint, 1.0));
    }

    let on_top = k == t.first || k == t.second;
    if ((u.view.w & SHOW_CROSSINGS) != 0u) {
        colour = mix(colour, vec3<f32>(0.97), crossing * 0.35);
    }
    if ((u.view.w & SHOW_DECISION) != 0u && (on_top || u.view.x == MODE_ENVELOPE)) {
        colour = mix(colour, LINE, decision);
    }
    if ((u.view.w & SHOW_JUNCTIONS) != 0u && n >= 3u && k == t.first) {
        colour = mix(colour, vec3<f32>(1.0, 0.95, 0.2), junction);
    }
    return vec4<f32>(colour, surface_alpha());
}

// A surface while the camera moves: lit colour only (the envelope coloured by the nearest
// sample's winner), no lines. A separate entry point rather than a uniform branch in
// fs_surface: behind the branch lavapipe still paid for the line code (BENCHMARKS.md).
@fragment
fn fs_surface_fast(in: SurfaceOut) -> @location(0) vec4<f32> {
    var k = min(in.surface, MAX_CLASSES - 1u);
    if (u.view.x == MODE_ENVELOPE) {
        k = winner_near(in.cell);
    }
    return vec4<f32>(lit(colours[k].rgb, in.normal, in.world), surface_alpha());
}

struct FloorOut {
    @builtin(position) position: vec4<f32>,
    @location(0) cell: vec2<f32>,
}

// The floor: one quad under the landscape showing the 2-D class map.
@vertex
fn vs_floor(@builtin(vertex_index) vi: u32) -> FloorOut {
    let dc = select(0.0, 1.0, vi == 1u || vi == 4u || vi == 5u);
    let dr = select(0.0, 1.0, vi == 2u || vi == 3u || vi == 5u);
    let cell = vec2<f32>(dc * f32(u.grid.x - 1u), dr * f32(u.grid.y - 1u));
    let world = vec3<f32>(world_x(cell.x), -0.04 * u.shape.x, world_z(cell.y));
    var out: FloorOut;
    out.position = u.view_proj * vec4<f32>(world, 1.0);
    out.cell = cell;
    return out;
}

// The floor at full quality: the class map with its decision lines.
@fragment
fn fs_floor(in: FloorOut) -> @location(0) vec4<f32> {
    let footprint = footprint_of(in.cell);
    let t = top3(facet_at(in.cell));
    let decision = line_cover(t.z1 - t.z2, t.g1 - t.g2, footprint, 1.5);
    let junction = line_cover(t.z1 - t.z3, t.g1 - t.g3, footprint, 4.0)
        * line_cover(t.z1 - t.z2, t.g1 - t.g2, footprint, 4.0);
    var colour = mix(colours[t.first].rgb, vec3<f32>(1.0), 0.25);
    colour = mix(colour, LINE, decision);
    if (surfaces() >= 3u) {
        colour = mix(colour, vec3<f32>(1.0), junction);
    }
    return vec4<f32>(colour, 1.0);
}

// The floor while the camera moves: the nearest sample's class, no lines.
@fragment
fn fs_floor_fast(in: FloorOut) -> @location(0) vec4<f32> {
    return vec4<f32>(mix(colours[winner_near(in.cell)].rgb, vec3<f32>(1.0), 0.25), 1.0);
}

struct AxisOut {
    @builtin(position) position: vec4<f32>,
    @location(0) colour: vec3<f32>,
}

// Three axes from the floor's corner at (x0, y0): input x (red), input y (green) and the
// output height (blue), as a line list.
@vertex
fn vs_axes(@builtin(vertex_index) vi: u32) -> AxisOut {
    let axis = vi / 2u;
    let tip = vi % 2u == 1u;
    let origin = vec3<f32>(-1.0, -0.04 * u.shape.x, 1.0);
    var direction = vec3<f32>(2.1, 0.0, 0.0);
    var colour = vec3<f32>(0.85, 0.2, 0.2);
    if (axis == 1u) {
        direction = vec3<f32>(0.0, 0.0, -2.1);
        colour = vec3<f32>(0.2, 0.7, 0.25);
    } else if (axis == 2u) {
        direction = vec3<f32>(0.0, 1.1 * u.shape.x, 0.0);
        colour = vec3<f32>(0.2, 0.35, 0.9);
    }
    var out: AxisOut;
    out.position = u.view_proj * vec4<f32>(origin + select(vec3<f32>(0.0), direction, tip), 1.0);
    out.colour = colour;
    return out;
}

@fragment
fn fs_axes(in: AxisOut) -> @location(0) vec4<f32> {
    return vec4<f32>(in.colour, 1.0);
}
