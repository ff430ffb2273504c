//! The camera: a position and a direction (yaw, pitch), flown or orbited.

use glam::{Mat4, Vec2, Vec3, Vec4};

/// A perspective camera. Yaw 0 looks along -z (from the front of the landscape to its
/// back), positive yaw turns right; positive pitch looks up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Camera {
    /// Where the camera is.
    pub position: Vec3,
    /// Turn around the vertical axis, radians.
    pub yaw: f32,
    /// Look up (+) or down (-), radians, within +-89 degrees.
    pub pitch: f32,
    /// Vertical field of view, radians.
    pub fov_y: f32,
}

impl Camera {
    /// Looking at `target` from `distance` away, at `yaw` and `pitch` (radians).
    pub fn orbit(target: Vec3, yaw: f32, pitch: f32, distance: f32) -> Camera {
        let pitch = pitch.clamp(-1.55, 1.55);
        let mut camera = Camera {
            position: Vec3::ZERO,
            yaw,
            pitch,
            fov_y: 45f32.to_radians(),
        };
        camera.position = target - camera.forward() * distance;
        camera
    }

    /// The default overview of the landscape: from the front left, above.
    pub fn overview() -> Camera {
        Camera::orbit(
            Vec3::new(0.0, 0.2, 0.05),
            (-28f32).to_radians(),
            (-34f32).to_radians(),
            3.9,
        )
    }

    /// Looking along `yaw` and `pitch` (radians), aimed at and as close to `points` as
    /// fits them inside an image of `aspect` with a margin: their projection is centred
    /// and its larger extent fills [`FRAME_FILL`] of the frame.
    pub fn fitted(points: &[Vec3], yaw: f32, pitch: f32, aspect: f32) -> Camera {
        let (lo, hi) = points.iter().fold(
            (Vec3::splat(f32::MAX), Vec3::splat(f32::MIN)),
            |(lo, hi), &p| (lo.min(p), hi.max(p)),
        );
        let mut target = if points.is_empty() {
            Vec3::ZERO
        } else {
            0.5 * (lo + hi)
        };
        let size = if points.is_empty() {
            1.0
        } else {
            (hi - lo).length().max(1e-3)
        };
        let mut camera = Camera::orbit(target, yaw, pitch, 1.5 * size);
        // The points' extent in normalised device coordinates seen from `camera`.
        let extent = |camera: &Camera| -> Option<(Vec2, Vec2)> {
            let m = camera.view_proj(aspect);
            let mut lo = Vec2::splat(f32::MAX);
            let mut hi = Vec2::splat(f32::MIN);
            for &c in points {
                let clip = m * c.extend(1.0);
                if clip.w <= 1e-4 {
                    return None;
                }
                let p = Vec2::new(clip.x, clip.y) / clip.w;
                lo = lo.min(p);
                hi = hi.max(p);
            }
            Some((lo, hi))
        };
        for _ in 0..6 {
            // The distance at which the larger extent fills the frame (bisection: the
            // extent shrinks as the camera backs away).
            let (mut near, mut far) = (0.05 * size, 40.0 * size);
            for _ in 0..40 {
                let mid = 0.5 * (near + far);
                let fits =
                    extent(&Camera::orbit(target, yaw, pitch, mid)).is_some_and(|(lo, hi)| {
                        lo.x >= -FRAME_FILL
                            && hi.x <= FRAME_FILL
                            && lo.y >= -FRAME_FILL
                            && hi.y <= FRAME_FILL
                    });
                if fits { far = mid } else { near = mid }
            }
            camera = Camera::orbit(target, yaw, pitch, far);
            // Centre the projection: move the aim by the offset, in world units at the
            // target's depth.
            let Some((lo, hi)) = extent(&camera) else {
                break;
            };
            let centre = 0.5 * (lo + hi);
            let half_height = far * (0.5 * camera.fov_y).tan();
            let up = camera.right().cross(camera.forward()).normalize();
            target +=
                camera.right() * centre.x * half_height * aspect + up * centre.y * half_height;
        }
        camera
    }

    /// The unit vector the camera looks along.
    pub fn forward(&self) -> Vec3 {
        Vec3::new(
            self.yaw.sin() * self.pitch.cos(),
            self.pitch.sin(),
            -self.yaw.cos() * self.pitch.cos(),
        )
    }

