//! Vectorised kernels with runtime instruction-set selection (fork addition, see README-FORK.md).
//!
//! The two hot loops of the denoiser are the GRU/dense matrix-vector products (i8 weights stored
//! column by column, accumulated into f32) and the pitch search's cross-correlation. Both are
//! written here once, over fixed-width blocks of lanes that LLVM vectorises, and compiled
//! several times: with AVX2 (+FMA available, but Rust never contracts `a * b + c` on its own)
//! and with SSE4.1 on x86-64, selected at run time with `is_x86_feature_detected!`; on aarch64
//! the same code is compiled for NEON, which every aarch64 CPU has. `Isa::Portable` runs
//! upstream's original scalar loops, unchanged.
//!
//! **Exactness**: every output element is accumulated in the same order as upstream's scalar
//! code (column after column for the products, lag by lag in input order for the
//! correlation); only independent elements are computed side by side. No sum is reassociated
//! and no multiply-add is fused, so all paths give bit-identical results.

/// An instruction set the kernels can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// Upstream's scalar loops (whatever the compiler makes of them for the build target).
    Portable,
    /// x86-64 with SSE4.1 (sign-extending i8 -> i32 loads).
    Sse41,
    /// x86-64 with AVX2 and FMA.
    Avx2,
    /// aarch64 Advanced SIMD.
    Neon,
}

impl Isa {
    /// The best instruction set this CPU supports.
    pub fn detect() -> Isa {
        [Isa::Avx2, Isa::Sse41, Isa::Neon]
            .iter()
            .copied()
            .find(|i| i.is_supported())
            .unwrap_or(Isa::Portable)
    }

    /// Whether this CPU can run the kernels compiled for `self`.
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => is_x86_feature_detected!("sse4.1"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }
}

/// `out[k] += sum over columns c of data[c * stride + offset + k] * input[c]`, column after
/// column (upstream's `SubMatrix::mul_add`). `isa` must be supported (see `Isa::is_supported`).
pub(crate) fn gemv(isa: Isa, out: &mut [f32], data: &[i8], stride: usize, offset: usize, input: &[f32]) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: an `Isa::Avx2` only reaches here after `is_supported` (DenoiseState keeps
        // only supported values), so the CPU has AVX2 and FMA.
        Isa::Avx2 => unsafe { x86::gemv_avx2(out, data, stride, offset, input) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, the CPU has SSE4.1.
        Isa::Sse41 => unsafe { x86::gemv_sse41(out, data, stride, offset, input) },
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => lanes::gemv(out, data, stride, offset, input),
        _ => gemv_scalar(out, data, stride, offset, input),
    }
}

/// `xcorr[i] = sum over j of xs[j] * ys[i + j]` (upstream's `pitch_xcorr`). `ys` must hold at
/// least `xcorr.len() - 1 + xs.len()` samples. `isa` must be supported.
pub(crate) fn xcorr(isa: Isa, xs: &[f32], ys: &[f32], xcorr: &mut [f32]) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: see `gemv`; the CPU has AVX2 and FMA.
        Isa::Avx2 => unsafe { x86::xcorr_avx2(xs, ys, xcorr) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: see `gemv`; the CPU has SSE4.1.
        Isa::Sse41 => unsafe { x86::xcorr_sse41(xs, ys, xcorr) },
        #[cfg(target_arch = "aarch64")]
        Isa::Neon => lanes::xcorr(xs, ys, xcorr),
        _ => crate::pitch::pitch_xcorr_scalar(xs, ys, xcorr),
    }
}

