//! Deep zoom: the domain shown shrinks or grows around a point, and the network is
//! evaluated again on the new window at full resolution (so detail never runs out until
//! float32 does).

use faultline_model::{Domain, GridSpec, ModelError};
use faultline_render::Camera;

/// `domain` scaled by `1 / factor` around `centre` (kept inside `domain` when zooming in;
/// never larger than `whole` when zooming out); an error where `resolution` samples per
/// side would be closer together than float32 resolves.
pub fn zoomed(
    domain: Domain,
    whole: Domain,
    centre: [f64; 2],
    factor: f64,
    resolution: usize,
) -> Result<Domain, ModelError> {
    let axis = |[lo, hi]: [f64; 2], [wlo, whi]: [f64; 2], c: f64| -> [f64; 2] {
        let half = (hi - lo) / 2.0 / factor;
        let (bound_lo, bound_hi) = if factor >= 1.0 { (lo, hi) } else { (wlo, whi) };
        let half = half.min((bound_hi - bound_lo) / 2.0);
        let c = c.clamp(bound_lo + half, bound_hi - half);
        [c - half, c + half]
    };
    let next = Domain::new(
        axis(domain.x, whole.x, centre[0]),
        axis(domain.y, whole.y, centre[1]),
    )?;
    GridSpec::new(next, resolution, resolution)?;
    Ok(next)
}

/// The point of `domain` under the centre of the screen: where the camera's view ray meets
/// the floor (world y = 0; the floor spans x and z in [-1, 1], row 0 at z = +1), or the
/// domain's centre where the camera looks above the horizon or off the floor.
pub fn looked_at(camera: &Camera, domain: Domain) -> [f64; 2] {
    let middle = [
        (domain.x[0] + domain.x[1]) / 2.0,
        (domain.y[0] + domain.y[1]) / 2.0,
    ];
    let forward = camera.forward();
    if forward.y >= -1e-3 {
        return middle;
    }
    let t = -camera.position.y / forward.y;
    let hit = camera.position + forward * t;
    if t <= 0.0 || hit.x.abs() > 1.0 || hit.z.abs() > 1.0 {
        return middle;
    }
    let u = f64::from((hit.x + 1.0) / 2.0);
    let v = f64::from((1.0 - hit.z) / 2.0);
    [
        domain.x[0] + u * (domain.x[1] - domain.x[0]),
        domain.y[0] + v * (domain.y[1] - domain.y[0]),
    ]
}

/// How many times smaller than `whole` the window `domain` is (the larger of the axes).
pub fn magnification(domain: Domain, whole: Domain) -> f64 {
    let ratio = |[lo, hi]: [f64; 2], [wlo, whi]: [f64; 2]| (whi - wlo) / (hi - lo);
    ratio(domain.x, whole.x).max(ratio(domain.y, whole.y))
}

/// `x0,x1,y0,y1`, as `--domain` takes it (shortest round-trip digits).
pub fn domain_flag(domain: Domain) -> String {
    format!(
        "{},{},{},{}",
        domain.x[0], domain.x[1], domain.y[0], domain.y[1]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zooming_in_and_out_stays_inside_and_stops_at_float32() {
        let whole = Domain::new([0.0, 8.0], [0.0, 4.0]).unwrap();
        let z = zoomed(whole, whole, [1.0, 3.0], 2.0, 64).unwrap();
        assert_eq!(z.x, [0.0, 4.0], "kept inside the window");
        assert_eq!(z.y, [2.0, 4.0]);
        let z2 = zoomed(z, whole, [2.0, 3.0], 2.0, 64).unwrap();
        assert_eq!(z2.x, [1.0, 3.0]);
        assert_eq!(magnification(z2, whole), 4.0);
        let out = zoomed(z2, whole, [2.0, 3.0], 0.01, 64).unwrap();
        assert_eq!(out, whole, "never larger than the whole domain");
        let mut d = whole;
        let mut steps = 0;
        while let Ok(next) = zoomed(d, whole, [5.0, 1.0], 2.0, 256) {
            d = next;
            steps += 1;
            assert!(steps < 200);
        }
        assert!(
            (10..40).contains(&steps),
            "{steps} zooms before float32 runs out"
        );
        assert_eq!(domain_flag(z2), "1,3,2.5,3.5");
    }

    #[test]
    fn the_screen_centre_looks_at_the_floor_point_under_it() {
        let domain = Domain::new([0.0, 10.0], [0.0, 10.0]).unwrap();
        let camera = Camera::orbit(glam::Vec3::new(0.5, 0.0, -0.5), 0.3, -0.6, 2.0);
        let [x, y] = looked_at(&camera, domain);
        assert!((x - 7.5).abs() < 1e-3 && (y - 7.5).abs() < 1e-3, "{x} {y}");
        let up = Camera::orbit(glam::Vec3::ZERO, 0.0, 0.4, 2.0);
        assert_eq!(looked_at(&up, domain), [5.0, 5.0], "looking up: the centre");
    }
}
