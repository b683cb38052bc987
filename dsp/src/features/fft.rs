//! Fixed-point (Q15) real FFT with the exact rounding of the 16-bit kissfft build that the
//! TFLite-Micro front end uses: every radix stage divides its inputs by the radix, products are
//! rounded to nearest, sums wrap in 16 bits. Only power-of-two sizes (radix 4, then 2), which is
//! all the front end needs (480-sample windows -> 512-point FFT).
//!
//! **Real-time safe** after [`RealFft::new`]: `forward` does not allocate.

/// A complex Q15 value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cpx {
    pub r: i16,
    pub i: i16,
}

const FRAC_BITS: u32 = 15;
const SAMP_MAX: i32 = 32767;

/// Rounds a Q30 product sum back to Q15 (truncating to 16 bits like the C cast).
#[inline]
fn sround(x: i32) -> i16 {
    (x.wrapping_add(1 << (FRAC_BITS - 1)) >> FRAC_BITS) as i16
}

#[inline]
fn smul(a: i16, b: i16) -> i32 {
    i32::from(a) * i32::from(b)
}

#[inline]
fn cmul(a: Cpx, b: Cpx) -> Cpx {
    Cpx {
        r: sround(smul(a.r, b.r).wrapping_sub(smul(a.i, b.i))),
        i: sround(smul(a.r, b.i).wrapping_add(smul(a.i, b.r))),
    }
}

/// Divides by `div` the way kissfft's fixed-point build does (multiply by SAMP_MAX/div).
#[inline]
fn fixdiv(c: Cpx, div: i32) -> Cpx {
    let k = (SAMP_MAX / div) as i16;
    Cpx {
        r: sround(smul(c.r, k)),
        i: sround(smul(c.i, k)),
    }
}

#[inline]
fn add(a: Cpx, b: Cpx) -> Cpx {
    Cpx {
        r: a.r.wrapping_add(b.r),
        i: a.i.wrapping_add(b.i),
    }
}

#[inline]
fn sub(a: Cpx, b: Cpx) -> Cpx {
    Cpx {
        r: a.r.wrapping_sub(b.r),
        i: a.i.wrapping_sub(b.i),
    }
}

/// `floor(0.5 + 32767 * cos/sin(phase))`, the fixed-point twiddle of kissfft.
fn cexp(phase: f64) -> Cpx {
    let s = f64::from(SAMP_MAX);
    Cpx {
        r: (0.5 + s * phase.cos()).floor() as i16,
        i: (0.5 + s * phase.sin()).floor() as i16,
    }
}

/// Complex FFT of a power-of-two size, decimation in time, radix 4 then 2.
#[derive(Debug, Clone)]
struct ComplexFft {
    /// (radix, remaining length) pairs, outermost stage first.
    factors: Vec<(usize, usize)>,
    twiddles: Vec<Cpx>,
}

impl ComplexFft {
    fn new(nfft: usize) -> Self {
        let twiddles = (0..nfft)
            .map(|i| cexp(-2.0 * std::f64::consts::PI * i as f64 / nfft as f64))
            .collect();
        let mut factors = Vec::new();
        let mut n = nfft;
        while n > 1 {
            let p = if n.is_multiple_of(4) { 4 } else { 2 };
            n /= p;
            factors.push((p, n));
        }
        Self { factors, twiddles }
    }

    fn forward(&self, input: &[Cpx], out: &mut [Cpx]) {
        self.work(out, input, 0, 1, 0);
    }

    /// One stage: `p` sub-transforms of length `m` over the input decimated by `fstride`,
    /// then recombination with the radix-`p` butterfly.
    fn work(&self, out: &mut [Cpx], input: &[Cpx], in_off: usize, fstride: usize, stage: usize) {
        let (p, m) = self.factors[stage];
        if m == 1 {
            for (k, o) in out[..p].iter_mut().enumerate() {
                *o = input[in_off + k * fstride];
            }
        } else {
            for k in 0..p {
                self.work(
                    &mut out[k * m..(k + 1) * m],
                    input,
                    in_off + k * fstride,
                    fstride * p,
                    stage + 1,
                );
            }
        }
        match p {
            4 => self.butterfly4(out, fstride, m),
            _ => self.butterfly2(out, fstride, m),
        }
    }

    fn butterfly2(&self, out: &mut [Cpx], fstride: usize, m: usize) {
        for k in 0..m {
            let a = fixdiv(out[k], 2);
            let b = fixdiv(out[k + m], 2);
            let t = cmul(b, self.twiddles[k * fstride]);
            out[k + m] = sub(a, t);
            out[k] = add(a, t);
        }
    }