/// Upstream's `SubMatrix::mul_add`, unchanged.
fn gemv_scalar(out: &mut [f32], data: &[i8], stride: usize, offset: usize, input: &[f32]) {
    for (col, input) in data.chunks_exact(stride).zip(input) {
        for (&x, out) in col[offset..].iter().zip(&mut out[..]) {
            *out += x as f32 * input;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    // The same generic code, compiled with the instruction set enabled; the callers check it.

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn gemv_avx2(o: &mut [f32], d: &[i8], s: usize, off: usize, i: &[f32]) {
        super::lanes::gemv(o, d, s, off, i)
    }

    #[target_feature(enable = "sse4.1")]
    pub(super) unsafe fn gemv_sse41(o: &mut [f32], d: &[i8], s: usize, off: usize, i: &[f32]) {
        super::lanes::gemv(o, d, s, off, i)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn xcorr_avx2(xs: &[f32], ys: &[f32], xcorr: &mut [f32]) {
        super::lanes::xcorr(xs, ys, xcorr)
    }

    #[target_feature(enable = "sse4.1")]
    pub(super) unsafe fn xcorr_sse41(xs: &[f32], ys: &[f32], xcorr: &mut [f32]) {
        super::lanes::xcorr(xs, ys, xcorr)
    }
}

/// Fixed-width blocks that LLVM turns into vector code for the enabled instruction set. Always
/// inlined, so each caller above gets its own copy compiled with its own target features.
#[allow(dead_code)] // unused on targets with neither x86-64 nor aarch64 kernels
mod lanes {
    use std::convert::TryInto;

    #[inline(always)]
    pub(super) fn gemv(out: &mut [f32], data: &[i8], stride: usize, offset: usize, input: &[f32]) {
        let n = out.len().min(stride - offset);
        let cols = (data.len() / stride).min(input.len());
        let (data, input) = (&data[..cols * stride], &input[..cols]);
        let mut k = 0;
        while k + 32 <= n {
            gemv_block::<32>(&mut out[k..k + 32], data, stride, offset + k, input);
            k += 32;
        }
        while k + 8 <= n {
            gemv_block::<8>(&mut out[k..k + 8], data, stride, offset + k, input);
            k += 8;
        }
        while k < n {
            gemv_block::<1>(&mut out[k..k + 1], data, stride, offset + k, input);
            k += 1;
        }
    }

    /// `W` outputs kept in registers while every column is added, in column order.
    #[inline(always)]
    fn gemv_block<const W: usize>(out: &mut [f32], data: &[i8], stride: usize, at: usize, input: &[f32]) {
        let mut acc = [0.0f32; W];
        acc.copy_from_slice(&out[..W]);
        for (col, &x) in data.chunks_exact(stride).zip(input) {
            let w: &[i8; W] = col[at..at + W].try_into().unwrap();
            for l in 0..W {
                acc[l] += w[l] as f32 * x;
            }
        }
        out[..W].copy_from_slice(&acc);
    }

    #[inline(always)]
    pub(super) fn xcorr(xs: &[f32], ys: &[f32], xcorr: &mut [f32]) {
        let n = xcorr.len();
        assert!(ys.len() + 1 >= n + xs.len());
        let mut i = 0;
        while i + 16 <= n {
            xcorr_block::<16>(xs, &ys[i..], &mut xcorr[i..i + 16]);
            i += 16;
        }
        while i + 4 <= n {
            xcorr_block::<4>(xs, &ys[i..], &mut xcorr[i..i + 4]);
            i += 4;
        }
        while i < n {
            xcorr_block::<1>(xs, &ys[i..], &mut xcorr[i..i + 1]);
            i += 1;
        }
    }

    /// `W` consecutive lags side by side; each one sums its products in input order.
    #[inline(always)]
    fn xcorr_block<const W: usize>(xs: &[f32], ys: &[f32], out: &mut [f32]) {
        let mut acc = [0.0f32; W];
        let ys = &ys[..xs.len() + W - 1];
        for (j, &x) in xs.iter().enumerate() {
            let y: &[f32; W] = ys[j..j + W].try_into().unwrap();
            for l in 0..W {
                acc[l] += x * y[l];
            }
        }
        out[..W].copy_from_slice(&acc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, seed: &mut u32) -> Vec<f32> {
        (0..n)
            .map(|_| {
                *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (*seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn every_supported_isa_is_bit_identical_to_portable() {
        let mut seed = 7;
        let isas = [Isa::Sse41, Isa::Avx2, Isa::Neon];
        for &(n, cols) in &[(24, 42), (72, 24), (144, 90), (288, 114), (22, 96), (1, 24), (13, 5)] {
            let data: Vec<i8> = noise(n * cols, &mut seed).iter().map(|x| (x * 127.0) as i8).collect();
            let input = noise(cols, &mut seed);
            let mut want = noise(n, &mut seed);
            let start = want.clone();
            gemv(Isa::Portable, &mut want, &data, n, 0, &input);
            for &isa in isas.iter().filter(|i| i.is_supported()) {
                let mut got = start.clone();
                gemv(isa, &mut got, &data, n, 0, &input);
                assert_eq!(got, want, "gemv {isa:?} n={n}");
            }
        }
        for &(nx, lags) in &[(240, 147), (860, 5), (7, 3), (100, 37)] {
            let xs = noise(nx, &mut seed);
            let ys = noise(nx + lags + 3, &mut seed);
            let mut want = vec![0.0; lags];
            xcorr(Isa::Portable, &xs, &ys, &mut want);
            for &isa in isas.iter().filter(|i| i.is_supported()) {
                let mut got = vec![0.0; lags];
                xcorr(isa, &xs, &ys, &mut got);
                assert_eq!(got, want, "xcorr {isa:?}");
            }
        }
    }
}
