//! Colour themes for the landscape: dark (the screen) and light (print: a white
//! background, dark text).

/// Which colours a landscape is drawn in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Theme {
    /// A dark blue-grey background, light text (the default).
    #[default]
    Dark,
    /// A white background, dark text, for print.
    Light,
}

impl std::str::FromStr for Theme {
    type Err = String;

    fn from_str(s: &str) -> Result<Theme, String> {
        match s {
            "dark" => Ok(Theme::Dark),
            "light" => Ok(Theme::Light),
            other => Err(format!("unknown theme '{other}': give light or dark")),
        }
    }
}

impl Theme {
    /// The background, linear RGB (what the render pass clears to).
    pub fn background(self) -> wgpu::Color {
        match self {
            Theme::Dark => wgpu::Color {
                r: 0.055,
                g: 0.06,
                b: 0.075,
                a: 1.0,
            },
            Theme::Light => wgpu::Color::WHITE,
        }
    }

    /// Text: tick values and legend names (sRGB).
    pub fn text(self) -> egui::Color32 {
        match self {
            Theme::Dark => egui::Color32::from_gray(200),
            Theme::Light => egui::Color32::from_gray(40),
        }
    }

    /// The x, y and z axes' colours (sRGB), readable on the background.
    pub fn axes(self) -> [egui::Color32; 3] {
        match self {
            Theme::Dark => [
                egui::Color32::from_rgb(240, 120, 120),
                egui::Color32::from_rgb(120, 215, 130),
                egui::Color32::from_rgb(140, 165, 255),
            ],
            Theme::Light => [
                egui::Color32::from_rgb(180, 30, 30),
                egui::Color32::from_rgb(20, 120, 40),
                egui::Color32::from_rgb(40, 60, 190),
            ],
        }
    }

    /// The legend's box.
    pub fn legend_fill(self) -> egui::Color32 {
        match self {
            Theme::Dark => egui::Color32::from_black_alpha(150),
            Theme::Light => egui::Color32::from_white_alpha(220),
        }
    }
}
