//! Vectorisable elementary functions on `f32`.
//!
//! Every function is branch-free and division-free so that loops over arrays of it turn
//! into SIMD code; `FMA` says whether `a * b + c` may be fused (it is on the AVX2 and
//! AVX-512 paths, where `mul_add` is one instruction; on the baseline it would be a libm
//! call).

/// `acc + a * b`, fused when the instruction set has FMA.
#[inline(always)]
pub fn madd<const FMA: bool>(acc: f32, a: f32, b: f32) -> f32 {
    if FMA { a.mul_add(b, acc) } else { acc + a * b }
}

/// `1.5 * 2^23`: adding it rounds a float of magnitude below `2^22` to a whole number and
/// leaves that number in the low bits of the sum.
const ROUNDING: f32 = 12_582_912.0;

/// `e^x` by range reduction to `2^n e^r`, `|r| <= ln 2 / 2`, and Cephes' degree-7
/// polynomial; about 1 ulp on `[-87, 88]`, clamped outside.
#[inline(always)]
pub fn exp<const FMA: bool>(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    // t = n + ROUNDING with n = round(x / ln 2); the bits of t hold n in their low bits.
    let t = madd::<FMA>(ROUNDING, x, LOG2E);
    let n = t - ROUNDING;
    let r = madd::<FMA>(madd::<FMA>(x, n, -LN2_HI), n, -LN2_LO);
    let mut p = 1.987_569_1e-4_f32;
    p = madd::<FMA>(1.398_199_9e-3, p, r);
    p = madd::<FMA>(8.333_452e-3, p, r);
    p = madd::<FMA>(4.166_579_6e-2, p, r);
    p = madd::<FMA>(1.666_666_5e-1, p, r);
    p = madd::<FMA>(0.5, p, r);
    let er = madd::<FMA>(r + 1.0, p * r, r);
    // (n + 127) << 23 is 2^n; the low 9 bits of t's exponent field shift out.
    er * f32::from_bits(t.to_bits().wrapping_add(127) << 23)
}

/// `1 / d` for `d >= 1` (infinity included), to about 1 ulp, without a division: an
/// integer first guess (within 12 %) and three Newton steps.
#[inline(always)]
pub fn recip_ge1<const FMA: bool>(d: f32) -> f32 {
    let d = d.min(1e30);
    let r = f32::from_bits(0x7EF3_11C3u32.wrapping_sub(d.to_bits()));
    let r = newton::<FMA>(d, r);
    let r = newton::<FMA>(d, r);
    newton::<FMA>(d, r)
}

/// One Newton step towards `1 / d` from `r`: the relative error squares.
#[inline(always)]
fn newton<const FMA: bool>(d: f32, r: f32) -> f32 {
    madd::<FMA>(r, r, madd::<FMA>(1.0, -d, r))
}

/// `1 / (1 + e^-x)`.
#[inline(always)]
pub fn sigmoid<const FMA: bool>(x: f32) -> f32 {
    recip_ge1::<FMA>(1.0 + exp::<FMA>(-x))
}

/// `tanh x` as `1 - 2 / (e^2x + 1)`, clamped to `[-9, 9]` where it is +-1 in `f32`.
#[inline(always)]
pub fn tanh<const FMA: bool>(x: f32) -> f32 {
    let e = exp::<FMA>(2.0 * x.clamp(-9.0, 9.0));
    madd::<FMA>(1.0, -2.0, recip_ge1::<FMA>(e + 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(check: impl Fn(bool)) {
        check(false);
        check(true);
    }

    fn exp_any(fma: bool, x: f32) -> f32 {
        if fma { exp::<true>(x) } else { exp::<false>(x) }
    }

    #[test]
    fn exp_is_within_two_ulp_over_the_useful_range() {
        both(|fma| {
            let mut worst = 0.0f64;
            let mut x = -87.0f32;
            while x < 88.0 {
                let exact = f64::from(x).exp();
                let rel = ((f64::from(exp_any(fma, x)) - exact) / exact).abs();
                worst = worst.max(rel);
                x += 0.0137;
            }
            assert!(worst < 2.5e-7, "worst relative error {worst} (fma {fma})");
            assert_eq!(exp_any(fma, 0.0), 1.0);
            assert!(exp_any(fma, -200.0) < 1e-37 && exp_any(fma, 200.0) > 1e38);
        });
    }

    #[test]
    fn reciprocal_is_within_two_ulp_from_one_to_infinity() {
        let mut worst = 0.0f64;
        let mut d = 1.0f32;
        while d < 1e30 {
            for r in [recip_ge1::<true>(d), recip_ge1::<false>(d)] {
                let exact = 1.0 / f64::from(d);
                worst = worst.max(((f64::from(r) - exact) / exact).abs());
            }
            d *= 1.000_37;
        }
        assert!(worst < 2.5e-7, "worst relative error {worst}");
        assert_eq!(recip_ge1::<true>(1.0), 1.0);
        assert!(recip_ge1::<true>(f32::INFINITY) <= 1e-30);
        assert!(recip_ge1::<false>(f32::INFINITY) <= 1e-30);
    }

    #[test]
    fn sigmoid_and_tanh_match_std() {
        for i in -400..400 {
            let x = i as f32 * 0.05;
            for (s, t) in [
                (sigmoid::<true>(x), tanh::<true>(x)),
                (sigmoid::<false>(x), tanh::<false>(x)),
            ] {
                assert!((s - 1.0 / (1.0 + (-x).exp())).abs() < 1e-6, "{x}");
                assert!((t - x.tanh()).abs() < 1e-6, "{x}");
            }
        }
        assert!(sigmoid::<true>(-1000.0) <= 1e-30 && sigmoid::<true>(1000.0) == 1.0);
    }
}
