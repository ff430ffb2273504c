//! Where the landscape's axis labels go ([`layout`]): round ticks on the x, y and z axes
//! (matplotlib's tick rule, [`crate::ticks`]), the input names and the output's name along
//! them, each placed outside the floor in screen space and kept only where it overlaps
//! nothing placed before it, so no two labels ever overlap.

use egui::{Color32, FontId, Pos2, Rect, Vec2};
use faultline_model::Domain;
use glam::{Mat4, Vec3, Vec4};

use crate::landscape::FLOOR_DROP;
use crate::{Camera, Theme, WorldMap};

/// Size in points of the tick values.
pub const TICK_FONT: f32 = 11.0;
/// Size in points of the axis names.
pub const NAME_FONT: f32 = 13.0;
/// About this many ticks per axis (fewer where they would overlap).
const TICKS_PER_AXIS: usize = 5;
/// Length of a tick mark and the gap to its value, in points.
const TICK_LENGTH: f32 = 5.0;
const GAP: f32 = 3.0;
/// Names slid into the frame keep this many points from its edge.
const EDGE: f32 = 4.0;
/// Labels keep at least this many points from each other.
const SPACING: f32 = 2.0;

/// What the axes show.
#[derive(Debug, Clone, Copy)]
pub struct AxesInfo<'a> {
    /// The input rectangle (x along the floor's front edge, y along its left edge).
    pub domain: Domain,
    /// The two input names.
    pub input_names: &'a [String; 2],
    /// The output's name (the vertical axis).
    pub output_name: &'a str,
    /// The outputs mapped to the floor and to the height scale.
    pub z_range: [f32; 2],
    /// Height of the z range's top above its bottom, in world units.
    pub height_scale: f32,
}

impl AxesInfo<'_> {
    /// Where the axes' values land in world space.
    pub fn world(&self) -> WorldMap {
        WorldMap {
            domain: self.domain,
            z_range: self.z_range,
            height_scale: self.height_scale,
        }
    }
}

/// One placed label: its text and rectangle in points, and the tick mark it names.
#[derive(Debug, Clone)]
pub struct Label {
    /// The text.
    pub text: String,
    /// Where it is drawn, in points.
    pub rect: Rect,
    /// Its colour.
    pub colour: Color32,
    /// The text laid out in its font and colour, as painted.
    pub galley: std::sync::Arc<egui::Galley>,
    /// The tick mark from the axis outwards (none for names).
    pub tick: Option<[Pos2; 2]>,
    /// The axis it belongs to: 0 (x), 1 (y) or 2 (z).
    pub axis: usize,
}

/// World positions to points on the screen.
pub struct Projection {
    view_proj: Mat4,
    screen: Rect,
}

impl Projection {
    /// `camera`'s projection onto `screen` (points; its aspect is the image's).
    pub fn new(camera: &Camera, screen: Rect) -> Projection {
        let aspect = screen.width() / screen.height().max(1e-3);
        Projection {
            view_proj: camera.view_proj(aspect),
            screen,
        }
    }

    /// The screen it projects onto (points).
    pub fn screen(&self) -> Rect {
        self.screen
    }

    /// Where `p` lands on the screen, None behind the camera.
    pub fn point(&self, p: Vec3) -> Option<Pos2> {
        let clip = self.view_proj * Vec4::new(p.x, p.y, p.z, 1.0);
        (clip.w > 1e-4).then(|| {
            let ndc = clip.truncate() / clip.w;
            Pos2::new(
                self.screen.min.x + (ndc.x + 1.0) * 0.5 * self.screen.width(),
                self.screen.min.y + (1.0 - ndc.y) * 0.5 * self.screen.height(),
            )
        })
    }

    /// The screen direction of moving from `p` along `d` (unit length), None where it
    /// cannot be told (behind the camera, or looking straight along `d`).
    fn direction(&self, p: Vec3, d: Vec3) -> Option<Vec2> {
        let v = self.point(p + d * 0.05)? - self.point(p)?;
        (v.length() > 1e-3).then(|| v.normalized())
    }
}

