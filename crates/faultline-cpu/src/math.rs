//! Vectorisable elementary functions on `f32`.

/// `e^x` by range reduction to `2^n e^r`, `|r| <= ln 2 / 2`, and Cephes' degree-6
/// polynomial; about 1 ulp on `[-87, 88]`, clamped outside. Branch-free so that loops over
/// arrays of it vectorise.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2E + 0.5).floor();
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let er = p * r * r + r + 1.0;
    // SAFETY: x is clamped to [-87, 88], so n is a whole number in [-126, 127]: it fits
    // an i32 (and `as i32`'s saturating conversion would keep the loop from vectorising).
    let n = unsafe { n.to_int_unchecked::<i32>() };
    er * f32::from_bits((n.wrapping_add(127) as u32) << 23)
}

/// `1 / (1 + e^-x)`.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// `tanh x` as `1 - 2 / (e^2x + 1)`, clamped to `[-9, 9]` where it is +-1 in `f32`.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let e = exp(2.0 * x.clamp(-9.0, 9.0));
    1.0 - 2.0 / (e + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_two_ulp_over_the_useful_range() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let exact = f64::from(x).exp();
            let rel = ((f64::from(exp(x)) - exact) / exact).abs();
            worst = worst.max(rel);
            x += 0.0137;
        }
        assert!(worst < 2.5e-7, "worst relative error {worst}");
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(-200.0) < 1e-37 && exp(200.0) > 1e38);
    }

    #[test]
    fn sigmoid_and_tanh_match_std() {
        for i in -400..400 {
            let x = i as f32 * 0.05;
            assert!((sigmoid(x) - 1.0 / (1.0 + (-x).exp())).abs() < 1e-6, "{x}");
            assert!((tanh(x) - x.tanh()).abs() < 1e-6, "{x}");
        }
    }
}
