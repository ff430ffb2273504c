//! The landscape as a glTF 2.0 binary (`.glb`) to open in Blender, ParaView or a web
//! viewer: one mesh per surface (an output; the threshold plane and the output for a
//! one-output model), vertex colours by class, and the boundary lines as line primitives.
//!
//! Positions are the renderer's world units: the floor is [-1, 1] in x (the first input,
//! left to right) and z (the second input, +1 at its low end, so y runs away from the
//! viewer), y is up: the output mapped from the scene's z range to [0, height scale].
//! `asset.extras` holds the domain, input and class names to map them back.

use faultline_model::{Domain, GridSpec, Mlp};

use crate::palette::class_colour;

/// A line on the landscape: whether it is decision boundary, and its vertices (domain x,
/// y, and the output value the line lies at).
#[derive(Debug, Clone)]
pub struct GltfLine {
    /// Decision boundary (else another crossing).
    pub decision: bool,
    /// Vertices: domain x, domain y, output value.
    pub points: Vec<[f64; 3]>,
}

/// The surfaces' values: `field` (row-major, `outputs` per sample) over `grid`, with the
/// model they came from.
pub struct GltfScene<'a> {
    /// The model (names, threshold, class rule).
    pub mlp: &'a Mlp,
    /// The grid the field was evaluated on.
    pub grid: &'a GridSpec,
    /// `grid.points() * mlp.outputs()` values.
    pub field: &'a [f32],
    /// The lines to draw.
    pub lines: &'a [GltfLine],
    /// World height of the top of the z range.
    pub height_scale: f32,
}

/// Linear RGB of an sRGB 8-bit colour (glTF vertex colours are linear).
fn linear([r, g, b]: [u8; 3]) -> [f32; 3] {
    [r, g, b].map(|c| {
        let c = f32::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    })
}

/// Accumulates the binary buffer and its views and accessors.
struct Builder {
    bin: Vec<u8>,
    views: Vec<serde_json::Value>,
    accessors: Vec<serde_json::Value>,
}

impl Builder {
    /// Adds `data` as a buffer view and an accessor of `kind` (VEC3 floats or SCALAR
    /// u32), with min/max for positions; returns the accessor's index.
    fn add(
        &mut self,
        data: &[u8],
        count: usize,
        kind: &str,
        bounds: Option<([f32; 3], [f32; 3])>,
    ) -> usize {
        while !self.bin.len().is_multiple_of(4) {
            self.bin.push(0);
        }
        let offset = self.bin.len();
        self.bin.extend_from_slice(data);
        let (component, target) = if kind == "SCALAR" {
            (5125, 34963)
        } else {
            (5126, 34962)
        };
        self.views.push(serde_json::json!({
            "buffer": 0, "byteOffset": offset, "byteLength": data.len(), "target": target
        }));
        let mut accessor = serde_json::json!({
            "bufferView": self.views.len() - 1,
            "componentType": component,
            "count": count,
            "type": kind,
        });
        if let Some((min, max)) = bounds {
            accessor["min"] = serde_json::json!(min);
            accessor["max"] = serde_json::json!(max);
        }
        self.accessors.push(accessor);
        self.accessors.len() - 1
    }

    fn vec3(&mut self, values: &[[f32; 3]], bounds: bool) -> usize {
        let bytes: Vec<u8> = values
            .iter()
            .flatten()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let b = bounds.then(|| {
            values
                .iter()
                .fold(([f32::MAX; 3], [f32::MIN; 3]), |(lo, hi), p| {
                    (
                        [lo[0].min(p[0]), lo[1].min(p[1]), lo[2].min(p[2])],
                        [hi[0].max(p[0]), hi[1].max(p[1]), hi[2].max(p[2])],
                    )
                })
        });
        self.add(&bytes, values.len(), "VEC3", b)
    }
}