    /// The unit vector to the camera's right, level with the ground.
    pub fn right(&self) -> Vec3 {
        Vec3::new(self.yaw.cos(), 0.0, self.yaw.sin())
    }

    /// Projection times view for an image of `aspect` = width / height, depth in [0, 1].
    pub fn view_proj(&self, aspect: f32) -> Mat4 {
        perspective(self.fov_y, aspect, 0.02, 100.0)
            * look_at(self.position, self.position + self.forward(), Vec3::Y)
    }
}

/// How much of the frame's width or height the framed scene's larger extent fills.
pub const FRAME_FILL: f32 = 0.95;

/// Right-handed perspective projection with depth mapped to [0, 1] (wgpu's convention).
pub fn perspective(fov_y: f32, aspect: f32, near: f32, far: f32) -> Mat4 {
    let f = 1.0 / (0.5 * fov_y).tan();
    let range = far / (near - far);
    Mat4::from_cols(
        Vec4::new(f / aspect, 0.0, 0.0, 0.0),
        Vec4::new(0.0, f, 0.0, 0.0),
        Vec4::new(0.0, 0.0, range, -1.0),
        Vec4::new(0.0, 0.0, range * near, 0.0),
    )
}

/// Right-handed view matrix looking from `eye` at `target`.
pub fn look_at(eye: Vec3, target: Vec3, up: Vec3) -> Mat4 {
    let f = (target - eye).normalize();
    let s = f.cross(up).normalize();
    let u = s.cross(f);
    Mat4::from_cols(
        Vec4::new(s.x, u.x, -f.x, 0.0),
        Vec4::new(s.y, u.y, -f.y, 0.0),
        Vec4::new(s.z, u.z, -f.z, 0.0),
        Vec4::new(-s.dot(eye), -u.dot(eye), f.dot(eye), 1.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fitted_box_fills_the_frame_inside_the_margin() {
        for (aspect, hs, pitch) in [
            (16.0 / 9.0, 0.8, -34f32),
            (16.0 / 9.0, 0.2, -34.0),
            (16.0 / 9.0, 3.0, -20.0),
            (0.6, 0.8, -60.0),
        ] {
            let corners: Vec<Vec3> = [-1f32, 1.0]
                .into_iter()
                .flat_map(|x| [-1f32, 1.0].map(|z| (x, z)))
                .flat_map(|(x, z)| [0.0, hs].map(|y| Vec3::new(x, y, z)))
                .collect();
            let camera = Camera::fitted(&corners, -0.5, pitch.to_radians(), aspect);
            let m = camera.view_proj(aspect);
            let (mut lo, mut hi) = (Vec2::splat(f32::MAX), Vec2::splat(f32::MIN));
            for c in &corners {
                let clip = m * c.extend(1.0);
                let p = Vec2::new(clip.x, clip.y) / clip.w;
                (lo, hi) = (lo.min(p), hi.max(p));
            }
            let size = hi - lo;
            assert!(
                lo.x >= -FRAME_FILL - 1e-3
                    && hi.x <= FRAME_FILL + 1e-3
                    && lo.y >= -FRAME_FILL - 1e-3
                    && hi.y <= FRAME_FILL + 1e-3,
                "{aspect} {hs}: {lo} {hi}"
            );
            assert!(
                size.x.max(size.y) > 2.0 * FRAME_FILL - 0.02,
                "{aspect} {hs}: {size}"
            );
            let centre = 0.5 * (lo + hi);
            assert!(centre.length() < 0.02, "{aspect} {hs}: centred at {centre}");
        }
    }

    #[test]
    fn the_target_projects_to_the_centre_in_front() {
        let target = Vec3::new(0.0, 0.25, 0.0);
        let camera = Camera::orbit(target, 0.4, -0.5, 3.0);
        let clip = camera.view_proj(1.5) * target.extend(1.0);
        let ndc = clip / clip.w;
        assert!(ndc.x.abs() < 1e-5 && ndc.y.abs() < 1e-5, "{ndc}");
        assert!(ndc.z > 0.0 && ndc.z < 1.0, "depth {}", ndc.z);
        // Something behind the camera is not in front (w < 0).
        let behind = camera.position - camera.forward();
        assert!((camera.view_proj(1.5) * behind.extend(1.0)).w < 0.0);
    }
}