    fn butterfly4(&self, out: &mut [Cpx], fstride: usize, m: usize) {
        for k in 0..m {
            let f0 = fixdiv(out[k], 4);
            let f1 = fixdiv(out[k + m], 4);
            let f2 = fixdiv(out[k + 2 * m], 4);
            let f3 = fixdiv(out[k + 3 * m], 4);
            let s0 = cmul(f1, self.twiddles[k * fstride]);
            let s1 = cmul(f2, self.twiddles[2 * k * fstride]);
            let s2 = cmul(f3, self.twiddles[3 * k * fstride]);
            let s5 = sub(f0, s1);
            let f0 = add(f0, s1);
            let s3 = add(s0, s2);
            let s4 = sub(s0, s2);
            out[k + 2 * m] = sub(f0, s3);
            out[k] = add(f0, s3);
            out[k + m] = Cpx {
                r: s5.r.wrapping_add(s4.i),
                i: s5.i.wrapping_sub(s4.r),
            };
            out[k + 3 * m] = Cpx {
                r: s5.r.wrapping_sub(s4.i),
                i: s5.i.wrapping_add(s4.r),
            };
        }
    }
}

/// Real-input FFT of `n` points (power of two, at least 4), output bins `0..=n/2`.
#[derive(Debug, Clone)]
pub struct RealFft {
    n: usize,
    sub: ComplexFft,
    packed: Vec<Cpx>,
    tmp: Vec<Cpx>,
    super_twiddles: Vec<Cpx>,
}

impl RealFft {
    /// Plans an `n`-point real FFT. `n` must be a power of two >= 4. Allocates.
    pub fn new(n: usize) -> Self {
        assert!(
            n.is_power_of_two() && n >= 4,
            "FFT size must be a power of two >= 4"
        );
        let half = n / 2;
        let super_twiddles = (0..half / 2)
            .map(|i| cexp(-std::f64::consts::PI * ((i + 1) as f64 / half as f64 + 0.5)))
            .collect();
        Self {
            n,
            sub: ComplexFft::new(half),
            packed: vec![Cpx::default(); half],
            tmp: vec![Cpx::default(); half],
            super_twiddles,
        }
    }

    /// Transforms `input` (`n` samples) into `out` (`n/2 + 1` bins). Real-time safe.
    pub fn forward(&mut self, input: &[i16], out: &mut [Cpx]) {
        let ncfft = self.n / 2;
        for (c, pair) in self.packed.iter_mut().zip(input.chunks_exact(2)) {
            *c = Cpx {
                r: pair[0],
                i: pair[1],
            };
        }
        self.sub.forward(&self.packed, &mut self.tmp);
        let tdc = fixdiv(self.tmp[0], 2);
        out[0] = Cpx {
            r: tdc.r.wrapping_add(tdc.i),
            i: 0,
        };
        out[ncfft] = Cpx {
            r: tdc.r.wrapping_sub(tdc.i),
            i: 0,
        };
        for k in 1..=ncfft / 2 {
            let fpk = fixdiv(self.tmp[k], 2);
            let mirror = self.tmp[ncfft - k];
            let fpnk = fixdiv(
                Cpx {
                    r: mirror.r,
                    i: mirror.i.wrapping_neg(),
                },
                2,
            );
            let f1k = add(fpk, fpnk);
            let f2k = sub(fpk, fpnk);
            let tw = cmul(f2k, self.super_twiddles[k - 1]);
            // HALF_OF works on the int-promoted sum, then the result is stored in 16 bits.
            let half_sum = |a: i16, b: i16| ((i32::from(a) + i32::from(b)) >> 1) as i16;
            let half_diff = |a: i16, b: i16| ((i32::from(a) - i32::from(b)) >> 1) as i16;
            out[k] = Cpx {
                r: half_sum(f1k.r, tw.r),
                i: half_sum(f1k.i, tw.i),
            };
            out[ncfft - k] = Cpx {
                r: half_diff(f1k.r, tw.r),
                i: half_diff(tw.i, f1k.i),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pure tone lands in its bin with the expected (scaled-down) magnitude and nowhere else.
    #[test]
    fn tone_lands_in_its_bin() {
        let n = 512;
        let mut fft = RealFft::new(n);
        let bin = 37;
        let input: Vec<i16> = (0..n)
            .map(|t| {
                (16000.0 * (2.0 * std::f64::consts::PI * (bin * t) as f64 / n as f64).cos()) as i16
            })
            .collect();
        let mut out = vec![Cpx::default(); n / 2 + 1];
        fft.forward(&input, &mut out);
        let mag = |c: Cpx| (f64::from(c.r).powi(2) + f64::from(c.i).powi(2)).sqrt();
        // The fixed-point FFT scales by 1/n: amplitude A at bin k gives A/2.
        assert!((mag(out[bin]) - 8000.0).abs() < 40.0, "{:?}", out[bin]);
        for (k, c) in out.iter().enumerate() {
            if k != bin {
                assert!(mag(*c) < 20.0, "bin {k}: {c:?}");
            }
        }
    }

    /// Our x - x = 0 edge: all-zero input gives all-zero output (no rounding bias).
    #[test]
    fn silence_is_zero() {
        let mut fft = RealFft::new(16);
        let mut out = vec![Cpx { r: 1, i: 1 }; 9];
        fft.forward(&[0; 16], &mut out);
        assert!(out.iter().all(|c| *c == Cpx::default()));
    }
}
