//! Round tick values for an axis, as matplotlib's default locator chooses them: steps of
//! 1, 2, 2.5 or 5 times a power of ten, about `target` of them across the range.

/// Ticks inside `[lo, hi]`, about `target` of them, and the decimals their labels need.
pub fn ticks(lo: f64, hi: f64, target: usize) -> (Vec<f64>, usize) {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let span = hi - lo;
    if span.is_nan() || span <= 0.0 || !span.is_finite() {
        return (vec![lo], 0);
    }
    let raw = span / target.max(1) as f64;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * power);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    let values: Vec<f64> = (first..=last)
        .map(|k| k as f64 * step)
        .map(|v| if v.abs() < step * 1e-9 { 0.0 } else { v })
        .collect();
    // Enough decimals for the step (2.5 x 10^-1 needs 2).
    let decimals = (0..10)
        .find(|&d| {
            let scaled = step * 10f64.powi(d);
            (scaled - scaled.round()).abs() < 1e-9 * scaled.max(1.0)
        })
        .unwrap_or(10) as usize;
    (values, decimals)
}

/// A tick value with `decimals` decimals.
pub fn label(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_steps_across_the_range() {
        assert_eq!(
            ticks(0.0, 255.0, 6),
            (vec![0.0, 50.0, 100.0, 150.0, 200.0, 250.0], 0)
        );
        assert_eq!(ticks(-1.5, 2.5, 6), (vec![-1.0, 0.0, 1.0, 2.0], 0));
        assert_eq!(
            ticks(-1.5, 2.5, 10).0,
            [-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
        );
        let (t, d) = ticks(0.1, 2.5, 5);
        assert_eq!(t, [0.5, 1.0, 1.5, 2.0, 2.5]);
        assert_eq!(d, 1);
        assert_eq!(label(0.25, 2), "0.25");
        assert_eq!(ticks(3.0, 3.0, 5).0, [3.0]);
    }
}
