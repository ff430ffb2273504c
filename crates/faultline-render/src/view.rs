//! What one landscape frame shows ([`ViewOptions`]): which surfaces ([`Mode`] and the
//! class bits), which lines, the height scale, the theme, and the cheaper view drawn while
//! the camera moves.

/// Mesh quads per side while the camera moves on a software rasteriser. llvmpipe's cost is
/// per triangle and per pixel: 64 x 64 quads per surface at half resolution draws three
/// surfaces at 1280 x 720 in about 17 ms (examples/frame_time.rs).
pub const SOFTWARE_MOVING_QUADS: usize = 64;
/// Mesh quads per side while the camera moves on a hardware GPU.
pub const HARDWARE_MOVING_QUADS: usize = 1024;

/// What the surfaces show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every visible class surface, see-through where they overlap.
    All,
    /// The upper envelope (the winning surface), coloured by class.
    Envelope,
    /// One class alone.
    Single(usize),
}

/// Per-frame drawing options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewOptions {
    /// Which surfaces.
    pub mode: Mode,
    /// Bit k set: class k is drawn in [`Mode::All`] (classes from 31 on share bit 31; see
    /// [`ViewOptions::class_bit`], the rule `vs_surface` applies).
    pub visible: u32,
    /// Height of the tallest output above the floor, in world units (the floor is 2 wide).
    pub height_scale: f32,
    /// Draw the decision boundary.
    pub decision: bool,
    /// Draw the pairwise crossings.
    pub crossings: bool,
    /// Highlight junctions.
    pub junctions: bool,
    /// Draw the floor map and axes.
    pub floor: bool,
    /// Mesh step in grid samples (1 = full resolution; larger while the camera moves).
    pub mesh_step: u32,
    /// Opacity of the surfaces in [`Mode::All`].
    pub alpha: f32,
    /// Skip the per-fragment lines and multisampling (used while the camera moves).
    pub fast: bool,
    /// With `fast`: draw at this fraction of the target's size and scale up (0 < s <= 1).
    pub render_scale: f32,
    /// Label the axes (input names and ranges) and draw the class legend.
    pub labels: bool,
    /// The background and text colours.
    pub theme: crate::Theme,
    /// Iso-lines on the surfaces at round z values, about this many across the z range
    /// (0: none).
    pub contours: u32,
}

impl ViewOptions {
    /// The bit of [`ViewOptions::visible`] that shows class `k`.
    pub fn class_bit(k: usize) -> u32 {
        1 << k.min(31)
    }

    /// Whether surface `k` of a scene with `surfaces` surfaces is drawn.
    pub fn shows(&self, k: usize, surfaces: usize) -> bool {
        match self.mode {
            Mode::All => self.visible & ViewOptions::class_bit(k) != 0,
            Mode::Envelope => true,
            Mode::Single(j) => k == j.min(surfaces.saturating_sub(1)),
        }
    }

    /// The cheaper view drawn while the camera moves over a `side` x `side` grid: a
    /// coarser mesh, no lines, no multisampling, and on a software rasteriser half the
    /// resolution. The full view is drawn again when the camera stops.
    pub fn moving(&self, side: usize, software: bool) -> ViewOptions {
        let quads = if software {
            SOFTWARE_MOVING_QUADS
        } else {
            HARDWARE_MOVING_QUADS
        };
        ViewOptions {
            mesh_step: (side / quads).max(self.mesh_step as usize).max(1) as u32,
            fast: true,
            render_scale: if software { 0.5 } else { 1.0 },
            ..*self
        }
    }
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions {
            mode: Mode::All,
            visible: u32::MAX,
            height_scale: 0.8,
            decision: true,
            crossings: true,
            junctions: true,
            floor: true,
            mesh_step: 1,
            alpha: 0.82,
            fast: false,
            render_scale: 1.0,
            labels: true,
            theme: crate::Theme::Dark,
            contours: 0,
        }
    }
}

/// The spacing and the first of the iso-lines at round z values, about `count` across
/// `z_range` (matplotlib's tick rule); (0, 0) for none.
pub fn contour_step(z_range: [f32; 2], count: u32) -> (f32, f32) {
    if count == 0 {
        return (0.0, 0.0);
    }
    let (values, _) =
        crate::ticks::ticks(f64::from(z_range[0]), f64::from(z_range[1]), count as usize);
    match values[..] {
        [a, b, ..] => ((b - a) as f32, a as f32),
        _ => (0.0, 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::{Mode, ViewOptions};

    #[test]
    fn the_shown_surfaces_follow_the_mode_and_the_class_bits() {
        let all = ViewOptions {
            visible: !ViewOptions::class_bit(1),
            ..ViewOptions::default()
        };
        assert!(all.shows(0, 3) && !all.shows(1, 3) && all.shows(2, 3));
        // Classes from 31 on share bit 31, as in vs_surface.
        let none_past_30 = ViewOptions {
            visible: !ViewOptions::class_bit(31),
            ..all
        };
        assert!(none_past_30.shows(30, 40) && !none_past_30.shows(31, 40));
        assert!(!none_past_30.shows(39, 40));
        let envelope = ViewOptions {
            mode: Mode::Envelope,
            ..all
        };
        assert!(envelope.shows(1, 3));
        let single = ViewOptions {
            mode: Mode::Single(7),
            ..all
        };
        assert!(
            single.shows(2, 3) && !single.shows(0, 3),
            "clamped to the last surface"
        );
    }
}
