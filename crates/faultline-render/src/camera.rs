//! The camera: a position and a direction (yaw, pitch), flown or orbited.

use glam::{Mat4, Vec3, Vec4};

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