/// The landscape as GLB bytes.
pub fn glb(scene: &GltfScene) -> Vec<u8> {
    let (mlp, grid) = (scene.mlp, scene.grid);
    let (w, h, c) = (grid.width, grid.height, mlp.outputs());
    let surfaces = mlp.classes();
    let threshold = mlp.threshold();
    // The value surface k shows at sample i: the output, or for a one-output model the
    // threshold plane (class 0) and the output (class 1).
    let value = |i: usize, k: usize| -> f32 {
        if c == 1 {
            if k == 0 { threshold } else { scene.field[i] }
        } else {
            scene.field[i * c + k]
        }
    };
    let (lo, hi) = (0..w * h)
        .flat_map(|i| (0..surfaces).map(move |k| (i, k)))
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), (i, k)| {
            let v = value(i, k);
            (lo.min(v), hi.max(v))
        });
    let world = crate::WorldMap {
        domain: grid.domain,
        z_range: [lo, hi],
        height_scale: scene.height_scale,
    };
    let winner = |i: usize| -> usize {
        let z: Vec<f32> = (0..c).map(|k| scene.field[i * c + k]).collect();
        faultline_model::arrays::class_of(&z, threshold) as usize
    };
    let winners: Vec<usize> = (0..w * h).map(winner).collect();
    let mut b = Builder {
        bin: Vec::new(),
        views: Vec::new(),
        accessors: Vec::new(),
    };
    let indices: Vec<u8> = (0..h.saturating_sub(1))
        .flat_map(|r| (0..w.saturating_sub(1)).map(move |q| (r, q)))
        .flat_map(|(r, q)| {
            let a = (r * w + q) as u32;
            let (right, below, diag) = (a + 1, a + w as u32, a + w as u32 + 1);
            // Counter-clockwise seen from above.
            [a, right, below, right, diag, below]
        })
        .flat_map(u32::to_le_bytes)
        .collect();
    let index_count = indices.len() / 4;
    let index_accessor = b.add(&indices, index_count, "SCALAR", None);
    let names = mlp.class_names();
    let mut meshes = Vec::new();
    for k in 0..surfaces {
        let positions: Vec<[f32; 3]> = (0..h)
            .flat_map(|r| (0..w).map(move |q| (r, q)))
            .map(|(r, q)| {
                let i = r * w + q;
                [
                    world.x(grid.x(q)),
                    world.height(f64::from(value(i, k))),
                    world.z(grid.y(r)),
                ]
            })
            .collect();
        let own = linear(class_colour(k));
        let pale = own.map(|v| 0.35 * v + 0.65 * 0.8);
        let colours: Vec<[f32; 3]> = winners
            .iter()
            .map(|&win| if win == k { own } else { pale })
            .collect();
        let p = b.vec3(&positions, true);
        let colour = b.vec3(&colours, false);
        meshes.push(serde_json::json!({
            "name": names.get(k).cloned().unwrap_or_else(|| format!("class {k}")),
            "primitives": [{
                "attributes": {"POSITION": p, "COLOR_0": colour},
                "indices": index_accessor,
                "material": 0,
                "mode": 4,
            }]
        }));
    }
    for decision in [true, false] {
        let segments: Vec<[f32; 3]> = scene
            .lines
            .iter()
            .filter(|l| l.decision == decision)
            .flat_map(|l| l.points.windows(2))
            .flat_map(|pair| {
                pair.iter()
                    .map(|&[x, y, z]| world.point(x, y, z).to_array())
                    .collect::<Vec<_>>()
            })
            .collect();
        if segments.is_empty() {
            continue;
        }
        let p = b.vec3(&segments, true);
        let colour = if decision {
            [0.02, 0.02, 0.02]
        } else {
            [1.0, 1.0, 1.0]
        };
        let colours = b.vec3(&vec![colour; segments.len()], false);
        meshes.push(serde_json::json!({
            "name": if decision { "decision boundary" } else { "crossings" },
            "primitives": [{"attributes": {"POSITION": p, "COLOR_0": colours}, "mode": 1}]
        }));
    }
    while !b.bin.len().is_multiple_of(4) {
        b.bin.push(0);
    }
    let d: Domain = grid.domain;
    let json = serde_json::json!({
        "asset": {
            "version": "2.0",
            "generator": "faultline",
            "extras": {
                "domain": [d.x[0], d.x[1], d.y[0], d.y[1]],
                "inputs": mlp.input_names(),
                "classes": names,
                "z_range": [lo, hi],
                "height_scale": scene.height_scale,
                "grid": [w, h],
            }
        },
        "scene": 0,
        "scenes": [{"nodes": (0..meshes.len()).collect::<Vec<_>>()}],
        "nodes": (0..meshes.len()).map(|m| serde_json::json!({"mesh": m, "name": meshes[m]["name"]})).collect::<Vec<_>>(),
        "meshes": meshes,
        "materials": [{
            "name": "landscape",
            "doubleSided": true,
            "pbrMetallicRoughness": {"metallicFactor": 0.0, "roughnessFactor": 0.8}
        }],
        "buffers": [{"byteLength": b.bin.len()}],
        "bufferViews": b.views,
        "accessors": b.accessors,
    });
    let mut text = json.to_string().into_bytes();
    while !text.len().is_multiple_of(4) {
        text.push(b' ');
    }
    let total = 12 + 8 + text.len() + 8 + b.bin.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&text);
    out.extend_from_slice(&(b.bin.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&b.bin);
    out
}