/// A label wanted on an axis, before placement.
struct Wanted {
    text: String,
    at: Vec3,
    outward: Vec3,
    font_size: f32,
    colour: Color32,
    /// Points beyond the tick mark (names clear their axis' values).
    extra: f32,
    tick: bool,
    axis: usize,
}

/// The axes' labels for `axes` seen through `projection`, measured with `painter`'s
/// fonts: each axis' name and its round ticks, placed outside the floor. A label is kept
/// only if it lies inside the screen (a name first slides along the edge to fit) and
/// overlaps neither `reserved` (the legend) nor a label kept before it: names first, then
/// each axis' end ticks, then the others.
pub fn layout(
    painter: &egui::Painter,
    axes: &AxesInfo,
    projection: &Projection,
    theme: Theme,
    reserved: &[Rect],
) -> Vec<Label> {
    let hs = axes.height_scale;
    let floor = -FLOOR_DROP * hs;
    let colours = theme.axes();
    let text = theme.text();
    let [x0, x1] = axes.domain.x;
    let [y0, y1] = axes.domain.y;
    let [z0, z1] = axes.z_range.map(f64::from);
    let world = axes.world();
    let origin = Vec3::new(-1.0, floor, 1.0);
    let z_outward = Vec3::new(-1.0, 0.0, 1.0).normalize();
    // Each axis: its ticks (value, world point), its outward direction, where its name goes.
    let axis_ticks = [
        ticks_along(x0, x1, |v| Vec3::new(world.x(v), floor, 1.0)),
        ticks_along(y0, y1, |v| Vec3::new(-1.0, floor, world.z(v))),
        ticks_along(z0, z1, |v| Vec3::new(-1.0, floor + world.height(v), 1.0)),
    ];
    let outwards = [Vec3::Z, -Vec3::X, z_outward];
    let galley = |s: &str, size: f32, colour| {
        painter.layout_no_wrap(s.to_string(), FontId::proportional(size), colour)
    };

    let mut wanted = Vec::new();
    // Names: the inputs' beyond their axes' values at the middle of the edge, the output's
    // above the top of its axis.
    for axis in 0..2 {
        let mid = origin + if axis == 0 { Vec3::X } else { -Vec3::Z };
        let clearance = projection.direction(mid, outwards[axis]).map_or(0.0, |u| {
            axis_ticks[axis]
                .iter()
                .map(|(s, _)| extent_along(galley(s, TICK_FONT, text).size(), u))
                .fold(0.0, f32::max)
        });
        wanted.push(Wanted {
            text: axes.input_names[axis].clone(),
            at: mid,
            outward: outwards[axis],
            font_size: NAME_FONT,
            colour: colours[axis],
            extra: clearance + GAP,
            tick: false,
            axis,
        });
    }
    wanted.push(Wanted {
        text: axes.output_name.to_string(),
        at: origin + Vec3::Y * (1.1 * hs + 0.04 * hs),
        outward: Vec3::Y,
        font_size: NAME_FONT,
        colour: colours[2],
        extra: 0.0,
        tick: false,
        axis: 2,
    });
    // Ticks: the ends of every axis first, then the rest from the outside in.
    let mut order: Vec<(usize, usize)> = axis_ticks
        .iter()
        .enumerate()
        .flat_map(|(axis, t)| (0..t.len()).map(move |i| (axis, i)))
        .collect();
    order.sort_by_key(|&(axis, i)| {
        let n = axis_ticks[axis].len();
        (i.min(n - 1 - i), axis)
    });
    for (axis, i) in order {
        let (s, at) = &axis_ticks[axis][i];
        wanted.push(Wanted {
            text: s.clone(),
            at: *at,
            outward: outwards[axis],
            font_size: TICK_FONT,
            colour: text,
            extra: 0.0,
            tick: true,
            axis,
        });
    }

    let screen = projection.screen;
    let mut taken: Vec<Rect> = reserved.to_vec();
    let mut placed = Vec::new();
    for w in wanted {
        let (Some(a), Some(u)) = (
            projection.point(w.at),
            projection.direction(w.at, w.outward),
        ) else {
            continue;
        };
        let laid_out = galley(&w.text, w.font_size, w.colour);
        let size = laid_out.size();
        let start = a + u * (TICK_LENGTH + GAP + w.extra);
        let support = 0.5 * extent_along(size, u);
        let mut rect = Rect::from_center_size(start + u * support, size);
        if !w.tick {
            // A name may slide along the edge to stay in the frame (a tick's value may not:
            // it would name another point of its axis).
            rect = rect.translate(inside(rect, screen.shrink(EDGE)));
        }
        let spaced = rect.expand(SPACING);
        if !screen.contains_rect(rect) || taken.iter().any(|r| r.intersects(spaced)) {
            continue;
        }
        taken.push(rect);
        placed.push(Label {
            text: w.text,
            rect,
            colour: w.colour,
            galley: laid_out,
            tick: w.tick.then(|| [a, a + u * TICK_LENGTH]),
            axis: w.axis,
        });
    }
    placed
}

