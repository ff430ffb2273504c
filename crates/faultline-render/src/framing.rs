//! The default cameras, framed to the scene: the overview (from the front left, above)
//! and the side view `demo` writes. Each fits the floor, the surfaces as they stand, the
//! axes and room for their labels into the frame ([`Camera::fitted`]).

use glam::Vec3;

use crate::landscape::FLOOR_DROP;
use crate::scene::OUTLINE_SIDE;
use crate::world::grid_xz;
use crate::{Camera, Scene};

/// The overview's turn around the vertical axis, degrees: a little from the left of
/// the front, so the floor fills a wide frame and the walls still read as 3-D.
pub const OVERVIEW_YAW_DEGREES: f32 = -12.0;
/// The side view's direction (yaw, pitch), degrees.
pub const SIDE_VIEW_DEGREES: (f32, f32) = (52.0, -17.0);

/// How far the overview looks down for `height_scale`, degrees: -35 at the default 0.8,
/// steeper on a flat landscape (the floor map is the picture) and much steeper on a
/// tall one, whose plateaus seen from the side would stand as thin slabs over an empty
/// frame.
pub fn overview_pitch_degrees(height_scale: f32) -> f32 {
    if height_scale < 0.8 {
        -35.0 - 7.0 * ((0.8 - height_scale) / 0.6).clamp(0.0, 1.0)
    } else {
        -35.0 - 33.0 * ((height_scale - 0.8) / 2.2).clamp(0.0, 1.0)
    }
}

/// The overview of `scene` at `height_scale` in an image of `aspect` (width / height).
pub fn overview(scene: &Scene, aspect: f32, height_scale: f32) -> Camera {
    Camera::fitted(
        &scene_points(scene, height_scale),
        OVERVIEW_YAW_DEGREES.to_radians(),
        overview_pitch_degrees(height_scale).to_radians(),
        aspect,
    )
}

/// The side view of `scene`, framed like the overview.
pub fn side_view(scene: &Scene, aspect: f32, height_scale: f32) -> Camera {
    let (yaw, pitch) = SIDE_VIEW_DEGREES;
    from(scene, aspect, height_scale, yaw, pitch)
}

/// `scene` seen along `yaw` and `pitch` (degrees), framed like the overview.
pub fn from(scene: &Scene, aspect: f32, height_scale: f32, yaw: f32, pitch: f32) -> Camera {
    Camera::fitted(
        &scene_points(scene, height_scale),
        yaw.to_radians(),
        pitch.to_radians(),
        aspect,
    )
}

/// What framing keeps in view: the floor's corners, room beyond the labelled edges for
/// the ticks and names, the vertical axis with its name, and the surfaces' coarse samples
/// at their heights.
pub fn scene_points(scene: &Scene, height_scale: f32) -> Vec<Vec3> {
    outline_points(&scene.outline, height_scale)
}

/// [`scene_points`] for surfaces' heights in [0, 1] on the coarse grid
/// (`[surface][row][column]`, [`OUTLINE_SIDE`]² each).
pub fn outline_points(outline: &[f32], height_scale: f32) -> Vec<Vec3> {
    let hs = height_scale;
    let floor = -FLOOR_DROP * hs;
    let mut points = vec![
        Vec3::new(1.0, floor, -1.0),
        // The x axis' labels in front of the floor, the y axis' to its left.
        Vec3::new(-1.0, floor, 1.15),
        Vec3::new(1.0, floor, 1.15),
        Vec3::new(-1.2, floor, 1.0),
        Vec3::new(-1.2, floor, -1.0),
        // The vertical axis and its name above it.
        Vec3::new(-1.0, 1.1 * hs + 0.08, 1.0),
    ];
    let n = OUTLINE_SIDE;
    let stride = 4;
    for surface in outline.chunks_exact(n * n) {
        for r in (0..n).step_by(stride) {
            for c in (0..n).step_by(stride) {
                let (x, z) = grid_xz(r, c, n);
                points.push(Vec3::new(x, surface[r * n + c] * hs, z));
            }
        }
    }
    points
}

/// Where a landscape's camera comes from: framed to the scene (by default, or along a
/// given direction) or placed exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CameraChoice {
    /// The framed overview ([`overview`]).
    Overview,
    /// Framed like the overview, looking along `yaw` and `pitch` (degrees).
    Along {
        /// Degrees around the vertical axis.
        yaw: f32,
        /// Degrees above (+) or below (-) the horizon.
        pitch: f32,
    },
    /// Exactly this camera.
    Fixed(Camera),
}

impl CameraChoice {
    /// The camera for `scene` at `height_scale` in an image of `aspect`.
    pub fn resolve(&self, scene: &Scene, aspect: f32, height_scale: f32) -> Camera {
        match *self {
            CameraChoice::Overview => overview(scene, aspect, height_scale),
            CameraChoice::Along { yaw, pitch } => from(scene, aspect, height_scale, yaw, pitch),
            CameraChoice::Fixed(camera) => camera,
        }
    }
}
