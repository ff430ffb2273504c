//! The class legend over a landscape: a swatch and the name of each class, in the corner
//! of the image where it hides least of the scene and the axis labels (like matplotlib's
//! `loc="best"`), so on a small image it does not cover the surfaces or an axis' name.

use egui::{Pos2, Rect, Vec2};

use crate::{Scene, Theme, class_colour};

/// Height of a legend row, in points.
const ROW: f32 = 18.0;
/// Space between the legend and the image's edge, in points.
const MARGIN: f32 = 10.0;
/// The swatch's side and the gap before the name, in points.
const SWATCH: f32 = 12.0;

fn font() -> egui::FontId {
    egui::FontId::proportional(13.0)
}

/// The legend's size for `scene`'s class names measured with `painter`'s fonts.
pub fn size(painter: &egui::Painter, scene: &Scene) -> Vec2 {
    let widest = scene
        .class_names
        .iter()
        .map(|name| {
            painter
                .layout_no_wrap(name.clone(), font(), egui::Color32::WHITE)
                .size()
                .x
        })
        .fold(0.0, f32::max);
    egui::vec2(
        8.0 + SWATCH + 6.0 + widest + 8.0,
        8.0 + ROW * scene.class_names.len() as f32,
    )
}

/// How much more a square point of axis label weighs than one of the scene.
const LABEL_WEIGHT: f32 = 2.0;

/// Where a legend of `size` goes on `screen`: of the four corners (top left first, then
/// top right, bottom left, bottom right), the one that hides least: the scene's area under
/// it (`scene_area`, in square points, e.g. [`crate::occupancy::Occupancy::area_in`]) and
/// that of `labels` (the axis labels as they would be placed without a legend) at
/// twice the weight; the first such corner on a tie.
pub fn place(size: Vec2, screen: Rect, scene_area: impl Fn(Rect) -> f32, labels: &[Rect]) -> Rect {
    let inner = screen.shrink(MARGIN);
    let corners = [
        inner.left_top(),
        Pos2::new(inner.right() - size.x, inner.top()),
        Pos2::new(inner.left(), inner.bottom() - size.y),
        inner.right_bottom() - size,
    ];
    let mut best = (f32::INFINITY, Rect::from_min_size(corners[0], size));
    for corner in corners {
        let rect = Rect::from_min_size(corner, size);
        let around = rect.expand(4.0);
        let hidden = scene_area(around)
            + LABEL_WEIGHT
                * labels
                    .iter()
                    .map(|l| l.intersect(around))
                    .filter(|r| r.is_positive())
                    .map(|r| r.area())
                    .sum::<f32>();
        if hidden < best.0 - 1e-3 {
            best = (hidden, rect);
        }
    }
    best.1
}

/// Paints `scene`'s legend into `rect` with `painter`, in `theme`'s colours.
pub fn paint(painter: &egui::Painter, scene: &Scene, rect: Rect, theme: Theme) {
    painter.rect_filled(rect, 4.0, theme.legend_fill());
    for (k, name) in scene.class_names.iter().enumerate() {
        let top = rect.min + egui::vec2(8.0, 4.0 + ROW * k as f32);
        let [r, g, b] = class_colour(k);
        painter.rect_filled(
            Rect::from_min_size(top + egui::vec2(0.0, 3.0), egui::vec2(SWATCH, SWATCH)),
            2.0,
            egui::Color32::from_rgb(r, g, b),
        );
        painter.text(
            top + egui::vec2(SWATCH + 6.0, 9.0),
            egui::Align2::LEFT_CENTER,
            name,
            font(),
            theme.text(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screen() -> Rect {
        Rect::from_min_size(Pos2::ZERO, egui::vec2(400.0, 225.0))
    }

    /// The area of `rect` inside any of `parts`.
    fn area_of(parts: &[Rect]) -> impl Fn(Rect) -> f32 + '_ {
        move |rect: Rect| {
            parts
                .iter()
                .map(|p| p.intersect(rect))
                .filter(|r| r.is_positive())
                .map(|r| r.area())
                .sum()
        }
    }

    #[test]
    fn an_empty_top_left_keeps_the_legend() {
        let size = egui::vec2(80.0, 60.0);
        let scene = [Rect::from_min_max(
            Pos2::new(150.0, 50.0),
            Pos2::new(400.0, 225.0),
        )];
        let rect = place(size, screen(), area_of(&scene), &[]);
        assert_eq!(rect.min, Pos2::new(MARGIN, MARGIN));
        assert_eq!(rect.size(), size);
    }

    #[test]
    fn the_legend_moves_to_the_emptiest_corner() {
        let size = egui::vec2(80.0, 60.0);
        // The scene fills everything but the bottom right.
        let scene = [
            Rect::from_min_max(Pos2::ZERO, Pos2::new(300.0, 225.0)),
            Rect::from_min_max(Pos2::ZERO, Pos2::new(400.0, 150.0)),
        ];
        let rect = place(size, screen(), area_of(&scene), &[]);
        assert_eq!(rect.max, Pos2::new(400.0 - MARGIN, 225.0 - MARGIN));
        assert!(screen().contains_rect(rect));
    }

    #[test]
    fn labels_weigh_more_than_as_much_scene() {
        let size = egui::vec2(80.0, 60.0);
        let label =
            |x: f32, y: f32| Rect::from_center_size(Pos2::new(x, y), egui::vec2(40.0, 12.0));
        // The same area of scene in the top left as of a label in each other corner.
        let scene = [Rect::from_center_size(
            Pos2::new(30.0, 30.0),
            egui::vec2(40.0, 12.0),
        )];
        let labels = [label(370.0, 30.0), label(30.0, 200.0), label(370.0, 200.0)];
        assert_eq!(
            place(size, screen(), area_of(&scene), &labels).min,
            Pos2::new(MARGIN, MARGIN)
        );
        // A label in the top left as well as that scene: a corner with one label wins.
        let labels = [
            label(30.0, 30.0),
            label(370.0, 30.0),
            label(30.0, 200.0),
            label(370.0, 200.0),
        ];
        let rect = place(size, screen(), area_of(&scene), &labels);
        assert_eq!(
            rect.min,
            Pos2::new(400.0 - MARGIN - 80.0, MARGIN),
            "{rect:?}"
        );
    }
}