/// The smallest move that brings `rect` inside `screen` (none if it is larger).
fn inside(rect: Rect, screen: Rect) -> Vec2 {
    let along = |lo: f32, hi: f32, min: f32, max: f32| {
        if hi - lo > max - min {
            0.0
        } else if lo < min {
            min - lo
        } else if hi > max {
            max - hi
        } else {
            0.0
        }
    };
    egui::vec2(
        along(rect.min.x, rect.max.x, screen.min.x, screen.max.x),
        along(rect.min.y, rect.max.y, screen.min.y, screen.max.y),
    )
}

/// Round ticks over `[lo, hi]` with their labels and world positions.
fn ticks_along(lo: f64, hi: f64, world: impl Fn(f64) -> Vec3) -> Vec<(String, Vec3)> {
    let (values, decimals) = crate::ticks::ticks(lo, hi, TICKS_PER_AXIS);
    values
        .into_iter()
        .filter(|v| (lo.min(hi)..=lo.max(hi)).contains(v))
        .map(|v| (crate::ticks::label(v, decimals), world(v)))
        .collect()
}

/// How far a rectangle of `size` reaches along the unit direction `u`.
fn extent_along(size: Vec2, u: Vec2) -> f32 {
    u.x.abs() * size.x + u.y.abs() * size.y
}

/// Whether any two of `labels` overlap.
pub fn any_overlap(labels: &[Label]) -> bool {
    labels.iter().enumerate().any(|(i, a)| {
        labels[i + 1..]
            .iter()
            .any(|b| a.rect.intersects(b.rect) && a.rect.intersect(b.rect).area() > 0.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_slides_into_the_frame_only_if_it_fits() {
        let screen = Rect::from_min_size(Pos2::ZERO, egui::vec2(200.0, 100.0));
        let left = Rect::from_min_size(Pos2::new(-15.0, 40.0), egui::vec2(60.0, 12.0));
        assert_eq!(inside(left, screen), egui::vec2(15.0, 0.0));
        let corner = Rect::from_min_size(Pos2::new(170.0, 95.0), egui::vec2(60.0, 12.0));
        assert_eq!(inside(corner, screen), egui::vec2(-30.0, -7.0));
        let wide = Rect::from_min_size(Pos2::new(-10.0, 40.0), egui::vec2(300.0, 12.0));
        assert_eq!(inside(wide, screen), egui::vec2(0.0, 0.0));
        let within = Rect::from_min_size(Pos2::new(10.0, 10.0), egui::vec2(60.0, 12.0));
        assert_eq!(inside(within, screen), Vec2::ZERO);
    }
}
